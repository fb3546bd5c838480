"""A subtask's run as its Task and its ArbitrationService record it: the engine's claim, the
run's outcome, and the release of the service once its task has succeeded.

These rules span the two aggregates, so they live here rather than in either: the engine's use
cases (infrastructure/use_cases/engine_claims.py, batched or not) decide through them, and so
does the model explorer (tests/model), which checks the service's status and its bound task on
every transition it reaches.
"""

from collections.abc import Callable
from enum import Enum

from domain.caller import Caller
from domain.enums import FailureReason, SubtaskStatus, TaskStatus
from domain.errors import TaskStateInvalid
from domain.service import ArbitrationService
from domain.service_lifecycle import TRANSITIONAL
from domain.step_log import LogLine
from domain.task import Task

ENGINE_ACTOR = "arbiter-engine"

# A run's change to the service record: a step's effect (a new version, RUNNING, ...) or, after
# a failed or interrupted run, the status the host really shows.
ServiceEffect = Callable[[ArbitrationService, Caller], None]


class Outcome(Enum):
    """How a run ended, as its worker saw it."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    CANCELLED = "cancelled"


def engine_caller(task: Task) -> Caller:
    """The engine records its steps under its own name, in the trace of the task's creation."""
    return Caller(ENGINE_ACTOR, task.trace_id)


def start(
    task: Task,
    service: ArbitrationService,
    subtask_id: int,
    executor: str,
    lost_executor: str | None = None,
) -> int | None:
    """Claim a READY subtask for `executor`, or take a running one over from `lost_executor`
    (from that executor only: TaskStateInvalid once another one holds it), and put the service
    in its transitional status. The new attempt, or None when the subtask does not run (a lost
    executor was cancelling it: the take-over ended it FAILED)."""
    took_over = lost_executor is not None
    if took_over and task.subtask(subtask_id).executor != lost_executor:
        raise TaskStateInvalid(f"subtask {subtask_id} is no longer run by {lost_executor}")
    caller = engine_caller(task)
    attempt = task.start_subtask(subtask_id, executor, caller, took_over=took_over)
    if task.subtask(subtask_id).status is not SubtaskStatus.RUNNING:
        return None
    service.change_status(TRANSITIONAL[task.template], caller)
    return attempt


def recorded_as(outcome: Outcome, canceling: bool) -> Outcome:
    """What a run's outcome records: a cancel requested while it ran wins over whatever the run
    did (it ends cancelled), except a timeout, which ends it cancelled by the clock."""
    if canceling and outcome is not Outcome.TIMED_OUT:
        return Outcome.CANCELLED
    return outcome


def record_outcome(
    task: Task,
    service: ArbitrationService,
    subtask_id: int,
    attempt: int,
    outcome: Outcome,
    log: list[LogLine],
    effect: ServiceEffect | None,
) -> None:
    """A run's outcome on the task (StaleAttempt if the run was taken over), its effect on the
    service, and the service's release once the task has succeeded."""
    caller = engine_caller(task)
    canceling = task.subtask(subtask_id).status is SubtaskStatus.CANCELING
    recorded = recorded_as(outcome, canceling)
    if recorded is Outcome.SUCCEEDED:
        task.complete_subtask(subtask_id, attempt, log, caller)
    elif recorded is Outcome.CANCELLED:
        task.confirm_cancel(subtask_id, attempt, log, caller)
    else:
        reason = FailureReason.TIMEOUT if recorded is Outcome.TIMED_OUT else FailureReason.ERROR
        task.fail_subtask(subtask_id, attempt, reason, log, caller)
    if effect is not None:
        effect(service, caller)
    if owes_release(task, service):
        service.release_task(task.task_id, caller)


def owes_release(task: Task, service: ArbitrationService) -> bool:
    """A SUCCESSFUL task that still holds its service (one unfinished task per service)."""
    return task.status is TaskStatus.SUCCESSFUL and service.active_task_id == task.task_id


def release(task: Task, service: ArbitrationService, effect: ServiceEffect | None) -> None:
    """Let the service go from a SUCCESSFUL task that still holds it (an operator's skip ended
    the task, outside any run), with the status the host shows (`effect`)."""
    if not owes_release(task, service):
        raise TaskStateInvalid(
            f"task {task.task_id} does not hold arbitration service {service.service_id}"
        )
    caller = engine_caller(task)
    if effect is not None:
        effect(service, caller)
    service.release_task(task.task_id, caller)
