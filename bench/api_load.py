"""API benchmark (`make bench-api`; results in docs/benchmarks.md, "The API under load").

Per store (SQLite in a fresh data directory, PostgreSQL in a fresh schema), all in one run:

1. In-process, before the server starts: packages, a host, two services, a fresh upgrade task
   (one event) and a long one (--history-events: its first step started, failed and the task
   retried, again and again, as an operator retrying a failing step would).
2. A real `arbiter serve` with its engine off (ARBITER_ENGINE_WORKERS=0) on a free port; hosts
   and services registered through its API, enough for every round to upgrade services of its own.
3. --rounds rounds, alternating: --requests `POST .../services/{id}/upgrade` (each its own
   service and clientToken) at --connections connections, then --trivial-requests POSTs to a
   trivial aiohttp app (bench/trivial_app.py, its own process), both driven by wrk (a Python
   client could not drive the trivial app) with the same script and concurrency. Before each
   side the other process is let go quiet (the server catches its views up after a round).
   After each upgrade round: the server's RSS and its CPU per request.
4. The long history: `GET /api/v2/tasks/instances/{id}` of the long task, and with ?asOf= at
   several versions, each against a GET of the fresh task, p50 over --reads, in --read-reps reps.
5. The server's RSS after --idle seconds of idleness.

    python -m bench.api_load [--stores sqlite,postgres] [--rounds 4] [--requests 2000]
                             [--connections 64] [--trivial-requests 50000]
                             [--history-events 10000] [--idle 10]

Needs wrk (Debian: apt-get install -y wrk).
"""

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson

from api.demo import NEW_RPMS, OLD_RPM
from bench.cluster import cpu_seconds
from domain.caller import Caller
from domain.enums import FailureReason
from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.inventory import ServiceSpec
from tests.stores import POSTGRES_URL, fresh_postgres_schema
from tests.system.test_cluster_support import ARBITER, PASSWORD, bounded, free_port

LUA = Path(__file__).with_name("requests.lua")
WHO = Caller("bench", "0123456789abcdef")
TARGET = NEW_RPMS[-1]
PORTS_PER_HOST = 1000
REGISTER_AT_ONCE = 1  # they all write the one directory of services: racing only adds conflicts
WRK_THREADS = 2  # the machine's cores
WRK_TIMEOUT = "60s"  # latencies above it count as timeouts (wrk keeps a slot per microsecond)
QUIET_CPU = 0.1  # a process is quiet below this share of one core
READ_WARMUP = 5


@dataclass(frozen=True)
class History:
    long_task: int
    long_version: int
    fresh_task: int


def build_history(store: StoreConfig, events: int) -> History:
    """The two tasks of the read measurement, through the application, as the engine and an
    operator would make them (three events per failed run: started, failed, task retried)."""
    app = ArbiterApp(store, "bench")
    try:
        for rpm in (OLD_RPM, *NEW_RPMS):
            app.register_package(rpm, WHO)
        host = app.register_host("10.9.0.1", "x86_64", "http://127.0.0.1:1", WHO)
        tasks = []
        for port in (2881, 2882):
            spec = ServiceSpec(f"history-{port}", host.host_id, port, "/i", "/r", "admin", OLD_RPM)
            service = app.register_service(spec, WHO)
            tasks.append(app.upgrade(service.service_id, TARGET, None, WHO).task_id)
        task = app.get_task(tasks[0])
        while task.version + 3 <= events:
            subtask = task.ready_subtasks()[0]
            attempt = task.start_subtask(subtask.id, "bench", WHO)
            task.fail_subtask(subtask.id, attempt, FailureReason.ERROR, ["boom"], WHO)
            task.retry(WHO)
            app.save(task)
        return History(tasks[0], task.version, tasks[1])
    finally:
        app.close()


