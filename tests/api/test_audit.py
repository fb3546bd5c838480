"""GET /api/v2/audit/events over a real server (SQLite and PostgreSQL)."""

import orjson

from tests.api.conftest import ADMIN, VIEWER, Api, basic

AUDIT = "/api/v2/audit/events"


async def test_the_audit_log_names_who_did_what_page_by_page(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    head = api.head()

    first = await api.call("GET", f"{AUDIT}?size=3")
    mine = await api.call("GET", f"{AUDIT}?taskId={task.data['id']}")

    assert first.status == 200
    assert first.data["page"] == {
        "totalElements": head,
        "totalPages": (head + 2) // 3,
        "number": 1,
        "size": 3,
    }
    assert [e["position"] for e in first.data["contents"]] == [1, 2, 3]
    created, bound = mine.data["contents"]
    assert (created["operation"], created["actor"], created["statusAfter"]) == (
        "TaskCreated",
        ADMIN[0],
        "RUNNING",
    )
    assert created["traceId"] == task.body["traceId"]
    assert bound["operation"] == "ServiceTaskBound"
    assert bound["serviceId"] == service_id
    assert created["message"] == (
        f"admin created task {task.data['id']} 'Upgrade arbitration service': - -> RUNNING"
    )


async def test_filters_by_trace_actor_and_time(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    trace = task.body["traceId"]
    created = (await api.call("GET", f"{AUDIT}?traceId={trace}")).data["contents"][0]["time"]

    by_trace = await api.call("GET", f"{AUDIT}?traceId={trace}")
    nobody = await api.call("GET", f"{AUDIT}?actor=nobody")
    everything = await api.call("GET", AUDIT)
    later = await api.client.get(AUDIT, params={"since": created}, headers=_auth())
    bad = await api.call("GET", f"{AUDIT}?since=yesterday")

    assert [e["operation"] for e in by_trace.data["contents"]] == [
        "TaskCreated",
        "ServiceTaskBound",
    ]
    assert nobody.data["contents"] == []
    assert nobody.data["page"]["totalElements"] == 0
    assert everything.data["page"]["totalElements"] == api.head()
    assert [e["traceId"] for e in (await later.json())["data"]["contents"]] == [trace, trace]
    assert bad.status == 400
    assert bad.error["code"] == 10001
    assert bad.error["subErrors"][0]["field"] == "since"


async def test_ndjson_streams_the_whole_matching_log(api: Api, service_id: int) -> None:
    await api.upgrade(service_id)

    async with api.client.get(AUDIT, headers={**_auth(), "Accept": "application/x-ndjson"}) as r:
        body = await r.read()
        content_type = r.content_type

    lines = [orjson.loads(line) for line in body.splitlines()]
    assert content_type == "application/x-ndjson"
    assert [e["position"] for e in lines] == list(range(1, api.head() + 1))
    assert lines[-1]["operation"] == "ServiceTaskBound"


async def test_the_audit_log_needs_audit_view(api: Api, service_id: int) -> None:
    refused = await api.call("GET", AUDIT, user=VIEWER)

    assert refused.status == 403
    assert refused.error["code"] == 30014


def _auth() -> dict[str, str]:
    return {"Authorization": basic(ADMIN)}
