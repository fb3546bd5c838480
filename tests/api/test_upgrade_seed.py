"""The seed's sample request answers like OCP's sample response, field for field, on each store."""

import json
import re
from pathlib import Path
from typing import Any

from tests.api.conftest import ADMIN, NEW_RPM, NODE_ADDRESS, Api, serving

SEED = json.loads((Path(__file__).parent / "seed_upgrade_response.json").read_text())
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$")
TRACE_ID = re.compile(r"^[0-9a-f]{16}$")
CHAIN = [
    "Prepare upgrade arbitration service",
    "Stop arbitration service",
    "Begin upgrade arbitration",
    "Install arbitration rpm",
    "Start arbitration service",
    "Update arbitration service version",
    "Update arbitration service status",
]
# What arbiter sends beyond OCP's sample: times OCP shows in task detail, and the subtask's
# executor and times, which the sample leaves unset. They are always present (null until known).
# allowedOperations is arbiter's: what the rules let an operator do next.
TASK_EXTRAS = {"createTime", "finishTime", "allowedOperations"}
SUBTASK_EXTRAS = {"executor", "startTime", "finishTime", "allowedOperations"}
# Values that are the same in every upgrade task, compared with the seed as they are.
SUBTASK_FIXED = [
    "name",
    "description",
    "nodeType",
    "operation",
    "parallelIdx",
    "prohibitRollback",
    "prohibitSkip",
    "runTime",
    "seriesId",
    "status",
    "timeout",
]


def same_types(ours: object, theirs: object, where: str = "") -> None:
    """Every value has the JSON type of the seed's value at the same place."""
    assert type(ours) is type(theirs), f"{where}: {type(ours).__name__} != {type(theirs).__name__}"
    if isinstance(theirs, dict):
        assert isinstance(ours, dict)
        for key, value in theirs.items():
            same_types(ours[key], value, f"{where}.{key}")
    elif isinstance(theirs, list) and theirs:
        assert isinstance(ours, list)
        for item in ours:
            same_types(item, theirs[0], f"{where}[]")


def edges_by_name(subtasks: list[dict[str, Any]]) -> dict[str, tuple[list[str], list[str]]]:
    names = {s["id"]: s["name"] for s in subtasks}
    return {
        s["name"]: ([names[u] for u in s["upstreams"]], [names[d] for d in s["downstreams"]])
        for s in subtasks
    }


async def test_seed_sample_matches_field_for_field(api: Api, service_id: int) -> None:
    reply = await api.upgrade(service_id, NEW_RPM)

    assert reply.status == 200, reply.body
    body, task = reply.body, reply.data
    assert set(body) == set(SEED)
    same_types(
        {k: v for k, v in body.items() if k != "data"},
        {k: v for k, v in SEED.items() if k != "data"},
    )
    assert (body["successful"], body["status"]) == (True, 200)
    assert TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    assert TRACE_ID.match(body["traceId"]), body["traceId"]
    assert 0 <= body["duration"] < 60_000
    assert body["server"]

    assert set(task) == set(SEED["data"]) | TASK_EXTRAS
    same_types({k: task[k] for k in SEED["data"]}, SEED["data"], "data")
    fixed = ["name", "type", "taskDefinitionId", "status", "operation", "prohibitRollback"]
    assert {k: task[k] for k in fixed} == {k: SEED["data"][k] for k in fixed}
    assert task["creator"] == ADMIN[0]
    assert task["executor"] == NODE_ADDRESS
    assert TIMESTAMP.match(task["startTime"])
    assert task["createTime"] == task["startTime"]
    assert task["finishTime"] is None

    subtasks = task["subtasks"]
    assert [s["name"] for s in subtasks] == CHAIN  # chain order, unlike the sample's
    seeded = {s["name"]: s for s in SEED["data"]["subtasks"]}
    for subtask in subtasks:
        theirs = seeded[subtask["name"]]
        assert set(subtask) == set(theirs) | SUBTASK_EXTRAS
        assert {k: subtask[k] for k in SUBTASK_FIXED} == {k: theirs[k] for k in SUBTASK_FIXED}
        assert subtask["taskId"] == task["id"]
        assert (subtask["executor"], subtask["startTime"], subtask["finishTime"]) == (
            None,
            None,
            None,
        )
    assert [s["status"] for s in subtasks] == ["READY"] + ["PENDING"] * 6
    assert edges_by_name(subtasks) == edges_by_name(SEED["data"]["subtasks"])
    ids = [s["id"] for s in subtasks]
    assert len({*ids, task["id"]}) == 8
    assert [s["upstreams"] for s in subtasks] == [[]] + [[i] for i in ids[:-1]]
    assert [s["downstreams"] for s in subtasks] == [[i] for i in ids[1:]] + [[]]


async def test_the_task_survives_a_restart(api: Api, service_id: int) -> None:
    created = await api.upgrade(service_id)
    assert created.status == 200, created.body
    path = f"/api/v2/tasks/instances/{created.data['id']}"
    before = await api.call("GET", path)
    await api.client.close()

    async with serving(api.settings) as restarted:
        after = await restarted.call("GET", path)
        service = await restarted.call("GET", f"/api/v2/arbitration/services/{service_id}")

    assert after.status == 200, after.body
    assert after.data == created.data == before.data
    assert service.data["activeTaskId"] == created.data["id"]
    assert after.body["traceId"] != created.body["traceId"]


async def test_unknown_task_is_20000(api: Api) -> None:
    reply = await api.call("GET", "/api/v2/tasks/instances/987654")

    assert reply.status == 404
    assert reply.error["code"] == 20000
    assert "987654" in reply.error["message"]
