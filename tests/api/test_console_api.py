"""The API extensions the console and the client commands stand on: /console/me, a service's
upgrade candidates, the nodes in a task's history, and the live task stream."""

import asyncio
from typing import Any

import orjson

from domain.runs import Outcome
from tests.api.conftest import ADMIN, NEW_RPM, NODE_ADDRESS, OPERATOR, VIEWER, Api, basic
from tests.logs import lines

TASKS = "/api/v2/tasks/instances"
ALL_OPERATIONS = {
    "service": ["UPGRADE", "START", "STOP", "RESTART", "DELETE"],
    "task": ["RETRY", "ROLLBACK"],
    "subtask": ["RETRY", "SKIP", "CANCEL"],
}


async def test_me_names_the_user_and_the_operations_their_permissions_allow(api: Api) -> None:
    admin = await api.call("GET", "/api/v2/console/me")
    operator = await api.call("GET", "/api/v2/console/me", user=OPERATOR)
    viewer = await api.call("GET", "/api/v2/console/me", user=VIEWER)
    nobody = await api.call("GET", "/api/v2/console/me", user=None)

    assert admin.data == {
        "name": "admin",
        "roles": ["admin"],
        "permissions": [
            "ARBITRATION:CREATE",
            "ARBITRATION:DELETE",
            "ARBITRATION:UPDATE",
            "ARBITRATION:VIEW",
            "AUDIT:VIEW",
            "TASK_MANAGER",
            "TASK_VIEWER",
        ],
        "operations": ALL_OPERATIONS,
    }
    assert (operator.data["name"], operator.data["operations"]) == ("ops", ALL_OPERATIONS)
    assert "AUDIT:VIEW" not in operator.data["permissions"]
    assert viewer.data == {
        "name": "watcher",
        "roles": ["viewer"],
        "permissions": ["ARBITRATION:VIEW", "TASK_VIEWER"],
        "operations": {"service": [], "task": [], "subtask": []},
    }
    assert (nobody.status, nobody.error["code"]) == (401, 30000)


async def test_upgrade_candidates_are_newer_packages_for_the_hosts_architecture(
    api: Api, service_id: int
) -> None:
    """Registered: the current rpm, an older one, the same numbers on an older build, an aarch64
    build and one newer x86_64 rpm; only the last may be upgraded to."""
    packages = await api.call("GET", "/api/v2/software-packages?size=100")
    candidates = await api.call(
        "GET", f"/api/v2/arbitration/services/{service_id}/upgrade-candidates", user=VIEWER
    )
    missing = await api.call("GET", "/api/v2/arbitration/services/999999/upgrade-candidates")
    garbled = await api.call("GET", "/api/v2/arbitration/services/x1/upgrade-candidates")

    assert candidates.data == {
        "contents": [p for p in packages.data["contents"] if p["name"] == NEW_RPM]
    }
    assert (missing.status, missing.error["code"], missing.error["target"]) == (
        404,
        10002,
        "999999",
    )
    assert (garbled.status, garbled.error["code"]) == (400, 10001)


async def test_a_tasks_history_names_the_node_of_each_event(api: Api, service_id: int) -> None:
    """Created: the creating node; a start: its executor; an outcome: the executor of the
    attempt it ends; an operator's command: none."""
    task = (await api.upgrade(service_id)).data
    first, second = (s["id"] for s in task["subtasks"][:2])
    claim = await asyncio.to_thread(api.arbiter.claim_subtask, task["id"], first, "n1#a")
    assert claim is not None
    await asyncio.to_thread(api.arbiter.finish_subtask, claim, Outcome.SUCCEEDED, lines("ok"), None)
    await asyncio.to_thread(api.arbiter.claim_subtask, task["id"], second, "n2#b")
    await api.call("POST", f"{TASKS}/{task['id']}/subtasks/{second}/cancel")

    events = await api.call("GET", f"{TASKS}/{task['id']}/events")

    assert [
        (e["operation"], e["aggregate"], e["version"], e["node"]) for e in events.data["contents"]
    ] == [
        ("TaskCreated", "Task", 1, NODE_ADDRESS),
        ("ServiceTaskBound", "ArbitrationService", 2, None),
        ("SubtaskStarted", "Task", 2, "n1#a"),
        ("SubtaskSucceeded", "Task", 3, "n1#a"),
        ("SubtaskStarted", "Task", 4, "n2#b"),
        ("SubtaskCancelRequested", "Task", 5, None),
    ]


async def read_event(stream: Any) -> tuple[str, dict[str, Any]]:
    """The next `task` event of a stream: (its id, its data); keep-alive comments are skipped."""
    async with asyncio.timeout(20):
        while True:
            block = (await stream.content.readuntil(b"\n\n")).decode()
            fields = dict(
                line.split(": ", 1) for line in block.strip().splitlines() if ": " in line
            )
            if fields.get("event") == "task":
                return fields["id"], orjson.loads(fields["data"])


async def test_the_task_stream_pushes_the_task_at_each_change(api: Api, service_id: int) -> None:
    task = (await api.upgrade(service_id)).data
    first = task["subtasks"][0]["id"]
    missing = await api.call("GET", f"{TASKS}/999999/stream")

    async with api.client.get(
        f"{TASKS}/{task['id']}/stream", headers={"Authorization": basic(ADMIN)}
    ) as stream:
        assert stream.status == 200
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert stream.headers["Cache-Control"] == "no-store"
        opened = await read_event(stream)
        await asyncio.to_thread(api.arbiter.claim_subtask, task["id"], first, "n#1")
        claimed = await read_event(stream)
        await api.call("POST", f"{TASKS}/{task['id']}/subtasks/{first}/cancel")
        canceling = await read_event(stream)
    now = await api.call("GET", f"{TASKS}/{task['id']}")

    assert opened == ("1", task)
    assert claimed[0] == "2"
    assert (claimed[1]["subtasks"][0]["status"], claimed[1]["subtasks"][0]["executor"]) == (
        "RUNNING",
        "n#1",
    )
    assert canceling == ("3", now.data)
    assert now.data["subtasks"][0]["status"] == "CANCELING"
    assert (missing.status, missing.error["code"]) == (404, 20000)
