"""Benchmark (not a test): projection rebuild rate vs a raw read of the same notifications, and
the task list endpoint's latency with many tasks in the store. `make bench`; results go to
docs/benchmarks.md by hand.

    python -m bench.bench_projections [--tasks 100000] [--postgres URL]
"""

import argparse
import asyncio
import base64
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from api.app import init_app
from api.users import User, UserDirectory
from domain.enums import FailureReason
from domain.subtask import chain_specs
from domain.task import Task
from domain.templates import UPGRADE
from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import ADMIN, ENGINE, seed_service
from tests.logs import lines

SAVE_BATCH = 200
BASIC = "Basic " + base64.b64encode(b"admin:x").decode()
READ_BATCH = 500


def fill(arbiter: ArbiterApp, tasks: int, mix: str = "new") -> None:
    """`tasks` upgrade tasks. Mix "new": one in three has its first step run and failed (3
    events more), the rest just created: a store of tasks that barely started. Mix "finished":
    every task runs to its end as the engine would (15 events), one in ten failing its second
    step and rolled back: what a store that has been in service looks like."""
    service_id = seed_service(arbiter)
    made = 0
    while made < tasks:
        batch = []
        for _ in range(min(SAVE_BATCH, tasks - made)):
            task_id, *ids = arbiter.ids.allocate(1 + len(UPGRADE.subtasks))
            task = Task.create(
                task_id=task_id,
                name=UPGRADE.name,
                template=UPGRADE.key,
                service_id=service_id,
                params={},
                subtasks=chain_specs(UPGRADE, ids),
                executor="bench",
                client_token=None,
                caller=ADMIN,
            )
            if mix == "finished":
                _run(task, fail_at=1 if task_id % 10 == 0 else None)
                if task_id % 10 == 0:
                    task.rollback(ADMIN)
                    _run(task, fail_at=None)
            elif task_id % 3 == 0:
                _run(task, fail_at=0)
            batch.append(task)
        arbiter.save(*batch)
        made += len(batch)
        print(f"\rfilled {made}/{tasks} tasks", end="", flush=True)
    print()


def _run(task: Task, fail_at: int | None) -> None:
    """Start and finish the READY subtasks one by one; the step `fail_at` fails instead."""
    done = 0
    while ready := task.ready_subtasks():
        subtask_id = ready[0].id
        attempt = task.start_subtask(subtask_id, "bench", ENGINE)
        if done == fail_at:
            reason = FailureReason.ERROR
            task.fail_subtask(subtask_id, attempt, reason, lines("x"), ENGINE)
            return
        task.complete_subtask(subtask_id, attempt, lines("done"), ENGINE)
        done += 1


def raw_read(arbiter: ArbiterApp, topics: tuple[str, ...]) -> tuple[int, float]:
    """Select and decode every notification the projection reads, as fast as it goes."""
    started, count, position = time.perf_counter(), 0, 0
    while True:
        notes = arbiter.recorder.select_notifications(
            position, READ_BATCH, topics=topics, inclusive_of_start=False
        )
        for note in notes:
            arbiter.mapper.to_domain_event(note)
        count += len(notes)
        if len(notes) < READ_BATCH:
            return count, time.perf_counter() - started
        position = notes[-1].id


def rebuild(arbiter: ArbiterApp, name: str) -> float:
    started = time.perf_counter()
    arbiter.projections.rebuild(name, limit=READ_BATCH)
    return time.perf_counter() - started


async def list_latency(store: StoreConfig, data_dir: Path, requests: int) -> list[float]:
    settings = Settings(
        data_dir=data_dir,
        database_url=store.database_url,
        engine_workers=0,
    )
    users = UserDirectory({"admin": User("admin", "", ("admin",), {})}, {"admin": ("TASK_VIEWER",)})
    users.check_password = lambda name, password: users.users.get(name)  # type: ignore[method-assign]
    runner = web.AppRunner(init_app(settings, users))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    queries = [
        {"size": "10"},
        {"size": "100", "page": "50"},
        {"status": "FAILED", "size": "20"},
        {"sort": "createTime,desc", "size": "50"},
        {"name": "upgrade", "page": "900", "size": "100"},
    ]
    timings = []
    async with ClientSession(headers={"Authorization": BASIC}) as session:
        for i in range(requests):
            started = time.perf_counter()
            url = f"http://127.0.0.1:{port}/api/v2/tasks/instances"
            async with session.get(url, params=queries[i % len(queries)]) as response:
                body: Any = await response.json()
                assert response.status == 200, body
            timings.append(time.perf_counter() - started)
    await runner.cleanup()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--mix", choices=("new", "finished"), default="new", help="see fill()")
    parser.add_argument("--postgres", help="postgresql://...?schema=NAME (an empty schema)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="arbiter-bench-"))
    store = (
        postgres_store(args.postgres) if args.postgres else sqlite_store(data_dir / "events.sqlite")
    )
    arbiter = ArbiterApp(store, "bench")
    started = time.perf_counter()
    fill(arbiter, args.tasks, args.mix)
    print(
        f"store: {'PostgreSQL' if store.is_postgres else 'SQLite'}, {arbiter.head_position()} "
        f"events, filled in {time.perf_counter() - started:.1f}s"
    )
    for name in ("tasks", "audit"):
        topics = arbiter.projections.all[name].topics
        count, raw_seconds = raw_read(arbiter, topics)
        seconds = rebuild(arbiter, name)
        raw_rate, rate = count / raw_seconds, count / seconds
        print(
            f"{name}: {count} events; raw read {raw_rate:,.0f} ev/s; rebuild {rate:,.0f} ev/s "
            f"({rate / raw_rate:.0%} of raw)"
        )
    timings = asyncio.run(list_latency(store, data_dir, args.requests))
    timings.sort()
    p50 = statistics.median(timings) * 1000
    p99 = timings[int(len(timings) * 0.99) - 1] * 1000
    print(
        f"GET /api/v2/tasks/instances, {args.tasks} tasks, {len(timings)} requests: "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {timings[-1] * 1000:.1f} ms"
    )
    arbiter.close()


if __name__ == "__main__":
    main()
