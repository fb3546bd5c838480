"""The aggregates as the notification log walks them, so a projection sees before and after.

Tasks are folded as TaskSketches (domain/task_sketch.py: what the views read, from the same
events through the same rules, without the logs) and every other aggregate as itself. Event
`apply` bodies are pure, so re-applying an event to a cached state gives exactly the state the
repository would load; a miss (or a cache out of step) loads the version just before.
"""

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain.task import Task
from domain.task_sketch import TaskSketch

CACHE_SIZE = 10_000  # sketches of the tasks in flight: about a kilobyte each


class Fold:
    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        # Keyed by the id's int: a UUID hashes and compares in Python code, an int does not.
        self._cache: OrderedDict[int, Any] = OrderedDict()

    def forget(self) -> None:
        """After a rolled-back batch the cached states ran ahead of the view: drop them."""
        self._cache.clear()

    def step(self, event: Aggregate.Event, compares: bool = True) -> tuple[Any, Any]:
        """(a Summary of the aggregate before the event or None, the aggregate after it);
        without `compares` the Summary is always None (it costs a look at the subtasks)."""
        key = event.originator_id.int
        before = self._cache.pop(key, None)
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
        self._cache[key] = after
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return summary, after


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
        before.apply(event)
        return before
    return event.mutate(before)
