"""How each Task event changes the task: pure functions of (state, event), re-run on replay.

Statuses always come from the rule table (through `domain/dag.py`), never from here.
"""

from datetime import datetime
from typing import TYPE_CHECKING

from domain import dag
from domain.enums import FailureReason, Operation, SubtaskStatus
from domain.subtask import LogRun, Subtask

if TYPE_CHECKING:
    from domain.task import Task

_S = SubtaskStatus
_TRIGGERS = {
    "SubtaskSucceeded": "succeed",
    "SubtaskRolledBack": "succeed",
    "SubtaskCancelRequested": "request_cancel",
    "SubtaskCancelled": "confirm_cancel",
    "SubtaskSkipped": "skip",
    "SubtaskRetried": "retry",
}


def on_created(task: "Task", event: "Task.Created") -> None:
    task.task_id = event.task_id
    task.name = event.name
    task.template = event.template
    task.service_id = event.service_id
    task.params = dict(event.params)
    task.subtasks = [Subtask.from_spec(spec) for spec in event.subtasks]
    task.creator = event.actor
    task.executor = event.executor
    task.trace_id = event.trace_id
    task.client_token = event.client_token
    task.operation = Operation.EXECUTE
    task.start_time = event.timestamp
    task.finish_time = None


def on_subtask_event(task: "Task", event: "Task.SubtaskEvent") -> None:
    subtask = task.subtask(event.subtask_id)
    kind = type(event).__name__
    operation, plan = task.subtask_plan(kind, trigger_of(event), event.subtask_id)
    _HANDLERS[kind](task, subtask, event)
    task.operation = operation
    subtask.status = plan.dest  # type: ignore[assignment]  # subtask_event_plan checked it
    _apply(task, plan.moves)
    _finish(task, event.timestamp)


def subtask_event_plan(
    kind: str,
    trigger: str,
    ident: int,
    shape: dag.Shape,
    statuses: dag.Statuses,
    operation: Operation,
    at: int,
) -> tuple[Operation, dag.Plan]:
    """The task's operation after a subtask event, and the event's plan: its subtask's new
    status, the moves that follow, and every status after them. A subtask retry turns the task
    to RETRY; the direction of the walk is the task's before and after the event."""
    after = Operation.RETRY if kind == "SubtaskRetried" else operation
    direction = (operation is Operation.ROLLBACK, after is Operation.ROLLBACK)
    plan = dag.plan(ident, shape, statuses, direction, at, trigger)
    assert plan.dest is not None, f"{kind} is not allowed from {statuses[at]}"
    return after, plan


def trigger_of(event: "Task.SubtaskEvent") -> str:
    """The rule table's trigger for a subtask event."""
    kind = type(event).__name__
    if kind == "SubtaskStarted":
        return "take_over" if event.took_over_from is not None else "claim"  # type: ignore[attr-defined]
    if kind == "SubtaskFailed":
        timed_out = event.reason == FailureReason.TIMEOUT  # type: ignore[attr-defined]
        return "time_out" if timed_out else "fail"
    return _TRIGGERS[kind]


def _started(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    executor: str = event.executor  # type: ignore[attr-defined]
    attempt: int = event.attempt  # type: ignore[attr-defined]
    lost: str | None = event.took_over_from  # type: ignore[attr-defined]
    if lost is None:
        subtask.start_time = event.timestamp
        subtask.finish_time = None
        subtask.runs.append(LogRun(subtask.operation, event.timestamp))
        _log(subtask, f"started on {executor} (attempt {attempt})")
    else:
        _log(subtask, f"executor {lost} was lost; taken over by {executor} (attempt {attempt})")
    subtask.attempt = attempt
    subtask.executor = executor


def _finished(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    subtask.finish_time = event.timestamp
    for line in event.log:  # type: ignore[attr-defined]
        _log(subtask, line)


def _failed(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    _finished(task, subtask, event)
    if event.reason == FailureReason.TIMEOUT:  # type: ignore[attr-defined]
        subtask.operation = Operation.CANCEL
        _log(subtask, f"timed out after {subtask.timeout} s and was interrupted")


def _cancel_requested(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    subtask.operation = Operation.CANCEL
    _log(subtask, f"cancel requested by {event.actor}")


def _cancelled(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    _finished(task, subtask, event)
    _log(subtask, "cancelled")


def _skipped(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    subtask.operation = Operation.SKIP
    subtask.finish_time = event.timestamp
    subtask.runs.append(LogRun(Operation.SKIP, event.timestamp, [f"skipped by {event.actor}"]))


def _retried(task: "Task", subtask: Subtask, event: "Task.SubtaskEvent") -> None:
    _rerun(subtask, Operation.RETRY)


_HANDLERS = {
    "SubtaskStarted": _started,
    "SubtaskSucceeded": _finished,
    "SubtaskRolledBack": _finished,
    "SubtaskFailed": _failed,
    "SubtaskCancelRequested": _cancel_requested,
    "SubtaskCancelled": _cancelled,
    "SubtaskSkipped": _skipped,
    "SubtaskRetried": _retried,
}


def on_task_event(task: "Task", event: "Task.TaskEvent") -> None:
    ident, shape = task.shape()
    operation, plan = task_event_plan(type(event).__name__, ident, shape, task.statuses())
    if operation is Operation.ROLLBACK:
        for subtask in task.subtasks:
            if subtask.status in (_S.SUCCESSFUL, _S.FAILED):
                subtask.operation = Operation.ROLLBACK
    _apply(task, plan.moves)
    task.operation = operation
    _finish(task, event.timestamp)


def task_event_plan(
    kind: str, ident: int, shape: dag.Shape, statuses: dag.Statuses
) -> tuple[Operation, dag.Plan]:
    """The task's operation after a task event, and its moves: a retry takes the FAILED
    subtasks forward again, a rollback starts undoing them."""
    if kind == "TaskRetried":
        return Operation.RETRY, dag.whole_task(ident, shape, statuses, "retry", False)
    return Operation.ROLLBACK, dag.whole_task(ident, shape, statuses, "undo", True)


_RERUNS = {"retry": Operation.RETRY, "undo": Operation.ROLLBACK}


def _apply(task: "Task", moves: tuple[dag.Move, ...]) -> None:
    for move in moves:
        subtask = task.subtasks[move.at]
        subtask.status = move.dest
        if move.trigger in _RERUNS:
            _rerun(subtask, _RERUNS[move.trigger])


def finished_at(finished: bool, finish_time: datetime | None, now: datetime) -> datetime | None:
    """A task's finish time after an event at `now`: kept while it stays finished."""
    return None if not finished else (finish_time or now)


def _finish(task: "Task", timestamp: datetime) -> None:
    task.finish_time = finished_at(task.is_finished, task.finish_time, timestamp)


def _rerun(subtask: Subtask, operation: Operation) -> None:
    subtask.operation = operation
    subtask.run_time += 1


def _log(subtask: Subtask, line: str) -> None:
    if subtask.runs:
        subtask.runs[-1].lines.append(line)
