"""What the engine passes between finding work, claiming, running and recording: plain values
and the two rules about them that both the use cases and the batcher need."""

from dataclasses import dataclass
from enum import Enum
from typing import Any

from domain.enums import TaskStatus
from domain.service import ArbitrationService
from domain.task import Task

ENGINE_ACTOR = "arbiter-engine"


class Outcome(Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed out"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Claim:
    """A subtask this node now runs, with everything the step needs."""

    task_id: int
    subtask_id: int
    attempt: int
    step: str
    undo: bool
    timeout: int
    params: dict[str, Any]
    agent_address: str
    port: int
    current_rpm: str
    trace_id: str

    @property
    def request_id(self) -> str:
        return f"{self.task_id}-{self.subtask_id}-{self.attempt}"


@dataclass(frozen=True)
class Work:
    """What a queued task offers a worker."""

    task_id: int
    version: int
    finished: bool
    ready: list[int]
    orphaned: list[tuple[int, str]]  # RUNNING/CANCELING subtasks of a lost executor
    unreleased: Claim | None = None  # a SUCCESSFUL task still bound to its service (see below)
    running: bool = False  # some subtask is RUNNING or CANCELING (a run moves the task on)


def owes_release(task: Task, service: ArbitrationService) -> bool:
    """A SUCCESSFUL task that still holds its service (one unfinished task per service)."""
    return task.status is TaskStatus.SUCCESSFUL and service.active_task_id == task.task_id


def claim_of(
    task: Task, service: ArbitrationService, agent_address: str, subtask_id: int, attempt: int
) -> Claim:
    subtask = task.subtask(subtask_id)
    return Claim(
        task_id=task.task_id,
        subtask_id=subtask_id,
        attempt=attempt,
        step=subtask.step,
        undo=task.rolling_back,
        timeout=subtask.timeout,
        params=dict(task.params),
        agent_address=agent_address,
        port=service.svr_port,
        current_rpm=service.rpm_name,
        trace_id=task.trace_id,
    )
