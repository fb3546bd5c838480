"""Every engine and operator action on a Task and its ArbitrationService, as a domain command
to try.

Whether an action is enabled is never decided here: the explorer tries the command and the
domain (through the rule table) accepts or refuses it. The engine's actions go through
domain.runs, as the engine's use cases do, so they move the service as well as the task.
"""

from collections.abc import Callable
from dataclasses import dataclass

from domain import runs
from domain.caller import Caller
from domain.enums import ServiceStatus
from domain.runs import Outcome
from domain.service import ArbitrationService
from domain.step_log import LogLine
from domain.task import Task
from tests.logs import lines

ENGINE = "engine-node"
OPERATOR = "operator"
TRACE = "0123456789abcdef"
BY_OPERATOR = Caller(OPERATOR, TRACE)
NOBODY = "no-such-executor"  # a take-over asks for the executor it saw; a fresh subtask has none


def unreachable_host(service: ArbitrationService, caller: Caller) -> None:
    """The truth a failed run records when the host cannot be asked (the engine's effect)."""
    service.change_status(ServiceStatus.UNAVAILABLE, caller)


Run = Callable[[Task, ArbitrationService], None]


@dataclass(frozen=True)
class Action:
    name: str  # e.g. "claim", "skip"; the checks key their expectations on it
    subtask_id: int | None
    run: Run

    @property
    def label(self) -> str:
        return self.name if self.subtask_id is None else f"{self.name}({self.subtask_id})"


def _attempt(task: Task, sid: int) -> int:
    return task.subtask(sid).attempt


def _outcome(sid: int, outcome: Outcome, log: list[LogLine], stale_by: int = 0) -> Run:
    def report(t: Task, s: ArbitrationService) -> None:
        effect = None if outcome is Outcome.SUCCEEDED else unreachable_host
        runs.record_outcome(t, s, sid, _attempt(t, sid) + stale_by, outcome, log, effect)

    return report


def subtask_actions(sid: int) -> list[Action]:
    def claim(t: Task, s: ArbitrationService) -> None:
        runs.start(t, s, sid, ENGINE)

    def take_over(t: Task, s: ArbitrationService) -> None:
        runs.start(t, s, sid, ENGINE, lost_executor=t.subtask(sid).executor or NOBODY)

    def retry(t: Task, s: ArbitrationService) -> None:
        t.retry_subtask(sid, BY_OPERATOR)

    def skip(t: Task, s: ArbitrationService) -> None:
        t.skip_subtask(sid, BY_OPERATOR)

    def cancel(t: Task, s: ArbitrationService) -> None:
        t.request_cancel(sid, BY_OPERATOR)

    outcomes = {
        "succeed": _outcome(sid, Outcome.SUCCEEDED, lines("done")),
        "fail": _outcome(sid, Outcome.FAILED, lines("boom")),
        "time_out": _outcome(sid, Outcome.TIMED_OUT, []),
        "confirm_cancel": _outcome(sid, Outcome.CANCELLED, lines("cancel hook ran")),
    }
    actions = [Action(name, sid, run) for name, run in outcomes.items()]
    commands = (claim, take_over, retry, skip, cancel)
    return actions + [Action(command.__name__, sid, command) for command in commands]


def stale_outcomes(sid: int) -> list[Action]:
    """Outcomes reported by an attempt other than the current one: fencing must refuse each."""
    actions = []
    for stale_by in (-1, 1):
        for name, outcome in (
            ("succeed", Outcome.SUCCEEDED),
            ("fail", Outcome.FAILED),
            ("confirm_cancel", Outcome.CANCELLED),
        ):
            run = _outcome(sid, outcome, lines("late"), stale_by)
            actions.append(Action(f"stale_{name}", sid, run))
    return actions


def task_actions() -> list[Action]:
    def retry_task(t: Task, s: ArbitrationService) -> None:
        t.retry(BY_OPERATOR)

    def rollback(t: Task, s: ArbitrationService) -> None:
        t.rollback(BY_OPERATOR)

    def release(t: Task, s: ArbitrationService) -> None:
        """The engine's sweep, for a task an operator's skip finished."""
        runs.release(t, s, None)

    return [Action(c.__name__, None, c) for c in (retry_task, rollback, release)]


def all_actions(task: Task) -> list[Action]:
    actions = task_actions()
    for subtask in task.subtasks:
        actions += subtask_actions(subtask.id)
    return actions
