"""A cluster on loopback for the cluster system tests and bench/cluster.py: N real `arbiter serve`
processes on one fresh PostgreSQL schema, and real `arbiter agent` processes as the hosts.

Not a test module itself (no tests): it is named test_cluster_* to stay among the cluster's files.
Everything goes through the nodes' HTTP API (Basic auth), as an operator's script would.
"""

import asyncio
import itertools
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from api.demo import NEW_RPMS, OLD_RPM
from infrastructure.agent_client import AgentClient

PASSWORD = "cluster-test-password"
ARBITER = Path(sys.executable).parent / "arbiter"
BUSY_RETRIES = 20


@dataclass(frozen=True)
class Timing:
    """Short leases and polls so that a node's death costs about a second."""

    lease_seconds: float = 1.5
    heartbeat_seconds: float = 0.2
    poll_seconds: float = 0.1
    engine_workers: int = 8
    action_seconds: float = 0.02  # each agent action
    # PostgreSQL connections per node stay near 3 x store_threads (event store pool, view
    # connections, engine tables): three nodes must fit beside other users of the server.
    store_threads: int = 4

    def env(self) -> dict[str, str]:
        return {
            "ARBITER_LEASE_SECONDS": str(self.lease_seconds),
            "ARBITER_HEARTBEAT_SECONDS": str(self.heartbeat_seconds),
            "ARBITER_POLL_SECONDS": str(self.poll_seconds),
            "ARBITER_ENGINE_WORKERS": str(self.engine_workers),
            "ARBITER_STORE_THREADS": str(self.store_threads),
        }


@dataclass
class Node:
    process: subprocess.Popen[bytes]
    url: str
    address: str  # ARBITER_NODE_ADDRESS: every executor id of this node starts with it
    log: Path

    def leads(self, duty: str) -> bool:
        return f"this node now leads {duty}" in self.log.read_text(errors="replace")


