"""A task as its lists and its audit log see it: statuses, direction and times, without the
subtasks' logs, attempts and executors.

Folded from the same events as the Task aggregate, through the same plans (each event's `plan`
over domain.dag for every status and the operation), at a fraction of the cost: the
views fold sketches, not aggregates. The model explorer checks, on every transition it reaches,
that the sketch folded from a command's events equals the sketch of the aggregate after it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import dag
from domain.enums import Operation, SubtaskStatus, TaskStatus
from domain.steering import allowed_task_operations
from domain.subtask import finished_at, task_status
from domain.task import Task


@dataclass(slots=True)
class TaskSketch:
    task_id: int
    name: str
    service_id: int
    creator: str
    executor: str
    start_time: datetime
    finish_time: datetime | None
    operation: Operation
    version: int
    subtask_ids: tuple[int, ...]
    subtask_names: tuple[str, ...]
    statuses: dag.Statuses
    started: tuple[bool, ...]  # has each subtask ever been claimed
    prohibits: tuple[bool, ...]  # prohibitRollback of each subtask
    shape_id: int
    shape: dag.Shape
    index_of: dict[int, int]

    @property
    def status(self) -> TaskStatus:
        return task_status(self.statuses)

    @property
    def rolling_back(self) -> bool:
        return self.operation is Operation.ROLLBACK

    @property
    def prohibit_rollback(self) -> bool:
        return any(p and s for p, s in zip(self.prohibits, self.started, strict=True))

    def allowed_operations(self) -> list[Operation]:
        return allowed_task_operations(self.status, self.rolling_back, self.prohibit_rollback)

    def subtask_status(self, subtask_id: int) -> str:
        return str(self.statuses[self.index_of[subtask_id]])  # str(): cheaper than .value

    def subtask_name(self, subtask_id: int) -> str:
        return self.subtask_names[self.index_of[subtask_id]]

    @classmethod
    def created(cls, event: Any) -> "TaskSketch":
        """The sketch of a new task, from its TaskCreated event."""
        specs: list[dict[str, Any]] = event.subtasks
        nodes = [(s["id"], s["upstreams"], s["downstreams"], s["prohibit_skip"]) for s in specs]
        index_of, shape, shape_id = dag.shape_of(nodes)
        return cls(
            task_id=event.task_id,
            name=event.name,
            service_id=event.service_id,
            creator=event.actor,
            executor=event.executor,
            start_time=event.timestamp,
            finish_time=None,
            operation=Operation.EXECUTE,
            version=event.originator_version,
            subtask_ids=tuple(s["id"] for s in specs),
            subtask_names=tuple(s["name"] for s in specs),
            statuses=_creation_statuses(specs),
            started=(False,) * len(specs),
            prohibits=tuple(s["prohibit_rollback"] for s in specs),
            shape_id=shape_id,
            shape=shape,
            index_of=index_of,
        )

    @classmethod
    def of(cls, task: Task) -> "TaskSketch":
        """The sketch of an aggregate (a view's fold starts from one when its cache misses)."""
        indexes = task.indexes()
        version = task.version
        assert isinstance(version, int)
        return cls(
            task_id=task.task_id,
            name=task.name,
            service_id=task.service_id,
            creator=task.creator,
            executor=task.executor,
            start_time=task.start_time,
            finish_time=task.finish_time,
            operation=task.operation,
            version=version,
            subtask_ids=tuple(s.id for s in task.subtasks),
            subtask_names=tuple(s.name for s in task.subtasks),
            statuses=task.statuses(),
            started=tuple(s.has_started for s in task.subtasks),
            prohibits=tuple(s.prohibit_rollback for s in task.subtasks),
            shape_id=indexes.shape_id,
            shape=indexes.shape,
            index_of=indexes.index_of,
        )

    def apply(self, event: Task.SubtaskEvent | Task.TaskEvent) -> None:
        """Move on by one of the Task's events after its creation, as Task applies it."""
        # One method, the event's meaning read off its class: a rebuild runs this per event.
        if isinstance(event, _SUBTASK_EVENT):
            kind = type(event)
            at = self.index_of[event.subtask_id]
            self.operation, plan = kind.plan(
                event.trigger, self.shape_id, self.shape, self.statuses, self.operation, at
            )
            if kind.STARTS_A_RUN and not self.started[at]:
                self.started = (*self.started[:at], True, *self.started[at + 1 :])
        else:
            self.operation = event.TASK_OPERATION
            plan = event.plan(self.shape_id, self.shape, self.statuses)
        self.statuses = plan.after
        self.finish_time = finished_at(
            self.status is not TaskStatus.RUNNING, self.finish_time, event.timestamp
        )
        self.version = event.originator_version


def creation_status(event: Any) -> TaskStatus:
    """The status of a new task, from its TaskCreated event, without sketching it."""
    return task_status(_creation_statuses(event.subtasks))


def _creation_statuses(specs: list[dict[str, Any]]) -> dag.Statuses:
    return tuple(_STATUS_BY_VALUE[s["status"]] for s in specs)


_STATUS_BY_VALUE = {s.value: s for s in SubtaskStatus}
_SUBTASK_EVENT = Task.SubtaskEvent  # SubtaskStatus(v) is ten times slower
