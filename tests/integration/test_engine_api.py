"""The operator's endpoints over HTTP on a real server, its engine running tasks on a real agent.

Forbidden operations answer OCP's codes (20003 state invalid, 20004 rollback prohibited, 30014
not permitted) and record nothing (the store's head position does not move).
"""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from infrastructure.persistence.store import StoreConfig
from infrastructure.settings import Settings
from tests.api.conftest import _USERS, ADMIN, NEW_RPM, OLD_RPM, VIEWER, Api, serving
from tests.integration.test_engine_support import FAST, agent_server
from tests.logs import check_ocp_log
from tests.stores import database_url

TASKS = "/api/v2/tasks/instances"
SERVICES = "/api/v2/arbitration/services"


@asynccontextmanager
async def engine_api(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> AsyncIterator[tuple[Api, Any, int]]:
    monkeypatch.setenv("ARBITER_ADMIN_USER", ADMIN[0])
    monkeypatch.setenv("ARBITER_ADMIN_PASSWORD", ADMIN[1])
    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump(_USERS))
    monkeypatch.setenv("ARBITER_USERS_FILE", str(users))
    settings = replace(
        FAST,
        data_dir=tmp_path,
        database_url=database_url(store),
        node_address="10.9.8.7",
        **overrides,
    )
    assert isinstance(settings, Settings)
    async with agent_server(tmp_path / "agent") as (url, agent), serving(settings) as api:
        host = await api.call(
            "POST",
            "/api/v2/compute/hosts",
            {"ipAddress": "10.1.1.1", "architecture": "x86_64", "agentAddress": url},
        )
        for rpm in (OLD_RPM, NEW_RPM):
            await api.call("POST", "/api/v2/software-packages", {"name": rpm})
        body = {"name": "arb", "hostId": host.data["id"], "svrPort": 2882, "rpmName": OLD_RPM}
        service = await api.call("POST", f"{SERVICES}/register", body)
        await agent.adopt(2882, OLD_RPM, "RUNNING", "seed")
        yield api, agent, service.data["id"]