@contextmanager
def stores(kind: str) -> Iterator[tuple[StoreConfig, dict[str, str], Path]]:
    """The store, the server's environment for it, and a scratch directory."""
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch:
        directory = Path(scratch)
        data_dir = directory / "data"
        env = {"ARBITER_DATA_DIR": str(data_dir)}
        if kind == "sqlite":
            yield sqlite_store(data_dir / "events.sqlite"), env, directory
            return
        with fresh_postgres_schema() as schema:
            url = f"{POSTGRES_URL}?schema={schema}"
            yield postgres_store(url), {**env, "ARBITER_DATABASE_URL": url}, directory


@contextmanager
def process(
    command: list[str], env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        started = subprocess.Popen(command, env={**os.environ, **env}, stdout=out, stderr=out)
    try:
        yield started
    finally:
        started.terminate()
        try:
            started.wait(30)
        except subprocess.TimeoutExpired:
            started.kill()
            started.wait(10)


async def answering(url: str, probe: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while True:
            assert server.poll() is None, f"{url} exited"
            try:
                async with session.get(url + probe) as answer:
                    if answer.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, f"{url} did not answer within 60 s"
            await asyncio.sleep(0.1)


def session() -> aiohttp.ClientSession:
    auth = {"Authorization": aiohttp.encode_basic_auth("admin", PASSWORD)}
    return aiohttp.ClientSession(headers=auth, timeout=aiohttp.ClientTimeout(total=120))


RETRIED: list[int] = []  # the 500s that registration sent again


async def call(http: aiohttp.ClientSession, method: str, url: str, body: Any = None) -> Any:
    """The envelope's data; 503 (contended writes, nothing saved) is sent again, as
    docs/operations.md tells scripts to do, and so is 500: the SQLite stall (docs/benchmarks.md)
    answers it when a store connection timed out, before anything was saved."""
    while True:
        async with http.request(method, url, json=body) as answer:
            envelope = await answer.json()
        if answer.status == 500:
            RETRIED.append(500)
        elif answer.status != 503:
            assert answer.status == 200, (answer.status, envelope)
            return envelope["data"]
        await asyncio.sleep(0.05)


async def register(url: str, services: int) -> list[int]:
    """Hosts and `services` RUNNING services, through the API; the services' ids, in order."""
    api = url + "/api/v2"
    async with session() as http:
        hosts = []
        for number in range(-(-services // PORTS_PER_HOST)):
            body = {"ipAddress": f"10.8.{number // 250}.{number % 250 + 1}"}
            body |= {"architecture": "x86_64", "agentAddress": "http://127.0.0.1:1"}
            hosts.append((await call(http, "POST", f"{api}/compute/hosts", body))["id"])

        async def one(number: int) -> int:
            host, port = divmod(number, PORTS_PER_HOST)
            body = {"name": f"bench-{number}", "hostId": hosts[host]}
            body |= {"svrPort": 3000 + port, "rpmName": OLD_RPM}
            service = await call(http, "POST", f"{api}/arbitration/services/register", body)
            return int(service["id"])

        jobs = [one(n) for n in range(services)]
        return list(await bounded(jobs, REGISTER_AT_ONCE))


def wrk(url: str, path: str, ids: list[int], requests: int, connections: int, **what: str) -> Any:
    """One round: exactly `requests` answers (bench/requests.lua); its figures."""
    per_thread, rest = divmod(requests, WRK_THREADS)
    assert rest == 0, f"requests must be a multiple of {WRK_THREADS}"
    assert connections % WRK_THREADS == 0, f"connections must be a multiple of {WRK_THREADS}"
    spare = connections // WRK_THREADS
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as directory:
        for thread in range(WRK_THREADS):
            mine = ids[thread * (per_thread + spare) : (thread + 1) * (per_thread + spare)]
            assert len(mine) == per_thread + spare, "not enough ids for the round"
            Path(directory, f"ids.{thread}").write_text("".join(f"{i}\n" for i in mine))
        command = ["wrk", "-t", str(WRK_THREADS), "-c", str(connections), "-d", "3600s"]
        command += ["-H", f"Authorization: {aiohttp.encode_basic_auth('admin', PASSWORD)}"]
        command += ["-T", WRK_TIMEOUT, "-s", str(LUA), url, "--", directory, str(per_thread)]
        command += [path, what.get("token", "t"), TARGET]
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        markers = [Path(directory, f"done.{thread}") for thread in range(WRK_THREADS)]
        while run.poll() is None and not all(m.exists() for m in markers):
            time.sleep(0.01)
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=120)
    lines = [line for line in out.splitlines() if line.startswith("BENCH ")]
    assert lines, f"wrk gave no figures: {out} {err}"
    return orjson.loads(lines[0].removeprefix("BENCH "))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for {pid}")


def quiet(pid: int, within: float = 120.0) -> None:
    """Until the process uses less than QUIET_CPU of a core over half a second."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(0.5)
        if cpu_seconds(pid) - before < QUIET_CPU * 0.5:
            return


async def p50_ms(http: aiohttp.ClientSession, url: str, times: int) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        async with http.get(url) as answer:
            await answer.read()
            assert answer.status == 200, (url, answer.status)
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


async def reads(url: str, history: History, args: argparse.Namespace) -> list[dict[str, float]]:
    """Each rep: the fresh task, the long one, then the long one as of each version."""
    base = url + "/api/v2/tasks/instances/"
    fresh, long = f"{base}{history.fresh_task}", f"{base}{history.long_task}"
    last = history.long_version
    versions = sorted({1, last // 4, last // 2, 3 * last // 4, last - 1, last})
    reps = []
    async with session() as http:
        for each in (fresh, long, *(f"{long}?asOf={v}" for v in versions)):
            await p50_ms(http, each, READ_WARMUP)
        for _ in range(args.read_reps):
            rep = {"fresh": await p50_ms(http, fresh, args.reads)}
            rep["long"] = await p50_ms(http, long, args.reads)
            for version in versions:
                as_of = f"{long}?asOf={version}"
                rep[f"asOf={version}"] = await p50_ms(http, as_of, args.as_of_reads)
            reps.append(rep)
    return reps


def rounds(
    kind: str, args: argparse.Namespace, url: str, trivial_url: str, ids: list[int], pid: int
) -> None:
    """Upgrade rounds alternating with the trivial app's, a table row for each pair."""
    print(
        "\n| store | round | upgrades ok/s | p50 ms | p99 ms | max ms | non-2xx | 5xx | statuses "
        "| server CPU ms/upgrade | RSS MiB | RSS growth | trivial req/s | trivial p99 ms "
        "| ratio | load |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    path = "/api/v2/arbitration/services/{id}/upgrade"
    each = args.requests + args.connections
    rss = rss_mib(pid)
    for number in range(args.rounds):
        quiet(pid)
        cpu = cpu_seconds(pid)
        mine = ids[number * each : (number + 1) * each]
        token = f"bench-r{number}-"
        upgrades = wrk(url, path, mine, args.requests, args.connections, token=token)
        quiet(pid)  # the views catch up on what the round wrote: part of its cost
        cpu = cpu_seconds(pid) - cpu
        rss, growth = rss_mib(pid), rss_mib(pid) / rss - 1
        numbers = list(range(args.trivial_requests + args.connections))
        trivial = wrk(trivial_url, "/t/{id}", numbers, args.trivial_requests, args.connections)
        rate = (upgrades["answers"] - upgrades["non2xx"]) / upgrades["seconds"]
        trivial_rate = trivial["answers"] / trivial["seconds"]
        statuses = " ".join(f"{s}:{c}" for s, c in sorted(upgrades["statuses"].items()))
        sockets = {k: v for k, v in upgrades["socket_errors"].items() if v}
        print(
            f"| {kind} | {number + 1} | {rate:.0f} | {upgrades['p50_ms']:.1f} | "
            f"{upgrades['p99_ms']:.1f} | {upgrades['max_ms']:.1f} | {upgrades['non2xx']} | "
            f"{upgrades['server_errors']} | {statuses}{f' sockets {sockets}' if sockets else ''} "
            f"| {cpu * 1000 / upgrades['answers']:.2f} | {rss:.0f} | {growth:+.1%} | "
            f"{trivial_rate:.0f} | {trivial['p99_ms']:.1f} | {rate / trivial_rate:.4f} | "
            f"{load()} |",
            flush=True,
        )


def print_reads(kind: str, reps: list[dict[str, float]]) -> None:
    names = [name for name in reps[0] if name != "fresh"]
    print(f"\n| store | rep | fresh GET p50 ms | {' | '.join(names)} | load |")
    print("|---|---|---|" + "---|" * len(names) + "---|")
    for number, rep in enumerate(reps, 1):
        cells = " | ".join(f"{rep[n]:.1f} ({rep[n] / rep['fresh']:.0f}x)" for n in names)
        print(f"| {kind} | {number} | {rep['fresh']:.2f} | {cells} | {load()} |")


def load() -> str:
    return " ".join(f"{figure:.1f}" for figure in os.getloadavg())


async def run_store(kind: str, args: argparse.Namespace) -> None:
    with stores(kind) as (store, env, directory):
        started = time.monotonic()
        history = build_history(store, args.history_events)
        print(
            f"\n{kind}: history built in {time.monotonic() - started:.0f} s "
            f"(task {history.long_task}: {history.long_version} events)",
            flush=True,
        )
        port, trivial_port = free_port(), free_port()
        server_env = env | {
            "ARBITER_ENGINE_WORKERS": "0",
            "ARBITER_ADMIN_PASSWORD": PASSWORD,
            "ARBITER_NODE_ADDRESS": f"127.0.0.1:{port}",
        }
        url, trivial_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{trivial_port}"
        serve = [str(ARBITER), "serve", "--port", str(port)]
        trivial = [sys.executable, "-m", "bench.trivial_app", str(trivial_port)]
        with (
            process(serve, server_env, directory / "serve.log") as server,
            process(trivial, {}, directory / "trivial.log") as reference,
        ):
            await answering(url, "/api/v2/openapi.json", server)
            await answering(trivial_url, "/", reference)
            started = time.monotonic()
            RETRIED.clear()
            ids = await register(url, args.rounds * (args.requests + args.connections))
            print(
                f"{kind}: {len(ids)} services registered through the API in "
                f"{time.monotonic() - started:.0f} s ({len(RETRIED)} answers 500 sent again); "
                f"server RSS {rss_mib(server.pid):.0f} MiB",
                flush=True,
            )
            rounds(kind, args, url, trivial_url, ids, server.pid)
            quiet(server.pid)
            reps = await reads(url, history, args)
            print_reads(kind, reps)
            before = rss_mib(server.pid)
            await asyncio.sleep(args.idle)
            print(
                f"\n{kind}: RSS {before:.0f} MiB after the reads, {rss_mib(server.pid):.0f} MiB "
                f"after {args.idle:.0f} s idle",
                flush=True,
            )
        log = (directory / "serve.log").read_text(errors="replace")
        print(f"{kind}: {log.count('Traceback')} tracebacks in the server's log", flush=True)
        if args.keep_logs:
            shutil.copy(directory / "serve.log", Path(args.keep_logs) / f"serve-{kind}.log")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.api_load")
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--trivial-requests", type=int, default=50_000)
    parser.add_argument("--history-events", type=int, default=10_000)
    parser.add_argument("--reads", type=int, default=50, help="GETs per p50")
    parser.add_argument("--as-of-reads", type=int, default=10, help="asOf GETs per p50")
    parser.add_argument("--read-reps", type=int, default=3)
    parser.add_argument("--idle", type=float, default=10.0, help="seconds idle before the RSS")
    parser.add_argument("--keep-logs", help="a directory to copy the server's logs to")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench.api_load needs wrk, the HTTP load generator: apt-get install -y wrk")
    print(f"bench.api_load {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average {load()}")
    for kind in args.stores.split(","):
        asyncio.run(run_store(kind, args))


if __name__ == "__main__":
    main()
