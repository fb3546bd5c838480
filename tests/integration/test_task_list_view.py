"""The task list's rows say what the Task aggregates say, however their events were batched, and
a process that starts on a store with services finds their hosts."""

from typing import Any

import pytest

from infrastructure.persistence.store import StoreConfig
from infrastructure.projections.db import stamp
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import ADMIN, NEW_RPM, run_step, seed_service

TABLE = "arbiter_view_tasks"


def _expected(arbiter: ArbiterApp, task_id: int, host_id: int) -> tuple[Any, ...]:
    task = arbiter.get_task(task_id)
    finished = None if task.finish_time is None else stamp(task.finish_time)
    return (
        task.task_id,
        task.name,
        "MANUAL",
        task.status.value,
        task.operation.value,
        task.creator,
        task.executor,
        task.service_id,
        host_id,
        stamp(task.start_time),
        finished,
        int(task.prohibit_rollback),
        task.version,
    )


def _host_of(arbiter: ArbiterApp, service_id: int) -> int:
    return arbiter.get_service(service_id).host_id


@pytest.mark.parametrize("batch", [1, 3, 500], ids=["event-by-event", "small", "one-batch"])
def test_rows_equal_the_aggregates_new_running_failed_and_finished(
    arbiter: ArbiterApp, batch: int
) -> None:
    """A task only created, one mid-way, one FAILED past the rollback line, one SUCCESSFUL:
    batches of 1, 3 and 500 events put a task's creation and its next events in the same batch
    or not, so that the row is made from the creation alone or from the task's later state."""
    services = [seed_service(arbiter, 2890 + i, ip=f"10.0.2.{i}") for i in range(4)]
    created, running, failed, done = (
        arbiter.upgrade(s, NEW_RPM, None, ADMIN).task_id for s in services
    )
    run_step(arbiter, running, ok=True)
    for _ in range(3):  # prepare, stop and begin_upgrade: begin forbids a rollback once run
        run_step(arbiter, failed, ok=True)
    run_step(arbiter, failed, ok=False)
    for _ in range(7):
        run_step(arbiter, done, ok=True)

    projections = arbiter.projections
    projections.reset("tasks")
    assert projections.catch_up(["tasks"], limit=batch)
    rows = {row[0]: row for row in projections.rows("tasks")[TABLE]}
    for task_id, service_id in zip((created, running, failed, done), services, strict=True):
        assert rows[task_id] == _expected(arbiter, task_id, _host_of(arbiter, service_id))
    statuses = [rows[t][3] for t in (created, running, failed, done)]
    assert statuses == ["RUNNING", "RUNNING", "FAILED", "SUCCESSFUL"]
    assert rows[failed][11] == 1  # prohibit_rollback


def test_a_new_process_finds_the_host_of_a_service_registered_before_it(
    store: StoreConfig,
) -> None:
    first = ArbiterApp(store, "10.0.0.1")
    service_id = seed_service(first, ip="10.0.3.1")
    assert first.projections.catch_up()
    first.close()

    second = ArbiterApp(store, "10.0.0.1")  # its task list has seen no registration yet
    try:
        task_id = second.upgrade(service_id, NEW_RPM, None, ADMIN).task_id
        assert second.projections.catch_up()
        rows = {row[0]: row for row in second.projections.rows("tasks")[TABLE]}
        assert rows[task_id] == _expected(second, task_id, _host_of(second, service_id))
    finally:
        second.close()
