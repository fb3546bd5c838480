"""The task list: one row per task with what OCP's list filters and sorts on."""

from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate

from domain.service import ArbitrationService
from domain.task import Task
from domain.task_sketch import TaskSketch
from infrastructure.projections.base import topics_of
from infrastructure.projections.db import Tx, stamp
from infrastructure.projections.fold import Fold

TABLE = "arbiter_view_tasks"
HOSTS = "arbiter_view_task_hosts"  # service -> host, to filter tasks by host
COLUMNS = (
    "task_id",
    "name",
    "type",
    "status",
    "operation",
    "creator",
    "executor",
    "service_id",
    "host_id",
    "create_time",
    "finish_time",
    "prohibit_rollback",
    "version",
)
SORTABLE = {
    "id": "task_id",
    "name": "name",
    "status": "status",
    "createTime": "create_time",
    "finishTime": "finish_time",
}


class TaskList:
    name = "tasks"
    shape = 1
    topics: tuple[str, ...] = (*topics_of(Task), ArbitrationService.Registered.TOPIC)
    tables: tuple[str, ...] = (TABLE, HOSTS)
    indexes: tuple[tuple[str, str], ...] = tuple(
        (TABLE, c) for c in ("status", "host_id", "create_time")
    )

    def create(self, tx: Tx) -> None:
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {tx.table(TABLE)} (task_id {tx.key_type} PRIMARY KEY, "
            "name TEXT NOT NULL, type TEXT NOT NULL, status TEXT NOT NULL, "
            "operation TEXT NOT NULL, creator TEXT NOT NULL, executor TEXT NOT NULL, "
            "service_id BIGINT NOT NULL, host_id BIGINT, create_time TEXT NOT NULL, "
            "finish_time TEXT, prohibit_rollback BOOLEAN NOT NULL, version BIGINT NOT NULL)"
        )
        tx.execute(
            f"CREATE TABLE IF NOT EXISTS {tx.table(HOSTS)} "
            f"(service_id {tx.key_type} PRIMARY KEY, host_id BIGINT NOT NULL)"
        )

    def apply(self, tx: Tx, position: int, event: Aggregate.Event, fold: Fold) -> None:
        _, after = fold.step(event)
        if isinstance(after, ArbitrationService):
            tx.write(
                f"INSERT INTO {tx.table(HOSTS)} (service_id, host_id) VALUES (?, ?)",  # noqa: S608
                (after.service_id, after.host_id),
            )
            return
        task: TaskSketch = after
        key = (TABLE, task.task_id)
        insert = _insert(tx.table(TABLE), tx.table(HOSTS))
        # Rows are made at the batch's end (a callable), from the task as it is then: a task
        # whose events share a batch is built into a row once, not once per event.
        if event.originator_version == 1 or tx.pending(key) == insert:
            tx.write(insert, lambda: _row(task), key)
        else:
            tx.write(_update(tx.table(TABLE)), lambda: _changes(task), key)


@cache
def _insert(table: str, hosts: str) -> str:
    # The host comes from the service's row, inside the same statement (no round trip).
    values = [
        f"(SELECT host_id FROM {hosts} WHERE service_id = ?)" if c == "host_id" else "?"  # noqa: S608
        for c in COLUMNS
    ]
    return f"INSERT INTO {table} ({', '.join(COLUMNS)}) VALUES ({', '.join(values)})"  # noqa: S608


@cache
def _update(table: str) -> str:
    return (
        f"UPDATE {table} SET status = ?, operation = ?, "  # noqa: S608
        "finish_time = ?, prohibit_rollback = ?, version = ? WHERE task_id = ?"
    )


def _changes(task: TaskSketch) -> tuple[Any, ...]:
    return (
        task.status.value,
        task.operation.value,
        None if task.finish_time is None else stamp(task.finish_time),
        task.prohibit_rollback,
        task.version,
        task.task_id,
    )


def _row(task: TaskSketch) -> tuple[Any, ...]:
    return (
        task.task_id,
        task.name,
        "MANUAL",
        task.status.value,
        task.operation.value,
        task.creator,
        task.executor,
        task.service_id,
        task.service_id,  # the host_id subquery's parameter
        stamp(task.start_time),
        None if task.finish_time is None else stamp(task.finish_time),
        task.prohibit_rollback,
        task.version,
    )
