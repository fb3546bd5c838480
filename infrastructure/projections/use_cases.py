"""Use cases over the views: every read first catches the views up (read-your-writes)."""

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from domain.errors import FieldError, IllegalArgument, TaskNotFound
from domain.ids import task_uuid
from domain.task import Task
from infrastructure.application import BaseApp
from infrastructure.projections import queries
from infrastructure.projections.db import ViewDB, micros
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


class ProjectionUseCases(BaseApp):
    _projections: Projections | None = None
    _projections_lock = threading.Lock()

    @property
    def projections(self) -> Projections:
        with self._projections_lock:
            if self._projections is None:
                self._projections = Projections(self, ViewDB(self.store))
            return self._projections

    @property
    def _like(self) -> str:
        # Case-insensitive: SQLite's LIKE is already (for ASCII, as LOWER() would be).
        return "ILIKE" if self.store.is_postgres else "LIKE"

    def fresh_projections(self) -> Projections:
        """The views, caught up with every write made before this call (bounded wait)."""
        projections = self.projections
        projections.catch_up()
        return projections

    def audit_events(self, where: AuditFilter, paged: Paged) -> Page:
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
        db = self.fresh_projections().db
        return select_page(db, table, columns, query, "position", paged.number, paged.size)

    def task_events(self, task_id: int) -> Page:
        self.task_as_of(task_id, None)  # a 20000 for a task that does not exist
        return self.audit_events(AuditFilter(task_id=task_id), Paged(1, None))

    def task_list(self, name: str, statuses: list[str], host_id: int | None, paged: Paged) -> Page:
        query = Query().any_of("status", statuses)
        if name:
            query.where(f"name {self._like} ? ESCAPE '!'", _contains(name))
        if host_id is not None:
            query.where("host_id = ?", host_id)
        order = order_clause(TASK_SORTS, paged.sort_key, paged.descending, "task_id")
        table, columns = queries.TASKS
        db = self.fresh_projections().db
        return select_page(db, table, columns, query, order, paged.number, paged.size)

    def service_list(
        self, keyword: str, statuses: list[str], host_id: int | None, paged: Paged
    ) -> Page:
        query = Query().any_of("status", statuses)
        if keyword:
            like = f"{self._like} ? ESCAPE '!'"
            query.where(f"(name {like} OR svr_ip {like})", *[_contains(keyword)] * 2)
        if host_id is not None:
            query.where("host_id = ?", host_id)
        order = order_clause(SERVICE_SORTS, paged.sort_key, paged.descending, "service_id")
        table, columns = queries.SERVICES
        db = self.fresh_projections().db
        return select_page(db, table, columns, query, order, paged.number, paged.size)

    def task_as_of(self, task_id: int, point: int | datetime | None) -> Task:
        """The task at event version `point`, at its last version at or before time `point`,
        or as it is now (None)."""
        events = cast(list[Task.Event], list(self.events.get(task_uuid(task_id))))
        if not events:
            raise TaskNotFound(task_id)
        last = events[-1].originator_version
        if isinstance(point, int):
            if not 1 <= point <= last:
                message = f"asOf must be a version of task {task_id}, between 1 and {last}"
                raise IllegalArgument(message, [FieldError("asOf", point, message)])
            version = point
        elif point is not None:
            earlier = [e.originator_version for e in events if e.timestamp <= _through(point)]
            if not earlier:
                message = f"task {task_id} did not exist yet at {point.isoformat()}"
                raise IllegalArgument(message, [FieldError("asOf", point.isoformat(), message)])
            version = earlier[-1]
        else:
            version = last
        task: object = self.repository.get(task_uuid(task_id), version=version)
        assert isinstance(task, Task)
        return task

    def close(self) -> None:
        if self._projections is not None:
            self._projections.db.close()
        super().close()


def _through(moment: datetime) -> datetime:
    """The API prints times to the millisecond: a printed time covers its whole millisecond."""
    if moment.microsecond % 1000:
        return moment
    return moment + timedelta(microseconds=999)


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%{escaped}%"
