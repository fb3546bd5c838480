"""The simulated host agent as a real process (`arbiter agent`), driven through AgentClient."""

import asyncio
import itertools
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from infrastructure.agent_client import AgentClient, AgentError

pytestmark = pytest.mark.system

ACTION = 0.05  # seconds per action
PORT = 2882
OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"
ENTRY_KEYS = {
    "seq",
    "action",
    "port",
    "requestId",
    "args",
    "startedAt",
    "finishedAt",
    "outcome",
    "error",
    "fault",
}


@contextmanager
def agent_process(state_dir: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`arbiter agent --port 0`; its first stdout line names the bound URL."""
    arbiter = Path(sys.executable).parent / "arbiter"
    command = [str(arbiter), "agent", "--port", "0", "--state-dir", str(state_dir)]
    with (state_dir.parent / f"{state_dir.name}.log").open("ab") as log:
        process = subprocess.Popen(
            [*command, "--action-seconds", str(ACTION)], stdout=subprocess.PIPE, stderr=log
        )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 15)
        assert ready, "the agent printed no URL within 15 s"
        line = process.stdout.readline().decode()
        assert line.startswith("arbiter agent: serving on http://127.0.0.1:"), line
        yield process, line.split()[4]
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stdout.close()  # type: ignore[union-attr]


async def healthy(url: str) -> AgentClient:
    client = AgentClient(url, timeout=5)
    deadline = time.monotonic() + 10
    while True:
        try:
            assert await client.health() == {"status": "UP"}
            return client
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "agent"


@pytest.fixture
async def agent(state_dir: Path) -> AsyncIterator[AgentClient]:
    with agent_process(state_dir) as (_, url):
        client = await healthy(url)
        yield client
        await client.close()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _service(state: str, rpm: str | None) -> dict[str, Any]:
    return {"port": PORT, "state": state, "rpmName": rpm}


async def test_actions_are_idempotent(agent: AgentClient) -> None:
    assert await agent.status(PORT) == _service("ABSENT", None)
    assert await agent.stop(PORT, "s0") == _service("ABSENT", None)  # nothing runs there
    assert await agent.install(PORT, OLD, "i1") == _service("STOPPED", OLD)
    assert await agent.install(PORT, OLD, "i2") == _service("STOPPED", OLD)
    assert await agent.start(PORT, "a1") == _service("RUNNING", OLD)
    assert await agent.start(PORT, "a2") == _service("RUNNING", OLD)
    assert await agent.install(PORT, OLD, "i3") == _service("RUNNING", OLD)  # already that rpm
    assert await agent.stop(PORT, "s1") == _service("STOPPED", OLD)
    assert await agent.stop(PORT, "s2") == _service("STOPPED", OLD)
    assert await agent.install(PORT, NEW, "i4") == _service("STOPPED", NEW)
    assert await agent.uninstall(PORT, "u1") == _service("ABSENT", None)
    assert await agent.uninstall(PORT, "u2") == _service("ABSENT", None)
    assert await agent.status(PORT) == _service("ABSENT", None)
    ledger = await agent.ledger()
    assert [(e["action"], e["requestId"], e["outcome"]) for e in ledger] == [
        ("stop", "s0", "ok"),
        ("install", "i1", "ok"),
        ("install", "i2", "ok"),
        ("start", "a1", "ok"),
        ("start", "a2", "ok"),
        ("install", "i3", "ok"),
        ("stop", "s1", "ok"),
        ("stop", "s2", "ok"),
        ("install", "i4", "ok"),
        ("uninstall", "u1", "ok"),
        ("uninstall", "u2", "ok"),
    ]


async def test_conflicts_answer_409_change_nothing_and_are_ledgered(agent: AgentClient) -> None:
    with pytest.raises(AgentError) as refused:
        await agent.start(PORT, "a0")
    assert (refused.value.status, refused.value.message) == (
        409,
        "no rpm is installed on this port: install one before start",
    )
    await agent.install(PORT, OLD, "i1")
    await agent.start(PORT, "a1")
    for call, message in [
        (agent.install(PORT, NEW, "i2"), "the service is RUNNING: stop it before install"),
        (agent.uninstall(PORT, "u1"), "the service is RUNNING: stop it before uninstall"),
    ]:
        with pytest.raises(AgentError) as refused:
            await call
        assert (refused.value.status, refused.value.message) == (409, message)
    assert await agent.status(PORT) == _service("RUNNING", OLD)
    ledger = await agent.ledger()
    assert [(e["requestId"], e["outcome"], e["error"]) for e in ledger] == [
        ("a0", "rejected", "no rpm is installed on this port: install one before start"),
        ("i1", "ok", None),
        ("a1", "ok", None),
        ("i2", "rejected", "the service is RUNNING: stop it before install"),
        ("u1", "rejected", "the service is RUNNING: stop it before uninstall"),
    ]


async def test_ledger_entries_have_the_contract_shape_in_order(agent: AgentClient) -> None:
    await agent.adopt(PORT, OLD, "RUNNING", "d1")
    await agent.stop(PORT, "s1")
    await agent.install(PORT, NEW, "i1")
    await agent.start(PORT, "a1")
    await agent.install(PORT + 1, OLD, "other-port")
    ledger = await agent.ledger()
    assert all(set(entry) == ENTRY_KEYS for entry in ledger)
    assert [e["seq"] for e in ledger] == [1, 2, 3, 4, 5]
    assert [(e["action"], e["port"], e["requestId"], e["args"]) for e in ledger] == [
        ("adopt", PORT, "d1", {"rpmName": OLD, "state": "RUNNING"}),
        ("stop", PORT, "s1", {}),
        ("install", PORT, "i1", {"rpmName": NEW}),
        ("start", PORT, "a1", {}),
        ("install", PORT + 1, "other-port", {"rpmName": OLD}),
    ]
    for entry in ledger:  # each took its real time
        assert (_at(entry["finishedAt"]) - _at(entry["startedAt"])).total_seconds() >= ACTION
        assert _at(entry["startedAt"]).utcoffset() is not None
    for before, after in itertools.pairwise(ledger):
        assert _at(before["finishedAt"]) <= _at(after["startedAt"])


async def test_a_restarted_agent_remembers_its_services_and_ledger(state_dir: Path) -> None:
    with agent_process(state_dir) as (process, url):
        async with await healthy(url) as agent:
            await agent.install(PORT, OLD, "i1")
            await agent.start(PORT, "a1")
            await agent.install(PORT + 1, NEW, "i2")
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    with agent_process(state_dir) as (process, url):
        async with await healthy(url) as agent:
            assert await agent.status(PORT) == _service("RUNNING", OLD)
            assert await agent.status(PORT + 1) == {
                "port": PORT + 1,
                "state": "STOPPED",
                "rpmName": NEW,
            }
            await agent.stop(PORT, "s1")
        os.kill(process.pid, signal.SIGKILL)  # no goodbye: only what was fsynced survives
        process.wait(10)
    with agent_process(state_dir) as (_, url):
        async with await healthy(url) as agent:
            assert await agent.status(PORT) == _service("STOPPED", OLD)
            ledger = await agent.ledger()
    assert [(e["seq"], e["requestId"]) for e in ledger] == [
        (1, "i1"),
        (2, "a1"),
        (3, "i2"),
        (4, "s1"),
    ]


async def test_fail_n_times_then_succeed(agent: AgentClient) -> None:
    await agent.adopt(PORT, OLD, "RUNNING", "d1")
    assert await agent.inject_fault("stop", "fail", port=PORT, times=2) == 1
    assert await agent.inject_fault("stop", "fail", port=PORT + 1) == 2  # another port's
    for attempt in ("s1", "s2"):
        began = time.monotonic()
        with pytest.raises(AgentError) as failed:
            await agent.stop(PORT, attempt)
        assert (failed.value.status, failed.value.message) == (500, "injected failure (fault 1)")
        assert time.monotonic() - began >= ACTION  # a failure takes its time too
        assert await agent.status(PORT) == _service("RUNNING", OLD)
    assert await agent.stop(PORT, "s3") == _service("STOPPED", OLD)
    ledger = await agent.ledger()
    assert [(e["requestId"], e["outcome"], e["error"], e["fault"]) for e in ledger] == [
        ("d1", "ok", None, None),
        ("s1", "failed", "injected failure (fault 1)", 1),
        ("s2", "failed", "injected failure (fault 1)", 1),
        ("s3", "ok", None, None),
    ]
    await agent.clear_faults()
    assert await agent.stop(PORT + 1, "s4") == {
        "port": PORT + 1,
        "state": "ABSENT",
        "rpmName": None,
    }


async def test_a_hang_ends_when_the_client_times_out_and_is_ledgered_interrupted(
    agent: AgentClient,
) -> None:
    await agent.adopt(PORT, OLD, "RUNNING", "d1")
    await agent.inject_fault("stop", "hang")
    impatient = AgentClient(agent.base_url, timeout=0.5)
    with pytest.raises(TimeoutError):
        await impatient.stop(PORT, "s1")
    await impatient.close()
    ledger = await _ledger_until(agent, 2)
    assert [(e["requestId"], e["outcome"], e["error"], e["fault"]) for e in ledger] == [
        ("d1", "ok", None, None),
        ("s1", "interrupted", "the client disconnected", 1),
    ]
    assert await agent.status(PORT) == _service("RUNNING", OLD)
    # The port's lock went with the interrupted action (else this would wait for the hour).
    async with asyncio.timeout(10):
        stopped = await agent.stop(PORT, "s2")
    assert stopped == _service("STOPPED", OLD)


async def test_slow_adds_its_seconds(agent: AgentClient) -> None:
    await agent.adopt(PORT, OLD, "STOPPED", "d1")
    await agent.inject_fault("start", "slow", seconds=0.4)
    began = time.monotonic()
    assert await agent.start(PORT, "a1") == _service("RUNNING", OLD)
    assert time.monotonic() - began >= ACTION + 0.4
    entry = (await agent.ledger())[-1]
    took = (_at(entry["finishedAt"]) - _at(entry["startedAt"])).total_seconds()
    assert (entry["outcome"], entry["fault"], took >= ACTION + 0.4) == ("ok", 1, True)


async def _ledger_until(agent: AgentClient, count: int) -> list[dict[str, Any]]:
    """The server learns of a disconnect a moment after the client gives up."""
    deadline = time.monotonic() + 5
    while len(ledger := await agent.ledger()) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    return ledger
