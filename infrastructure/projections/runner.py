"""The catch-up loop: each batch writes a view's rows and its position in ONE transaction.

Exactly once without eventsourcing's ProjectionRunner (no subscribe on SQLite): a batch reads
its events from the position, then locks the projection's position row (SQLite: BEGIN
IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE) and applies them only if the position is still
where it read from, so any number of runners in any number of processes take turns, and a batch
that dies before COMMIT leaves both rows and position as they were. Notification ids have no
gaps to skip: eventsourcing serialises inserts into the notification log on both stores.
"""

import gc
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from infrastructure.projections.audit import AuditLog
from infrastructure.projections.base import Projection
from infrastructure.projections.db import POSITIONS, SHAPES, Tx, ViewDB
from infrastructure.projections.fold import Fold
from infrastructure.projections.service_list import ServiceList
from infrastructure.projections.task_list import TaskList

BATCH = 500
READ_YOUR_WRITES_SECONDS = 5.0


@dataclass(frozen=True)
class Status:
    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(self.head - self.position, 0)


class Projections:
    def __init__(self, app: Application[UUID], db: ViewDB) -> None:
        self.app = app
        self.db = db
        self.all: dict[str, Projection] = {
            p.name: p for p in (AuditLog(), TaskList(), ServiceList())
        }
        self._folds = {name: Fold(app) for name in self.all}
        self._locks = {name: threading.Lock() for name in self.all}
        with db.schema_change() as tx:
            for projection in self.all.values():
                _prepare(tx, projection)

    def head(self) -> int:
        return self.app.recorder.max_notification_id() or 0

    def position(self, name: str) -> int:
        rows = self.db.query(
            f"SELECT position FROM {self.db.table(POSITIONS)} WHERE name = ?",  # noqa: S608
            (name,),
        )
        return int(rows[0][0])

    def status(self) -> list[Status]:
        head = self.head()
        return [Status(name, self.position(name), head) for name in self.all]

    def step(self, name: str, stop: int, limit: int = BATCH) -> int:
        """One batch of `name` towards notification `stop`; returns the position reached.

        Every read of the event store (the notifications, and what the fold lacks) comes
        before the view's write lock, never under it. On SQLite that lock is the database
        file's: a save holding eventsourcing's writer connection waits for it, and while it
        waits, the next saver queues in the pool holding the pool's turn, so a read of the
        store under the file's lock would wait for them all (until the pool's 5 s timeout).
        Under the lock the position is read again: if another runner moved it meanwhile, the
        batch is dropped, and the position it reached is returned."""
        projection, fold = self.all[name], self._folds[name]
        lock = " FOR UPDATE" if self.db.store.is_postgres else ""
        with self._locks[name], _collector_paused():
            try:
                start = self.position(name)
                if start >= stop:
                    return start
                # `stop` is applied here, not in the query: with both bounds PostgreSQL's
                # planner sorts the whole remaining range for every batch (5x slower).
                selected = self.app.recorder.select_notifications(
                    start, limit, topics=projection.topics, inclusive_of_start=False
                )
                notifications = [n for n in selected if n.id <= stop]
                to_domain_event = self.app.mapper.to_domain_event
                events = [cast(Aggregate.Event, to_domain_event(n)) for n in notifications]
                fold.read_ahead(events, projection.needs)
                with self.db.transaction() as tx:
                    position = int(
                        tx.execute(
                            f"SELECT position FROM {tx.table(POSITIONS)} "  # noqa: S608
                            f"WHERE name = ?{lock}",
                            (name,),
                        )[0][0]
                    )
                    if position != start:
                        return position
                    for notification, event in zip(notifications, events, strict=True):
                        projection.apply(tx, notification.id, event, fold)
                    full = len(notifications) == limit
                    reached = notifications[-1].id if full else stop
                    tx.execute(
                        f"UPDATE {tx.table(POSITIONS)} SET position = ? WHERE name = ?",  # noqa: S608
                        (reached, name),
                    )
                    return reached
            except BaseException:
                fold.forget()
                raise
            finally:
                fold.trim()

    def catch_up(
        self,
        names: list[str] | None = None,
        seconds: float = READ_YOUR_WRITES_SECONDS,
        progress: Callable[[str, int, int], None] | None = None,
        limit: int = BATCH,
    ) -> bool:
        """Bring views up to the head as it is now; False if `seconds` ran out first."""
        stop = self.head()
        deadline = time.monotonic() + seconds
        for name in names or list(self.all):
            reached = self.position(name)
            while reached < stop:
                if time.monotonic() > deadline:
                    return False
                reached = self.step(name, stop, limit)
                if progress is not None:
                    progress(name, reached, stop)
        return True

    def rebuild(
        self,
        name: str,
        progress: Callable[[str, int, int], None] | None = None,
        limit: int = BATCH,
    ) -> None:
        """Empty the view and fold it again from position 0 up to the head as it is now.

        A bulk load: the view's indexes are dropped with its rows and made again at the end
        (one sort each, instead of an index update per row)."""
        self.reset(name, bulk=True)
        # The fold's cache only grows in a bulk load: keep the collector off between its batches
        # too, not only during each.
        with _collector_paused(), self.db.checkpoints_deferred():
            self.catch_up([name], seconds=float("inf"), progress=progress, limit=limit)
            with self.db.transaction() as tx:
                tx.create_indexes(self.all[name].indexes)

    def reset(self, name: str, bulk: bool = False) -> None:
        """Empty the view and rewind it to position 0, in one transaction. For a `bulk` load
        the tables are made anew, without their indexes (cheaper than deleting every row)."""
        projection = self.all[name]
        with self._locks[name], self.db.transaction() as tx:
            if bulk:
                _remake(tx, projection)
            else:
                for table in projection.tables:
                    tx.execute(f"DELETE FROM {tx.table(table)}")  # noqa: S608
            tx.execute(
                f"UPDATE {tx.table(POSITIONS)} SET position = 0 WHERE name = ?",  # noqa: S608
                (name,),
            )
            self._folds[name].forget()

    def rows(self, name: str) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the view, in a store-independent form and order."""
        projection = self.all[name]
        found = {}
        for table in projection.tables:
            rows = self.db.query(f"SELECT * FROM {self.db.table(table)} ORDER BY 1")  # noqa: S608
            found[table] = [tuple(_plain(v) for v in row) for row in rows]
        return found

    def checksum(self, name: str) -> str:
        digest = hashlib.sha256()
        for table, rows in sorted(self.rows(name).items()):
            digest.update(table.encode())
            for row in rows:
                digest.update(repr(row).encode())
        return digest.hexdigest()


def _remake(tx: Tx, projection: Projection) -> None:
    """The view's tables, dropped and made anew in its code's shape, without their indexes."""
    for table in projection.tables:
        tx.execute(f"DROP TABLE IF EXISTS {tx.table(table)}")
    projection.create(tx)


def _prepare(tx: Tx, projection: Projection) -> None:
    """Make the view's tables if they are missing. A view whose stored shape is older than its
    code's (`shape`: 1 for a store from before shapes were recorded) is emptied and made anew at
    position 0: the catch-up rebuilds it from the events, as any view can be."""
    name, shapes = projection.name, tx.table(SHAPES)
    found = tx.execute(f"SELECT shape FROM {shapes} WHERE name = ?", (name,))  # noqa: S608
    reshaped = (int(found[0][0]) if found else 1) != projection.shape
    if reshaped:
        _remake(tx, projection)
    else:
        projection.create(tx)
    # Also puts back the indexes of a rebuild that died before its end.
    tx.create_indexes(projection.indexes)
    positions = tx.table(POSITIONS)
    tx.execute(
        f"INSERT INTO {positions} (name, position) VALUES (?, 0) "  # noqa: S608
        "ON CONFLICT (name) DO NOTHING",
        (name,),
    )
    if reshaped:
        tx.execute(f"UPDATE {positions} SET position = 0 WHERE name = ?", (name,))  # noqa: S608
    tx.execute(
        f"INSERT INTO {shapes} (name, shape) VALUES (?, ?) "  # noqa: S608
        "ON CONFLICT (name) DO UPDATE SET shape = excluded.shape",
        (name, projection.shape),
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A batch allocates tens of thousands of objects that live on in the fold's cache: each
    one would count towards the cyclic collector, whose passes over that cache cost more than
    the fold itself. Nothing a batch makes is cyclic garbage: collect after it, not during."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _plain(value: Any) -> Any:
    # SQLite gives booleans back as 0/1, PostgreSQL as bool: compare them as ints.
    return int(value) if isinstance(value, bool) else value
