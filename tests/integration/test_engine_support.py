"""A running engine for the engine tests: a real store, a real agent server, real HTTP between them.

Not a test module itself (no tests): it is named test_engine_* to stay among the engine's files.
"""

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from api.demo import NEW_RPMS, OLD_RPM, seed
from domain.caller import Caller
from domain.enums import SubtaskStatus, TaskStatus
from domain.task import Task
from infrastructure.agent.server import start_agent
from infrastructure.agent_client import AgentClient
from infrastructure.engine.agents import AgentPool
from infrastructure.engine.worker import Engine
from infrastructure.gate import StoreGate
from infrastructure.persistence.store import StoreConfig
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp
from tests.watchdog import watchdog

R = TypeVar("R")
OPERATOR = Caller("operator", "0123456789abcdef")
TARGET_RPM = NEW_RPMS[-1]
FAST = Settings(
    engine_workers=4,
    lease_seconds=1.0,
    heartbeat_seconds=0.2,
    poll_seconds=0.05,
    step_timeout_seconds=None,
)
ACTION_SECONDS = 0.05
# Every engine test ends in seconds; one stalled this long fails, saying where it waits.
STALLED_SECONDS = 60.0


@dataclass
class Harness:
    app: ArbiterApp
    gate: StoreGate
    engine: Engine
    agent: AgentClient
    service_id: int
    port: int

    async def call(self, function: Callable[..., R], *args: Any) -> R:
        return await self.gate.call(function, *args)

    async def upgrade(self) -> Task:
        return await self.call(self.app.upgrade, self.service_id, TARGET_RPM, None, OPERATOR)

    async def settled(self, task_id: int, status: TaskStatus, within: float = 15.0) -> Task:
        """The task once it has reached `status` with nothing left to run and, if SUCCESSFUL,
        its service released (bounded wait)."""
        deadline = time.monotonic() + within
        while True:
            task = await self.call(self.app.get_task, task_id)
            service = await self.call(self.app.get_service, task.service_id)
            released = status is not TaskStatus.SUCCESSFUL or service.active_task_id != task_id
            if task.status is status and not self.engine.runs and released:
                return task
            if time.monotonic() > deadline:
                states = [(s.step, s.status.value, s.operation.value) for s in task.subtasks]
                raise AssertionError(f"task is {task.status}, not {status}: {states}")
            await asyncio.sleep(0.05)

    async def ledger(self, task_id: int) -> list[dict[str, Any]]:
        """The agent's ledger entries of one task, in finishing order."""
        prefix = f"{task_id}-"
        return [e for e in await self.agent.ledger() if e["requestId"].startswith(prefix)]


@asynccontextmanager
async def agent_server(state_dir: Path) -> AsyncIterator[tuple[str, AgentClient]]:
    runner, url = await start_agent(state_dir, action_seconds=ACTION_SECONDS)
    client = AgentClient(url)
    try:
        yield url, client
    finally:
        await client.close()
        await runner.cleanup()


@asynccontextmanager
async def running_engine(
    store: StoreConfig, tmp_path: Path, **settings: Any
) -> AsyncIterator[Harness]:
    """The demo service (RUNNING at OLD_RPM on a real agent) and an engine that runs its tasks."""
    with watchdog(STALLED_SECONDS):
        async with agent_server(tmp_path / "agent") as (url, client):
            gate = StoreGate(4)
            app = await gate.call(ArbiterApp, store, "10.0.0.1")
            service_id = await gate.call(seed, app, url)
            port = (await gate.call(app.get_service, service_id)).svr_port
            await client.adopt(port, OLD_RPM, "RUNNING", "seed")
            pool = AgentPool(app.metrics.agent_errors)
            engine = Engine(app, gate, pool.agent, replace(FAST, **settings), "10.0.0.1")
            await engine.start()
            try:
                yield Harness(app, gate, engine, client, service_id, port)
            finally:
                await engine.stop()
                await pool.close()
                gate.close()
                app.close()


async def until_running(h: Harness, task_id: int, index: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        task = await h.call(h.app.get_task, task_id)
        if task.subtasks[index].status is SubtaskStatus.RUNNING:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"subtask {index} never ran")


def request_ids(task: Task, *steps: str, attempt: int = 1) -> list[str]:
    ids = {s.step: s.id for s in task.subtasks}
    return [f"{task.task_id}-{ids[step]}-{attempt}" for step in steps]


def no_overlap(entries: list[dict[str, Any]]) -> bool:
    """No two actions of the ledger ran at the same time (ISO times compare as strings)."""
    spans = sorted((e["startedAt"], e["finishedAt"]) for e in entries)
    return all(prev[1] <= nxt[0] for prev, nxt in itertools.pairwise(spans))
