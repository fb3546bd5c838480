"""Hostile credentials and header bytes: every one is 401 / 30000 in the envelope, and the
server logs no traceback for it.

The requests go out as raw bytes over a socket: HTTP clients refuse to send header values
that are not latin-1, and these tests are about exactly such bytes. aiohttp keeps bytes that
are not UTF-8 as surrogates in the header's str, which is what used to reach a 500.
"""

import asyncio
import base64
import logging
from collections.abc import Sequence
from email.utils import formatdate

import orjson
import pytest

from tests.api.conftest import ACCESS_KEY, ADMIN, Api, Reply
from tests.api.contract import assert_conforms

HOSTS = "/api/v2/compute/hosts"
HMAC = b"OCP-ACCESS-KEY-HMACSHA1 "


async def raw_request(
    api: Api, headers: Sequence[bytes], method: str = "GET", path: str = HOSTS
) -> Reply:
    """One request of exactly these header lines (plus Host, unless given, and Connection)."""
    reader, writer = await asyncio.open_connection(api.client.host, api.client.port)
    host = [] if any(h.lower().startswith(b"host:") for h in headers) else [b"Host: arbiter"]
    lines = [f"{method} {path} HTTP/1.1".encode(), *host, *headers, b"Connection: close"]
    writer.write(b"\r\n".join([*lines, b"", b""]))
    await writer.drain()
    answer = await reader.read()
    writer.close()
    await writer.wait_closed()
    head, _, payload = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    body = orjson.loads(payload)
    assert_conforms(method, path, status, body)
    assert body["status"] == status
    return Reply(status, body, {})


@pytest.fixture
def server_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


def assert_no_trace(log: pytest.LogCaptureFixture) -> None:
    bad = [r for r in log.records if r.exc_info or r.levelno >= logging.ERROR]
    assert bad == [], [r.getMessage() for r in bad]


def date() -> bytes:
    return f"Date: {formatdate(usegmt=True)}".encode()


def hmac_with(signature: bytes, key: bytes = ACCESS_KEY[0].encode()) -> bytes:
    return b"Authorization: " + HMAC + key + b":" + signature


BASIC_CREDENTIALS = {
    "non-ascii": b"Basic \xc3\xa9",
    "undecodable byte": b"Basic \xff",
    "not base64": b"Basic !!!not-base64!!!",
    "base64 of a non-utf-8 user": b"Basic " + base64.b64encode(b"\xff\xfe:x"),
    "base64 of non-ascii, utf-8 credentials": b"Basic " + base64.b64encode("é:ü".encode()),
    "empty": b"Basic ",
}


@pytest.mark.parametrize("credentials", BASIC_CREDENTIALS.values(), ids=BASIC_CREDENTIALS.keys())
async def test_hostile_basic_credentials_are_401(
    api: Api, server_log: pytest.LogCaptureFixture, credentials: bytes
) -> None:
    reply = await raw_request(api, [b"Authorization: " + credentials])

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert_no_trace(server_log)


HMAC_CREDENTIALS = {
    "non-ascii signature": hmac_with("é".encode()),
    "undecodable signature": hmac_with(b"\xff\xfe"),
    "not base64": hmac_with(b"junk"),
    "non-ascii key id": hmac_with(b"c2ln", key="é".encode()),
    "undecodable key id": hmac_with(b"c2ln", key=b"\xff"),
}


@pytest.mark.parametrize("credentials", HMAC_CREDENTIALS.values(), ids=HMAC_CREDENTIALS.keys())
async def test_hostile_hmac_credentials_are_401(
    api: Api, server_log: pytest.LogCaptureFixture, credentials: bytes
) -> None:
    reply = await raw_request(api, [credentials, date()])

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert_no_trace(server_log)


# Each signed header, in turn, with a byte that is not UTF-8.
UNDECODABLE_HEADERS = {
    "x-ocp-origin": b"x-ocp-origin: ocp\xffclient",
    "Content-Type": b"Content-Type: application/json\xff",
    "Date": b"Date: Mon, 23 Dec 2024 \xff12:52:58 GMT",
    "Host": b"Host: arbiter\xff:8080",
}


@pytest.mark.parametrize("header", UNDECODABLE_HEADERS.values(), ids=UNDECODABLE_HEADERS.keys())
async def test_undecodable_bytes_in_a_signed_header_are_401(
    api: Api, server_log: pytest.LogCaptureFixture, header: bytes
) -> None:
    name = header.partition(b":")[0]
    # Junk or not, the signature is checked only after the string to sign is built.
    others = [date()] if name != b"Date" else []

    reply = await raw_request(api, [hmac_with(b"c2lnbmF0dXJl"), header, *others])

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert_no_trace(server_log)


@pytest.mark.parametrize("header", UNDECODABLE_HEADERS.values(), ids=UNDECODABLE_HEADERS.keys())
async def test_undecodable_header_bytes_with_basic(
    api: Api, server_log: pytest.LogCaptureFixture, header: bytes
) -> None:
    """Basic signs no header: wrong credentials are 401, right ones are served."""
    wrong = b"Authorization: Basic " + base64.b64encode(f"{ADMIN[0]}:wrong".encode())
    right = b"Authorization: Basic " + base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode())

    refused = await raw_request(api, [wrong, header])
    served = await raw_request(api, [right, header])

    assert (refused.status, refused.error["code"]) == (401, 30000)
    assert served.status == 200
    assert_no_trace(server_log)


@pytest.mark.parametrize("date_value", ["Mon, 01 Jan 99999999999 00:00:00 GMT", "Mon, 1 Jan"])
async def test_impossible_dates_are_401(
    api: Api, server_log: pytest.LogCaptureFixture, date_value: str
) -> None:
    reply = await raw_request(api, [hmac_with(b"c2ln"), f"Date: {date_value}".encode()])

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert "Date" in reply.error["message"]
    assert_no_trace(server_log)


async def test_utf8_in_a_signed_header_is_signed_as_utf8(api: Api) -> None:
    """Text that is valid UTF-8 is no attack: a client that signs it as UTF-8 gets in."""
    reply = await api.signed("GET", HOSTS, None, ocp_headers={"x-ocp-origin": "client é ü"})

    assert reply.status == 200, reply.body
