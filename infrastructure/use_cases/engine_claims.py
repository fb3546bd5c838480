"""The engine's use cases: find work without scanning the event store, claim a subtask, save a
run's outcome, and release the service of a task an operator finished.

What a claim and an outcome do to the Task and its ArbitrationService is domain.runs' to say.
`claim` and `finish` decide alone on a StoreSession, and in batches of many on the engine's own
copies (infrastructure/engine/batch.py): the same functions either way.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from domain import runs
from domain.enums import SubtaskStatus, TaskStatus
from domain.runs import Outcome, ServiceEffect
from domain.service import ArbitrationService
from domain.step_log import LogLine
from domain.task import Task
from infrastructure.persistence.engine_tables import EngineTables
from infrastructure.use_cases.session import Session

_S = SubtaskStatus
# Every stored Task event topic: the notification log is read for these only.
TASK_TOPICS = tuple(
    value.TOPIC
    for value in vars(Task).values()
    if isinstance(value, type) and issubclass(value, Task.Event)
)


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


@dataclass(frozen=True)
class Start:
    """Claim a READY subtask (or take one over from `lost_executor`)."""

    task_id: int
    subtask_id: int
    node_id: str
    lost_executor: str | None = None


@dataclass(frozen=True)
class Finish:
    """Save a run's outcome; with `chain_to`, also claim the task's next READY subtask for it."""

    claim: Claim
    outcome: Outcome
    log: list[LogLine]
    effect: ServiceEffect | None
    chain_to: str | None = None  # the node id that runs the next subtask, or None


# ---- finding work ------------------------------------------------------------------------


def feed_queue(recorder: ApplicationRecorder, tables: EngineTables, limit: int) -> int:
    """Read Task notifications after the queue's position into the queue; returns how many."""
    position = tables.queue_position()
    notifications = recorder.select_notifications(
        start=position + 1, limit=limit, topics=TASK_TOPICS
    )
    if not notifications:
        return 0
    newest: dict[UUID, int] = {}
    for notification in notifications:
        task = UUID(str(notification.originator_id))
        newest[task] = max(newest.get(task, 0), int(notification.originator_version))
    tables.enqueue(newest, notifications[-1].id)
    return len(notifications)


def work_of(session: Session, task_uuid: UUID, live_nodes: set[str]) -> Work | None:
    task = session.find(task_uuid, Task)
    if task is None:
        return None
    version = task.version
    assert isinstance(version, int)
    # A task that an operator's skip finished never passed through the engine's save: the
    # engine still owes its service the release and a truthful status. (The service is read
    # for a SUCCESSFUL task only: a sweep reads every unfinished task.)
    unreleased = None
    if task.status is TaskStatus.SUCCESSFUL:
        service = session.service(task.service_id)
        if runs.owes_release(task, service):
            unreleased = _claim(session, task, service, task.subtasks[-1].id, 0)
    return Work(
        task_id=task.task_id,
        version=version,
        finished=task.is_finished,
        ready=[s.id for s in task.subtasks if s.status is _S.READY],
        orphaned=[
            (s.id, s.executor)
            for s in task.subtasks
            if s.status in (_S.RUNNING, _S.CANCELING)
            and s.executor is not None
            and s.executor not in live_nodes
        ],
        unreleased=unreleased,
        running=any(s.status in (_S.RUNNING, _S.CANCELING) for s in task.subtasks),
    )


# ---- claims and outcomes -----------------------------------------------------------------


def claim(session: Session, start: Start) -> Claim | None:
    """Claim the subtask (TaskStateInvalid when the task says it is not this node's to claim):
    the claim to run, or None when the subtask does not run (a lost executor was cancelling it:
    the take-over ended it FAILED)."""
    task = session.task(start.task_id)
    service = session.service(task.service_id)
    claimed = _start(session, task, service, start.subtask_id, start.node_id, start.lost_executor)
    session.save(task, service)
    return claimed


def finish(session: Session, finish: Finish) -> Claim | None:
    """Save a run's outcome and its effect on the service (StaleAttempt if the run was taken
    over); the claim of the task's next subtask when `chain_to` asks for one."""
    ran = finish.claim
    task = session.task(ran.task_id)
    service = session.service(task.service_id)
    runs.record_outcome(
        task, service, ran.subtask_id, ran.attempt, finish.outcome, finish.log, finish.effect
    )
    ready = task.ready_subtasks()
    chained = None
    if finish.chain_to is not None and ready:
        chained = _start(session, task, service, ready[0].id, finish.chain_to, None)
    session.save(task, service)
    return chained


def release_service(session: Session, ran: Claim, effect: ServiceEffect) -> None:
    """Release the service of a finished SUCCESSFUL task, with the status the host shows."""
    task = session.task(ran.task_id)
    service = session.service(task.service_id)
    if runs.owes_release(task, service):
        runs.release(task, service, effect)
        session.save(service)


def subtask_state(session: Session, task_id: int, subtask_id: int) -> tuple[SubtaskStatus, int]:
    subtask = session.task(task_id).subtask(subtask_id)
    return subtask.status, subtask.attempt


def _start(
    session: Session,
    task: Task,
    service: ArbitrationService,
    subtask_id: int,
    node_id: str,
    lost_executor: str | None,
) -> Claim | None:
    attempt = runs.start(task, service, subtask_id, node_id, lost_executor)
    return None if attempt is None else _claim(session, task, service, subtask_id, attempt)


def _claim(
    session: Session, task: Task, service: ArbitrationService, subtask_id: int, attempt: int
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
        agent_address=session.host(service.host_id).agent_address,
        port=service.svr_port,
        current_rpm=service.rpm_name,
        trace_id=task.trace_id,
    )
