"""Every malformed request to the host agent answers a JSON {"error"} and changes nothing."""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from infrastructure.agent.server import start_agent
from infrastructure.agent_client import AgentClient, AgentError

RPM = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
SERVICES = "/agent/v1/services"


@pytest.fixture
async def agent(tmp_path: Path) -> AsyncIterator[tuple[str, aiohttp.ClientSession, Path]]:
    runner, url = await start_agent(tmp_path / "agent", action_seconds=0.01)
    async with aiohttp.ClientSession() as session:
        yield url, session, tmp_path / "agent"
    await runner.cleanup()


BAD = [
    ("POST", f"{SERVICES}/2882/stop", b"not json", 400, "the body is not JSON: "),
    ("POST", f"{SERVICES}/2882/stop", b"[]", 400, "the body must be a JSON object"),
    ("POST", f"{SERVICES}/2882/stop", b"{}", 400, "requestId is required"),
    ("POST", f"{SERVICES}/2882/stop", b'{"requestId": null}', 400, "requestId must not be null"),
    ("POST", f"{SERVICES}/2882/stop", b'{"requestId": 7}', 400, "requestId must be a string"),
    ("POST", f"{SERVICES}/2882/stop", b'{"requestId": ""}', 400, "requestId must be 1 to 200"),
    ("POST", f"{SERVICES}/2882/stop", b'{"requestID": "r"}', 400, "unknown fields: requestID"),
    ("POST", f"{SERVICES}/2882/install", b'{"requestId": "r"}', 400, "rpmName is required"),
    (
        "POST",
        f"{SERVICES}/2882/install",
        b'{"requestId": "r", "rpmName": "../etc/passwd"}',
        400,
        "rpmName is not an rpm file name: '../etc/passwd'",
    ),
    (
        "POST",
        f"{SERVICES}/2882/adopt",
        b'{"requestId": "r", "rpmName": "' + RPM.encode() + b'", "state": "ABSENT"}',
        400,
        "state must be RUNNING or STOPPED",
    ),
    ("POST", f"{SERVICES}/0/stop", b'{"requestId": "r"}', 400, "port must be an integer between"),
    ("POST", f"{SERVICES}/65536/stop", b'{"requestId": "r"}', 400, "port must be an integer"),
    ("GET", f"{SERVICES}/-1", b"", 400, "port must be an integer between 1 and 65535, not '-1'"),
    ("GET", f"{SERVICES}/%D9%A3", b"", 400, "port must be an integer"),  # an Arabic-Indic 3
    ("POST", f"{SERVICES}/2882/reboot", b'{"requestId": "r"}', 404, "no action 'reboot'"),
    ("GET", "/agent/v1/nothing", b"", 404, "Not Found"),
    ("PUT", "/agent/v1/ledger", b"", 405, "Method Not Allowed"),
    ("POST", "/agent/v1/faults", b'{"mode": "fail"}', 400, "action is required"),
    ("POST", "/agent/v1/faults", b'{"action": "adopt", "mode": "fail"}', 400, "action must be"),
    ("POST", "/agent/v1/faults", b'{"action": "stop", "mode": "explode"}', 400, "mode must be"),
    ("POST", "/agent/v1/faults", b'{"action": "stop", "mode": "slow"}', 400, "seconds is required"),
    (
        "POST",
        "/agent/v1/faults",
        b'{"action": "stop", "mode": "fail", "times": 0}',
        400,
        "times must be at least 1",
    ),
    (
        "POST",
        "/agent/v1/faults",
        b'{"action": "stop", "mode": "fail", "port": true}',
        400,
        "port must be an integer",
    ),
    (
        "POST",
        "/agent/v1/faults",
        b'{"action": "stop", "mode": "slow", "seconds": -1}',
        400,
        "seconds must be between 0 and 3600",
    ),
    (
        "POST",
        "/agent/v1/faults",
        b'{"action": "stop", "mode": "fail", "when": "now"}',
        400,
        "unknown fields: when",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "status", "message"), BAD)
async def test_bad_requests_answer_an_error_and_change_nothing(
    agent: tuple[str, aiohttp.ClientSession, Path],
    method: str,
    path: str,
    body: bytes,
    status: int,
    message: str,
) -> None:
    url, session, state_dir = agent
    async with session.request(method, url + path, data=body) as response:
        answer: dict[str, Any] = await response.json()
        assert (response.status, response.content_type) == (status, "application/json")
    assert list(answer) == ["error"]
    assert answer["error"].startswith(message)
    async with AgentClient(url) as client:
        assert await client.ledger() == []
        assert await client.stop(2882, "afterwards") == {  # and no fault was registered
            "port": 2882,
            "state": "ABSENT",
            "rpmName": None,
        }
    assert not (state_dir / "services.json").exists()


async def test_an_unreachable_agent_raises_a_connection_error() -> None:
    async with AgentClient("http://127.0.0.1:9", timeout=2) as client:
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.health()


async def test_an_error_page_that_is_not_json_still_reads_clearly() -> None:
    async def gateway(request: web.Request) -> web.Response:
        return web.Response(status=502, text="Bad Gateway from a proxy")

    app = web.Application()
    app.router.add_get("/agent/v1/health", gateway)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    async with AgentClient(f"http://{host}:{port}") as client:
        with pytest.raises(AgentError) as failed:
            await client.health()
    await runner.cleanup()
    assert (failed.value.status, failed.value.message) == (502, "Bad Gateway from a proxy")
    assert str(failed.value) == "agent answered 502: Bad Gateway from a proxy"
