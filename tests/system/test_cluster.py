"""Three `arbiter serve` processes on one PostgreSQL, real `arbiter agent` processes as hosts.

One cluster, two waves of upgrades (each service goes OLD -> NEW_RPMS[0] -> NEW_RPMS[1]):
1. 200 upgrades submitted round-robin across the nodes all end SUCCESSFUL with every agent step
   executed exactly once, and the work is shared by every node. Meanwhile the same clientToken
   sent to two nodes at the same moment yields one task, several times over.
2. 200 more, and `kill -9` of one node in the middle: the others take over its RUNNING subtasks
   after the lease, every task still finishes, no step ever runs twice at the same time, and
   each interrupted step runs at most once more.
"""

import asyncio
import itertools
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from api.demo import NEW_RPMS
from domain.task import Task
from infrastructure.persistence.store import postgres_store
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.test_engine_support import no_overlap
from tests.stores import POSTGRES_URL, fresh_postgres_schema
from tests.system.test_cluster_support import (
    Cluster,
    Node,
    Timing,
    by_step,
    closed,
    cluster,
    opened,
)

pytestmark = [pytest.mark.system, pytest.mark.postgres]
UPGRADES = int(os.environ.get("ARBITER_CLUSTER_UPGRADES", "200"))
NODES, AGENTS, TWINS = 3, 3, 5
TIMING = Timing()
AGENT_STEPS = 3  # stop, install, start: the upgrade steps that act on the host
SERVICES = "/api/v2/arbitration/services?size=2000"
WAVE_SECONDS = 150.0  # a bound, not the expectation (about 15 s each on a busy 2-core machine)
HEAD_START = 0.5  # seconds of the second wave before the kill: some tasks are done by then


async def unfinished(c: Cluster) -> int:
    """How many tasks are still RUNNING, from the task list view of a live node."""
    path = "/api/v2/tasks/instances?status=RUNNING&size=1"
    return int((await c.call(c.live()[0], "GET", path))["page"]["totalElements"])


async def until_settled(c: Cluster) -> None:
    deadline = time.monotonic() + WAVE_SECONDS
    while (left := await unfinished(c)) > 0:
        assert time.monotonic() < deadline, f"{left} tasks still RUNNING after {WAVE_SECONDS} s"
        await asyncio.sleep(0.5)


async def tasks_of(c: Cluster, ids: list[int]) -> list[dict[str, Any]]:
    """Every task through the API, spread over the live nodes."""
    live = c.live()
    path = "/api/v2/tasks/instances/{}"
    return [await c.call(live[i % len(live)], "GET", path.format(t)) for i, t in enumerate(ids)]


async def twins(c: Cluster, rpm: str) -> list[int]:
    """The same clientToken sent to two different nodes at the same moment: one task."""
    tasks = []
    for number, (service_id, _) in enumerate(c.services[UPGRADES:]):
        token = f"cluster-twin-{number:04d}"
        first, second = await asyncio.gather(
            c.upgrade(number % NODES, service_id, rpm, token),
            c.upgrade((number + 1) % NODES, service_id, rpm, token),
        )
        assert first == second
        tasks.append(first)
    return tasks


def assert_successful(tasks: list[dict[str, Any]]) -> None:
    assert {t["status"] for t in tasks} == {"SUCCESSFUL"}
    assert {s["status"] for t in tasks for s in t["subtasks"]} == {"SUCCESSFUL"}
    assert len({t["id"] for t in tasks}) == len(tasks)


def of_tasks(entries: list[dict[str, Any]], ids: list[int]) -> list[dict[str, Any]]:
    wanted = {str(i) for i in ids}
    return [e for e in entries if e["requestId"].split("-")[0] in wanted]


async def test_three_nodes_share_the_work_and_survive_a_kill_9(tmp_path: Path) -> None:
    with fresh_postgres_schema() as schema:
        url = f"{POSTGRES_URL}?schema={schema}"
        with cluster(url, tmp_path, NODES, AGENTS, TIMING) as c:
            await opened(c)
            try:
                await c.register(UPGRADES + TWINS)
                await wave_on_three_nodes(c)
                second, victim, entries = await wave_with_a_kill(c)
                services = await c.call(c.live()[0], "GET", SERVICES)
            finally:
                await closed(c)
        aggregates = stored_tasks(url, second)
    check_takeovers(aggregates, victim, of_tasks(entries, second))
    rpms = {s["id"]: (s["status"], s["rpmName"], s["activeTaskId"]) for s in services["contents"]}
    upgraded = [rpms[sid] for sid, _ in c.services[:UPGRADES]]
    assert set(upgraded) == {("RUNNING", NEW_RPMS[1], None)}


async def wave_on_three_nodes(c: Cluster) -> None:
    """200 upgrades (plus the twins) on three nodes: every agent step exactly once."""
    ids, twin_ids = await asyncio.gather(c.submit(UPGRADES, NEW_RPMS[0]), twins(c, NEW_RPMS[0]))
    await until_settled(c)
    tasks = await tasks_of(c, ids + twin_ids)
    assert_successful(tasks)
    assert len(tasks) == UPGRADES + TWINS
    steps = by_step(of_tasks(await c.ledgers(), ids + twin_ids))
    assert len(steps) == AGENT_STEPS * len(tasks)
    shapes = {(len(e), e[0]["requestId"].endswith("-1"), e[0]["outcome"]) for e in steps.values()}
    assert shapes == {(1, True, "ok")}  # one entry per step: attempt 1, ok
    assert {s["runTime"] for t in tasks for s in t["subtasks"]} == {1}
    # The work was shared: every node executed subtasks.
    executors = {s["executor"].split("#")[0] for t in tasks for s in t["subtasks"]}
    assert executors == {n.address for n in c.nodes}


