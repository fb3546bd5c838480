"""Projections over a real store: the audit story, incremental == rebuilt, time travel."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError, IllegalArgument
from domain.ids import task_uuid
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.queries import AuditFilter, Paged
from tests.integration.projection_story import (
    ADMIN,
    NEW_RPM,
    retried_then_rolled_back,
    run_step,
    seed_service,
)
from tests.stores import store_of

STORY = [
    ("admin", "TaskCreated", None, "RUNNING"),
    ("admin", "ServiceTaskBound", "RUNNING", "RUNNING"),  # the service stays RUNNING
    ("engine@10.0.0.1", "SubtaskStarted", "READY", "RUNNING"),
    ("engine@10.0.0.1", "SubtaskFailed", "RUNNING", "FAILED"),
    ("admin", "TaskRetried", "FAILED", "RUNNING"),
    ("engine@10.0.0.1", "SubtaskStarted", "READY", "RUNNING"),
    ("engine@10.0.0.1", "SubtaskFailed", "RUNNING", "FAILED"),
    ("admin", "RollbackStarted", "FAILED", "RUNNING"),
    ("engine@10.0.0.1", "SubtaskStarted", "READY", "RUNNING"),
    ("engine@10.0.0.1", "SubtaskRolledBack", "RUNNING", "PENDING"),
]


def test_a_retried_then_rolled_back_upgrade_reads_as_a_story(arbiter: ArbiterApp) -> None:
    task_id = retried_then_rolled_back(arbiter)

    rows = arbiter.task_events(task_id).rows

    assert [(r["actor"], r["operation"], r["status_before"], r["status_after"]) for r in rows] == (
        STORY
    )
    step = "subtask {} 'Prepare upgrade arbitration service' of task {}"
    subtask_id = rows[2]["subtask_id"]
    assert [r["message"] for r in rows[3:5]] == [
        f"engine@10.0.0.1 failed {step.format(subtask_id, task_id)} (ERROR): RUNNING -> FAILED; "
        "task RUNNING -> FAILED",
        f"admin retried task {task_id} 'Upgrade arbitration service': FAILED -> RUNNING",
    ]
    assert rows[-1]["message"].endswith("RUNNING -> PENDING; task RUNNING -> SUCCESSFUL")
    positions = [r["position"] for r in rows]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    assert {r["trace_id"] for r in rows if r["actor"] == "admin"} == {ADMIN.trace_id}


def test_the_audit_log_has_one_row_per_event_and_filters(arbiter: ArbiterApp) -> None:
    task_id = retried_then_rolled_back(arbiter)
    head = arbiter.head_position()

    every = arbiter.audit_events(AuditFilter(), Paged(1, None))
    by_actor = arbiter.audit_events(AuditFilter(actor="engine@10.0.0.1"), Paged(2, 2))

    assert [r["position"] for r in every.rows] == list(range(1, head + 1))
    assert every.total == head
    engine_rows = [r for r in every.rows if r["actor"] == "engine@10.0.0.1"]
    assert by_actor.total == len(engine_rows) == 6
    assert by_actor.rows == engine_rows[2:4]
    first = every.rows[0]
    late = AuditFilter(task_id=task_id, since=arbiter.task_as_of(task_id, 5).modified_on)
    assert [r["version"] for r in arbiter.audit_events(late, Paged(1, None)).rows] == [
        5,
        6,
        7,
        8,
        9,
    ]
    assert first["kind"] == "Package"


def test_as_of_every_version_and_every_time(arbiter: ArbiterApp) -> None:
    task_id = retried_then_rolled_back(arbiter)
    events = list(arbiter.events.get(task_uuid(task_id)))

    for event in events:
        version = event.originator_version
        loaded = arbiter.repository.get(task_uuid(task_id), version=version)
        at_version = arbiter.task_as_of(task_id, version)
        at_time = arbiter.task_as_of(task_id, event.timestamp)  # type: ignore[attr-defined]
        for task in (at_version, at_time):
            assert task.version == version
            assert [s.to_dict() for s in task.subtasks] == [s.to_dict() for s in loaded.subtasks]
            assert (task.status, task.operation) == (loaded.status, loaded.operation)
    between = events[3].timestamp + (events[4].timestamp - events[3].timestamp) / 2  # type: ignore[attr-defined]
    assert arbiter.task_as_of(task_id, between).version == 4
    with pytest.raises(IllegalArgument):
        arbiter.task_as_of(task_id, len(events) + 1)
    with pytest.raises(IllegalArgument):
        arbiter.task_as_of(task_id, events[0].timestamp - timedelta(microseconds=1))  # type: ignore[attr-defined]


OPERATIONS = st.lists(
    st.sampled_from(["upgrade", "ok", "fail", "retry", "rollback", "service"]),
    min_size=1,
    max_size=14,
)


def _play(arbiter: ArbiterApp, operations: list[str]) -> None:
    # Hypothesis reuses the store between examples: every service gets a port of its own.
    services = [seed_service(arbiter, 3000 + len(arbiter.list_services()))]
    tasks: list[int] = []
    for operation in operations:
        try:
            if operation == "service":
                services.append(seed_service(arbiter, 3000 + len(arbiter.list_services())))
            elif operation == "upgrade":
                tasks.append(arbiter.upgrade(services[-1], NEW_RPM, None, ADMIN).task_id)
            elif tasks and operation in ("ok", "fail"):
                run_step(arbiter, tasks[-1], ok=operation == "ok")
            elif tasks and operation == "retry":
                arbiter.retry_task(tasks[-1], ADMIN)
            elif tasks and operation == "rollback":
                arbiter.rollback_task(tasks[-1], ADMIN)
        except (DomainError, IndexError):
            pass  # refused by the rules, or no READY step: nothing was recorded
        arbiter.projections.catch_up(limit=3)  # small batches: many commits in between


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_incremental_views_equal_views_rebuilt_from_zero(
    arbiter: ArbiterApp, operations: list[str]
) -> None:
    projections = arbiter.projections
    for name in projections.all:
        projections.reset(name)  # hypothesis reuses the store: start from what it holds
    _play(arbiter, operations)
    incremental = {name: projections.rows(name) for name in projections.all}

    for name in projections.all:
        projections.reset(name)
        assert projections.catch_up([name])
        assert projections.rows(name) == incremental[name]
    assert all(status.lag == 0 for status in projections.status())
    audit = incremental["audit"]["arbiter_view_audit"]
    assert [row[0] for row in audit] == list(range(1, arbiter.head_position() + 1))


@pytest.mark.parametrize("name", ["audit", "tasks"])
def test_a_batch_that_fails_half_way_writes_nothing(
    arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A bad event in the middle of a batch (here: a projection that raises at its fourth
    event) leaves neither rows nor a position behind, even with rows already streamed to the
    server; the next batch starts again from the same place."""
    retried_then_rolled_back(arbiter)
    projections = arbiter.projections
    assert projections.catch_up([name])
    expected = projections.rows(name)
    projections.reset(name)
    projection = projections.all[name]
    apply, seen = projection.apply, []

    def failing(tx: Any, position: int, event: Any, fold: Any) -> None:
        seen.append(position)
        if len(seen) == 4:
            raise RuntimeError("a bad event")
        apply(tx, position, event, fold)

    monkeypatch.setattr(projection, "apply", failing)
    with pytest.raises(RuntimeError, match="a bad event"):
        projections.step(name, projections.head())
    assert projections.position(name) == 0
    assert all(rows == [] for rows in projections.rows(name).values())

    monkeypatch.undo()
    assert projections.catch_up([name])
    assert projections.rows(name) == expected


def test_a_sqlite_rebuild_checkpoints_once_at_its_end(tmp_path: Path) -> None:
    """The bulk load defers SQLite's checkpoints (docs/benchmarks.md) and must leave the WAL
    emptied and the view connection checkpointing every 1,000 pages again."""
    with store_of("sqlite", tmp_path) as store:
        arbiter = ArbiterApp(store, "10.0.0.1")
        try:
            retried_then_rolled_back(arbiter)
            before = arbiter.fresh_projections().rows("audit")
            arbiter.projections.rebuild("audit")
            assert arbiter.projections.rows("audit") == before
            pages = arbiter.projections.db.query("PRAGMA wal_autocheckpoint")
            assert pages == [(1000,)]
            wal = Path(f"{store.sqlite_path}-wal")
            assert wal.stat().st_size == 0  # TRUNCATE: every page is in the database file
        finally:
            arbiter.close()
