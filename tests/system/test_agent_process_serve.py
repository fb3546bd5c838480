"""`arbiter serve --demo` as a real process embeds its host agent: the demo upgrade really runs on
it, and a restarted server finds the host as the tasks left it (the demo does not re-declare it)."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

pytestmark = pytest.mark.system

OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"
PASSWORD = "demo-password"
AUTH = {"Authorization": aiohttp.encode_basic_auth("admin", PASSWORD)}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(data_dir: Path) -> Iterator[str]:
    port = _free_port()
    arbiter = Path(sys.executable).parent / "arbiter"
    env = {**os.environ, "ARBITER_ADMIN_PASSWORD": PASSWORD, "ARBITER_POLL_SECONDS": "0.1"}
    env.pop("ARBITER_DATABASE_URL", None)  # the embedded default: SQLite under data_dir
    with (data_dir.parent / "serve.log").open("ab") as log:
        process = subprocess.Popen(
            [str(arbiter), "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log,
            stderr=log,
            env=env,
        )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url, headers=AUTH) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["data"]


async def _demo_service(session: aiohttp.ClientSession, base: str) -> dict[str, Any]:
    """The demo service, once the server answers and has seeded it (bounded wait)."""
    deadline = time.monotonic() + 20
    while True:
        try:
            services = await _get(session, f"{base}/api/v2/arbitration/services")
            if services["contents"]:
                service: dict[str, Any] = services["contents"][0]
                return service
        except aiohttp.ClientConnectionError:
            pass
        assert time.monotonic() < deadline, "the demo server did not come up within 20 s"
        await asyncio.sleep(0.1)


def _agent_files(data_dir: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    services = orjson.loads((data_dir / "agent" / "services.json").read_bytes())["services"]
    lines = (data_dir / "agent" / "ledger.jsonl").read_bytes().splitlines()
    return services, [orjson.loads(line) for line in lines]


async def test_the_demo_upgrade_runs_on_the_embedded_agent(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    async with aiohttp.ClientSession() as session:
        with serving(data_dir) as base:
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
        with serving(data_dir) as base:  # the same data directory again
            service = await _demo_service(session, base)
            assert (service["status"], service["rpmName"]) == ("RUNNING", NEW)
        assert _agent_files(data_dir) == (services, ledger)
