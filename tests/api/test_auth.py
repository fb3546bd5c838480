"""Authentication (Basic, OCP HMAC-SHA1 access keys) and permissions, over a real server."""

import base64
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tests.api.conftest import ADMIN, NEW_RPM, OPERATOR, VIEWER, Api


def upgrade_path(service_id: int) -> str:
    return f"/api/v2/arbitration/services/{service_id}/upgrade"


def http_date(offset: timedelta) -> str:
    return format_datetime(datetime.now(UTC) + offset, usegmt=True)


async def test_no_credentials_is_30000(api: Api, service_id: int) -> None:
    head = api.head()

    reply = await api.call("POST", upgrade_path(service_id), {"rpmName": NEW_RPM}, user=None)
    listing = await api.call("GET", "/api/v2/arbitration/services", user=None)

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert (listing.status, listing.error["code"]) == (401, 30000)
    assert api.head() == head


async def test_user_without_arbitration_update_is_30014(api: Api, service_id: int) -> None:
    head = api.head()

    reply = await api.upgrade(service_id, user=VIEWER)

    assert (reply.status, reply.error["code"]) == (403, 30014)
    assert "ARBITRATION:UPDATE" in reply.error["message"]
    assert api.head() == head


async def test_viewer_may_read(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id, user=OPERATOR)

    reply = await api.call("GET", f"/api/v2/tasks/instances/{task.data['id']}", user=VIEWER)

    assert reply.status == 200
    assert reply.data["creator"] == OPERATOR[0]


BAD_AUTHORIZATIONS = [
    "Basic " + base64.b64encode(f"{ADMIN[0]}:wrong".encode()).decode(),
    "Basic " + base64.b64encode(b"nobody:admin-secret").decode(),
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"\xff\xfe:x").decode(),
    "Bearer abc",
    "OCP-ACCESS-KEY-HMACSHA1 unknown-key:c2lnbmF0dXJl",
    "OCP-ACCESS-KEY-HMACSHA1 AK-ops-1",
]


async def test_bad_credentials_are_401(api: Api, service_id: int) -> None:
    head = api.head()
    for authorization in BAD_AUTHORIZATIONS:
        headers = {"Authorization": authorization}

        reply = await api.upgrade(service_id, user=None, headers=headers)

        assert (reply.status, reply.error["code"]) == (401, 30000), authorization
    assert api.head() == head


async def test_correctly_signed_request_succeeds(api: Api, service_id: int) -> None:
    reply = await api.signed("POST", upgrade_path(service_id), {"rpmName": NEW_RPM})

    assert reply.status == 200, reply.body
    assert reply.data["creator"] == OPERATOR[0]


async def test_signed_get_with_query(api: Api, service_id: int) -> None:
    path = "/api/v2/arbitration/services"

    reply = await api.signed("GET", path, None, query={"size": "5", "keyword": "arb"})

    assert reply.status == 200, reply.body
    assert [s["id"] for s in reply.data["contents"]] == [service_id]


async def test_bad_signature_is_401(api: Api, service_id: int) -> None:
    head = api.head()

    reply = await api.signed(
        "POST", upgrade_path(service_id), {"rpmName": NEW_RPM}, secret="not-the-secret"
    )

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert "signature" in reply.error["message"]
    assert api.head() == head


async def test_signature_covers_the_body(api: Api, service_id: int) -> None:
    reply = await api.signed(
        "POST", upgrade_path(service_id), {"rpmName": NEW_RPM}, tamper={"rpmName": "x" * 10}
    )

    assert (reply.status, reply.error["code"]) == (401, 30000)


@pytest.mark.parametrize(
    "offset", [timedelta(minutes=-16), timedelta(minutes=16), timedelta(days=-365)]
)
async def test_date_more_than_15_minutes_off_is_401(
    api: Api, service_id: int, offset: timedelta
) -> None:
    reply = await api.signed(
        "POST", upgrade_path(service_id), {"rpmName": NEW_RPM}, date=http_date(offset)
    )

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert "15 minutes" in reply.error["message"]


async def test_date_within_15_minutes_is_accepted(api: Api, service_id: int) -> None:
    reply = await api.signed(
        "POST",
        upgrade_path(service_id),
        {"rpmName": NEW_RPM},
        date=http_date(timedelta(minutes=-14)),
    )

    assert reply.status == 200, reply.body


@pytest.mark.parametrize("date", ["", "yesterday"])
async def test_missing_or_garbled_date_is_401(api: Api, service_id: int, date: str) -> None:
    reply = await api.signed("POST", upgrade_path(service_id), {"rpmName": NEW_RPM}, date=date)

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert "Date" in reply.error["message"]


async def test_openapi_document_is_public(api: Api) -> None:
    async with api.client.get("/api/v2/openapi.json") as response:
        document = await response.json()

    assert response.status == 200
    assert document["openapi"] == "3.1.0"
    assert "/api/v2/arbitration/services/{id}/upgrade" in document["paths"]
