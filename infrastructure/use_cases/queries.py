"""Reads: the views (audit log, task list, service list), each first caught up with every write
made before the read (read-your-writes); a task as it was at an event version or a time; which
node made each of a task's events."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from uuid import UUID

from eventsourcing.application import Application

from domain.errors import FieldError, IllegalArgument, TaskNotFound
from domain.ids import task_uuid
from domain.step_log import LogRun
from domain.task import Task, replay
from domain.task import subtask_log as domain_subtask_log
from infrastructure.projections import queries
from infrastructure.projections.db import micros
from infrastructure.projections.queries import Page, Query, order_clause, select_page
from infrastructure.projections.runner import Projections
from infrastructure.projections.service_list import SORTABLE as SERVICE_SORTS
from infrastructure.projections.task_list import SORTABLE as TASK_SORTS


@dataclass(frozen=True)
class Paged:
    number: int
    size: int | None  # None: every matching row
    sort_key: str | None = None
    descending: bool = False


@dataclass(frozen=True)
class AuditFilter:
    task_id: int | None = None
    service_id: int | None = None
    actor: str | None = None
    trace_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_events(views: Projections, where: AuditFilter, paged: Paged) -> Page:
    query = Query()
    for column, value in (
        ("task_id", where.task_id),
        ("service_id", where.service_id),
        ("actor", where.actor),
        ("trace_id", where.trace_id),
    ):
        if value is not None:
            query.where(f"{column} = ?", value)
    if where.since is not None:
        query.where("time >= ?", micros(where.since))
    if where.until is not None:
        query.where("time <= ?", micros(_through(where.until)))
    table, columns = queries.AUDIT
    return select_page(views.db, table, columns, query, "position", paged.number, paged.size)


def task_list(
    views: Projections, name: str, statuses: list[str], host_id: int | None, paged: Paged
) -> Page:
    query = Query().any_of("status", statuses)
    if name:
        query.where(f"name {views.db.dialect.like} ? ESCAPE '!'", _contains(name))
    if host_id is not None:
        query.where("host_id = ?", host_id)
    order = order_clause(TASK_SORTS, paged.sort_key, paged.descending, "task_id")
    table, columns = queries.TASKS
    return select_page(views.db, table, columns, query, order, paged.number, paged.size)


def service_list(
    views: Projections, keyword: str, statuses: list[str], host_id: int | None, paged: Paged
) -> Page:
    query = Query().any_of("status", statuses)
    if keyword:
        like = f"{views.db.dialect.like} ? ESCAPE '!'"
        query.where(f"(name {like} OR svr_ip {like})", *[_contains(keyword)] * 2)
    if host_id is not None:
        query.where("host_id = ?", host_id)
    order = order_clause(SERVICE_SORTS, paged.sort_key, paged.descending, "service_id")
    table, columns = queries.SERVICES
    return select_page(views.db, table, columns, query, order, paged.number, paged.size)


def task_as_of(store: Application[UUID], now: Task, point: int | datetime) -> Task:
    """The task (`now` as it is now) at event version `point`, or at its last version at or
    before time `point`. A past version starts from the nearest snapshot at or below it (the
    repository's own way), and the version for a time is found by bisection over the versions:
    whatever the length of the task's history, a read decodes at most a snapshot's interval of
    events, plus one per halving."""
    task_id, last = now.task_id, now.version
    if isinstance(point, int):
        if not 1 <= point <= last:
            message = f"asOf must be a version of task {task_id}, between 1 and {last}"
            raise IllegalArgument(message, [FieldError("asOf", point, message)])
        version = point
    else:
        version = _version_at(store, now, _through(point))
        if version == 0:
            message = f"task {task_id} did not exist yet at {point.isoformat()}"
            raise IllegalArgument(message, [FieldError("asOf", point.isoformat(), message)])
    if version == last:
        return now
    task: object = store.repository.get(task_uuid(task_id), version=version, projector_func=replay)
    assert isinstance(task, Task)
    return task


def _version_at(store: Application[UUID], now: Task, moment: datetime) -> int:
    """The task's last version made at or before `moment` (0: none). Each event is made after
    the one before it, so their times grow with their versions (as far as the nodes' clocks
    agree): a bisection reads one event per halving."""
    if now.modified_on <= moment:
        return now.version
    below, above = 0, now.version  # version `below` is at or before the moment, `above` after
    while above - below > 1:
        middle = (below + above) // 2
        (event,) = cast(list[Task.Event], list(store.events.get(now.id, gt=middle - 1, lte=middle)))
        below, above = (middle, above) if event.timestamp <= moment else (below, middle)
    return below


def subtask_log(store: Application[UUID], task_id: int, subtask_id: int) -> list[LogRun]:
    """The subtask's log, folded from the task's events: only when it is asked for, since the
    Task keeps no log (docs/engine.md, "The subtask log")."""
    events = cast(list[Task.Event], list(store.events.get(task_uuid(task_id))))
    if not events:
        raise TaskNotFound(task_id)
    return domain_subtask_log(events, subtask_id)


def event_nodes(store: Application[UUID], task_id: int) -> dict[int, str | None]:
    """The node that made each version of the task (empty for a task that does not exist), as
    the events themselves record it: the creation names the node that created the task; a start
    names the executor (node) that claimed the subtask; an outcome belongs to the attempt started
    last on that subtask. An operator's command records no node (its traceId names the request
    instead): None."""
    events = cast(list[Task.Event], list(store.events.get(task_uuid(task_id))))
    runners: dict[int, str] = {}  # subtask id -> the executor of its latest start
    nodes: dict[int, str | None] = {}
    for event in events:
        node: str | None = None
        if isinstance(event, Task.Created):
            node = event.executor
        elif isinstance(event, Task.SubtaskStarted):
            node = runners[event.subtask_id] = event.executor
        elif isinstance(event, Task.SubtaskEvent) and hasattr(event, "attempt"):
            node = runners.get(event.subtask_id)
        nodes[event.originator_version] = node
    return nodes


def _through(moment: datetime) -> datetime:
    """The API prints times to the millisecond: a printed time covers its whole millisecond."""
    if moment.microsecond % 1000:
        return moment
    return moment + timedelta(microseconds=999)


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"
