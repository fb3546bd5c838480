"""Create, stop, start, restart and delete a service: each a task on the same engine."""

from pathlib import Path

import pytest

from api.demo import NEW_RPMS, OLD_RPM
from domain.enums import ServiceStatus, TaskStatus
from domain.errors import ServiceBusy, ServiceStateInvalid
from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.inventory import ServiceSpec
from tests.integration.test_engine_support import OPERATOR, Harness, running_engine


async def _run(h: Harness, command: str, service_id: int) -> list[tuple[str, str]]:
    """Run one lifecycle task to SUCCESSFUL; returns its ledger as (action, outcome)."""
    task = await h.call(getattr(h.app, command), service_id, OPERATOR)
    task = await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
    return [(e["action"], e["outcome"]) for e in await h.ledger(task.task_id)]


async def _status(h: Harness, service_id: int) -> tuple[ServiceStatus, str]:
    service = await h.call(h.app.get_service, service_id)
    state = await h.agent.status(service.svr_port)
    return service.status, state["state"]


async def test_stop_start_restart_delete(store: StoreConfig, tmp_path: Path) -> None:
    async with running_engine(store, tmp_path) as h:
        sid = h.service_id
        with pytest.raises(ServiceStateInvalid):
            await h.call(h.app.start_service, sid, OPERATOR)  # it is RUNNING already
        assert await _run(h, "stop_service", sid) == [("stop", "ok")]
        assert await _status(h, sid) == (ServiceStatus.STOPPED, "STOPPED")
        with pytest.raises(ServiceStateInvalid):
            await h.call(h.app.restart_service, sid, OPERATOR)  # restart needs RUNNING
        assert await _run(h, "start_service", sid) == [("start", "ok")]
        assert await _status(h, sid) == (ServiceStatus.RUNNING, "RUNNING")
        assert await _run(h, "restart_service", sid) == [("stop", "ok"), ("start", "ok")]
        assert await _status(h, sid) == (ServiceStatus.RUNNING, "RUNNING")
        assert await _run(h, "delete_service", sid) == [("stop", "ok"), ("uninstall", "ok")]
        assert await _status(h, sid) == (ServiceStatus.DELETED, "ABSENT")


async def test_create_installs_and_starts_a_new_service(store: StoreConfig, tmp_path: Path) -> None:
    async with running_engine(store, tmp_path) as h:
        host_id = (await h.call(h.app.get_service, h.service_id)).host_id
        spec = ServiceSpec("second", host_id, 2883, "/opt/ob", "/opt/ob/run", "admin", OLD_RPM)
        service, task = await h.call(h.app.create_service, spec, OPERATOR)
        assert service.status is ServiceStatus.CREATING
        assert service.active_task_id == task.task_id
        with pytest.raises(ServiceBusy):
            await h.call(h.app.stop_service, service.service_id, OPERATOR)
        await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
        ledger = [(e["action"], e["port"], e["args"]) for e in await h.ledger(task.task_id)]
        assert ledger == [("install", 2883, {"rpmName": OLD_RPM}), ("start", 2883, {})]
        assert await _status(h, service.service_id) == (ServiceStatus.RUNNING, "RUNNING")
        created = await h.call(h.app.get_service, service.service_id)
        assert (created.rpm_name, created.active_task_id) == (OLD_RPM, None)


async def test_a_failed_create_rolls_back_to_nothing_installed(
    store: StoreConfig, tmp_path: Path
) -> None:
    async with running_engine(store, tmp_path) as h:
        host_id = (await h.call(h.app.get_service, h.service_id)).host_id
        spec = ServiceSpec("third", host_id, 2884, "/opt/ob", "/opt/ob/run", "admin", NEW_RPMS[0])
        await h.agent.inject_fault("start", "fail", 2884)
        service, task = await h.call(h.app.create_service, spec, OPERATOR)
        failed = await h.settled(task.task_id, TaskStatus.FAILED)
        assert [s.step for s in failed.subtasks if s.status.value == "FAILED"] == ["start"]
        assert await _status(h, service.service_id) == (ServiceStatus.STOPPED, "STOPPED")
        await h.call(h.app.rollback_task, task.task_id, OPERATOR)
        await h.settled(task.task_id, TaskStatus.SUCCESSFUL)
        ledger = [(e["action"], e["outcome"]) for e in await h.ledger(task.task_id)]
        assert ledger == [
            ("install", "ok"),
            ("start", "failed"),
            ("stop", "ok"),  # undo of the failed start: make it stopped
            ("uninstall", "ok"),  # undo of the install: nothing was there before
        ]
        assert await _status(h, service.service_id) == (ServiceStatus.DELETED, "ABSENT")
