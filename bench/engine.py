"""Engine-only benchmark (`make bench-engine`; results in docs/benchmarks.md, "Cluster").

The engine of one process (infrastructure/engine/) on PostgreSQL with an in-process instant
host agent (bench/instant_agent.py): no HTTP, no API, no projections, so it measures what the
engine and the store do per transition. `--upgrades` tasks are created first, then the engine
is started and timed until every one is SUCCESSFUL. Beside it, in the same run, the raw
single-event append rate of the same store (bench/cluster.py's raw_append_rate).

    python -m bench.engine [--upgrades 300] [--workers 8,64] [--rounds 1]
"""

import argparse
import asyncio
import os
import time
from dataclasses import replace
from typing import Any

from api.demo import NEW_RPMS, OLD_RPM
from bench.cluster import APPEND_THREADS, TRANSITIONS_PER_UPGRADE, raw_append_rate, raw_rates
from bench.instant_agent import InstantAgent
from domain.caller import Caller
from domain.enums import TaskStatus
from infrastructure.engine.worker import Engine
from infrastructure.gate import StoreGate
from infrastructure.persistence.store import postgres_store
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


async def run(upgrades: int, workers: int) -> dict[str, Any]:
    with fresh_postgres_schema() as schema:
        url = f"{POSTGRES_URL}?schema={schema}&pool_size=4&max_overflow=0"
        settings = replace(SETTINGS, engine_workers=workers)
        gate = StoreGate(settings.store_threads)
        app = await gate.call(ArbiterApp, postgres_store(url), "bench")
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
        raw = {threads: raw_append_rate(schema, threads) for threads in APPEND_THREADS}
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
    parser.add_argument("--upgrades", type=int, default=300)
    parser.add_argument("--workers", default="8,64")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL", ""))
    args = parser.parse_args()
    print(
        "| code | workers | upgrades | wall s | transitions/s | process CPU ms/transition "
        "| requests/commit | raw appends/s |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for _ in range(args.rounds):
        for workers in (int(w) for w in args.workers.split(",")):
            result = asyncio.run(run(args.upgrades, workers))
            raw = raw_rates(result["raw"])
            print(
                f"| {args.label} | {workers} | {args.upgrades} | {result['wall_s']} | "
                f"{result['transitions_per_s']} | {result['cpu_ms_per_transition']} | "
                f"{result['requests_per_commit']} | {raw} |"
                + ("" if result["ok"] else " NOT ALL SUCCESSFUL"),
                flush=True,
            )


if __name__ == "__main__":
    main()
