"""What a projection is: its tables, the events it reads, and how one event changes its rows."""

from typing import Protocol

from eventsourcing.domain import Aggregate

from infrastructure.projections.db import Tx
from infrastructure.projections.fold import Fold, Need


class Projection(Protocol):
    name: str
    shape: int  # the version of its tables: a new shape is rebuilt from the events on start
    topics: tuple[str, ...]  # the stored topics it reads; () reads every event
    tables: tuple[str, ...]  # emptied by a rebuild
    indexes: tuple[tuple[str, str], ...]  # (table, column): dropped during a rebuild

    def create(self, tx: Tx) -> None: ...

    def needs(self, event: Aggregate.Event) -> Need:
        """What `apply` will ask `fold` about `event` (the fold reads it ahead)."""

    def apply(self, tx: Tx, position: int, event: Aggregate.Event, fold: Fold) -> None:
        """Write what `event` changes; `fold` gives the aggregates around it, when needed."""


def topics_of(*aggregates: type[Aggregate]) -> tuple[str, ...]:
    """The pinned topics of every event class nested in the aggregates."""
    found = []
    for aggregate in aggregates:
        for value in vars(aggregate).values():
            if isinstance(value, type) and issubclass(value, Aggregate.Event):
                found.append(value.TOPIC)  # type: ignore[attr-defined]
    return tuple(sorted(found))
