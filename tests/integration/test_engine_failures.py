"""A failure injected at each of the seven upgrade steps, then retry, skip or rollback."""

from pathlib import Path

import pytest

from api.demo import OLD_RPM
from domain.enums import Operation, ServiceStatus, SubtaskStatus, TaskStatus
from domain.errors import RollbackProhibited
from domain.step_log import LogLevel
from domain.task import Task
from infrastructure.engine.steps import truthful_status
from infrastructure.persistence.store import StoreConfig
from tests.integration.test_engine_support import (
    OPERATOR,
    TARGET_RPM,
    Harness,
    no_overlap,
    request_ids,
    running_engine,
    until_running,
)
from tests.logs import last_run

STEPS = [
    "prepare_upgrade",
    "stop",
    "begin_upgrade",
    "install_target",
    "start",
    "record_version",
    "record_running",
]
# The agent call each step makes first: a fault on it fails that step.
CALLS = ["status", "stop", "status", "install", "start", "status", "status"]
BEGIN = STEPS.index("begin_upgrade")
SLOW = 0.5  # seconds each step before the failing one lasts: the window to arm the next fault


async def fail_at(h: Harness, index: int) -> Task:
    """Start an upgrade whose step `index` fails once; every step before it is slowed so that
    the fault is armed while the step before runs (status calls are shared by several steps)."""
    if index == 0:
        await h.agent.inject_fault("status", "fail", h.port)
        return await h.upgrade()
    await h.agent.inject_fault(CALLS[0], "slow", h.port, seconds=SLOW)
    task = await h.upgrade()
    for before in range(index):
        await until_running(h, task.task_id, before)
        if before + 1 < index:
            await h.agent.inject_fault(CALLS[before + 1], "slow", h.port, seconds=SLOW)
        else:
            await h.agent.inject_fault(CALLS[index], "fail", h.port)
    return task


async def _failed(h: Harness, index: int) -> Task:
    created = await fail_at(h, index)
    task = await h.settled(created.task_id, TaskStatus.FAILED)
    statuses = [s.status for s in task.subtasks]
    assert statuses == (
        [SubtaskStatus.SUCCESSFUL] * index
        + [SubtaskStatus.FAILED]
        + [SubtaskStatus.PENDING] * (6 - index)
    )
    log = await h.call(h.app.subtask_log, task.task_id, task.subtasks[index].id)
    assert any("step failed" in line for line in last_run(log))
    assert [line.level for line in log[-1].lines if "step failed" in line.message] == [
        LogLevel.ERROR
    ]
    # The service record tells what the host really is, and stays bound to the failed task.
    service = await h.call(h.app.get_service, h.service_id)
    assert service.status is truthful_status(await h.agent.status(h.port))
    assert service.active_task_id == task.task_id
    recorded = TARGET_RPM if index > STEPS.index("record_version") else OLD_RPM
    assert service.rpm_name == recorded
    return task


async def _upgraded(h: Harness) -> None:
    service = await h.call(h.app.get_service, h.service_id)
    assert (service.status, service.rpm_name, service.active_task_id) == (
        ServiceStatus.RUNNING,
        TARGET_RPM,
        None,
    )


@pytest.mark.parametrize("index", range(7), ids=STEPS)
async def test_failure_then_retry_completes(store: StoreConfig, tmp_path: Path, index: int) -> None:
    async with running_engine(store, tmp_path) as h:
        task = await _failed(h, index)
        await h.call(h.app.retry_task, task.task_id, OPERATOR)
        task = await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
        assert task.operation is Operation.RETRY
        failed = task.subtasks[index]
        assert (failed.operation, failed.run_time, failed.attempt) == (Operation.RETRY, 2, 2)
        assert all(s.attempt == 1 for s in task.subtasks if s is not failed)
        await _upgraded(h)
        assert no_overlap(await h.ledger(task.task_id))


@pytest.mark.parametrize("index", [BEGIN, 5, 6], ids=STEPS[BEGIN : BEGIN + 1] + STEPS[5:])
async def test_failure_past_begin_refuses_rollback_then_skip_goes_on(
    store: StoreConfig, tmp_path: Path, index: int
) -> None:
    async with running_engine(store, tmp_path) as h:
        task = await _failed(h, index)
        with pytest.raises(RollbackProhibited):
            await h.call(h.app.rollback_task, task.task_id, OPERATOR)
        unchanged = await h.call(h.app.get_task, task.task_id)
        assert unchanged.version == task.version
        await h.call(h.app.skip_subtask, task.task_id, task.subtasks[index].id, OPERATOR)
        task = await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
        skipped = task.subtasks[index]
        assert (skipped.status, skipped.operation) == (SubtaskStatus.SUCCESSFUL, Operation.SKIP)
        assert [s.status for s in task.subtasks] == [SubtaskStatus.SUCCESSFUL] * 7
        service = await h.call(h.app.get_service, h.service_id)
        assert service.status is ServiceStatus.RUNNING
        assert service.active_task_id is None


@pytest.mark.parametrize("index", range(BEGIN), ids=STEPS[:BEGIN])
async def test_failure_before_begin_rolls_back_in_reverse(
    store: StoreConfig, tmp_path: Path, index: int
) -> None:
    async with running_engine(store, tmp_path) as h:
        task = await _failed(h, index)
        before = await h.ledger(task.task_id)
        await h.call(h.app.rollback_task, task.task_id, OPERATOR)
        task = await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
        assert task.operation is Operation.ROLLBACK
        assert [s.status for s in task.subtasks] == [SubtaskStatus.PENDING] * 7
        # Undo ran for what had run, last first: the failed step, then the ones before it.
        undone = [s for s in task.subtasks[: index + 1]]
        assert all(s.operation is Operation.ROLLBACK for s in undone)
        logs = [await h.call(h.app.subtask_log, task.task_id, s.id) for s in reversed(undone)]
        undo_starts = [log[-1].time for log in logs]
        assert all(log[-1].operation is Operation.ROLLBACK for log in logs)
        assert undo_starts == sorted(undo_starts)
        ledger = await h.ledger(task.task_id)
        undo_actions = [(e["action"], e["requestId"]) for e in ledger[len(before) :]]
        if index == 1:  # the stop failed and changed nothing; its undo starts it again
            assert undo_actions == [("start", request_ids(task, "stop", attempt=2)[0])]
        else:
            assert undo_actions == []
        service = await h.call(h.app.get_service, h.service_id)
        assert (service.status, service.rpm_name, service.active_task_id) == (
            ServiceStatus.RUNNING,
            OLD_RPM,
            None,
        )
        assert no_overlap(ledger)
