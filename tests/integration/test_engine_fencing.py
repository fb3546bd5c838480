"""A node that stops heartbeating (a zombie, not dead) stops its own runs before another node
takes them over: the step never runs twice at the same time, and runs once more."""

from dataclasses import replace
from pathlib import Path

from domain.enums import TaskStatus
from infrastructure.engine.agents import AgentPool
from infrastructure.engine.worker import Engine
from infrastructure.persistence.store import StoreConfig
from tests.integration.test_engine_support import (
    FAST,
    no_overlap,
    request_ids,
    running_engine,
    until_running,
)
from tests.logs import last_run

LEASE = 3.0  # the silent node fences itself out after 1.5 s: time to claim the install
INSTALL = 3


async def test_a_silent_node_fences_itself_out_before_the_take_over(
    store: StoreConfig, tmp_path: Path
) -> None:
    # The harness's engine heartbeats once, at start: it fences itself out after LEASE / 2.
    async with running_engine(store, tmp_path, lease_seconds=LEASE, heartbeat_seconds=3600.0) as h:
        await h.agent.inject_fault("install", "slow", h.port, seconds=5.0)
        created = await h.upgrade()
        await until_running(h, created.task_id, INSTALL)
        claimed = await h.call(h.app.get_task, created.task_id)
        assert claimed.subtasks[INSTALL].executor == h.engine.node_id
        pool = AgentPool(h.app.metrics.agent_errors)
        rescuer = Engine(h.app, h.gate, pool.agent, replace(FAST, lease_seconds=LEASE), "10.0.0.2")
        await rescuer.start()
        try:
            task = await h.settled(created.task_id, TaskStatus.SUCCESSFUL, within=20)
        finally:
            await rescuer.stop()
            await pool.close()

        install = task.subtasks[INSTALL]
        assert install.attempt == 2
        assert install.executor == rescuer.node_id
        log = last_run(await h.call(h.app.subtask_log, task.task_id, install.id))
        assert f"executor {h.engine.node_id} was lost" in " ".join(log)
        ledger = await h.ledger(task.task_id)
        installs = [(e["requestId"], e["outcome"]) for e in ledger if e["action"] == "install"]
        first, second = (
            request_ids(task, "install_target", attempt=1)[0],
            request_ids(task, "install_target", attempt=2)[0],
        )
        assert installs == [(first, "interrupted"), (second, "ok")]
        assert no_overlap(ledger)
