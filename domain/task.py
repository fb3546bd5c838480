"""The Task aggregate: a DAG of subtasks whose every transition is an event.

Command methods check the rules (domain.rules) and trigger an event; the event's `apply` makes
the transition and its consequences (scheduling, the rollback walk), which are pure functions
of the state, so a replay rebuilds exactly the same task.
"""

from datetime import datetime
from operator import attrgetter
from typing import Any, cast

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from domain import dag, rules, task_apply
from domain.enums import FailureReason, Operation, SubtaskStatus, TaskStatus
from domain.errors import (
    DomainError,
    RollbackProhibited,
    SkipProhibited,
    StaleAttempt,
    TaskStateInvalid,
)
from domain.ids import task_uuid
from domain.steering import SUBTASK_OPERATIONS, allowed_task_operations, blamed_guard, task_guards
from domain.subtask import Subtask, task_status

_S = SubtaskStatus


class Task(Aggregate):
    TOPIC = "arbiter:Task"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:Task.Event"
        actor: str
        trace_id: str

    class Snapshot(BaseSnapshot):
        TOPIC = "arbiter:Task.Snapshot"

        @classmethod
        def take(cls, aggregate: Any) -> "Task.Snapshot":
            snapshot = super().take(aggregate)
            snapshot.state.pop("_index", None)  # derived from the subtasks: not state to store
            return snapshot

        def mutate(self, _: None) -> "Task":
            # JSON brings enums back as plain strings: give them their type again.
            task = cast(Task, super().mutate(None))
            task.operation = Operation(task.operation)
            return task

    class Created(Event, Aggregate.Created):
        TOPIC = "arbiter:TaskCreated"
        task_id: int
        name: str
        template: str
        service_id: int
        params: dict[str, Any]
        subtasks: list[dict[str, Any]]
        executor: str
        client_token: str | None

        def apply(self, aggregate: "Task") -> None:
            task_apply.on_created(aggregate, self)

    class SubtaskEvent(Event):
        """Since version 2 a subtask event records the transition it made, as the rules of its
        day decided it: its subtask's status and the task's, before and after. Readers (the
        audit log) take them from here; the aggregate still derives its state from the rules."""

        TOPIC = "arbiter:Task.SubtaskEvent"
        class_version = 2
        subtask_id: int
        status_before: str | None
        status_after: str | None
        task_status_before: str | None
        task_status_after: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Not known from the event alone: readers fold the task to find them.
            state.update(dict.fromkeys(_SUBTASK_TRANSITION))

        def apply(self, aggregate: "Task") -> None:
            task_apply.on_subtask_event(aggregate, self)

    class SubtaskStarted(SubtaskEvent):
        """A worker claimed the subtask (or took it over from a lost executor)."""

        TOPIC = "arbiter:SubtaskStarted"
        attempt: int
        executor: str
        took_over_from: str | None

    class SubtaskSucceeded(SubtaskEvent):
        TOPIC = "arbiter:SubtaskSucceeded"
        attempt: int
        log: list[str]

    class SubtaskRolledBack(SubtaskEvent):
        """The subtask's undo succeeded: it is back to PENDING."""

        TOPIC = "arbiter:SubtaskRolledBack"
        attempt: int
        log: list[str]

    class SubtaskFailed(SubtaskEvent):
        TOPIC = "arbiter:SubtaskFailed"
        attempt: int
        reason: str  # a FailureReason value
        log: list[str]

    class SubtaskCancelRequested(SubtaskEvent):
        TOPIC = "arbiter:SubtaskCancelRequested"

    class SubtaskCancelled(SubtaskEvent):
        TOPIC = "arbiter:SubtaskCancelled"
        attempt: int
        log: list[str]

    class SubtaskSkipped(SubtaskEvent):
        TOPIC = "arbiter:SubtaskSkipped"

    class SubtaskRetried(SubtaskEvent):
        TOPIC = "arbiter:SubtaskRetried"

    class TaskEvent(Event):
        """Since version 2 a task event records the task's status before and after it."""

        TOPIC = "arbiter:Task.TaskEvent"
        class_version = 2
        task_status_before: str | None
        task_status_after: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(dict.fromkeys(_TASK_TRANSITION))

        def apply(self, aggregate: "Task") -> None:
            task_apply.on_task_event(aggregate, self)

    class TaskRetried(TaskEvent):
        TOPIC = "arbiter:TaskRetried"

    class RollbackStarted(TaskEvent):
        TOPIC = "arbiter:RollbackStarted"

    # ---- state ---------------------------------------------------------------------------

    task_id: int
    name: str
    template: str
    service_id: int
    params: dict[str, Any]
    subtasks: list[Subtask]
    creator: str
    executor: str
    trace_id: str
    client_token: str | None
    operation: Operation
    start_time: datetime
    finish_time: datetime | None
    _index: "SubtaskIndexes"

    def __init__(self) -> None:
        """State is set by `Created.apply`, so that snapshots and replays share one path."""

    @classmethod
    def create(
        cls,
        *,
        task_id: int,
        name: str,
        template: str,
        service_id: int,
        params: dict[str, Any],
        subtasks: list[dict[str, Any]],
        executor: str,
        client_token: str | None,
        actor: str,
        trace_id: str,
    ) -> "Task":
        return cls._create(
            cls.Created,
            id=task_uuid(task_id),
            task_id=task_id,
            name=name,
            template=template,
            service_id=service_id,
            params=params,
            subtasks=subtasks,
            executor=executor,
            client_token=client_token,
            actor=actor,
            trace_id=trace_id,
        )

    @property
    def status(self) -> TaskStatus:
        return task_status(self.statuses())

    @property
    def rolling_back(self) -> bool:
        return self.operation is Operation.ROLLBACK

    @property
    def prohibit_rollback(self) -> bool:
        return any(s.prohibit_rollback and s.has_started for s in self.subtasks)

    @property
    def is_finished(self) -> bool:
        return self.status is not TaskStatus.RUNNING

    def subtask(self, subtask_id: int) -> Subtask:
        return self.indexes().by_id[subtask_id]

    def index_of(self, subtask: Subtask) -> int:
        return self.indexes().index_of[subtask.id]

    def statuses(self) -> dag.Statuses:
        return tuple(map(_STATUS, self.subtasks))

    def shape(self) -> tuple[int, dag.Shape]:
        """(the shape's memo number, the shape) of this task's DAG."""
        indexes = self.indexes()
        return indexes.shape_id, indexes.shape

    def indexes(self) -> "SubtaskIndexes":
        # Replays look subtasks up several times per event: index them once per subtask list
        # (a restored snapshot or a new task has a new list, hence the identity check).
        indexes: SubtaskIndexes | None = getattr(self, "_index", None)
        if indexes is None or indexes.subtasks is not self.subtasks:
            indexes = self._index = SubtaskIndexes(self.subtasks)
        return indexes

    def ready_subtasks(self) -> list[Subtask]:
        return [s for s in self.subtasks if s.status is _S.READY]

    # ---- commands: check the rules, then record --------------------------------------------

    def start_subtask(
        self, subtask_id: int, executor: str, actor: str, trace_id: str, *, took_over: bool = False
    ) -> int:
        """Claim a READY subtask (or take over a RUNNING one); returns the new attempt number."""
        subtask = self._allowed(subtask_id, "take_over" if took_over else "claim")
        previous = subtask.executor if took_over else None
        attempt = subtask.attempt + 1
        self._record(
            self.SubtaskStarted,
            subtask_id,
            "take_over" if took_over else "claim",
            attempt=attempt,
            executor=executor,
            took_over_from=previous,
            actor=actor,
            trace_id=trace_id,
        )
        return attempt

    def complete_subtask(
        self, subtask_id: int, attempt: int, log: list[str], actor: str, trace_id: str
    ) -> None:
        self._fenced(subtask_id, attempt)
        self._allowed(subtask_id, "succeed")
        event = self.SubtaskRolledBack if self.rolling_back else self.SubtaskSucceeded
        self._record(
            event, subtask_id, "succeed", attempt=attempt, log=log, actor=actor, trace_id=trace_id
        )

    def fail_subtask(
        self,
        subtask_id: int,
        attempt: int,
        reason: FailureReason,
        log: list[str],
        actor: str,
        trace_id: str,
    ) -> None:
        self._fenced(subtask_id, attempt)
        trigger = "time_out" if reason is FailureReason.TIMEOUT else "fail"
        self._allowed(subtask_id, trigger)
        self._record(
            self.SubtaskFailed,
            subtask_id,
            trigger,
            attempt=attempt,
            reason=reason.value,
            log=log,
            actor=actor,
            trace_id=trace_id,
        )

    def request_cancel(self, subtask_id: int, actor: str, trace_id: str) -> None:
        self._allowed(subtask_id, "request_cancel")
        self._record(
            self.SubtaskCancelRequested,
            subtask_id,
            "request_cancel",
            actor=actor,
            trace_id=trace_id,
        )

    def confirm_cancel(
        self, subtask_id: int, attempt: int, log: list[str], actor: str, trace_id: str
    ) -> None:
        """The cancel hook ran (or the canceling executor was lost): the subtask ends FAILED."""
        self._fenced(subtask_id, attempt)
        self._allowed(subtask_id, "confirm_cancel")
        self._record(
            self.SubtaskCancelled,
            subtask_id,
            "confirm_cancel",
            attempt=attempt,
            log=log,
            actor=actor,
            trace_id=trace_id,
        )

    def skip_subtask(self, subtask_id: int, actor: str, trace_id: str) -> None:
        self._allowed(subtask_id, "skip")
        self._record(self.SubtaskSkipped, subtask_id, "skip", actor=actor, trace_id=trace_id)

    def retry_subtask(self, subtask_id: int, actor: str, trace_id: str) -> None:
        self._allowed(subtask_id, "retry")
        self._record(self.SubtaskRetried, subtask_id, "retry", actor=actor, trace_id=trace_id)

    def retry(self, actor: str, trace_id: str) -> None:
        self._task_allowed("retry")
        self._record_task(self.TaskRetried, actor=actor, trace_id=trace_id)

    def rollback(self, actor: str, trace_id: str) -> None:
        self._task_allowed("rollback")
        self._record_task(self.RollbackStarted, actor=actor, trace_id=trace_id)

    def _record(
        self, event_class: type["Task.SubtaskEvent"], subtask_id: int, trigger: str, **fields: Any
    ) -> None:
        """Trigger a subtask event that records the transition it makes (the same plan its
        `apply` will follow)."""
        statuses, at = self.statuses(), self.indexes().index_of[subtask_id]
        _, plan = self.subtask_plan(event_class.__name__, trigger, subtask_id)
        self.trigger_event(
            event_class,
            subtask_id=subtask_id,
            status_before=str(statuses[at]),
            status_after=str(plan.dest),
            task_status_before=str(task_status(statuses)),
            task_status_after=str(task_status(plan.after)),
            **fields,
        )

    def subtask_plan(self, kind: str, trigger: str, subtask_id: int) -> tuple[Operation, dag.Plan]:
        """What a subtask event of class `kind` does to this task: its operation and plan."""
        indexes = self.indexes()
        return task_apply.subtask_event_plan(
            kind,
            trigger,
            indexes.shape_id,
            indexes.shape,
            self.statuses(),
            self.operation,
            indexes.index_of[subtask_id],
        )

    def _record_task(self, event_class: type["Task.TaskEvent"], **fields: Any) -> None:
        ident, shape = self.shape()
        statuses = self.statuses()
        _, plan = task_apply.task_event_plan(event_class.__name__, ident, shape, statuses)
        self.trigger_event(
            event_class,
            task_status_before=str(task_status(statuses)),
            task_status_after=str(task_status(plan.after)),
            **fields,
        )

    # ---- rule checks ---------------------------------------------------------------------

    def destination(self, subtask: Subtask, trigger: str) -> SubtaskStatus | None:
        _, shape = self.shape()
        index = self.index_of(subtask)
        return dag.destination(shape, self.statuses(), self.rolling_back, index, trigger)

    def _subtask_or_invalid(self, subtask_id: int) -> Subtask:
        try:
            return self.subtask(subtask_id)
        except KeyError:
            raise TaskStateInvalid(f"task {self.task_id} has no subtask {subtask_id}") from None

    def subtask_refusal(self, subtask_id: int, trigger: str) -> DomainError | None:
        """Why `trigger` may not move the subtask now, or None when it may: the one check
        behind both the commands and the operations the views offer."""
        subtask = self.indexes().by_id.get(subtask_id)
        if subtask is None:
            return TaskStateInvalid(f"task {self.task_id} has no subtask {subtask_id}")
        if self.destination(subtask, trigger) is not None:
            return None
        # Refused: say why (only now, so that listing what is allowed builds no errors).
        _, shape = self.shape()
        found = dag.guards(shape, self.statuses(), self.rolling_back, self.index_of(subtask))
        if blamed_guard(rules.SUBTASK_RULES, trigger, subtask.status, found):
            return SkipProhibited(f"subtask {subtask_id} may not be skipped")
        return TaskStateInvalid(
            f"cannot {trigger.replace('_', ' ')} subtask {subtask_id}: it is "
            f"{subtask.status} (operation {subtask.operation}) in task {self.task_id}"
            + (" which is rolling back" if self.rolling_back else "")
        )

    def task_refusal(self, trigger: str) -> DomainError | None:
        """Why the task trigger (retry, rollback) may not run now, or None when it may."""
        guards = task_guards(self.rolling_back, self.prohibit_rollback)
        if rules.destination(rules.TASK_RULES, trigger, self.status, guards) is not None:
            return None
        if blamed_guard(rules.TASK_RULES, trigger, self.status, guards):
            return RollbackProhibited(
                f"task {self.task_id} has passed a step that cannot be rolled back"
            )
        return TaskStateInvalid(
            f"cannot {trigger} task {self.task_id}: it is {self.status} "
            f"(operation {self.operation})"
        )

    def allowed_operations(self) -> list[Operation]:
        """The operator's task operations the rules allow now (RETRY, ROLLBACK)."""
        return allowed_task_operations(self.status, self.rolling_back, self.prohibit_rollback)

    def allowed_subtask_operations(self, subtask_id: int) -> list[Operation]:
        """The operator's subtask operations the rules allow now (RETRY, SKIP, CANCEL)."""
        subtask = self.subtask(subtask_id)
        return [
            op
            for op, trigger in SUBTASK_OPERATIONS.items()
            if self.destination(subtask, trigger) is not None
        ]

    def _allowed(self, subtask_id: int, trigger: str) -> Subtask:
        error = self.subtask_refusal(subtask_id, trigger)
        if error is not None:
            raise error
        return self.subtask(subtask_id)

    def _fenced(self, subtask_id: int, attempt: int) -> None:
        current = self._subtask_or_invalid(subtask_id).attempt
        if attempt != current:
            raise StaleAttempt(
                f"attempt {attempt} of subtask {subtask_id} is stale (current attempt {current})"
            )

    def _task_allowed(self, trigger: str) -> None:
        error = self.task_refusal(trigger)
        if error is not None:
            raise error


_STATUS = attrgetter("status")
_TASK_TRANSITION = ("task_status_before", "task_status_after")
_SUBTASK_TRANSITION = ("status_before", "status_after", *_TASK_TRANSITION)


class SubtaskIndexes:
    """Indexes of a subtask list: by id, by position, and the DAG's shape for domain.dag."""

    def __init__(self, subtasks: list[Subtask]) -> None:
        self.subtasks = subtasks
        self.by_id = {s.id: s for s in subtasks}
        nodes = [(s.id, s.upstreams, s.downstreams, s.prohibit_skip) for s in subtasks]
        self.index_of, self.shape, self.shape_id = dag.shape_of(nodes)
