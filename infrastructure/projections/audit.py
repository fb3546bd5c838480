"""The audit log: one row per event, saying who did what, to which status, in plain words."""

from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate

from domain.task_sketch import TaskSketch
from infrastructure.projections.db import Tx, stamp
from infrastructure.projections.fold import Summary, summarise

TABLE = "arbiter_view_audit"
COLUMNS = (
    "position",
    "time",
    "actor",
    "trace_id",
    "kind",
    "version",
    "task_id",
    "subtask_id",
    "service_id",
    "operation",
    "status_before",
    "status_after",
    "message",
)

# The words for each event class (the name that ends its pinned topic).
_VERBS = {
    "TaskCreated": "created task",
    "SubtaskStarted": "started",
    "SubtaskSucceeded": "finished",
    "SubtaskRolledBack": "undid",
    "SubtaskFailed": "failed",
    "SubtaskCancelRequested": "asked to cancel",
    "SubtaskCancelled": "cancelled",
    "SubtaskSkipped": "skipped",
    "SubtaskRetried": "retried",
    "TaskRetried": "retried task",
    "RollbackStarted": "started the rollback of task",
    "ServiceRegistered": "registered arbitration service",
    "ServiceStatusChanged": "changed the status of arbitration service",
    "ServiceVersionChanged": "changed the version of arbitration service",
    "ServiceTaskBound": "bound a task to arbitration service",
    "ServiceTaskReleased": "released the task of arbitration service",
}


def operation_of(event: Aggregate.Event) -> str:
    return _operation(type(event))


@cache
def _operation(event_class: type[Aggregate.Event]) -> str:
    topic: str = event_class.TOPIC  # type: ignore[attr-defined]
    return topic.rpartition(":")[2]


class AuditLog:
    name = "audit"
    topics: tuple[str, ...] = ()
    tables: tuple[str, ...] = (TABLE,)
    indexes: tuple[tuple[str, str], ...] = tuple(
        (TABLE, c) for c in ("task_id", "service_id", "actor", "trace_id", "time")
    )
    compares = True

    def create(self, tx: Tx) -> None:
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} (position BIGINT PRIMARY KEY, "
            "time TEXT NOT NULL, actor TEXT NOT NULL, trace_id TEXT NOT NULL, kind TEXT NOT NULL, "
            "version BIGINT NOT NULL, task_id BIGINT, subtask_id BIGINT, service_id BIGINT, "
            "operation TEXT NOT NULL, status_before TEXT, status_after TEXT, message TEXT NOT NULL)"
        )

    def apply(
        self,
        tx: Tx,
        position: int,
        event: Aggregate.Event,
        before: Summary | None,
        after: Any,
    ) -> None:
        tx.append(TABLE, COLUMNS, row(position, event, before, after))


def row(
    position: int, event: Aggregate.Event, before: Summary | None, after: Any
) -> tuple[Any, ...]:
    operation = operation_of(event)
    kind = "Task" if isinstance(after, TaskSketch) else type(after).__name__
    subtask_id: int | None = getattr(event, "subtask_id", None)
    task_id: int | None = getattr(after, "task_id", None) if kind == "Task" else None
    task_id = task_id if task_id is not None else getattr(event, "task_id", None)
    service_id: int | None = getattr(after, "service_id", None)
    now_summary = summarise(after, subtask_id)
    was, now = _statuses(before, now_summary, subtask_id)
    actor: str = getattr(event, "actor", "")
    message = f"{actor} {_what(event, operation, kind, after, subtask_id)}"
    if was != now:
        message += f": {was or '-'} -> {now or '-'}"
    if subtask_id is not None and before is not None and before[0] != now_summary[0]:
        message += f"; task {before[0]} -> {now_summary[0]}"
    return (
        position,
        stamp(event.timestamp),
        actor,
        getattr(event, "trace_id", ""),
        kind,
        event.originator_version,
        task_id,
        subtask_id,
        service_id,
        operation,
        was,
        now,
        message,
    )


def _statuses(
    before: Summary | None, after: Summary, subtask_id: int | None
) -> tuple[str | None, str | None]:
    index = 0 if subtask_id is None else 1  # the subtask's status, or the aggregate's
    return (None if before is None else before[index]), after[index]


def _what(
    event: Aggregate.Event, operation: str, kind: str, after: Any, subtask_id: int | None
) -> str:
    verb = _VERBS.get(operation, operation)
    if subtask_id is not None:
        name = after.subtask_name(subtask_id)
        what = f"{verb} subtask {subtask_id} '{name}' of task {after.task_id}"
        reason = getattr(event, "reason", None)
        return what if reason is None else f"{what} ({reason})"
    if kind == "Task":
        return f"{verb} {after.task_id} '{after.name}'"
    if kind == "ArbitrationService":
        return f"{verb} {after.service_id} '{after.name}'"
    return f"{verb} {kind} {after.id}"
