"""The aggregates as the notification log walks them, so a projection sees before and after.

Event `apply` bodies are pure, so re-applying an event to a cached copy gives exactly the state
the repository would load; a miss (or a cache out of step) loads the version just before.
"""

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

CACHE_SIZE = 1000


class Fold:
    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        self._cache: OrderedDict[UUID, Any] = OrderedDict()

    def forget(self) -> None:
        """After a rolled-back batch the cached states ran ahead of the view: drop them."""
        self._cache.clear()

    def step(self, event: Aggregate.Event, compares: bool = True) -> tuple[Any, Any]:
        """(a Summary of the aggregate before the event or None, the aggregate after it);
        without `compares` the Summary is always None (it costs a look at the subtasks)."""
        key = event.originator_id
        before = self._cache.pop(key, None)
        if event.originator_version == 1:
            before = None
        elif before is None or before.version != event.originator_version - 1:
            before = self._app.repository.get(key, version=event.originator_version - 1)
        subtask_id = getattr(event, "subtask_id", None)
        summary = None if before is None or not compares else summarise(before, subtask_id)
        after = event.mutate(before)
        self._cache[key] = after
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return summary, after


# What an audit row compares: the status of the aggregate and of the event's subtask. A plain
# tuple: two are made per event of an audit rebuild, and a NamedTuple costs three times more.
Summary = tuple[str | None, str | None]


def summarise(aggregate: Any, subtask_id: int | None) -> Summary:
    status = getattr(aggregate, "status", None)
    subtask = None if subtask_id is None else aggregate.subtask(subtask_id).status.value
    return (None if status is None else status.value), subtask
