"""What an upgrade leaves in the store: events that carry the actor and the request's traceId."""

import re
from typing import Any

from tests.api.conftest import ADMIN, NEW_RPM, OPERATOR, Api

TRACE_ID = re.compile(r"^[0-9a-f]{16}$")


def stored_events(api: Api, topics: tuple[str, ...] = ()) -> list[Any]:
    """Every event in the notification log (raw records, decoded by the app's own mapper)."""
    recorder, mapper = api.arbiter.recorder, api.arbiter.mapper
    notifications = recorder.select_notifications(start=None, limit=100_000, topics=topics)
    return [mapper.to_domain_event(n) for n in notifications]


def task_count(api: Api) -> int:
    return len(stored_events(api, ("arbiter:TaskCreated",)))


async def test_every_stored_event_carries_actor_and_trace_id(api: Api, service_id: int) -> None:
    reply = await api.upgrade(service_id, token="events-token")
    assert reply.status == 200, reply.body

    events = stored_events(api)

    assert events, "the seed and the upgrade recorded events"
    for event in events:
        assert event.actor == ADMIN[0], event
        assert TRACE_ID.match(event.trace_id), event
    topics = sorted(type(e).TOPIC for e in events if e.trace_id == reply.body["traceId"])
    assert topics == [
        "arbiter:ClientTokenRegistered",
        "arbiter:ServiceTaskBound",
        "arbiter:TaskCreated",
    ]


async def test_signed_request_records_its_user(api: Api, service_id: int) -> None:
    reply = await api.signed(
        "POST", f"/api/v2/arbitration/services/{service_id}/upgrade", {"rpmName": NEW_RPM}
    )

    assert reply.status == 200, reply.body
    assert reply.data["creator"] == OPERATOR[0]
    recorded = [e for e in stored_events(api) if e.trace_id == reply.body["traceId"]]
    assert len(recorded) == 2
    assert {e.actor for e in recorded} == {OPERATOR[0]}
