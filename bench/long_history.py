"""A long task history read through the API (docs/benchmarks.md, "Long histories").

One store (SQLite, or PostgreSQL with --postgres URL of an empty schema), filled in-process:
a fresh upgrade task (one event) and a long one (--events: its first step started, failed and
the task retried, again and again, as an operator retrying a failing step would; each failure
logs one line). Then a real server (init_app, engine off) on a free port, and --reps reps of,
one request at a time, the p50 over --reads of:

- `GET /api/v2/tasks/instances/{id}` of the fresh task, then of the long one;
- the long one `?asOf=` each of several versions, and `?asOf=` the time of its middle event;
- the log of the long task's first subtask (its every run) and of a subtask that never ran.

Every rep's figures are printed, each beside the fresh task's GET of the same rep, and the
machine's load average. It runs against other checkouts too (`PYTHONPATH=CHECKOUT`): before
the log left the Task, a step's lines were plain text.

    python -m bench.long_history [--events 10000] [--reps 5] [--reads 200] [--as-of-reads 20]
"""

import argparse
import asyncio
import base64
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from api.app import init_app
from api.users import User, UserDirectory
from domain.enums import FailureReason
from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import ADMIN, ENGINE, NEW_RPM, seed_service

try:
    from tests.logs import lines

    BOOM: list[Any] = lines("step failed: boom")
except ImportError:  # a checkout from before the log left the Task
    BOOM = ["step failed: boom"]

BASIC = "Basic " + base64.b64encode(b"admin:x").decode()


def build(store: StoreConfig, events: int) -> tuple[int, int, int]:
    """(fresh task, long task, the long task's version)."""
    app = ArbiterApp(store, "bench")
    try:
        fresh = app.upgrade(seed_service(app, 2881), NEW_RPM, None, ADMIN).task_id
        long = app.upgrade(seed_service(app, 2882), NEW_RPM, None, ADMIN).task_id
        task = app.get_task(long)
        while task.version + 3 <= events:
            subtask = task.ready_subtasks()[0]
            attempt = task.start_subtask(subtask.id, "bench", ENGINE)
            task.fail_subtask(subtask.id, attempt, FailureReason.ERROR, BOOM, ENGINE)
            task.retry(ADMIN)
            app.save(task)
        return fresh, long, task.version
    finally:
        app.close()


async def p50_ms(session: ClientSession, url: str, reads: int) -> float:
    took = []
    for _ in range(reads):
        started = time.perf_counter()
        async with session.get(url) as answer:
            await answer.read()
            assert answer.status == 200, (url, answer.status)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


async def measure(store: StoreConfig, data_dir: Path, args: argparse.Namespace) -> None:
    fresh, long, last = build(store, args.events)
    settings = Settings(data_dir=data_dir, database_url=store.database_url, engine_workers=0)
    users = UserDirectory({"admin": User("admin", "", ("admin",), {})}, {"admin": ("TASK_VIEWER",)})
    users.check_password = lambda name, password: users.users.get(name)  # type: ignore[method-assign]
    runner = web.AppRunner(init_app(settings, users), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}/api/v2/tasks/instances/"
    async with ClientSession(headers={"Authorization": BASIC}) as session:
        task = await (await session.get(f"{base}{long}")).json()
        events = await (await session.get(f"{base}{long}/events")).json()
        middle = events["data"]["contents"][last // 2]["time"]
        first, never = task["data"]["subtasks"][0]["id"], task["data"]["subtasks"][-1]["id"]
        versions = sorted({1, last // 4, last // 2, 3 * last // 4, last - 1, last})
        urls = {"fresh": f"{base}{fresh}", "long": f"{base}{long}"}
        urls |= {f"asOf={v}": f"{base}{long}?asOf={v}" for v in versions}
        urls["asOf=time"] = f"{base}{long}?asOf={middle.replace('+', '%2B')}"
        urls["log (every run)"] = f"{base}{long}/subtasks/{first}/log"
        urls["log (no run)"] = f"{base}{long}/subtasks/{never}/log"
        for url in urls.values():
            await p50_ms(session, url, 3)  # warm: caches, connections
        print(f"long task: {last} events; load average {os.getloadavg()}")
        print("| rep | read | p50 ms | x fresh |\n|---|---|---|---|")
        for rep in range(1, args.reps + 1):
            reference = await p50_ms(session, urls["fresh"], args.reads)
            print(f"| {rep} | fresh | {reference:.2f} | 1 |")
            for name, url in urls.items():
                if name == "fresh":
                    continue
                reads = args.reads if name == "long" else args.as_of_reads
                took = await p50_ms(session, url, reads)
                print(f"| {rep} | {name} | {took:.2f} | {took / reference:.1f} |")
        print(f"load average {os.getloadavg()}")
    await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--reads", type=int, default=200, help="GETs per p50 (fresh, long)")
    parser.add_argument("--as-of-reads", type=int, default=20, help="GETs per p50 (the rest)")
    parser.add_argument("--postgres", help="postgresql://...?schema=NAME (an empty schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="arbiter-bench-") as scratch:
        data_dir = Path(scratch)
        store = (
            postgres_store(args.postgres)
            if args.postgres
            else sqlite_store(data_dir / "events.sqlite")
        )
        asyncio.run(measure(store, data_dir, args))


if __name__ == "__main__":
    main()
