"""The Task aggregate: a DAG of subtasks whose every transition is an event.

Command methods check the rules (domain.rules) and trigger an event; the event's `apply` makes
the transition and its consequences (scheduling, the rollback walk), which are pure functions
of the state, so a replay rebuilds exactly the same task.
"""

from collections.abc import Iterable
from datetime import datetime
from operator import attrgetter
from typing import Any, ClassVar, cast

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from domain import dag, rules
from domain.caller import Caller
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
from domain.step_log import LogLevel, LogLine, LogRun, add_lines
from domain.subtask import Subtask, finished_at, task_status

_S = SubtaskStatus


class Task(Aggregate):
    TOPIC = "arbiter:Task"
    # Version 2 keeps no log in its subtasks (domain/step_log.py): snapshots of version 1 carry
    # every run's lines, which `upcast_v1_v2` drops.
    class_version = 2

    class Event(Aggregate.Event):
        TOPIC = "arbiter:Task.Event"
        VERB: ClassVar[str]  # what the audit log says the actor did
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
            # The state's subtasks come back as the dicts they were stored as (upcast by now),
            # and JSON brings enums back as plain strings: give them their types again.
            task = cast(Task, super().mutate(None))
            task.operation = Operation(task.operation)
            stored = cast(list[dict[str, Any]], task.subtasks)
            task.subtasks = [Subtask.from_dict(data) for data in stored]
            return task

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        for subtask in state["subtasks"]:
            subtask.pop("runs", None)

    class Created(Event, Aggregate.Created):
        TOPIC = "arbiter:TaskCreated"
        VERB = "created task"
        task_id: int
        name: str
        template: str
        service_id: int
        params: dict[str, Any]
        subtasks: list[dict[str, Any]]
        executor: str
        client_token: str | None

        def apply(self, aggregate: "Task") -> None:
            aggregate.task_id = self.task_id
            aggregate.name = self.name
            aggregate.template = self.template
            aggregate.service_id = self.service_id
            aggregate.params = dict(self.params)
            aggregate.subtasks = [Subtask.from_spec(spec) for spec in self.subtasks]
            aggregate.creator = self.actor
            aggregate.executor = self.executor
            aggregate.trace_id = self.trace_id
            aggregate.client_token = self.client_token
            aggregate.operation = Operation.EXECUTE
            aggregate.start_time = self.timestamp
            aggregate.finish_time = None

    class SubtaskEvent(Event):
        """Since version 2 a subtask event records the transition it made, as the rules of its
        day decided it: its subtask's status and the task's, before and after. Readers (the
        audit log) take them from here; the aggregate still derives its state from the rules.

        Each event class says what it means: the rule table's trigger it pulls (`trigger`), the
        task's operation after it (`TASK_OPERATION`, None: unchanged), the words of the audit log
        (`VERB`) and what it writes into its subtask besides the status (`record`). The Task
        and its sketch (domain/task_sketch.py) both move by `plan`."""

        TOPIC = "arbiter:Task.SubtaskEvent"
        class_version = 3
        OLD_LINES: ClassVar[LogLevel] = LogLevel.INFO  # the level of a line stored before v3
        TRIGGER: ClassVar[str]
        TASK_OPERATION: ClassVar[Operation | None] = None
        STARTS_A_RUN: ClassVar[bool] = False  # the subtask has run once this event happened
        subtask_id: int
        status_before: str | None
        status_after: str | None
        task_status_before: str | None
        task_status_after: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # Not known from the event alone: readers fold the task to find them.
            state.update(dict.fromkeys(_SUBTASK_TRANSITION))

        @classmethod
        def upcast_v2_v3(cls, state: dict[str, Any]) -> None:
            # Before version 3 an outcome's lines were plain text: each takes the outcome's time,
            # and the level its outcome gives it.
            if "log" in state:
                state["log"] = [
                    LogLine(state["timestamp"], cls.OLD_LINES, text).payload()
                    for text in state["log"]
                ]

        @property
        def trigger(self) -> str:
            return self.TRIGGER

        @classmethod
        def plan(
            cls,
            trigger: str,
            ident: int,
            shape: dag.Shape,
            statuses: dag.Statuses,
            operation: Operation,
            at: int,
        ) -> tuple[Operation, dag.Plan]:
            """The task's operation after the event, and its plan: its subtask's new status,
            the moves that follow, and every status after them. The direction of the walk is
            the task's before and after the event (a subtask retry turns the task forward)."""
            after = cls.TASK_OPERATION or operation
            direction = (operation is Operation.ROLLBACK, after is Operation.ROLLBACK)
            plan = dag.plan(ident, shape, statuses, direction, at, trigger)
            assert plan.dest is not None, f"{cls.__name__} is not allowed from {statuses[at]}"
            return after, plan

        def apply(self, aggregate: "Task") -> None:
            subtask = aggregate.subtask(self.subtask_id)
            operation, plan = aggregate.subtask_plan(type(self), self.trigger, self.subtask_id)
            self.record(subtask)
            aggregate.operation = operation
            subtask.status = cast(SubtaskStatus, plan.dest)  # `plan` checked it
            aggregate.move(plan.moves, self.timestamp)

        def record(self, subtask: Subtask) -> None:
            """What the event writes into its subtask besides its status: none by default."""

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            """What the event adds to its subtask's log (`subtask` as the event left it): none
            by default."""

        def line(self, level: LogLevel, message: str) -> LogLine:
            """A line the event itself logs, at its own time."""
            return LogLine(self.timestamp, level, message)

    class SubtaskStarted(SubtaskEvent):
        """A worker claimed the subtask (or took it over from a lost executor)."""

        TOPIC = "arbiter:SubtaskStarted"
        STARTS_A_RUN = True
        VERB = "started"
        attempt: int
        executor: str
        took_over_from: str | None

        @staticmethod
        def trigger_of(took_over: bool) -> str:
            return "take_over" if took_over else "claim"

        @property
        def trigger(self) -> str:
            return self.trigger_of(self.took_over_from is not None)

        def record(self, subtask: Subtask) -> None:
            if self.took_over_from is None:
                subtask.start_time = self.timestamp
                subtask.finish_time = None
            subtask.attempt = self.attempt
            subtask.executor = self.executor

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            lost, executor, attempt = self.took_over_from, self.executor, self.attempt
            if lost is None:
                started = self.line(LogLevel.INFO, f"started on {executor} (attempt {attempt})")
                runs.append(LogRun(subtask.operation, self.timestamp, [started]))
            else:
                message = f"executor {lost} was lost; taken over by {executor} (attempt {attempt})"
                add_lines(runs, [self.line(LogLevel.WARN, message)])

    class RunEnded(SubtaskEvent):
        """A run's outcome: the lines its step logged (`log`, LogLine payloads) end the run."""

        TOPIC = "arbiter:Task.RunEnded"
        attempt: int
        log: list[dict[str, Any]]

        def record(self, subtask: Subtask) -> None:
            subtask.finish_time = self.timestamp

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            add_lines(runs, [LogLine.from_payload(line) for line in self.log])

    class SubtaskSucceeded(RunEnded):
        TOPIC = "arbiter:SubtaskSucceeded"
        TRIGGER = "succeed"
        VERB = "finished"

    class SubtaskRolledBack(RunEnded):
        """The subtask's undo succeeded: it is back to PENDING."""

        TOPIC = "arbiter:SubtaskRolledBack"
        TRIGGER = "succeed"
        VERB = "undid"

    class SubtaskFailed(RunEnded):
        TOPIC = "arbiter:SubtaskFailed"
        VERB = "failed"
        OLD_LINES = LogLevel.ERROR
        reason: str  # a FailureReason value

        @staticmethod
        def trigger_of(reason: str) -> str:
            return "time_out" if reason == FailureReason.TIMEOUT else "fail"

        @property
        def trigger(self) -> str:
            return self.trigger_of(self.reason)

        def record(self, subtask: Subtask) -> None:
            super().record(subtask)
            if self.reason == FailureReason.TIMEOUT:
                subtask.operation = Operation.CANCEL

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            super().log_into(runs, subtask)
            if self.reason == FailureReason.TIMEOUT:
                message = f"timed out after {subtask.timeout} s and was interrupted"
                add_lines(runs, [self.line(LogLevel.ERROR, message)])

    class SubtaskCancelRequested(SubtaskEvent):
        TOPIC = "arbiter:SubtaskCancelRequested"
        TRIGGER = "request_cancel"
        VERB = "asked to cancel"

        def record(self, subtask: Subtask) -> None:
            subtask.operation = Operation.CANCEL

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            add_lines(runs, [self.line(LogLevel.WARN, f"cancel requested by {self.actor}")])

    class SubtaskCancelled(RunEnded):
        TOPIC = "arbiter:SubtaskCancelled"
        TRIGGER = "confirm_cancel"
        VERB = "cancelled"
        OLD_LINES = LogLevel.WARN

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            super().log_into(runs, subtask)
            add_lines(runs, [self.line(LogLevel.WARN, "cancelled")])

    class SubtaskSkipped(SubtaskEvent):
        TOPIC = "arbiter:SubtaskSkipped"
        TRIGGER = "skip"
        VERB = "skipped"

        def record(self, subtask: Subtask) -> None:
            subtask.operation = Operation.SKIP
            subtask.finish_time = self.timestamp

        def log_into(self, runs: list[LogRun], subtask: Subtask) -> None:
            skipped = self.line(LogLevel.INFO, f"skipped by {self.actor}")
            runs.append(LogRun(Operation.SKIP, self.timestamp, [skipped]))

    class SubtaskRetried(SubtaskEvent):
        TOPIC = "arbiter:SubtaskRetried"
        TRIGGER = "retry"
        TASK_OPERATION = Operation.RETRY
        VERB = "retried"

        def record(self, subtask: Subtask) -> None:
            subtask.rerun(Operation.RETRY)

    class TaskEvent(Event):
        """Since version 2 a task event records the task's status before and after it.

        Each event class says what it means: the task's operation after it (`TASK_OPERATION`)
        and the trigger it pulls on every FAILED subtask (`TRIGGER`): `plan`."""

        TOPIC = "arbiter:Task.TaskEvent"
        class_version = 2
        TASK_OPERATION: ClassVar[Operation]
        TRIGGER: ClassVar[str]
        task_status_before: str | None
        task_status_after: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.update(dict.fromkeys(_TASK_TRANSITION))

        @classmethod
        def plan(cls, ident: int, shape: dag.Shape, statuses: dag.Statuses) -> dag.Plan:
            """The trigger moves every FAILED subtask the rules let it move, then the task
            settles in its new direction."""
            rolling_back = cls.TASK_OPERATION is Operation.ROLLBACK
            return dag.whole_task(ident, shape, statuses, cls.TRIGGER, rolling_back)

        def apply(self, aggregate: "Task") -> None:
            ident, shape = aggregate.shape()
            plan = self.plan(ident, shape, aggregate.statuses())
            self.record(aggregate)
            aggregate.operation = self.TASK_OPERATION
            aggregate.move(plan.moves, self.timestamp)

        def record(self, aggregate: "Task") -> None:
            """What the event writes into the subtasks besides their statuses: none by default."""

    class TaskRetried(TaskEvent):
        TOPIC = "arbiter:TaskRetried"
        TASK_OPERATION = Operation.RETRY
        TRIGGER = "retry"
        VERB = "retried task"

    class RollbackStarted(TaskEvent):
        TOPIC = "arbiter:RollbackStarted"
        TASK_OPERATION = Operation.ROLLBACK
        TRIGGER = "undo"
        VERB = "started the rollback of task"

        def record(self, aggregate: "Task") -> None:
            for subtask in aggregate.subtasks:
                if subtask.status in (_S.SUCCESSFUL, _S.FAILED):
                    subtask.operation = Operation.ROLLBACK

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
        caller: Caller,
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
            actor=caller.actor,
            trace_id=caller.trace_id,
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
        self, subtask_id: int, executor: str, caller: Caller, *, took_over: bool = False
    ) -> int:
        """Claim a READY subtask (or take over a RUNNING one); returns the new attempt number."""
        trigger = self.SubtaskStarted.trigger_of(took_over)
        subtask = self._allowed(subtask_id, trigger)
        previous = subtask.executor if took_over else None
        attempt = subtask.attempt + 1
        self._record(
            self.SubtaskStarted,
            subtask_id,
            trigger,
            caller,
            attempt=attempt,
            executor=executor,
            took_over_from=previous,
        )
        return attempt

    def complete_subtask(
        self, subtask_id: int, attempt: int, log: list[LogLine], caller: Caller
    ) -> None:
        self._fenced(subtask_id, attempt)
        self._allowed(subtask_id, "succeed")
        event = self.SubtaskRolledBack if self.rolling_back else self.SubtaskSucceeded
        self._record(event, subtask_id, "succeed", caller, attempt=attempt, log=_payloads(log))

    def fail_subtask(
        self,
        subtask_id: int,
        attempt: int,
        reason: FailureReason,
        log: list[LogLine],
        caller: Caller,
    ) -> None:
        self._fenced(subtask_id, attempt)
        trigger = self.SubtaskFailed.trigger_of(reason)
        self._allowed(subtask_id, trigger)
        self._record(
            self.SubtaskFailed,
            subtask_id,
            trigger,
            caller,
            attempt=attempt,
            reason=reason.value,
            log=_payloads(log),
        )

    def request_cancel(self, subtask_id: int, caller: Caller) -> None:
        self._allowed(subtask_id, "request_cancel")
        self._record(self.SubtaskCancelRequested, subtask_id, "request_cancel", caller)

    def confirm_cancel(
        self, subtask_id: int, attempt: int, log: list[LogLine], caller: Caller
    ) -> None:
        """The cancel hook ran (or the canceling executor was lost): the subtask ends FAILED."""
        self._fenced(subtask_id, attempt)
        self._allowed(subtask_id, "confirm_cancel")
        event, log_payload = self.SubtaskCancelled, _payloads(log)
        self._record(event, subtask_id, "confirm_cancel", caller, attempt=attempt, log=log_payload)

    def skip_subtask(self, subtask_id: int, caller: Caller) -> None:
        self._allowed(subtask_id, "skip")
        self._record(self.SubtaskSkipped, subtask_id, "skip", caller)

    def retry_subtask(self, subtask_id: int, caller: Caller) -> None:
        self._allowed(subtask_id, "retry")
        self._record(self.SubtaskRetried, subtask_id, "retry", caller)

    def retry(self, caller: Caller) -> None:
        self._task_allowed("retry")
        self._record_task(self.TaskRetried, caller)

    def rollback(self, caller: Caller) -> None:
        self._task_allowed("rollback")
        self._record_task(self.RollbackStarted, caller)

    def _record(
        self,
        event_class: type["Task.SubtaskEvent"],
        subtask_id: int,
        trigger: str,
        caller: Caller,
        **fields: Any,
    ) -> None:
        """Trigger a subtask event that records the transition it makes (the same plan its
        `apply` will follow)."""
        statuses, at = self.statuses(), self.indexes().index_of[subtask_id]
        _, plan = self.subtask_plan(event_class, trigger, subtask_id)
        self.trigger_event(
            event_class,
            subtask_id=subtask_id,
            status_before=str(statuses[at]),
            status_after=str(plan.dest),
            task_status_before=str(task_status(statuses)),
            task_status_after=str(task_status(plan.after)),
            actor=caller.actor,
            trace_id=caller.trace_id,
            **fields,
        )

    def subtask_plan(
        self, event_class: type["Task.SubtaskEvent"], trigger: str, subtask_id: int
    ) -> tuple[Operation, dag.Plan]:
        """What a subtask event of `event_class` does to this task: its operation and plan."""
        indexes = self.indexes()
        return event_class.plan(
            trigger,
            indexes.shape_id,
            indexes.shape,
            self.statuses(),
            self.operation,
            indexes.index_of[subtask_id],
        )

    def _record_task(self, event_class: type["Task.TaskEvent"], caller: Caller) -> None:
        ident, shape = self.shape()
        statuses = self.statuses()
        plan = event_class.plan(ident, shape, statuses)
        self.trigger_event(
            event_class,
            task_status_before=str(task_status(statuses)),
            task_status_after=str(task_status(plan.after)),
            actor=caller.actor,
            trace_id=caller.trace_id,
        )

    def move(self, moves: tuple[dag.Move, ...], now: datetime) -> None:
        """The consequences an event's plan sets moving (scheduling, the rollback walk), and
        the task's finish time after them. Called by the events' `apply`."""
        for move in moves:
            subtask = self.subtasks[move.at]
            subtask.status = move.dest
            if move.trigger in _RERUNS:
                subtask.rerun(_RERUNS[move.trigger])
        self.finish_time = finished_at(self.is_finished, self.finish_time, now)

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


