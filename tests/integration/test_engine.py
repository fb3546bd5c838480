"""The engine runs an upgrade on a real agent: chain order, service record, exactly once."""

from pathlib import Path

from domain.enums import Operation, ServiceStatus, SubtaskStatus, TaskStatus
from infrastructure.engine.agents import AgentPool
from infrastructure.engine.worker import Engine
from infrastructure.persistence.store import StoreConfig
from tests.integration.test_engine_support import (
    FAST,
    TARGET_RPM,
    no_overlap,
    request_ids,
    running_engine,
)


async def test_upgrade_runs_to_successful_in_chain_order(
    store: StoreConfig, tmp_path: Path
) -> None:
    async with running_engine(store, tmp_path) as h:
        created = await h.upgrade()
        task = await h.settled(created.task_id, TaskStatus.SUCCESSFUL)

        assert task.operation is Operation.EXECUTE
        assert [s.status for s in task.subtasks] == [SubtaskStatus.SUCCESSFUL] * 7
        assert all(s.attempt == 1 and s.executor == h.engine.node_id for s in task.subtasks)
        times = [(s.start_time, s.finish_time) for s in task.subtasks]
        flat = [t for pair in times for t in pair]
        assert None not in flat
        assert flat == sorted(flat)  # each step started after the one before it finished

        ledger = await h.ledger(task.task_id)
        assert [(e["action"], e["requestId"], e["outcome"]) for e in ledger] == list(
            zip(
                ["stop", "install", "start"],
                request_ids(task, "stop", "install_target", "start"),
                ["ok"] * 3,
                strict=True,
            )
        )
        assert ledger[1]["args"] == {"rpmName": TARGET_RPM}
        assert no_overlap(ledger)

        service = await h.call(h.app.get_service, h.service_id)
        assert (service.status, service.rpm_name, service.software_version) == (
            ServiceStatus.RUNNING,
            TARGET_RPM,
            "4.3.4.0-200000022024070119",
        )
        assert service.active_task_id is None
        state = await h.agent.status(h.port)
        assert (state["state"], state["rpmName"]) == ("RUNNING", TARGET_RPM)


async def test_two_nodes_run_one_task_each_step_exactly_once(
    store: StoreConfig, tmp_path: Path
) -> None:
    async with running_engine(store, tmp_path) as h:
        pool = AgentPool(h.app.metrics.agent_errors)
        other = Engine(h.app, h.gate, pool.agent, FAST, "10.0.0.2")
        await other.start()
        try:
            created = await h.upgrade()
            task = await h.settled(created.task_id, TaskStatus.SUCCESSFUL)
        finally:
            await other.stop()
            await pool.close()
        # Both nodes raced for every READY subtask: one claim won each time.
        assert [s.attempt for s in task.subtasks] == [1] * 7
        ledger = await h.ledger(task.task_id)
        assert [e["requestId"] for e in ledger] == request_ids(
            task, "stop", "install_target", "start"
        )
        assert no_overlap(ledger)
