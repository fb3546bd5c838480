"""The host agent embedded in this process (start_agent), as `arbiter serve` runs it."""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from infrastructure.agent.ledger import Ledger, Record
from infrastructure.agent.server import start_agent
from infrastructure.agent.state import StateDirInUse
from infrastructure.agent_client import AgentClient, AgentError

ACTION = 0.05
PORT = 2882
OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"


@pytest.fixture
async def agent(tmp_path: Path) -> AsyncIterator[AgentClient]:
    runner, url = await start_agent(tmp_path / "agent", action_seconds=ACTION)
    async with AgentClient(url, timeout=10) as client:
        yield client
    await runner.cleanup()


def _span(entry: dict[str, Any]) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(entry["startedAt"]), datetime.fromisoformat(entry["finishedAt"])


async def test_start_agent_binds_a_free_port_and_answers(tmp_path: Path) -> None:
    first, url_a = await start_agent(tmp_path / "a", port=0)
    second, url_b = await start_agent(tmp_path / "b", port=0)
    assert url_a.startswith("http://127.0.0.1:")
    assert url_a != url_b
    async with AgentClient(url_a) as a, AgentClient(url_b) as b:
        assert await a.health() == await b.health() == {"status": "UP"}
    await first.cleanup()
    await second.cleanup()


async def test_one_state_directory_serves_one_agent_at_a_time(tmp_path: Path) -> None:
    runner, _ = await start_agent(tmp_path / "agent")
    with pytest.raises(StateDirInUse, match="another agent is serving the state directory"):
        await start_agent(tmp_path / "agent")
    await runner.cleanup()
    again, url = await start_agent(tmp_path / "agent")  # free once the first has stopped
    async with AgentClient(url) as client:
        assert await client.health() == {"status": "UP"}
    await again.cleanup()


async def test_actions_on_one_port_never_overlap(agent: AgentClient) -> None:
    await agent.adopt(PORT, OLD, "STOPPED", "d0")
    calls = [agent.start(PORT, f"a{i}") if i % 2 else agent.stop(PORT, f"s{i}") for i in range(6)]
    await asyncio.gather(*calls)
    spans = sorted(_span(e) for e in (await agent.ledger())[1:])
    assert len(spans) == 6
    for (_, finished), (started, _) in itertools.pairwise(spans):
        assert finished <= started


async def test_actions_on_different_ports_run_side_by_side(agent: AgentClient) -> None:
    await asyncio.gather(*(agent.install(PORT + i, OLD, f"i{i}") for i in range(8)))
    assert {(await agent.status(PORT + i))["state"] for i in range(8)} == {"STOPPED"}
    spans = sorted(_span(e) for e in await agent.ledger())
    overlapping = [a for a, b in itertools.pairwise(spans) if b[0] < a[1]]
    assert overlapping  # serialised, no action would start before the one before it finished


async def test_adopt_declares_an_existing_service_over_anything(agent: AgentClient) -> None:
    assert await agent.adopt(PORT, OLD, "RUNNING", "d1") == {
        "port": PORT,
        "state": "RUNNING",
        "rpmName": OLD,
    }
    assert await agent.adopt(PORT, NEW, "STOPPED", "d2") == {
        "port": PORT,
        "state": "STOPPED",
        "rpmName": NEW,
    }


async def test_faults_match_action_and_port_oldest_first(agent: AgentClient) -> None:
    await agent.adopt(PORT, OLD, "STOPPED", "d1")
    await agent.adopt(PORT + 1, OLD, "STOPPED", "d2")
    assert await agent.inject_fault("start", "fail", port=PORT + 1) == 1
    assert await agent.inject_fault("start", "slow", seconds=0.3, times=2) == 2
    began = time.monotonic()
    await agent.start(PORT, "a1")  # the port-less slow fault, not the other port's failure
    assert time.monotonic() - began >= ACTION + 0.3
    with pytest.raises(AgentError) as failed:
        await agent.start(PORT + 1, "a2")  # the older fault matches first
    assert (failed.value.status, failed.value.message) == (500, "injected failure (fault 1)")
    await agent.start(PORT + 1, "a3")  # the slow fault's second time
    await agent.stop(PORT, "s1")  # another action
    await agent.stop(PORT, "s2")
    await agent.start(PORT, "a4")  # both faults used up
    ledger = await agent.ledger()
    assert [(e["requestId"], e["outcome"], e["fault"]) for e in ledger[2:]] == [
        ("a1", "ok", 2),
        ("a2", "failed", 1),
        ("a3", "ok", 2),
        ("s1", "ok", None),
        ("s2", "ok", None),
        ("a4", "ok", None),
    ]


