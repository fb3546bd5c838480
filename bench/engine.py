"""Engine-only benchmark (`make bench-engine`; results in docs/benchmarks.md, "Cluster").

The engine of one process (infrastructure/engine/) on SQLite (a fresh file) and PostgreSQL (a
fresh schema) with an in-process instant host agent (bench/instant_agent.py): no HTTP, no API,
no projections, so it measures what the engine and the store do per transition. `--upgrades`
tasks are created first, then the engine is started and timed until every one is SUCCESSFUL.
Beside it, in the same run, the raw single-event append rate of the same kind of store
(bench/cluster.py's raw_append_rates).

    python -m bench.engine [--stores sqlite,postgres] [--upgrades 300] [--workers 8,64]
                           [--rounds 1]
"""

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from api.demo import NEW_RPMS, OLD_RPM
from bench.cluster import TRANSITIONS_PER_UPGRADE, raw_append_rates, raw_rates
from bench.instant_agent import InstantAgent
from domain.caller import Caller
from domain.enums import TaskStatus
from infrastructure.engine.worker import Engine
from infrastructure.gate import StoreGate
from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.inventory import ServiceSpec
from tests.stores import POSTGRES_URL, fresh_postgres_schema

WHO = Caller("bench", "0123456789abcdef")
HOSTS = 10
SETTINGS = Settings(
    engine_workers=8, lease_seconds=10.0, heartbeat_seconds=2.0, poll_seconds=0.5, store_threads=4
)


def prepare(app: ArbiterApp, upgrades: int) -> list[int]:
    """Packages, hosts, services and one upgrade task per service; the tasks' ids."""
    for rpm in (OLD_RPM, *NEW_RPMS):
        app.register_package(rpm, WHO)
    hosts = [app.register_host(f"10.1.0.{i}", "x86_64", "instant", WHO) for i in range(HOSTS)]
    tasks = []
    for number in range(upgrades):
        host = hosts[number % HOSTS]
        port = 3000 + number
        spec = ServiceSpec(f"arb-{number}", host.host_id, port, "/i", "/r", "admin", OLD_RPM)
        service = app.register_service(spec, WHO)
        tasks.append(app.upgrade(service.service_id, NEW_RPMS[-1], None, WHO).task_id)
    return tasks


@contextmanager
def fresh_store(kind: str) -> Iterator[StoreConfig]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-engine-") as directory:
            yield sqlite_store(Path(directory) / "events.sqlite")
        return
    with fresh_postgres_schema() as schema:
        yield postgres_store(f"{POSTGRES_URL}?schema={schema}&pool_size=4&max_overflow=0")


async def run(kind: str, upgrades: int, workers: int) -> dict[str, Any]:
    with fresh_store(kind) as store:
        settings = replace(SETTINGS, engine_workers=workers)
        gate = StoreGate(settings.store_threads)
        app = await gate.call(ArbiterApp, store, "bench")
        ids = await gate.call(prepare, app, upgrades)
        while await gate.call(app.feed_queue) > 0:  # queued before the clock starts
            pass
        agent = InstantAgent()
        engine = Engine(app, gate, lambda _: agent, settings, "bench")
        cpu, started = time.process_time(), time.time()
        await engine.start()
        try:
            while await gate.call(app.queued_tasks) or engine.runs:
                await asyncio.sleep(0.05)
            cpu = time.process_time() - cpu  # includes the last sweep's lag: a little high
            tasks = [await gate.call(app.get_task, i) for i in ids]
        finally:
            await engine.stop()
            gate.close()
            app.close()
        # The clock stops at the last task's own finish time, not at the sweep that noticed it.
        wall = max(t.finish_time.timestamp() for t in tasks if t.finish_time) - started
        raw = raw_append_rates(store)
    transitions = upgrades * TRANSITIONS_PER_UPGRADE
    batcher = getattr(engine, "batcher", None)  # absent before batching (same bench, old code)
    return {
        "workers": workers,
        "wall_s": round(wall, 2),
        "transitions_per_s": round(transitions / wall),
        "cpu_ms_per_transition": round(cpu * 1000 / transitions, 2),
        "requests_per_commit": round(batcher.requests / batcher.commits, 1) if batcher else 1,
        "raw": raw,
        "ok": all(t.status is TaskStatus.SUCCESSFUL for t in tasks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.engine")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--upgrades", type=int, default=300)
    parser.add_argument("--workers", default="8,64")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL", ""))
    args = parser.parse_args()
    print(
        "| code | store | workers | upgrades | wall s | transitions/s "
        "| process CPU ms/transition | requests/commit | raw appends/s | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for _ in range(args.rounds):
        for kind in args.stores.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                result = asyncio.run(run(kind, args.upgrades, workers))
                raw = raw_rates(result["raw"])
                load = " ".join(f"{figure:.1f}" for figure in os.getloadavg())
                print(
                    f"| {args.label} | {kind} | {workers} | {args.upgrades} | "
                    f"{result['wall_s']} | {result['transitions_per_s']} | "
                    f"{result['cpu_ms_per_transition']} | {result['requests_per_commit']} | "
                    f"{raw} | {load} |" + ("" if result["ok"] else " NOT ALL SUCCESSFUL"),
                    flush=True,
                )


if __name__ == "__main__":
    main()