def ended(event: object) -> str | None:
    """The status an event ended its task in (SUCCESSFUL or FAILED), as the event records it;
    None when the task went on running, or was not running before it."""
    after = getattr(event, "task_status_after", None)
    if getattr(event, "task_status_before", None) == TaskStatus.RUNNING and after in _ENDED:
        return str(after)
    return None


def replay(task: Task | None, events: Iterable[Any]) -> Task | None:
    """`task` (None: before its creation) moved on by `events`, a snapshot first or not: the
    repository's projector without its runtime protocol check per event (half a replay's
    time)."""
    for event in events:
        task = event.mutate(task)
    return task


def subtask_log(events: Iterable[Task.Event], subtask_id: int) -> list[LogRun]:
    """The subtask's runs and their lines, as the task's events (all of them, from its
    creation) tell them; TaskStateInvalid when the task has no such subtask. Every event is
    replayed: the operation a run ran for is the subtask's state when it began."""
    task: Task | None = None
    runs: list[LogRun] = []
    for event in events:
        task = cast(Task, event.mutate(task))
        if isinstance(event, Task.SubtaskEvent) and event.subtask_id == subtask_id:
            event.log_into(runs, task.subtask(subtask_id))
    assert task is not None, "a task's events begin with its creation"
    task._subtask_or_invalid(subtask_id)
    return runs


def _payloads(lines: list[LogLine]) -> list[dict[str, Any]]:
    return [line.payload() for line in lines]


_STATUS = attrgetter("status")
_ENDED = (TaskStatus.SUCCESSFUL, TaskStatus.FAILED)
_RERUNS = {"retry": Operation.RETRY, "undo": Operation.ROLLBACK}  # moves that run a step again
_TASK_TRANSITION = ("task_status_before", "task_status_after")
_SUBTASK_TRANSITION = ("status_before", "status_after", *_TASK_TRANSITION)


class SubtaskIndexes:
    """Indexes of a subtask list: by id, by position, and the DAG's shape for domain.dag."""

    def __init__(self, subtasks: list[Subtask]) -> None:
        self.subtasks = subtasks
        self.by_id = {s.id: s for s in subtasks}
        nodes = [(s.id, s.upstreams, s.downstreams, s.prohibit_skip) for s in subtasks]
        self.index_of, self.shape, self.shape_id = dag.shape_of(nodes)
