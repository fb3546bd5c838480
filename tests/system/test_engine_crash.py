"""kill -9 of a real `arbiter serve` in the middle of a step; a new process finishes the task.

The step interrupted by the crash runs again exactly once more (a new attempt, after the
lease), every other step exactly once, never two runs at once; the old attempt's outcome is
refused by the store.
"""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from api.demo import NEW_RPMS, OLD_RPM, seed
from domain.caller import Caller
from domain.enums import SubtaskStatus, TaskStatus
from domain.errors import StaleAttempt
from domain.runs import Outcome
from domain.task import Task
from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.engine_claims import Claim
from tests.integration.test_engine_support import no_overlap
from tests.logs import last_run, lines
from tests.stores import database_url
from tests.system.test_agent_process import agent_process, healthy

pytestmark = pytest.mark.system
LEASE = 1.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve(store: StoreConfig, data_dir: Path) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ARBITER_DATA_DIR": str(data_dir),
        "ARBITER_ADMIN_PASSWORD": "crash-test-password",
        "ARBITER_LEASE_SECONDS": str(LEASE),
        "ARBITER_HEARTBEAT_SECONDS": "0.1",
        "ARBITER_POLL_SECONDS": "0.05",
    }
    env.pop("ARBITER_DATABASE_URL", None)
    url = database_url(store)
    if url is not None:
        env["ARBITER_DATABASE_URL"] = url
    arbiter = Path(sys.executable).parent / "arbiter"
    command = [str(arbiter), "serve", "--port", str(_free_port())]
    with (data_dir / "serve.log").open("ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)


async def _until(app: ArbiterApp, task_id: int, ready: Callable[[Task], bool]) -> None:
    deadline = time.monotonic() + 20
    while not ready(await asyncio.to_thread(app.get_task, task_id)):
        assert time.monotonic() < deadline, "the task did not get there within 20 s"
        await asyncio.sleep(0.02)


async def test_kill_9_mid_step_then_restart_completes_the_task(
    store: StoreConfig, tmp_path: Path
) -> None:
    data_dir = tmp_path / "arbiter"
    data_dir.mkdir()
    if not store.is_postgres:  # `arbiter serve` keeps SQLite under its data directory
        store = StoreConfig({**store.env, "SQLITE_DBNAME": str(data_dir / "events.sqlite")})
    app = ArbiterApp(store, "test")
    with agent_process(tmp_path / "agent") as (_, agent_url):
        agent = await healthy(agent_url)
        service_id = seed(app, agent_url)
        port = app.get_service(service_id).svr_port
        await agent.adopt(port, OLD_RPM, "RUNNING", "seed")
        await agent.inject_fault("install", "hang", port)
        task = app.upgrade(service_id, NEW_RPMS[-1], None, Caller("operator", "00000000000000ff"))
        install = task.subtasks[3]

        with serve(store, data_dir) as first:
            await _until(
                app, task.task_id, lambda t: t.subtask(install.id).status is SubtaskStatus.RUNNING
            )
            await asyncio.sleep(0.5)  # the install request reaches the agent, and hangs there
            first.kill()  # SIGKILL: no cleanup, no goodbye
            first.wait(10)
        crashed = app.get_task(task.task_id)
        old_attempt = crashed.subtask(install.id).attempt
        assert crashed.subtask(install.id).status is SubtaskStatus.RUNNING
        await agent.clear_faults()

        with serve(store, data_dir):
            await _until(app, task.task_id, lambda t: t.status is TaskStatus.SUCCESSFUL)
            done = app.get_task(task.task_id)
            log = app.subtask_log(task.task_id, install.id)
            ledger = [
                e for e in await agent.ledger() if e["requestId"].startswith(f"{task.task_id}-")
            ]
        await agent.close()

    ids = {s.step: s.id for s in done.subtasks}
    assert [(e["action"], e["requestId"], e["outcome"]) for e in ledger] == [
        ("stop", f"{task.task_id}-{ids['stop']}-1", "ok"),
        ("install", f"{task.task_id}-{ids['install_target']}-1", "interrupted"),
        ("install", f"{task.task_id}-{ids['install_target']}-2", "ok"),
        ("start", f"{task.task_id}-{ids['start']}-1", "ok"),
    ]
    assert no_overlap(ledger)
    taken = done.subtask(install.id)
    assert taken.attempt == old_attempt + 1 == 2
    assert any("was lost; taken over by" in line for line in last_run(log))
    assert [s.attempt for s in done.subtasks] == [1, 1, 1, 2, 1, 1, 1]
    service = app.get_service(service_id)
    assert (service.status.value, service.rpm_name, service.active_task_id) == (
        "RUNNING",
        NEW_RPMS[-1],
        None,
    )
    # The crashed process's attempt reports late: the store refuses it and nothing changes.
    stale = Claim(
        task.task_id,
        install.id,
        old_attempt,
        "install_target",
        False,
        1800,
        {},
        "",
        port,
        OLD_RPM,
        "0" * 16,
    )
    with pytest.raises(StaleAttempt):
        app.finish_subtask(stale, Outcome.SUCCEEDED, lines("late"), None)
    assert app.get_task(task.task_id).version == done.version
    app.close()
