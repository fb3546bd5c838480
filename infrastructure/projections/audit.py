"""The audit log: one row per event, saying who did what, to which status, in plain words.

A Task event that records its transition (class_version 2) is turned into a row from itself
and the task's names; any other event (a service's, or a Task event stored before version 2) is
told from the aggregates folded before and after it.
"""

from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate

from domain.enums import SubtaskStatus
from domain.subtask import task_status
from domain.task import Task
from domain.task_sketch import TaskSketch
from infrastructure.projections.db import Tx, micros
from infrastructure.projections.fold import Fold, Need, TaskSubject, summarise

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

# (status before, status after, the task's before, the task's after): a subtask event's row is
# about its subtask and names the task's change too; any other row is about its aggregate.
Transition = tuple[str | None, str | None, str | None, str | None]


def operation_of(event: Aggregate.Event) -> str:
    return _operation(type(event))


@cache
def _operation(event_class: type[Aggregate.Event]) -> str:
    topic: str = event_class.TOPIC  # type: ignore[attr-defined]
    return topic.rpartition(":")[2]


@cache
def _verb(event_class: type[Aggregate.Event]) -> str:
    """The words of a Task's or a service's event (its VERB); any other event says its name."""
    verb: str = getattr(event_class, "VERB", None) or _operation(event_class)
    return verb


class AuditLog:
    name = "audit"
    shape = 2  # 2: time in microseconds since the epoch (was text)
    topics: tuple[str, ...] = ()
    tables: tuple[str, ...] = (TABLE,)
    indexes: tuple[tuple[str, str], ...] = tuple(
        (TABLE, c) for c in ("task_id", "service_id", "actor", "trace_id", "time")
    )

    def create(self, tx: Tx) -> None:
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} (position {tx.key_type} PRIMARY KEY, "
            "time BIGINT NOT NULL, actor TEXT NOT NULL, trace_id TEXT NOT NULL, "
            "kind TEXT NOT NULL, version BIGINT NOT NULL, task_id BIGINT, subtask_id BIGINT, "
            "service_id BIGINT, operation TEXT NOT NULL, status_before TEXT, status_after TEXT, "
            "message TEXT NOT NULL)"
        )

    def needs(self, event: Aggregate.Event) -> Need:
        # A creation, and a task event that records its transition (`_subtask_row`,
        # `_recorded`), are told from themselves and the task's names.
        if getattr(event, "task_status_after", None) is not None or isinstance(event, Task.Created):
            return "subject"
        return "state"

    def apply(self, tx: Tx, position: int, event: Aggregate.Event, fold: Fold) -> None:
        if isinstance(event, Task.SubtaskEvent) and event.task_status_after is not None:
            row = _subtask_row(position, event, fold.subject(event))  # the bulk of any log
        else:
            row = _row(position, event, fold)
        tx.append(TABLE, COLUMNS, row)


def _subtask_row(position: int, event: Task.SubtaskEvent, subject: TaskSubject) -> tuple[Any, ...]:
    # One function and one f-string: this runs for nearly every event of a rebuild.
    operation = _operation(type(event))
    actor, subtask_id = event.actor, event.subtask_id
    was, now = event.status_before, event.status_after
    task_was, task_now = event.task_status_before, event.task_status_after
    reason = getattr(event, "reason", None)
    message = (
        f"{actor} {_verb(type(event))} subtask {subtask_id} "
        f"'{subject.subtask_names[subtask_id]}' of task {subject.task_id}"
        f"{'' if reason is None else f' ({reason})'}"
        f"{'' if was == now else f': {was} -> {now}'}"
        f"{'' if task_was == task_now else f'; task {task_was} -> {task_now}'}"
    )
    return (
        position,
        micros(event.timestamp),
        actor,
        event.trace_id,
        "Task",
        event.originator_version,
        subject.task_id,
        subtask_id,
        subject.service_id,
        operation,
        was,
        now,
        message,
    )


def _row(position: int, event: Aggregate.Event, fold: Fold) -> tuple[Any, ...]:
    transition = _recorded(event)
    if transition is not None:
        kind, subject = "Task", fold.subject(event)
    else:
        transition, subject = _folded(event, fold)
        kind = "Task" if isinstance(subject, TaskSketch) else type(subject).__name__
    operation = operation_of(event)
    subtask_id: int | None = getattr(event, "subtask_id", None)
    task_id = subject.task_id if kind == "Task" else getattr(event, "task_id", None)
    actor: str = getattr(event, "actor", "")
    what = _what(event, kind, subject, subtask_id)
    return (
        position,
        micros(event.timestamp),
        actor,
        getattr(event, "trace_id", ""),
        kind,
        event.originator_version,
        task_id,
        subtask_id,
        getattr(subject, "service_id", None),
        operation,
        transition[0],
        transition[1],
        _message(actor, what, *transition),
    )


def _message(
    actor: str,
    what: str,
    was: str | None,
    now: str | None,
    task_was: str | None,
    task_now: str | None,
) -> str:
    message = f"{actor} {what}"
    if was != now:
        message = f"{message}: {was or '-'} -> {now or '-'}"
    if task_was != task_now:
        message = f"{message}; task {task_was} -> {task_now}"
    return message


def _recorded(event: Aggregate.Event) -> Transition | None:
    """The transition a task event or a creation recorded; None for an event that records none
    (recorded subtask events never come here: `_subtask_row` reads theirs)."""
    if isinstance(event, Task.TaskEvent) and event.task_status_after is not None:
        return event.task_status_before, event.task_status_after, None, None
    if isinstance(event, Task.Created):
        statuses = tuple(SubtaskStatus(spec["status"]) for spec in event.subtasks)
        return None, str(task_status(statuses)), None, None
    return None


def _folded(event: Aggregate.Event, fold: Fold) -> tuple[Transition, Any]:
    """The transition told from the aggregate before and after the event, and the aggregate."""
    before, after = fold.step(event, compares=True)
    subtask_id: int | None = getattr(event, "subtask_id", None)
    now = summarise(after, subtask_id)
    if subtask_id is None:
        return (None if before is None else before[0], now[0], None, None), after
    assert before is not None  # a subtask event is never an aggregate's first
    return (before[1], now[1], before[0], now[0]), after


def _what(event: Aggregate.Event, kind: str, subject: Any, subtask_id: int | None) -> str:
    verb = _verb(type(event))
    if subtask_id is not None:
        return _subtask_what(verb, event, subject)
    if kind == "Task":
        return f"{verb} {subject.task_id} '{subject.name}'"
    if kind == "ArbitrationService":
        return f"{verb} {subject.service_id} '{subject.name}'"
    return f"{verb} {kind} {subject.id}"


def _subtask_what(verb: str, event: Any, subject: TaskSubject | TaskSketch) -> str:
    subtask_id = event.subtask_id
    name = subject.subtask_name(subtask_id)
    what = f"{verb} subtask {subtask_id} '{name}' of task {subject.task_id}"
    reason = getattr(event, "reason", None)
    return what if reason is None else f"{what} ({reason})"
