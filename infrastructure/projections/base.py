"""What a projection is: its tables, the events it reads, and how one event changes its rows."""

from typing import Any, Protocol

from eventsourcing.domain import Aggregate

from infrastructure.projections.db import Tx
from infrastructure.projections.fold import Summary


class Projection(Protocol):
    name: str
    topics: tuple[str, ...]  # the stored topics it reads; () reads every event
    tables: tuple[str, ...]  # emptied by a rebuild
    indexes: tuple[tuple[str, str], ...]  # (table, column): dropped during a rebuild
    compares: bool  # reads `before`; else apply is given None, which saves summarising

    def create(self, tx: Tx) -> None: ...

    def apply(
        self,
        tx: Tx,
        position: int,
        event: Aggregate.Event,
        before: Summary | None,
        after: Any,
    ) -> None: ...


def topics_of(*aggregates: type[Aggregate]) -> tuple[str, ...]:
    """The pinned topics of every event class nested in the aggregates."""
    found = []
    for aggregate in aggregates:
        for value in vars(aggregate).values():
            if isinstance(value, type) and issubclass(value, Aggregate.Event):
                found.append(value.TOPIC)  # type: ignore[attr-defined]
    return tuple(sorted(found))
