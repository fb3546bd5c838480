"""A task as release 1bc6d43 stored it (tests/integration/old_release/): events whose outcomes
logged plain text, and a snapshot whose subtasks carry every run's log lines. This release reads
both: the snapshot loads (Task.upcast_v1_v2 drops the lines), and the log folded from the events
says what the old Task said, each old line at its outcome's time and level."""

import json
from functools import reduce
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent

from api.views import subtask_log
from domain.enums import Operation
from domain.ids import task_uuid
from domain.step_log import LogLevel
from domain.task import Task
from infrastructure.use_cases.application import ArbiterApp
from tests.logs import check_ocp_log
from tests.model.checks import task_fingerprint

RECORDED = json.loads((Path(__file__).parent / "old_release" / "task_1bc6d43.json").read_text())
TASK_ID = RECORDED["task_id"]
UUID = task_uuid(TASK_ID)
FAILED = ["step failed: AgentError: agent answered 500", "service status is now RUNNING"]


def _stored(records: list[dict[str, Any]]) -> list[StoredEvent]:
    return [
        StoredEvent(UUID, r["originator_version"], r["topic"], r["state"].encode()) for r in records
    ]


def _replayed(arbiter: ArbiterApp, version: int) -> Task:
    """The task folded from its events alone, no snapshot."""
    events = arbiter.events.get(UUID, lte=version)
    return reduce(lambda task, event: event.mutate(task), events, None)  # type: ignore[arg-type, return-value]


def test_a_snapshot_and_events_of_the_old_release_load(arbiter: ArbiterApp) -> None:
    assert arbiter.snapshots is not None
    arbiter.recorder.insert_events(_stored(RECORDED["events"]))
    arbiter.snapshots.recorder.insert_events(_stored(RECORDED["snapshots"]))

    (snapshot,) = arbiter.snapshots.get(UUID)
    from_snapshot = snapshot.mutate(None)
    assert from_snapshot.version == 50
    assert task_fingerprint(from_snapshot) == task_fingerprint(_replayed(arbiter, 50))
    assert all(not hasattr(s, "runs") for s in from_snapshot.subtasks)
    # A read starts from that snapshot and folds the two events after it.
    task = arbiter.get_task(TASK_ID)
    assert task.version == 52
    assert task_fingerprint(task) == task_fingerprint(_replayed(arbiter, 52))
    assert task_fingerprint(arbiter.task_as_of(TASK_ID, 50)) == task_fingerprint(from_snapshot)


def test_the_old_releases_log_lines_keep_their_words_and_take_their_outcomes_time(
    arbiter: ArbiterApp,
) -> None:
    arbiter.recorder.insert_events(_stored(RECORDED["events"]))
    prepare = arbiter.get_task(TASK_ID).subtasks[0].id
    events = list(arbiter.events.get(UUID))

    runs = arbiter.subtask_log(TASK_ID, prepare)

    assert [run.operation for run in runs] == [Operation.EXECUTE] + [Operation.RETRY] * 16
    first_failure = events[2]
    assert [(line.time, line.level, line.message) for line in runs[0].lines] == [
        (events[1].timestamp, LogLevel.INFO, "started on 10.0.0.1 (attempt 1)"),
        *[(first_failure.timestamp, LogLevel.ERROR, message) for message in FAILED],
    ]
    assert [(line.level, line.message) for line in runs[-1].lines] == [
        (LogLevel.INFO, "started on 10.0.0.1 (attempt 17)"),
        (LogLevel.WARN, "executor 10.0.0.1 was lost; taken over by 10.0.0.2 (attempt 18)"),
        (LogLevel.INFO, "agent reports port 2882 RUNNING"),
    ]
    check_ocp_log(subtask_log(runs), ["EXECUTE"] + ["RETRY"] * 16)