@dataclass
class Cluster:
    nodes: list[Node]
    agents: list[AgentClient]
    agent_urls: list[str]
    database_url: str
    timing: Timing
    session: aiohttp.ClientSession | None = None
    services: list[tuple[int, int]] = field(default_factory=list)  # (service id, agent index)

    async def call(self, node: int, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """One API call on one node; the envelope's data, or AssertionError with the envelope.

        503 / 10010 (writers contended for one aggregate, nothing saved) is tried again, as
        docs/operations.md tells scripts to do; a few times, not forever.
        """
        assert self.session is not None
        for _ in range(BUSY_RETRIES):
            async with self.session.request(method, self.nodes[node].url + path, json=body) as got:
                envelope: dict[str, Any] = await got.json()
            if got.status != 503:
                break
            await asyncio.sleep(0.05)
        assert got.status == 200, (got.status, envelope.get("error"))
        assert envelope["successful"], envelope
        return envelope["data"]  # type: ignore[no-any-return]

    async def register(self, count: int) -> None:
        """Packages, one host per agent, and `count` RUNNING services spread over the hosts,
        all through the API (round-robin over the nodes); each agent adopts its services."""
        for rpm in (OLD_RPM, *NEW_RPMS):
            await self.call(0, "POST", "/api/v2/software-packages", {"name": rpm})
        hosts = []
        for index, url in enumerate(self.agent_urls):
            body = {"ipAddress": f"10.0.0.{index + 1}", "architecture": "x86_64"}
            body["agentAddress"] = url
            hosts.append((await self.call(index % len(self.nodes), "POST", _HOSTS, body))["id"])

        async def one(number: int) -> tuple[int, int]:
            agent = number % len(hosts)
            port = 3000 + number
            await self.agents[agent].adopt(port, OLD_RPM, "RUNNING", f"seed-{number}")
            body = {
                "name": f"arb-{number}",
                "hostId": hosts[agent],
                "svrPort": port,
                "rpmName": OLD_RPM,
            }
            node = number % len(self.nodes)
            service = await self.call(node, "POST", "/api/v2/arbitration/services/register", body)
            return service["id"], agent

        self.services = await bounded([one(n) for n in range(count)], 8)

    async def upgrade(self, node: int, service_id: int, rpm: str, token: str | None = None) -> int:
        body: dict[str, Any] = {"rpmName": rpm}
        if token is not None:
            body["clientToken"] = token
        path = f"/api/v2/arbitration/services/{service_id}/upgrade"
        return int((await self.call(node, "POST", path, body))["id"])

    async def submit(self, count: int, rpm: str) -> list[int]:
        """One upgrade on each of the first `count` services, round-robin over the live nodes."""
        live = self.live()
        services = self.services[:count]
        jobs = [self.upgrade(live[i % len(live)], s, rpm) for i, (s, _) in enumerate(services)]
        return await bounded(jobs, 16)

    async def ledgers(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for agent in self.agents:
            entries.extend(e for e in await agent.ledger() if not e["requestId"].startswith("seed"))
        return entries

    def registry(self) -> dict[str, str]:
        """`arbiter nodes` as an operator runs it: node address -> LIVE / SILENT."""
        env = {**os.environ, **self.timing.env(), "ARBITER_DATABASE_URL": self.database_url}
        out = subprocess.run(
            [str(ARBITER), "nodes"], env=env, capture_output=True, text=True, timeout=30, check=True
        ).stdout.splitlines()
        assert out[0].split() == ["node", "address", "last", "heartbeat", "state"], out
        return {line.split()[1]: line.split()[-1] for line in out[1:]}

    def live(self) -> list[int]:
        return [i for i, node in enumerate(self.nodes) if node.process.poll() is None]


_HOSTS = "/api/v2/compute/hosts"


async def bounded(jobs: list[Any], at_once: int) -> list[Any]:
    gate = asyncio.Semaphore(at_once)

    async def one(job: Any) -> Any:
        async with gate:
            return await job

    return list(await asyncio.gather(*(one(job) for job in jobs)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def agent(state_dir: Path, action_seconds: float) -> Iterator[str]:
    """`arbiter agent --port 0`; its first stdout line names the bound URL."""
    state_dir.mkdir(parents=True)
    command = [str(ARBITER), "agent", "--port", "0", "--state-dir", str(state_dir)]
    command += ["--action-seconds", str(action_seconds)]
    with (state_dir.parent / f"{state_dir.name}.log").open("ab") as log:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 15)
        assert ready, "the agent printed no URL within 15 s"
        line = process.stdout.readline().decode()
        assert line.startswith("arbiter agent: serving on http://127.0.0.1:"), line
        yield line.split()[4]
    finally:
        _end(process)
        assert process.stdout is not None
        process.stdout.close()


@contextmanager
def node(database_url: str, data_dir: Path, timing: Timing) -> Iterator[Node]:
    data_dir.mkdir(parents=True)
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = {
        **os.environ,
        **timing.env(),
        "ARBITER_DATABASE_URL": f"{database_url}&pool_size={timing.store_threads}&max_overflow=0",
        "ARBITER_DATA_DIR": str(data_dir),
        "ARBITER_ADMIN_PASSWORD": PASSWORD,
        "ARBITER_NODE_ADDRESS": address,
    }
    command = [str(ARBITER), "serve", "--port", str(port)]
    with (data_dir / "serve.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        yield Node(process, f"http://{address}", address, data_dir / "serve.log")
    finally:
        _end(process)


def _end(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait(10)


@contextmanager
def cluster(
    database_url: str, directory: Path, nodes: int, agents: int, timing: Timing
) -> Iterator[Cluster]:
    with ExitStack() as stack:
        urls = [
            stack.enter_context(agent(directory / f"agent{i}", timing.action_seconds))
            for i in range(agents)
        ]
        started = [
            stack.enter_context(node(database_url, directory / f"node{i}", timing))
            for i in range(nodes)
        ]
        clients = [AgentClient(url, timeout=30) for url in urls]
        yield Cluster(started, clients, urls, database_url, timing)


async def opened(cluster: Cluster, within: float = 30.0) -> Cluster:
    """Wait until every node answers, and open the client session."""
    auth = {"Authorization": aiohttp.encode_basic_auth("admin", PASSWORD)}
    cluster.session = aiohttp.ClientSession(
        headers=auth,
        timeout=aiohttp.ClientTimeout(total=60),
        connector=aiohttp.TCPConnector(limit=64),
    )
    deadline = time.monotonic() + within
    for each in cluster.nodes:
        while True:
            assert each.process.poll() is None, f"node {each.address} exited"
            try:
                async with cluster.session.get(each.url + "/api/v2/openapi.json") as answer:
                    if answer.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, f"node {each.address} did not answer"
            await asyncio.sleep(0.1)
    return cluster


async def closed(cluster: Cluster) -> None:
    if cluster.session is not None:
        await cluster.session.close()
    for client in cluster.agents:
        await client.close()


def by_step(entries: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Ledger entries per (taskId, subtaskId), in attempt order (requestId task-subtask-attempt)."""

    def step(entry: dict[str, Any]) -> tuple[str, str]:
        task, subtask, _ = entry["requestId"].split("-")
        return task, subtask

    ordered = sorted(entries, key=lambda e: (step(e), int(e["requestId"].split("-")[2])))
    return {key: list(group) for key, group in itertools.groupby(ordered, key=step)}