async def wave_with_a_kill(c: Cluster) -> tuple[list[int], str, list[dict[str, Any]]]:
    """200 more upgrades; a third of the way through, kill -9 of the node that leads the
    projections (it runs subtasks like the others): another node takes the lead over."""
    ids = await c.submit(UPGRADES, NEW_RPMS[1])
    (victim,) = [n for n in c.nodes if n.leads("projections")]
    await asyncio.sleep(HEAD_START)
    await frozen_while_running(c, ids, victim)
    victim.process.kill()  # SIGKILL: no cleanup, no goodbye
    victim.process.wait(10)
    await until_settled(c)
    successors = [n.leads("projections") for n in c.nodes if n is not victim]
    assert sorted(successors) == [False, True]  # exactly one survivor took the lead
    assert c.registry() == {n.address: "SILENT" if n is victim else "LIVE" for n in c.nodes}
    tasks = await tasks_of(c, ids)
    assert_successful(tasks)
    return ids, victim.address, await c.ledgers()


async def until_running_on(c: Cluster, ids: list[int], address: str, name: str = "") -> int:
    """Read tasks (from the store, through another node) until one has a subtask RUNNING on
    the node at `address` (whose name starts with `name`); returns that task's id."""
    deadline = time.monotonic() + WAVE_SECONDS
    for task_id in itertools.cycle(ids):
        if await running_on(c, task_id, address, name):
            return task_id
        assert time.monotonic() < deadline, f"nothing ran on {address}"
    raise AssertionError("unreachable: the cycle is endless")


async def running_on(c: Cluster, task_id: int, address: str, name: str = "") -> bool:
    others = [i for i in c.live() if c.nodes[i].address != address]
    node = others[task_id % len(others)]
    task = await c.call(node, "GET", f"/api/v2/tasks/instances/{task_id}")
    return any(
        s["status"] == "RUNNING"
        and s["executor"].startswith(f"{address}#")
        and s["name"].startswith(name)
        for s in task["subtasks"]
    )


async def frozen_while_running(c: Cluster, ids: list[int], node: Node) -> None:
    """SIGSTOP `node` at a moment it surely holds a RUNNING subtask: a step seen running may
    finish before a signal lands (the wave is fast), so freeze first, then look again."""
    while True:
        task_id = await until_running_on(c, ids, node.address)
        node.process.send_signal(signal.SIGSTOP)
        if await running_on(c, task_id, node.address):
            return
        node.process.send_signal(signal.SIGCONT)


# The tasks, and every line of each of their subtasks' logs by (task id, subtask id).
Stored = tuple[list[Task], dict[tuple[int, int], list[str]]]


def check_takeovers(stored: Stored, victim: str, entries: list[dict[str, Any]]) -> None:
    tasks, logs = stored
    taken_over = {
        key
        for key, messages in logs.items()
        if any(f"executor {victim}#" in line and "was lost" in line for line in messages)
    }
    # The kill interrupted at least one run, and no more than the victim's workers held.
    assert 1 <= len(taken_over) <= TIMING.engine_workers
    for task in tasks:
        for subtask in task.subtasks:
            key = (task.task_id, subtask.id)
            assert subtask.attempt == (2 if key in taken_over else 1), key
    steps = by_step(entries)
    assert len(steps) == AGENT_STEPS * len(tasks)
    for (task_id, subtask_id), runs in steps.items():
        attempts = [int(e["requestId"].split("-")[2]) for e in runs]
        assert no_overlap(runs), runs  # never two runs of one step at the same time
        assert runs[-1]["outcome"] == "ok", runs
        if (int(task_id), int(subtask_id)) in taken_over:
            assert attempts in ([1, 2], [2]), runs  # at most once more
        else:
            assert attempts == [1], runs


async def test_a_stalled_node_is_fenced_and_its_late_outcomes_refused(tmp_path: Path) -> None:
    """SIGSTOP of a node while it runs steps, for two leases: the other node takes them over;
    resumed, the stalled node saves nothing for its old runs, and no step ever ran twice at the
    same time."""
    count = 30
    with fresh_postgres_schema() as schema:
        url = f"{POSTGRES_URL}?schema={schema}"
        with cluster(url, tmp_path, 2, 1, TIMING) as c:
            await opened(c)
            try:
                await c.register(count)
                # Installs take a second: the stalled node surely holds runs when it stops.
                await c.agents[0].inject_fault("install", "slow", times=2 * count, seconds=1.0)
                ids = await c.submit(count, NEW_RPMS[0])
                stalled = c.nodes[1]
                await until_running_on(c, ids, stalled.address, "Install")
                stalled.process.send_signal(signal.SIGSTOP)
                await asyncio.sleep(2 * TIMING.lease_seconds)
                stalled.process.send_signal(signal.SIGCONT)
                await until_settled(c)
                tasks = await tasks_of(c, ids)
                entries = of_tasks(await c.ledgers(), ids)
            finally:
                await closed(c)
        aggregates = stored_tasks(url, ids)
    assert_successful(tasks)
    # Every subtask the stalled node held was taken over and finished by attempt 2: nothing
    # its old attempts did on resuming was recorded (fenced out, stopped by its attempt check,
    # or refused as stale), and the ledger shows no two runs of a step at once.
    check_takeovers(aggregates, stalled.address, entries)


def stored_tasks(url: str, ids: list[int]) -> Stored:
    """The tasks as the store holds them, read once the cluster is down."""
    store = ArbiterApp(postgres_store(url), "test")
    try:
        tasks = [store.get_task(t) for t in ids]
        logs = {
            (task.task_id, s.id): [
                line.message for run in store.subtask_log(task.task_id, s.id) for line in run.lines
            ]
            for task in tasks
            for s in task.subtasks
        }
        return tasks, logs
    finally:
        store.close()