async def _until(api: Api, task_id: int, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 15
    while True:
        task = (await api.call("GET", f"{TASKS}/{task_id}")).data
        if task["status"] == status and all(s["status"] != "RUNNING" for s in task["subtasks"]):
            return task  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, task
        await asyncio.sleep(0.05)


async def _refused(api: Api, path: str, code: int, user: tuple[str, str] = ADMIN) -> None:
    head = api.head()
    reply = await api.call("POST", path, user=user)
    assert (reply.status, reply.error["code"]) == ({30014: 403}.get(code, 400), code)
    assert api.head() == head  # nothing recorded


async def test_retry_a_failed_subtask_and_read_its_log(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine_api(store, tmp_path, monkeypatch) as (api, agent, service_id):
        await agent.inject_fault("stop", "fail", 2882)
        created = await api.call("POST", f"{SERVICES}/{service_id}/upgrade", {"rpmName": NEW_RPM})
        task_id = created.data["id"]
        task = await _until(api, task_id, "FAILED")
        prepare, stop = task["subtasks"][0]["id"], task["subtasks"][1]["id"]
        assert [s["status"] for s in task["subtasks"][:3]] == ["SUCCESSFUL", "FAILED", "PENDING"]
        # What the views offer is what the commands below accept or refuse.
        assert task["allowedOperations"] == ["RETRY", "ROLLBACK"]
        assert [s["allowedOperations"] for s in task["subtasks"][:3]] == [[], ["RETRY", "SKIP"], []]
        busy = (await api.call("GET", f"{SERVICES}/{service_id}")).data
        assert (busy["activeTaskId"], busy["allowedOperations"]) == (task_id, [])
        await _refused(api, f"{TASKS}/{task_id}/subtasks/{stop}/retry", 30014, user=VIEWER)
        await _refused(api, f"{TASKS}/{task_id}/subtasks/{prepare}/skip", 20003)
        await _refused(api, f"{TASKS}/{task_id}/subtasks/{stop}/cancel", 20003)

        retried = await api.call("POST", f"{TASKS}/{task_id}/subtasks/{stop}/retry")
        assert retried.status == 200
        assert retried.data["subtasks"][1]["operation"] == "RETRY"
        assert retried.data["subtasks"][1]["runTime"] == 2
        done = await _until(api, task_id, "SUCCESSFUL")
        assert done["allowedOperations"] == []
        assert all(s["allowedOperations"] == [] for s in done["subtasks"])
        await _refused(api, f"{TASKS}/{task_id}/retry", 20003)
        await _refused(api, f"{TASKS}/{task_id}/rollback", 20003)
        listed = (await api.call("GET", TASKS)).data["contents"]
        assert [t["allowedOperations"] for t in listed if t["id"] == task_id] == [[]]

        log = (await api.call("GET", f"{TASKS}/{task_id}/subtasks/{stop}/log", user=VIEWER)).data
        check_ocp_log(log["log"], ["EXECUTE", "RETRY"])
        failed = "ERROR step failed: AgentError: agent answered 500"
        assert [line for line in log["log"].split("\n") if failed in line]
        service = (await api.call("GET", f"{SERVICES}/{service_id}")).data
        assert (service["status"], service["rpmName"]) == ("RUNNING", NEW_RPM)
        assert service["allowedOperations"] == ["UPGRADE", "STOP", "RESTART", "DELETE"]
        listed = (await api.call("GET", SERVICES)).data["contents"]
        assert [s["allowedOperations"] for s in listed] == [service["allowedOperations"]]


async def test_cancel_then_rollback_refused_then_retry(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine_api(store, tmp_path, monkeypatch) as (api, agent, service_id):
        await agent.inject_fault("install", "hang", 2882)
        created = await api.call("POST", f"{SERVICES}/{service_id}/upgrade", {"rpmName": NEW_RPM})
        task_id, install = created.data["id"], created.data["subtasks"][3]["id"]
        deadline = time.monotonic() + 15
        while (await api.call("GET", f"{TASKS}/{task_id}")).data["subtasks"][3][
            "status"
        ] != "RUNNING":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        running = (await api.call("GET", f"{TASKS}/{task_id}")).data
        assert running["subtasks"][3]["allowedOperations"] == ["CANCEL"]
        canceling = await api.call("POST", f"{TASKS}/{task_id}/subtasks/{install}/cancel")
        assert canceling.data["subtasks"][3]["status"] == "CANCELING"
        assert canceling.data["subtasks"][3]["allowedOperations"] == []
        task = await _until(api, task_id, "FAILED")
        assert (task["subtasks"][3]["status"], task["subtasks"][3]["operation"]) == (
            "FAILED",
            "CANCEL",
        )
        assert task["prohibitRollback"] is True
        assert task["allowedOperations"] == ["RETRY"]
        await _refused(api, f"{TASKS}/{task_id}/rollback", 20004)
        retried = await api.call("POST", f"{TASKS}/{task_id}/retry")
        assert (retried.data["status"], retried.data["operation"]) == ("RUNNING", "RETRY")
        await _until(api, task_id, "SUCCESSFUL")


async def test_lifecycle_routes(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine_api(store, tmp_path, monkeypatch) as (api, agent, service_id):
        await _refused(api, f"{SERVICES}/{service_id}/stop", 30014, user=VIEWER)
        await _refused(api, f"{SERVICES}/{service_id}/start", 60002)
        stop = await api.call("POST", f"{SERVICES}/{service_id}/stop")
        assert (stop.data["name"], stop.data["status"]) == ("Stop arbitration service", "RUNNING")
        await _until(api, stop.data["id"], "SUCCESSFUL")
        service = (await api.call("GET", f"{SERVICES}/{service_id}")).data
        assert (service["status"], service["activeTaskId"]) == ("STOPPED", None)
        deleted = await api.call("DELETE", f"{SERVICES}/{service_id}/delete")
        assert deleted.data["name"] == "Delete arbitration service"
        await _until(api, deleted.data["id"], "SUCCESSFUL")
        assert (await api.call("GET", f"{SERVICES}/{service_id}")).data["status"] == "DELETED"
        assert (await agent.status(2882))["state"] == "ABSENT"


async def test_create_route_installs_and_starts_a_new_service(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine_api(store, tmp_path, monkeypatch) as (api, agent, service_id):
        host_id = (await api.call("GET", f"{SERVICES}/{service_id}")).data["hostId"]
        body = {"name": "arb-new", "hostId": host_id, "svrPort": 2890, "rpmName": NEW_RPM}
        await _refused_body(api, SERVICES, {**body, "svrPort": 2882}, 10009)
        created = await api.call("POST", SERVICES, body)
        assert created.status == 200, created.body
        assert created.data["name"] == "Create arbitration service"
        assert [s["status"] for s in created.data["subtasks"]][1:] == ["PENDING"] * 3
        await _until(api, created.data["id"], "SUCCESSFUL")
        services = (await api.call("GET", f"{SERVICES}?keyword=arb-new")).data
        (service,) = services["contents"]
        assert (service["status"], service["rpmName"], service["activeTaskId"]) == (
            "RUNNING",
            NEW_RPM,
            None,
        )
        assert await agent.status(2890) == {"port": 2890, "state": "RUNNING", "rpmName": NEW_RPM}


async def _refused_body(api: Api, path: str, body: dict[str, Any], code: int) -> None:
    head = api.head()
    reply = await api.call("POST", path, body)
    assert (reply.status, reply.error["code"]) == (409, code), reply.body
    assert api.head() == head
