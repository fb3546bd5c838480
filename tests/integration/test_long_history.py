"""A long task history costs a read no more than a short one: the Task's state does not grow
with its runs, and a read as of a past version or time decodes at most a snapshot's interval of
events (plus one per halving for a time), never the whole history. Counted, not timed."""

import pickle
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from domain.enums import FailureReason
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import ADMIN, ENGINE, NEW_RPM, seed_service
from tests.logs import lines

INTERVAL = ArbiterApp.snapshotting_intervals[next(iter(ArbiterApp.snapshotting_intervals))]


def _failing_again_and_again(arbiter: ArbiterApp, events: int, port: int = 2882) -> int:
    """A task whose first step is started, failed and retried until it has `events` events."""
    service_id = seed_service(arbiter, port)
    task = arbiter.get_task(arbiter.upgrade(service_id, NEW_RPM, None, ADMIN).task_id)
    while task.version + 3 <= events:
        subtask = task.ready_subtasks()[0]
        attempt = task.start_subtask(subtask.id, "10.0.0.1", ENGINE)
        task.fail_subtask(subtask.id, attempt, FailureReason.ERROR, lines("boom"), ENGINE)
        task.retry(ADMIN)
        arbiter.save(task)
    return task.task_id


@contextmanager
def decoded(arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The number of stored events (and snapshots) decoded inside the block."""
    count = [0]
    events, snapshots = arbiter.events.mapper, arbiter.snapshots.mapper  # type: ignore[union-attr]
    for mapper in {id(events): events, id(snapshots): snapshots}.values():
        original = mapper.to_domain_event

        def counting(stored, original=original):  # type: ignore[no-untyped-def]
            count[0] += 1
            return original(stored)

        monkeypatch.setattr(mapper, "to_domain_event", counting)
    yield count
    monkeypatch.undo()


def test_a_tasks_state_does_not_grow_with_its_runs(arbiter: ArbiterApp) -> None:
    short = arbiter.get_task(_failing_again_and_again(arbiter, 4))
    long = arbiter.get_task(_failing_again_and_again(arbiter, 301, port=2883))
    assert (short.version, long.version) == (4, 301)
    # Only the numbers grow (attempt, runTime, ids): a few bytes, not a line per run.
    assert len(pickle.dumps(long)) - len(pickle.dumps(short)) < 64


def test_a_past_version_or_time_decodes_a_snapshots_interval_at_most(
    store_kind: str, arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    task_id = _failing_again_and_again(arbiter, 301)
    arbiter.get_task(task_id)  # cached: reading it as it is now decodes no event
    events = list(arbiter.events.get(arbiter.get_task(task_id).id))
    for version in (1, 49, 50, 99, 150, 299, 300, 301):
        with decoded(arbiter, monkeypatch) as count:
            assert arbiter.task_as_of(task_id, version).version == version
        # the snapshot at or below, and the events after it
        assert count[0] <= 1 + INTERVAL, (version, count[0])
    for version in (1, 77, 199, 300):
        with decoded(arbiter, monkeypatch) as count:
            assert arbiter.task_as_of(task_id, events[version - 1].timestamp).version == version
        assert count[0] <= 1 + INTERVAL + 9, (version, count[0])  # 2**9 > 301
