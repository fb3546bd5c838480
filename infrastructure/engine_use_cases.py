"""The engine's use cases over the store: find work, claim a subtask, save its outcome.

Each is one read-decide-save; the claim and the outcome are saved together with the
ArbitrationService aggregate they change, in one `save()` (one transaction).
"""

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from domain.caller import Caller
from domain.enums import FailureReason, SubtaskStatus, TaskStatus
from domain.errors import TaskStateInvalid
from domain.service import ArbitrationService
from domain.task import Task
from infrastructure.engine.claims import (
    ENGINE_ACTOR,
    Claim,
    Outcome,
    Work,
    claim_of,
    owes_release,
)
from infrastructure.engine.lifecycle import LifecycleUseCases
from infrastructure.engine.steps import TRANSITIONAL, ServiceEffect
from infrastructure.engine.tables import EngineTables
from infrastructure.store import StoreConfig

_S = SubtaskStatus
# Every stored Task event topic: the notification log is read for these only.
TASK_TOPICS = tuple(
    value.TOPIC
    for value in vars(Task).values()
    if isinstance(value, type) and issubclass(value, Task.Event)
)


class EngineUseCases(LifecycleUseCases):
    def __init__(self, store: StoreConfig, node_address: str) -> None:
        super().__init__(store, node_address)
        self.engine_tables = EngineTables(store, getattr(self.recorder, "datastore", None))
        self.save_listeners: list[Callable[[], None]] = []

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Saves wake this node's engine up (listeners must be cheap and thread-safe)."""
        recordings = super().save(*objs, **kwargs)
        for listener in self.save_listeners:
            listener()
        return recordings

    # ---- finding work without scanning the event store ----------------------------------

    def feed_queue(self, limit: int = 500) -> int:
        """Read Task notifications after the queue's position into the queue; returns how many."""
        position = self.engine_tables.queue_position()
        notifications = self.recorder.select_notifications(
            start=position + 1, limit=limit, topics=TASK_TOPICS
        )
        if not notifications:
            return 0
        newest: dict[UUID, int] = {}
        for notification in notifications:
            task = UUID(str(notification.originator_id))
            newest[task] = max(newest.get(task, 0), int(notification.originator_version))
        self.engine_tables.enqueue(newest, notifications[-1].id)
        return len(notifications)

    def queued_tasks(self) -> dict[UUID, int]:
        return self.engine_tables.queued()

    def work_of(self, task_uuid: UUID, live_nodes: set[str]) -> Work | None:
        task = self.find(task_uuid, Task)
        if task is None:
            return None
        version = task.version
        assert isinstance(version, int)
        # A task that an operator's skip finished never passed through the engine's save: the
        # engine still owes its service the release and a truthful status.
        unreleased = task.status is TaskStatus.SUCCESSFUL and owes_release(
            task, self.get_service(task.service_id)
        )
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
            unreleased=self._claim(task, task.subtasks[-1].id, 0) if unreleased else None,
            running=any(s.status in (_S.RUNNING, _S.CANCELING) for s in task.subtasks),
        )

    def forget_task(self, task_uuid: UUID, version: int) -> None:
        self.engine_tables.dequeue(task_uuid, version)

    # ---- claims and outcomes ---------------------------------------------------------

    def claim_subtask(
        self, task_id: int, subtask_id: int, node_id: str, lost_executor: str | None = None
    ) -> Claim | None:
        """Save the start of a subtask; None when another claimant won or it is no longer runnable.

        With `lost_executor`, take over a subtask from that executor, and only from it.
        """
        task = self.get_task(task_id)
        subtask = task.subtask(subtask_id)
        if lost_executor is not None and subtask.executor != lost_executor:
            return None
        service = self.get_service(task.service_id)
        try:
            attempt = start(task, service, subtask_id, node_id, lost_executor is not None)
        except TaskStateInvalid:
            return None
        try:
            self.save(task, service)
        except RecordConflictError:
            return None
        return None if attempt is None else self._claim(task, subtask_id, attempt)

    def _claim(self, task: Task, subtask_id: int, attempt: int) -> Claim:
        service = self.get_service(task.service_id)
        host = self.get_host(service.host_id)
        return claim_of(task, service, host.agent_address, subtask_id, attempt)

    def release_service(self, claim: Claim, effect: ServiceEffect) -> None:
        """Release the service of a finished SUCCESSFUL task, with the status the host shows."""

        def command() -> None:
            task = self.get_task(claim.task_id)
            service = self.get_service(task.service_id)
            if not owes_release(task, service):
                return
            caller = Caller(ENGINE_ACTOR, claim.trace_id)
            effect(service, caller)
            service.release_task(task.task_id, caller)
            self.save(service)

        self.retrying(command)

    def subtask_state(self, task_id: int, subtask_id: int) -> tuple[SubtaskStatus, int]:
        subtask = self.get_task(task_id).subtask(subtask_id)
        return subtask.status, subtask.attempt

    def finish_subtask(
        self, claim: Claim, outcome: Outcome, log: list[str], effect: ServiceEffect | None
    ) -> Task:
        """Save a run's outcome and its effect on the service; StaleAttempt if it was taken over."""

        def command() -> Task:
            task = self.get_task(claim.task_id)
            service = self.get_service(task.service_id)
            record_outcome(task, service, claim, outcome, log, effect)
            self.save(task, service)
            return task

        return self.retrying(command)


def start(
    task: Task, service: ArbitrationService, subtask_id: int, node_id: str, took_over: bool
) -> int | None:
    """Record a claim (TaskStateInvalid when the task says it is not claimable) and the
    service's transitional status; the new attempt, or None when the subtask does not run
    (a lost executor was cancelling it: the take-over ended it FAILED)."""
    attempt = task.start_subtask(
        subtask_id, node_id, Caller(ENGINE_ACTOR, task.trace_id), took_over=took_over
    )
    if task.subtask(subtask_id).status is not _S.RUNNING:
        return None
    service.change_status(TRANSITIONAL[task.template], Caller(ENGINE_ACTOR, task.trace_id))
    return attempt


def record_outcome(
    task: Task,
    service: ArbitrationService,
    claim: Claim,
    outcome: Outcome,
    log: list[str],
    effect: ServiceEffect | None,
) -> None:
    """A run's outcome on the task (StaleAttempt if it was taken over), its effect on the
    service, and the service's release once the task has succeeded."""
    caller = Caller(ENGINE_ACTOR, claim.trace_id)
    sid, attempt = claim.subtask_id, claim.attempt
    canceling = task.subtask(sid).status is _S.CANCELING
    if outcome is Outcome.TIMED_OUT:
        task.fail_subtask(sid, attempt, FailureReason.TIMEOUT, log, caller)
    elif outcome is Outcome.CANCELLED or canceling:
        # A run that ended while its cancel was requested ends cancelled, whatever it did.
        task.confirm_cancel(sid, attempt, log, caller)
    elif outcome is Outcome.SUCCEEDED:
        task.complete_subtask(sid, attempt, log, caller)
    else:
        task.fail_subtask(sid, attempt, FailureReason.ERROR, log, caller)
    if effect is not None:
        effect(service, caller)
    if owes_release(task, service):
        service.release_task(task.task_id, caller)
