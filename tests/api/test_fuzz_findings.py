"""What fuzzing the API against docs/openapi.yaml found (docs/testing.md), one test each, so
that a regression shows here by name and not only in a fuzz run."""

import asyncio
import logging

import pytest

from api.errors import MalformedRequests
from tests.api.conftest import OLD_RPM, Api

SERVICES = "/api/v2/arbitration/services"
AUDIT = "/api/v2/audit/events"
LONG = 2**63 - 1


async def test_a_405_names_the_allowed_methods(api: Api, service_id: int) -> None:
    wrong = await api.call("GET", f"{SERVICES}/{service_id}/upgrade")
    trace = await api.call("TRACE", SERVICES)

    assert (wrong.status, wrong.error["code"]) == (405, 10004)
    assert wrong.headers["Allow"] == "POST"
    assert (trace.status, trace.error["code"]) == (405, 10004)
    assert set(trace.headers["Allow"].split(",")) == {"GET", "HEAD", "POST"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("svrPort", 0, "must be between 1 and 65535"),
        ("svrPort", 65536, "must be between 1 and 65535"),
        ("svrPort", 4033631340, "must be between 1 and 65535"),
        ("hostId", -1, f"must be between 0 and {LONG}"),
        ("hostId", LONG + 1, f"must be between 0 and {LONG}"),
        ("svrPort", 2883.5, "must be an integer"),
    ],
)
async def test_integer_fields_out_of_range_are_10001(
    api: Api, service_id: int, field: str, value: object, message: str
) -> None:
    host_id = (await api.call("GET", f"{SERVICES}/{service_id}")).data["hostId"]
    body = {"name": "arb-2", "hostId": host_id, "svrPort": 2883, "rpmName": OLD_RPM, field: value}
    head = api.head()

    for path in (f"{SERVICES}/register", SERVICES):
        reply = await api.call("POST", path, body)

        assert (reply.status, reply.error["code"]) == (400, 10001)
        assert reply.error["subErrors"] == [
            {"object": path, "field": field, "rejectedValue": value, "message": message}
        ]
    assert api.head() == head


async def test_ids_are_whole_longs(api: Api, service_id: int) -> None:
    """Ids are Java Longs: all 19 digits of the largest are an id (not found), one more is not."""
    largest = await api.call("GET", f"{SERVICES}/{LONG}")
    beyond = await api.call("GET", f"{SERVICES}/{LONG + 1}")
    audit = await api.call("GET", f"{AUDIT}?taskId={LONG}")

    assert (largest.status, largest.error["code"]) == (404, 10002)
    assert (beyond.status, beyond.error["subErrors"][0]["field"]) == (400, "id")
    assert audit.status == 200


@pytest.mark.parametrize(
    "since",
    [
        "20241223T205259%2B08:00",  # ISO 8601's basic format: fromisoformat() took it
        "2024-12-23T20:52:59%2B0800",  # an offset without its colon
        "2024-W52-1T20:52:59%2B08:00",  # a week date
        "2024-12-23 20:52:59%2B08:00",
        "2024-12-23T20:52:59",  # no offset
        "2024-13-23T20:52:59Z",  # well-formed, impossible
    ],
)
async def test_times_are_rfc_3339_with_an_offset(api: Api, service_id: int, since: str) -> None:
    reply = await api.call("GET", f"{AUDIT}?since={since}")

    assert (reply.status, reply.error["subErrors"][0]["field"]) == (400, "since")


async def test_the_times_the_document_allows_are_accepted(api: Api, service_id: int) -> None:
    for since in (
        "2024-12-23T20:52:59Z",
        "2024-12-23T20:52:59.123456-05:30",
        " 2024-12-23T20:52:59Z",
    ):
        reply = await api.call("GET", f"{AUDIT}?since={since.replace('+', '%2B')}")

        assert reply.status == 200, (since, reply.body)


async def test_an_rpm_name_with_spaces_around_it_is_not_well_formed(
    api: Api, service_id: int
) -> None:
    """The upgrade alone used to strip the name; register, create and the registry do not."""
    reply = await api.upgrade(service_id, f" {OLD_RPM} ")

    assert (reply.status, reply.error["code"]) == (400, 10001)
    assert "not a well-formed" in reply.error["message"]


async def test_malformed_http_is_one_warning_line(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    """aiohttp answers a NUL in a header itself (a plain 400: no handler sees the request) and
    logged the parser's traceback at ERROR; `arbiter serve` installs MalformedRequests."""
    caplog.set_level(logging.INFO)
    server_log = logging.getLogger("aiohttp.server")
    server_log.addFilter(quiet := MalformedRequests())
    try:
        reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
        writer.write(b"GET /api/v2/openapi.json HTTP/1.1\r\nHost: a\r\nX-Probe: \x00\r\n\r\n")
        answer = await reader.read()
        writer.close()
        await writer.wait_closed()
    finally:
        server_log.removeFilter(quiet)

    assert answer.split(b"\r\n")[0].endswith(b" 400 Bad Request")
    records = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert [(r.levelname, r.exc_info) for r in records] == [("WARNING", None)]
    assert "malformed HTTP: Invalid header value char" in records[0].getMessage()


async def test_get_on_the_register_route_is_405(api: Api, service_id: int) -> None:
    """It was read as GET .../services/{id} with the id "register": 400."""
    reply = await api.call("GET", f"{SERVICES}/register")

    assert (reply.status, reply.error["code"]) == (405, 10004)
    assert reply.headers["Allow"] == "POST"


async def test_an_empty_parameter_is_one_left_out(api: Api, service_id: int) -> None:
    """The server always read them so; the document now says it (it said integer, time)."""
    everything = await api.call("GET", AUDIT)
    empty = await api.call("GET", f"{AUDIT}?since=&until=%20&taskId=&page=&size=")

    assert empty.data == everything.data
    assert empty.data["page"]["number"] == 1
    assert empty.data["page"]["size"] == 10
