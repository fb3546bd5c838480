"""The task list: one row per task with what OCP's list filters and sorts on."""

from functools import cache
from typing import Any

from eventsourcing.domain import Aggregate

from domain.enums import Operation
from domain.service import ArbitrationService
from domain.task import Task
from domain.task_sketch import TaskSketch, creation_status
from infrastructure.projections.base import topics_of
from infrastructure.projections.db import Tx, stamp
from infrastructure.projections.fold import Fold, Need

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

    def __init__(self) -> None:
        # service -> host, as the hosts table holds them: a host never changes, and knowing it
        # here makes a task's row plain values (a COPY on PostgreSQL, not an INSERT ... SELECT).
        self._hosts: dict[int, int] = {}

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

    def needs(self, event: Aggregate.Event) -> Need:
        return "state"

    def apply(self, tx: Tx, position: int, event: Aggregate.Event, fold: Fold) -> None:
        if isinstance(event, Task.Created):
            fold.created(event)
            host = self._host(tx, event.service_id)
            tx.insert(TABLE, COLUMNS, lambda: _created_row(event, host), (TABLE, event.task_id))
            return
        _, after = fold.step(event)
        if isinstance(after, ArbitrationService):
            self._hosts[after.service_id] = after.host_id
            tx.write(
                f"INSERT INTO {tx.table(HOSTS)} (service_id, host_id) VALUES (?, ?)",  # noqa: S608
                (after.service_id, after.host_id),
            )
            return
        task: TaskSketch = after
        key = (TABLE, task.task_id)
        # Rows are made at the batch's end (a callable), from the task as it is then: a task
        # whose events share a batch is built into a row once, not once per event.
        if tx.pending(key) == tx.plain_insert(TABLE, COLUMNS):
            host = self._host(tx, task.service_id)
            tx.insert(TABLE, COLUMNS, lambda: _row(task, host), key)
        else:
            tx.write(_update(tx.table(TABLE)), lambda: _changes(task), key)

    def _host(self, tx: Tx, service_id: int) -> int | None:
        host = self._hosts.get(service_id)
        if host is None:  # registered before this process's first batch, or by another node
            found = tx.execute(
                f"SELECT host_id FROM {tx.table(HOSTS)} WHERE service_id = ?",  # noqa: S608
                (service_id,),
            )
            if found:
                host = self._hosts[service_id] = int(found[0][0])
        return host


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


def _row(task: TaskSketch, host_id: int | None) -> tuple[Any, ...]:
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
        None if task.finish_time is None else stamp(task.finish_time),
        task.prohibit_rollback,
        task.version,
    )


def _created_row(event: Task.Created, host_id: int | None) -> tuple[Any, ...]:
    """The row of a new task, from its creation: what `_row` makes of its sketch."""
    return (
        event.task_id,
        event.name,
        "MANUAL",
        creation_status(event).value,
        Operation.EXECUTE.value,
        event.actor,
        event.executor,
        event.service_id,
        host_id,
        stamp(event.timestamp),
        None,
        False,  # no subtask has started yet, so none prohibits a rollback
        event.originator_version,
    )
