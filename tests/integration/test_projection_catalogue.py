"""docs/events.md names every stored event class by its pinned topic."""

from pathlib import Path

from eventsourcing.domain import Aggregate

from infrastructure.use_cases.application import ALL_AGGREGATES

CATALOGUE = Path(__file__).resolve().parents[2] / "docs" / "events.md"
BASES = {"Event", "SubtaskEvent", "RunEnded", "TaskEvent"}  # abstract: never stored


def test_every_event_class_is_in_the_catalogue() -> None:
    text = CATALOGUE.read_text()
    topics = {
        value.TOPIC
        for aggregate in ALL_AGGREGATES
        for value in vars(aggregate).values()
        if isinstance(value, type)
        and issubclass(value, Aggregate.Event)
        and value.TOPIC.rpartition(".")[2] not in BASES
    }

    assert len(topics) == 21
    assert sorted(t for t in topics if f"`{t}`" not in text) == []
