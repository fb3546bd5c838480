"""The aggregates as the notification log walks them, so a projection sees before and after.

Event `apply` bodies are pure, so re-applying an event to a cached copy gives exactly the state
the repository would load; a miss (or a cache out of step) loads the version just before.
"""

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

CACHE_SIZE = 10_000


class Fold:
    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        self._cache: OrderedDict[UUID, Any] = OrderedDict()

    def forget(self) -> None:
        """After a rolled-back batch the cached states ran ahead of the view: drop them."""
        self._cache.clear()

    def step(self, event: Aggregate.Event, summarise: bool = True) -> tuple[Any, Any]:
        """(a Summary of the aggregate before the event or None, the aggregate after it);
        without `summarise` the Summary is always None (it costs a pass over the subtasks)."""
        key = event.originator_id
        before = self._cache.pop(key, None)
        if event.originator_version == 1:
            before = None
        elif before is None or before.version != event.originator_version - 1:
            before = self._app.repository.get(key, version=event.originator_version - 1)
        summary = None if before is None or not summarise else Summary.of(before)
        after = event.mutate(before)
        self._cache[key] = after
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return summary, after


class Summary:
    """What an audit row compares: the status of the aggregate and of each of its subtasks."""

    def __init__(self, status: str | None, subtasks: dict[int, str]) -> None:
        self.status = status
        self.subtasks = subtasks

    @classmethod
    def of(cls, aggregate: Any) -> "Summary":
        status = getattr(aggregate, "status", None)
        subtasks = {s.id: s.status.value for s in getattr(aggregate, "subtasks", [])}
        return cls(None if status is None else str(status), subtasks)
