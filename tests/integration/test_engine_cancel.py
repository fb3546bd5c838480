"""A hung step is interrupted at its timeout; an operator's cancel interrupts a running step."""

from pathlib import Path

from domain.enums import Operation, ServiceStatus, SubtaskStatus, TaskStatus
from infrastructure.persistence.store import StoreConfig
from tests.integration.test_engine_support import (
    OPERATOR,
    no_overlap,
    running_engine,
    until_running,
)
from tests.logs import last_run

INSTALL = 3


async def test_hang_times_out_to_failed_cancel_then_retry(
    store: StoreConfig, tmp_path: Path
) -> None:
    async with running_engine(store, tmp_path, step_timeout_seconds=0.6) as h:
        await h.agent.inject_fault("install", "hang", h.port)
        task = await h.settled((await h.upgrade()).task_id, TaskStatus.FAILED)
        install = task.subtasks[INSTALL]
        assert (install.status, install.operation) == (SubtaskStatus.FAILED, Operation.CANCEL)
        lines = last_run(await h.call(h.app.subtask_log, task.task_id, install.id))
        assert "timed out after 1800 s and was interrupted" in lines
        assert "step interrupted at its timeout after 0.6 s budget" in lines
        ledger = await h.ledger(task.task_id)
        assert [(e["action"], e["outcome"]) for e in ledger] == [
            ("stop", "ok"),
            ("install", "interrupted"),
        ]
        await h.call(h.app.retry_subtask, task.task_id, install.id, OPERATOR)
        task = await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
        assert no_overlap(await h.ledger(task.task_id))


async def test_cancel_running_step_goes_canceling_then_failed_cancel(
    store: StoreConfig, tmp_path: Path
) -> None:
    async with running_engine(store, tmp_path) as h:
        await h.agent.inject_fault("install", "hang", h.port)
        created = await h.upgrade()
        await until_running(h, created.task_id, INSTALL)
        install_id = created.subtasks[INSTALL].id
        service = await h.call(h.app.get_service, h.service_id)
        assert (service.status, service.active_task_id) == (
            ServiceStatus.UPGRADING,
            created.task_id,
        )
        canceling = await h.call(h.app.cancel_subtask, created.task_id, install_id, OPERATOR)
        assert canceling.subtasks[INSTALL].status is SubtaskStatus.CANCELING
        assert canceling.status is TaskStatus.RUNNING
        task = await h.settled(created.task_id, TaskStatus.FAILED)
        install = task.subtasks[INSTALL]
        assert (install.status, install.operation) == (SubtaskStatus.FAILED, Operation.CANCEL)
        lines = last_run(await h.call(h.app.subtask_log, task.task_id, install.id))
        assert f"cancel requested by {OPERATOR.actor}" in lines
        assert "cancelled" in lines
        ledger = await h.ledger(task.task_id)
        assert (ledger[-1]["action"], ledger[-1]["outcome"]) == ("install", "interrupted")
