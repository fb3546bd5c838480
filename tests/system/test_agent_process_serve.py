"""`arbiter serve --demo` as a real process embeds its host agent: the demo upgrade really runs on
it, and a restarted server finds the host as the tasks left it (the demo does not re-declare it)."""

import asyncio
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from tests.system.demo_server import ADMIN, demo_server

pytestmark = pytest.mark.system

OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"
AUTH = {"Authorization": aiohttp.encode_basic_auth(*ADMIN)}


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url, headers=AUTH) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["data"]


async def _demo_service(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    services = await _get(session, f"{base}/api/v2/arbitration/services")
    service: dict[str, Any] = services["contents"][0]
    return service


def _agent_files(data_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    services = orjson.loads((data_dir / "agent" / "services.json").read_bytes())["services"]
    lines = (data_dir / "agent" / "ledger.jsonl").read_bytes().splitlines()
    return services, [orjson.loads(line) for line in lines]


async def test_the_demo_upgrade_runs_on_the_embedded_agent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with aiohttp.ClientSession() as session:
        with demo_server(data_dir) as server:
            base = server.url
            service = await _demo_service(session, base)
            assert (service["status"], service["rpmName"]) == ("RUNNING", OLD)
            assert _agent_files(data_dir)[0] == {"2882": {"state": "RUNNING", "rpmName": OLD}}
            async with session.post(
                f"{base}/api/v2/arbitration/services/{service['id']}/upgrade",
                json={"rpmName": NEW},
                headers=AUTH,
            ) as response:
                assert response.status == 200, await response.text()
                task_id = (await response.json())["data"]["id"]
            deadline = time.monotonic() + 20
            while (task := await _get(session, f"{base}/api/v2/tasks/instances/{task_id}"))[
                "status"
            ] == "RUNNING":
                assert time.monotonic() < deadline, task
                await asyncio.sleep(0.1)
            assert task["status"] == "SUCCESSFUL"
        services, ledger = _agent_files(data_dir)
        assert services == {"2882": {"state": "RUNNING", "rpmName": NEW}}
        assert [(e["action"], e["outcome"]) for e in ledger] == [
            ("adopt", "ok"),
            ("stop", "ok"),
            ("install", "ok"),
            ("start", "ok"),
        ]
        with demo_server(data_dir) as server:  # the same data directory again
            service = await _demo_service(session, server.url)
            assert (service["status"], service["rpmName"]) == ("RUNNING", NEW)
        assert _agent_files(data_dir) == (services, ledger)
