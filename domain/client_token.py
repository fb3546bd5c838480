"""Idempotent requests: a clientToken remembers the request it was first used for."""

import hashlib
import json
import re

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.caller import Caller
from domain.errors import ClientTokenConflict, FieldError, IllegalArgument
from domain.ids import client_token_uuid

# fullmatch: `$` with match() would let a trailing newline through.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")


def validate_token(token: str) -> str:
    if not _TOKEN.fullmatch(token):
        message = "clientToken must be 8 to 64 letters, digits, '-' or '_'"
        raise IllegalArgument(message, [FieldError("clientToken", token, message)])
    return token


def fingerprint(request: dict[str, object]) -> str:
    """A stable digest of what a request asks for, to tell a replay from a different request."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class ClientToken(Aggregate):
    TOPIC = "arbiter:ClientToken"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:ClientToken.Event"
        actor: str
        trace_id: str

    class Snapshot(BaseSnapshot):
        TOPIC = "arbiter:ClientToken.Snapshot"

    class Registered(Event, Aggregate.Created):
        TOPIC = "arbiter:ClientTokenRegistered"
        token: str
        fingerprint: str
        task_id: int

        def apply(self, aggregate: "ClientToken") -> None:
            aggregate.token = self.token
            aggregate.fingerprint = self.fingerprint
            aggregate.task_id = self.task_id

    token: str
    fingerprint: str
    task_id: int

    def __init__(self) -> None:
        """State is set by `Registered.apply`."""

    @classmethod
    def register(cls, token: str, fingerprint: str, task_id: int, caller: Caller) -> "ClientToken":
        return cls._create(
            cls.Registered,
            id=client_token_uuid(token),
            token=token,
            fingerprint=fingerprint,
            task_id=task_id,
            actor=caller.actor,
            trace_id=caller.trace_id,
        )

    def task_for(self, fingerprint: str) -> int:
        """The task this token created, provided it is asked for by the same request."""
        if fingerprint != self.fingerprint:
            raise ClientTokenConflict(
                f"clientToken {self.token!r} was already used for a different request "
                f"(task {self.task_id})"
            )
        return self.task_id
