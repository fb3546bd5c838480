"""The aggregates as the notification log walks them, so a projection sees before and after.

Tasks are folded as TaskSketches (domain/task_sketch.py: what the views read, from the same
events through the same rules, without the logs) and every other aggregate as itself. Event
`apply` bodies are pure, so re-applying an event to a cached state gives exactly the state the
repository would load; a miss (or a cache out of step) loads the version just before.

Events that record their own transition (Task events since class_version 2) need no fold at all:
the audit log reads their statuses and only asks `subject` for the task's names.
"""

from collections import OrderedDict
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain.task import Task
from domain.task_sketch import TaskSketch

CACHE_SIZE = 10_000  # sketches of the tasks in flight: about a kilobyte each
SUBJECTS_SIZE = 100_000  # a task's names: a few hundred bytes


class TaskSubject(NamedTuple):
    """What an audit row names of a task: fixed when the task is created."""

    task_id: int
    service_id: int
    name: str
    subtask_names: dict[int, str]

    def subtask_name(self, subtask_id: int) -> str:
        return self.subtask_names[subtask_id]


class Fold:
    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        # Keyed by the id's int: a UUID hashes and compares in Python code, an int does not.
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._subjects: dict[int, TaskSubject] = {}

    def forget(self) -> None:
        """After a rolled-back batch the cached states ran ahead of the view: drop them."""
        self._cache.clear()

    def subject(self, event: Aggregate.Event) -> TaskSubject:
        """The names of the event's task, without folding it: from its creation, seen in this
        fold or loaded from the store."""
        key = event.originator_id.int
        found = self._subjects.get(key)
        if found is None:
            if isinstance(event, Task.Created):
                specs = event.subtasks
                names = {spec["id"]: spec["name"] for spec in specs}
                found = TaskSubject(event.task_id, event.service_id, event.name, names)
            else:
                task: Task = self._app.repository.get(event.originator_id, version=1)
                names = {sub.id: sub.name for sub in task.subtasks}
                found = TaskSubject(task.task_id, task.service_id, task.name, names)
            # Names never change, so the oldest entry goes first: tasks are created in order.
            if len(self._subjects) >= SUBJECTS_SIZE:
                del self._subjects[next(iter(self._subjects))]
            self._subjects[key] = found
        return found

    def created(self, event: Task.Created) -> None:
        """A task's creation, remembered unsketched: a rebuild meets most creations long
        before the task's next event, if any, and a sketch maps the task's DAG (the task
        list's largest cost on a store of new tasks). `step` sketches it when that event comes."""
        self._remember(event.originator_id.int, event)

    def step(self, event: Aggregate.Event, compares: bool = False) -> tuple[Any, Any]:
        """(a Summary of the aggregate before the event or None, the aggregate after it);
        without `compares` the Summary is always None (it costs a look at the subtasks)."""
        key = event.originator_id.int
        before = self._cache.pop(key, None)
        if isinstance(before, Task.Created):  # a creation not sketched yet (see `created`)
            before = TaskSketch.created(before)
        if event.originator_version == 1:
            before = None
        elif before is None or before.version != event.originator_version - 1:
            aggregate_id, version = event.originator_id, event.originator_version - 1
            before = self._app.repository.get(aggregate_id, version=version)
            if isinstance(before, Task):
                before = TaskSketch.of(before)
        subtask_id = getattr(event, "subtask_id", None)
        summary = None if before is None or not compares else summarise(before, subtask_id)
        after = _next(before, event)
        self._remember(key, after)
        return summary, after

    def _remember(self, key: int, state: Any) -> None:
        self._cache[key] = state
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)


# What an audit row compares: the status of the aggregate and of the event's subtask. A plain
# tuple: two are made per event of an audit rebuild, and a NamedTuple costs three times more.
Summary = tuple[str | None, str | None]


def summarise(aggregate: Any, subtask_id: int | None) -> Summary:
    # str() of a StrEnum is its value, without the Python-level `.value` descriptor.
    status = getattr(aggregate, "status", None)
    subtask = None if subtask_id is None else aggregate.subtask_status(subtask_id)
    return (None if status is None else str(status)), subtask


def _next(before: Any, event: Aggregate.Event) -> Any:
    if isinstance(event, Task.Created):
        return TaskSketch.created(event)
    if isinstance(before, TaskSketch):
        assert isinstance(event, Task.SubtaskEvent | Task.TaskEvent)
        before.apply(event)
        return before
    return event.mutate(before)
