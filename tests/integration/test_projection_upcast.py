"""Evolving an event (docs/events.md): an old stored version is upcast when it is read back,
by the repository and by the projections alike."""

from typing import Any
from uuid import uuid4

import orjson
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from infrastructure.app import ArbiterApp
from infrastructure.projections.use_cases import AuditFilter, Paged


class Note(Aggregate):
    TOPIC = "tests:Note"

    class Created(Aggregate.Created):
        """Version 2 added `author`; version 1 events were stored without it."""

        TOPIC = "tests:NoteCreated"
        class_version = 2
        text: str
        author: str
        actor: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["author"] = "unknown (written before v2)"

    def __init__(self, text: str, author: str, actor: str) -> None:
        self.text = text
        self.author = author

    @classmethod
    def write(cls, text: str, author: str) -> "Note":
        return cls._create(cls.Created, id=uuid4(), text=text, author=author, actor=author)


def _stored_as_version_1(arbiter: ArbiterApp, note: Note) -> StoredEvent:
    """The note's creation as the code of version 1 stored it: no author, no class_version."""
    current = arbiter.mapper.to_stored_event(note.collect_events()[0])
    state = orjson.loads(current.state)
    assert state.pop("class_version") == 2  # what version 2 writes
    del state["author"]
    return StoredEvent(
        originator_id=current.originator_id,
        originator_version=current.originator_version,
        topic=current.topic,
        state=orjson.dumps(state),
    )


def test_an_old_stored_version_is_upcast_when_read(arbiter: ArbiterApp) -> None:
    old = Note.write("written by version 1", "bob")  # v1 had an actor, no author
    arbiter.recorder.insert_events([_stored_as_version_1(arbiter, old)])
    new = Note.write("written by version 2", "alice")
    arbiter.save(new)

    loaded_old = arbiter.repository.get(old.id)
    loaded_new = arbiter.repository.get(new.id)

    assert (loaded_old.text, loaded_old.author) == (
        "written by version 1",
        "unknown (written before v2)",
    )
    assert (loaded_new.text, loaded_new.author) == ("written by version 2", "alice")
    rows = arbiter.audit_events(AuditFilter(), Paged(1, None)).rows
    assert [(r["kind"], r["operation"], r["actor"]) for r in rows] == [
        ("Note", "NoteCreated", "bob"),
        ("Note", "NoteCreated", "alice"),
    ]
