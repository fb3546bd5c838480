"""Evolving an event (docs/events.md): an old stored version is upcast when it is read back,
by the repository and by the projections alike."""

from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import pytest
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from domain.ids import task_uuid
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.queries import AuditFilter, Paged
from tests.integration.projection_story import retried_then_rolled_back
from tests.model.checks import task_fingerprint
from tests.stores import store_of


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


# What Task events gained in version 2: the transition each one made.
_TRANSITION = ("status_before", "status_after", "task_status_before", "task_status_after")


def _version_1(stored: StoredEvent) -> StoredEvent:
    """A Task event as the code before version 2 stored it: no transition, no class_version,
    an outcome's lines as plain text."""
    state = orjson.loads(stored.state)
    assert state.pop("class_version") == (3 if "subtask_id" in state else 2)
    if "log" in state:
        state["log"] = [line["message"] for line in state["log"]]
    for name in _TRANSITION[2:] if "subtask_id" not in state else _TRANSITION:
        del state[name]
    return StoredEvent(
        stored.originator_id, stored.originator_version, stored.topic, orjson.dumps(state)
    )


@pytest.mark.parametrize("stored_before_v2", ["every task event", "the first half"])
def test_task_events_stored_before_version_2_tell_the_same_story(
    arbiter: ArbiterApp, store_kind: str, tmp_path: Path, stored_before_v2: str
) -> None:
    """A task whose events (all of them, or those before an upgrade of arbiter in the middle of
    the task) lack the recorded transition loads the same and reads the same in the audit log:
    the audit folds the task for them instead."""
    task_id = retried_then_rolled_back(arbiter)
    log = arbiter.recorder.select_notifications(0, 1000)
    changes = [n for n in log if n.originator_id == task_uuid(task_id) and n.originator_version > 1]
    old = changes if stored_before_v2 == "every task event" else changes[: len(changes) // 2]
    old_ids = {n.id for n in old}
    with store_of(store_kind, tmp_path / "older") as config:
        older = ArbiterApp(config, "10.0.0.1")
        try:
            older.recorder.insert_events(
                [_version_1(n) if n.id in old_ids else _stored(n) for n in log]
            )
            read_back = older.mapper.to_domain_event(
                older.recorder.select_notifications(old[0].id, 1)[0]
            )
            assert read_back.task_status_after is None  # type: ignore[attr-defined]  # upcast
            assert task_fingerprint(older.get_task(task_id)) == task_fingerprint(
                arbiter.get_task(task_id)
            )
            assert _audit(older) == _audit(arbiter)
        finally:
            older.close()


def _stored(notification: StoredEvent) -> StoredEvent:
    n = notification
    return StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)


def _audit(arbiter: ArbiterApp) -> list[dict[str, Any]]:
    return arbiter.audit_events(AuditFilter(), Paged(1, None)).rows
