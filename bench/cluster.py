"""Cluster benchmark (`make bench-cluster`; results in docs/benchmarks.md, not part of make test).

1. Completed upgrades per minute with 1, 2 and 3 `arbiter serve` nodes on one PostgreSQL, real
   `arbiter agent` processes (each agent action takes --action-seconds).
2. Subtask transitions per second with instant agent steps (action 0 s), side by side with the
   raw single-event append rate of the same PostgreSQL in the same run: one new event per
   commit, back to back, the ceiling of a design that commits each transition on its own.

A transition is one saved subtask state change (READY -> RUNNING, RUNNING -> SUCCESSFUL): an
upgrade of 7 subtasks makes 14.

    python -m bench.cluster [--upgrades 100] [--nodes 1,2,3] [--action-seconds 0.02]
                            [--workers 8] [--kinds action,instant]
"""

import argparse
import asyncio
import os
import tempfile
import threading
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from api.demo import NEW_RPMS
from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store
from tests.stores import POSTGRES_URL, fresh_postgres_schema
from tests.system.test_cluster_support import Cluster, Timing, cluster, opened

TRANSITIONS_PER_UPGRADE = 14
APPEND_THREADS = (1, 4)


async def run_upgrades(nodes: int, upgrades: int, timing: Timing) -> dict[str, Any]:
    """A fresh schema and cluster; `upgrades` submitted round-robin; timed until all finish."""
    with (
        fresh_postgres_schema() as schema,
        tempfile.TemporaryDirectory() as directory,
        cluster(f"{POSTGRES_URL}?schema={schema}", Path(directory), nodes, 3, timing) as c,
    ):
        await opened(c)
        try:
            await c.register(upgrades)
            started = time.monotonic()
            before = sum(cpu_seconds(n.process.pid) for n in c.nodes)
            ids = await c.submit(upgrades, NEW_RPMS[-1])
            submitted = time.monotonic() - started  # the engine cannot outrun the submissions
            tasks = await _settled(c, ids)
            wall = time.monotonic() - started
            cpu = sum(cpu_seconds(n.process.pid) for n in c.nodes) - before
        finally:
            if c.session is not None:
                await c.session.close()
            for agent in c.agents:
                await agent.close()
        raw = raw_append_rates(postgres_store(f"{POSTGRES_URL}?schema={schema}"))
    first = min(_time(t["startTime"]) for t in tasks)
    last = max(_time(t["finishTime"]) for t in tasks)
    busy = (last - first).total_seconds()
    return {
        "nodes": nodes,
        "upgrades": upgrades,
        "wall_s": round(wall, 1),
        "submit_s": round(submitted, 1),
        "upgrades_per_min": round(upgrades / wall * 60),
        "transitions_per_s": round(upgrades * TRANSITIONS_PER_UPGRADE / busy),
        "raw_appends_per_s": raw,
        "node_cpu_ms_per_transition": round(cpu * 1000 / (upgrades * TRANSITIONS_PER_UPGRADE), 2),
        "ok": all(t["status"] == "SUCCESSFUL" for t in tasks),
    }


async def _settled(c: Cluster, ids: list[int]) -> list[dict[str, Any]]:
    """Every task, once the task list view shows none RUNNING and the store agrees."""
    path = "/api/v2/tasks/instances?status=RUNNING&size=1"
    while True:
        if (await c.call(0, "GET", path))["page"]["totalElements"] == 0:
            tasks = [await c.call(0, "GET", f"/api/v2/tasks/instances/{i}") for i in ids]
            if all(t["status"] != "RUNNING" for t in tasks):
                return tasks
        await asyncio.sleep(0.25)


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


class _Counter(Aggregate):
    @event("Counted")
    def count(self) -> None:
        pass


class _RawAppend(Application[UUID]):
    name = "rawappend"  # its own tables beside arbiter's, in the same schema


def raw_append_rates(store: StoreConfig) -> dict[int, int]:
    """The raw append rate from each of APPEND_THREADS threads, on a store like `store`: the
    same PostgreSQL schema (tables of its own), or a SQLite file of its own beside its file
    (SQLite's tables ignore the application's name)."""
    if store.is_postgres:
        env = {**store.env, "POSTGRES_POOL_SIZE": "8"}
    else:
        env = sqlite_store(Path(store.sqlite_path).with_name("rawappend.sqlite")).env
    return {threads: raw_append_rate(env, threads) for threads in APPEND_THREADS}


def raw_append_rate(env: dict[str, str], threads: int, seconds: float = 3.0) -> int:
    """Single-event commits per second: each thread its own aggregate."""
    app = _RawAppend(env=env)
    counts = [0] * threads
    deadline = time.monotonic() + seconds

    def append(index: int) -> None:
        counter = _Counter()
        app.save(counter)
        while time.monotonic() < deadline:
            counter.count()
            app.save(counter)
            counts[index] += 1

    workers = [threading.Thread(target=append, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(seconds + 30)
    app.close()
    return round(sum(counts) / seconds)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.cluster")
    parser.add_argument("--upgrades", type=int, default=100)
    parser.add_argument("--nodes", default="1,2,3")
    parser.add_argument("--action-seconds", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--kinds", default="action,instant", help="which runs: action, instant")
    args = parser.parse_args()
    timing = replace(Timing(), engine_workers=args.workers)
    print(
        "| run | nodes | workers | upgrades | submitted in s | wall s | upgrades/min "
        "| transitions/s | node CPU ms/transition | raw appends/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    counts = [int(n) for n in args.nodes.split(",")]
    kinds = args.kinds.split(",")
    runs = [(f"agent action {args.action_seconds} s", n, args.action_seconds) for n in counts]
    runs = runs if "action" in kinds else []
    runs += [("instant agent steps", n, 0.0) for n in counts] if "instant" in kinds else []
    for label, nodes, action in runs:
        each = replace(timing, action_seconds=action)
        result = asyncio.run(run_upgrades(nodes, args.upgrades, each))
        raw = raw_rates(result["raw_appends_per_s"])
        print(
            f"| {label} | {nodes} | {args.workers} | {result['upgrades']} | "
            f"{result['submit_s']} | {result['wall_s']} | "
            f"{result['upgrades_per_min']} | {result['transitions_per_s']} | "
            f"{result['node_cpu_ms_per_transition']} | {raw} |"
            + ("" if result["ok"] else " NOT ALL SUCCESSFUL"),
            flush=True,
        )


def raw_rates(rates: dict[int, int]) -> str:
    """The raw append rates of one row, per thread count."""
    return " / ".join(f"{rate} ({threads} thr)" for threads, rate in rates.items())


if __name__ == "__main__":
    main()
