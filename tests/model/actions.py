"""Every engine and operator action on a Task, as a domain command to try.

Whether an action is enabled is never decided here: the explorer tries the command and the
aggregate (through the rule table) accepts or refuses it.
"""

from collections.abc import Callable
from dataclasses import dataclass

from domain.caller import Caller
from domain.enums import FailureReason
from domain.task import Task

ENGINE = "engine-node"
OPERATOR = "operator"
TRACE = "0123456789abcdef"
BY_ENGINE = Caller(ENGINE, TRACE)
BY_OPERATOR = Caller(OPERATOR, TRACE)


@dataclass(frozen=True)
class Action:
    name: str  # e.g. "claim", "skip"; the checks key their expectations on it
    subtask_id: int | None
    run: Callable[[Task], None]

    @property
    def label(self) -> str:
        return self.name if self.subtask_id is None else f"{self.name}({self.subtask_id})"


def _attempt(task: Task, sid: int) -> int:
    return task.subtask(sid).attempt


def subtask_actions(sid: int) -> list[Action]:
    def claim(t: Task) -> None:
        t.start_subtask(sid, ENGINE, BY_ENGINE)

    def succeed(t: Task) -> None:
        t.complete_subtask(sid, _attempt(t, sid), ["done"], BY_ENGINE)

    def fail(t: Task) -> None:
        reason = FailureReason.ERROR
        t.fail_subtask(sid, _attempt(t, sid), reason, ["boom"], BY_ENGINE)

    def time_out(t: Task) -> None:
        reason = FailureReason.TIMEOUT
        t.fail_subtask(sid, _attempt(t, sid), reason, [], BY_ENGINE)

    def take_over(t: Task) -> None:
        t.start_subtask(sid, ENGINE, BY_ENGINE, took_over=True)

    def confirm_cancel(t: Task) -> None:
        t.confirm_cancel(sid, _attempt(t, sid), ["cancel hook ran"], BY_ENGINE)

    def retry(t: Task) -> None:
        t.retry_subtask(sid, BY_OPERATOR)

    def skip(t: Task) -> None:
        t.skip_subtask(sid, BY_OPERATOR)

    def cancel(t: Task) -> None:
        t.request_cancel(sid, BY_OPERATOR)

    commands = (claim, succeed, fail, time_out, take_over, confirm_cancel, retry, skip, cancel)
    return [Action(command.__name__, sid, command) for command in commands]


def stale_outcomes(sid: int, attempt: int) -> list[Action]:
    """Outcomes reported by an attempt other than the current one: fencing must refuse each."""
    actions = []
    for other in (attempt - 1, attempt + 1):

        def succeed(t: Task, a: int = other) -> None:
            t.complete_subtask(sid, a, ["late"], BY_ENGINE)

        def fail(t: Task, a: int = other) -> None:
            t.fail_subtask(sid, a, FailureReason.ERROR, ["late"], BY_ENGINE)

        def confirm_cancel(t: Task, a: int = other) -> None:
            t.confirm_cancel(sid, a, ["late"], BY_ENGINE)

        actions += [Action(f"stale_{c.__name__}", sid, c) for c in (succeed, fail, confirm_cancel)]
    return actions


def task_actions() -> list[Action]:
    def retry_task(t: Task) -> None:
        t.retry(BY_OPERATOR)

    def rollback(t: Task) -> None:
        t.rollback(BY_OPERATOR)

    return [Action("retry_task", None, retry_task), Action("rollback", None, rollback)]


def all_actions(task: Task) -> list[Action]:
    actions = task_actions()
    for subtask in task.subtasks:
        actions += subtask_actions(subtask.id)
    return actions