async def test_a_bounded_hang_fails_after_its_seconds(agent: AgentClient) -> None:
    await agent.adopt(PORT, OLD, "RUNNING", "d1")
    await agent.inject_fault("stop", "hang", seconds=0.2)
    with pytest.raises(AgentError) as failed:
        await agent.stop(PORT, "s1")
    assert (failed.value.status, failed.value.message) == (500, "hung for 0.2 s (fault 1)")
    entry = (await agent.ledger())[-1]
    assert (entry["outcome"], entry["error"], entry["fault"]) == (
        "failed",
        "hung for 0.2 s (fault 1)",
        1,
    )
    assert await agent.status(PORT) == {"port": PORT, "state": "RUNNING", "rpmName": OLD}


async def test_status_faults_fail_the_steps_that_only_look(agent: AgentClient) -> None:
    await agent.inject_fault("status", "fail", port=PORT)
    with pytest.raises(AgentError) as failed:
        await agent.status(PORT)
    assert failed.value.status == 500
    assert (await agent.status(PORT))["state"] == "ABSENT"
    assert await agent.ledger() == []  # looking is not an action


async def test_clear_faults_clears_them_all(agent: AgentClient) -> None:
    await agent.inject_fault("install", "fail", times=5)
    await agent.inject_fault("install", "hang", port=PORT)
    await agent.clear_faults()
    assert (await agent.install(PORT, OLD, "i1"))["state"] == "STOPPED"


async def test_the_state_file_is_replaced_whole(tmp_path: Path, agent: AgentClient) -> None:
    await agent.install(PORT, OLD, "i1")
    await agent.install(PORT + 1, NEW, "i2")
    await agent.uninstall(PORT + 1, "u1")  # an ABSENT port is not remembered
    assert sorted(p.name for p in (tmp_path / "agent").iterdir()) == [
        "ledger.jsonl",
        "lock",
        "services.json",
    ]
    assert orjson.loads((tmp_path / "agent" / "services.json").read_bytes()) == {
        "services": {str(PORT): {"state": "STOPPED", "rpmName": OLD}}
    }


def test_a_torn_last_ledger_line_is_cut_and_seq_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    moment = datetime.fromisoformat("2026-01-02T03:04:05.000006+00:00")
    ledger = Ledger(path)
    ledger.append(Record("stop", PORT, "s1", {}, moment, moment), "ok", None, None)
    ledger.close()
    with path.open("ab") as file:
        file.write(b'{"seq":2,"action":"st')  # a crash in the middle of a write
    ledger = Ledger(path)
    ledger.append(Record("start", PORT, "a1", {}, moment, moment), "failed", "boom", 3)
    ledger.close()
    reopened = Ledger(path)
    entries = reopened.entries()
    reopened.close()
    assert entries == [
        {
            "seq": 1,
            "action": "stop",
            "port": PORT,
            "requestId": "s1",
            "args": {},
            "startedAt": "2026-01-02T03:04:05.000006+00:00",
            "finishedAt": "2026-01-02T03:04:05.000006+00:00",
            "outcome": "ok",
            "error": None,
            "fault": None,
        },
        {
            "seq": 2,
            "action": "start",
            "port": PORT,
            "requestId": "a1",
            "args": {},
            "startedAt": "2026-01-02T03:04:05.000006+00:00",
            "finishedAt": "2026-01-02T03:04:05.000006+00:00",
            "outcome": "failed",
            "error": "boom",
            "fault": 3,
        },
    ]
