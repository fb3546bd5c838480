"""A subtask's state inside its Task aggregate, and the task status derived from all of them."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain import dag
from domain.enums import Operation, SubtaskStatus, TaskStatus
from domain.templates import TaskTemplate

_ACTIVE = (SubtaskStatus.READY, SubtaskStatus.RUNNING, SubtaskStatus.CANCELING)


@dataclass
class Subtask:
    id: int
    name: str
    step: str
    timeout: int
    series_id: int
    prohibit_rollback: bool
    prohibit_skip: bool
    upstreams: list[int]
    downstreams: list[int]
    status: SubtaskStatus
    operation: Operation = Operation.EXECUTE
    run_time: int = 1
    attempt: int = 0  # bumped by every start: fences outcomes from older attempts
    executor: str | None = None
    start_time: datetime | None = None
    finish_time: datetime | None = None

    @property
    def has_started(self) -> bool:
        return self.attempt > 0

    def rerun(self, operation: Operation) -> None:
        self.operation = operation
        self.run_time += 1

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "Subtask":
        """A subtask as `TaskCreated` describes it (see `chain_specs`)."""
        # Built directly, not through from_dict: every replay of a task's creation comes here.
        status = SubtaskStatus(spec["status"])
        return cls(**{**spec, "status": status, "operation": Operation.EXECUTE})

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Subtask":
        values = dict(data)
        values["status"] = SubtaskStatus(values["status"])
        values["operation"] = Operation(values["operation"])
        return cls(**values)


def chain_specs(template: TaskTemplate, ids: list[int]) -> list[dict[str, Any]]:
    """The initial subtasks of a chain template as event payloads: entry READY, the rest PENDING."""
    if len(ids) != len(template.subtasks):
        raise ValueError("one id per subtask is needed")
    specs = []
    for index, (spec, subtask_id) in enumerate(zip(template.subtasks, ids, strict=True)):
        specs.append(
            {
                "id": subtask_id,
                "name": spec.name,
                "step": spec.step,
                "timeout": spec.timeout,
                "series_id": spec.series_id,
                "prohibit_rollback": spec.prohibit_rollback,
                "prohibit_skip": spec.prohibit_skip,
                "upstreams": [ids[index - 1]] if index > 0 else [],
                "downstreams": [ids[index + 1]] if index + 1 < len(ids) else [],
                "status": (SubtaskStatus.READY if index == 0 else SubtaskStatus.PENDING).value,
            }
        )
    return specs


def derive_task_status(statuses: Iterable[SubtaskStatus]) -> TaskStatus:
    """RUNNING while anything is READY/RUNNING/CANCELING; else FAILED if any failed; else done."""
    seen = set(statuses)
    if seen.intersection(_ACTIVE):
        return TaskStatus.RUNNING
    if SubtaskStatus.FAILED in seen:
        return TaskStatus.FAILED
    return TaskStatus.SUCCESSFUL


def task_status(statuses: tuple[SubtaskStatus, ...]) -> TaskStatus:
    """`derive_task_status`, remembered per status tuple: replays and views ask it per event."""
    found = _STATUS_OF.get(statuses)
    if found is None:
        found = dag.remember(_STATUS_OF, statuses, derive_task_status(statuses))
    return found


_STATUS_OF: dict[tuple[SubtaskStatus, ...], TaskStatus] = {}


def finished_at(finished: bool, finish_time: datetime | None, now: datetime) -> datetime | None:
    """A task's finish time after an event at `now`: kept while it stays finished."""
    return None if not finished else (finish_time or now)
