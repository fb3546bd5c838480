"""The views' tables, beside the events in the same database (SQLite file or PostgreSQL schema).

Same database as the events on purpose: one file or schema to back up, and a view's rows and its
tracking position commit in one local transaction (exactly once) without a second database.
"""

import sqlite3
import threading
from collections.abc import Callable, Hashable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import psycopg

from infrastructure.persistence.sql import Dialect, connect, transaction
from infrastructure.persistence.store import StoreConfig

POSITIONS = "arbiter_projection_position"
SHAPES = "arbiter_projection_shape"  # the shape (version of its tables) each view was made in


def stamp(moment: datetime) -> str:
    """A fixed-width UTC text time: sorts and compares the same on SQLite and PostgreSQL."""
    # isoformat, not strftime: a rebuild stamps every row, and strftime costs four times more.
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" -> "Z"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch: the audit log's time, a number (eight times cheaper to make
    than a text stamp, and smaller to store and index); exact, unlike float seconds."""
    return (moment - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + value * _MICROSECOND


def unstamp(text: str | None) -> datetime | None:
    if text is None:
        return None
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class ViewDB:
    """One connection per thread (the store gate's threads), SQL with `?` marks on both stores."""

    def __init__(self, store: StoreConfig) -> None:
        self.store = store
        self.dialect = Dialect(store)
        self._local = threading.local()
        self._open: list[Any] = []  # every thread's connection, so that close() closes them all
        self._open_lock = threading.Lock()

    def table(self, name: str) -> str:
        return self.dialect.table(name)

    def _connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.store.is_postgres:
                # A view's rows and its position commit together, so a commit lost to a crash
                # of the server or the machine takes both back and the next catch-up redoes it:
                # views need not wait for their commits to reach the disk (the events do).
                conn = connect(self.store, autocommit=True, options="-c synchronous_commit=off")
            else:
                conn = connect(self.store)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")  # as synchronous_commit above
                # Debian's SQLite zeroes every freed page: views are copies of the events (kept
                # anyway), and a rebuild would pay for writing the whole old view again.
                conn.execute("PRAGMA secure_delete=OFF")
            self._local.conn = conn
            with self._open_lock:
                self._open.append(conn)
        return conn

    def reset_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._open_lock:
                self._open.remove(conn)
            conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cursor = self._connection().execute(self.dialect.sql(sql), tuple(params))
            return list(cursor.fetchall())
        except Exception:
            self.reset_connection()
            raise

    @contextmanager
    def transaction(self) -> Iterator["Tx"]:
        conn = self._connection()
        try:
            with transaction(conn, self.dialect):
                tx = Tx(self, conn)
                try:
                    yield tx
                    tx.flush()
                except BaseException as error:
                    tx.abandon(error)  # an open COPY fails first, then all rolls back
                    raise
        except (sqlite3.Error, psycopg.Error):
            self.reset_connection()
            raise

    @contextmanager
    def checkpoints_deferred(self) -> Iterator[None]:
        """SQLite: a bulk load's pages collect in the WAL and go into the database file in one
        checkpoint at the end, not one every 1,000 pages: a page the load writes again and again
        (the table's last leaf, the B-trees' inner pages) is copied once, with two fsyncs in
        all. The WAL grows by about the view's size meanwhile, and is emptied at the end."""
        if self.store.is_postgres:
            yield
            return
        conn = self._connection()
        pages = conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        conn.execute("PRAGMA wal_autocheckpoint=0")
        try:
            yield
        finally:
            conn = self._connection()  # a failed transaction may have replaced it
            conn.execute(f"PRAGMA wal_autocheckpoint={int(pages)}")
            # Waits (busy timeout) for readers of older pages; if they outlast it, the next
            # automatic checkpoints finish the job.
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    @contextmanager
    def schema_change(self) -> Iterator["Tx"]:
        """One transaction for DDL; on PostgreSQL under a per-schema lock, because nodes that
        start together on an empty schema would otherwise race to create the same tables."""
        with self.transaction() as tx:
            if self.store.is_postgres:
                tx.execute("SELECT pg_advisory_xact_lock(?)", (self.dialect.lock_key("views"),))
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table(POSITIONS)} "
                "(name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
            )
            tx.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table(SHAPES)} "
                "(name TEXT PRIMARY KEY, shape INTEGER NOT NULL)"
            )
            yield tx

    def close(self) -> None:
        with self._open_lock:
            connections, self._open = self._open, []
        for conn in connections:
            conn.close()
        self._local = threading.local()


Params = Sequence[Any] | Callable[[], Sequence[Any]]


@cache
def _insert(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


class Tx:
    """Statements of one transaction. `write` defers a statement: runs of the same statement go
    to the database in one executemany (one pipeline on PostgreSQL) instead of a round trip
    each; anything read with `execute` sees every earlier write. A write under a `key` replaces
    the pending write under the same key, in its place: a row that several events of one batch
    change goes to the database once. Params given as a callable are made at the flush, so a
    row is built once, from its state at the batch's end."""

    def __init__(self, db: ViewDB, conn: Any) -> None:
        self._db = db
        self._conn = conn
        self._pending: list[tuple[str, Params]] = []
        self._keyed: dict[Hashable, int] = {}  # key -> index in _pending
        self._plain_inserts: dict[str, str] = {}  # table -> its plain INSERT
        self._copies: dict[str, str] = {}  # a plain INSERT -> its COPY (PostgreSQL)
        self._copy: tuple[str, Any, Any] | None = None  # (INSERT, manager, the open COPY)

    def table(self, name: str) -> str:
        return self._db.table(name)

    @property
    def key_type(self) -> str:
        return self._db.dialect.key_type

    def write(self, sql: str, params: Params, key: Hashable | None = None) -> None:
        if key is not None and key in self._keyed:
            self._pending[self._keyed[key]] = (sql, params)
            return
        if key is not None:
            self._keyed[key] = len(self._pending)
        self._pending.append((sql, params))

    def insert(
        self, table: str, columns: Sequence[str], params: Params, key: Hashable | None = None
    ) -> None:
        """A new row of plain values, deferred and keyed like `write` (`pending` names it by
        `plain_insert`). On PostgreSQL a run of them goes to the server as one COPY (several times
        cheaper per row than INSERTs, even pipelined)."""
        self.write(self.plain_insert(table, columns), params, key)

    def plain_insert(self, table: str, columns: Sequence[str]) -> str:
        """The INSERT of `columns` into `table` (made once; on PostgreSQL with its COPY)."""
        sql = self._plain_inserts.get(table)
        if sql is None:
            sql = self._plain_inserts[table] = _insert(self.table(table), tuple(columns))
            if self._db.store.is_postgres:
                self._copies[sql] = f"COPY {self.table(table)} ({', '.join(columns)}) FROM STDIN"
        return sql

    def append(self, table: str, columns: Sequence[str], row: Sequence[Any]) -> None:
        """A new row (never replaced, never in conflict). On PostgreSQL appends stream into one
        open COPY, so the server stores rows while the batch makes the next ones; anything else
        first closes it."""
        sql = self.plain_insert(table, columns)
        if sql not in self._copies:
            self._pending.append((sql, row))
            return
        if self._copy is None or self._copy[0] != sql:
            self.flush()
            manager = self._conn.cursor().copy(self._copies[sql])
            self._copy = (sql, manager, manager.__enter__())
        self._copy[2].write_row(row)

    def abandon(self, error: BaseException) -> None:
        """The transaction fails: end an open COPY with the error (it is not committed)."""
        self._end_copy(error)

    def _end_copy(self, error: BaseException | None = None) -> None:
        copy, self._copy = self._copy, None
        if copy is not None:
            trace = None if error is None else error.__traceback__
            copy[1].__exit__(None if error is None else type(error), error, trace)

    def pending(self, key: Hashable) -> str | None:
        """The statement still waiting under `key`, if any."""
        index = self._keyed.get(key)
        return None if index is None else self._pending[index][0]

    def flush(self) -> None:
        self._end_copy()
        pending, self._pending = self._pending, []
        self._keyed = {}
        start = 0
        while start < len(pending):
            sql = pending[start][0]
            end = start
            while end < len(pending) and pending[end][0] == sql:
                end += 1
            rows = [p() if callable(p) else p for _, p in pending[start:end]]
            copy = self._copies.get(sql)
            if copy is None:
                self._conn.cursor().executemany(self._db.dialect.sql(sql), rows)
            else:
                with self._conn.cursor().copy(copy) as stream:
                    for row in rows:
                        stream.write_row(row)
            start = end

    def create_indexes(self, indexes: Sequence[tuple[str, str]]) -> None:
        for table, column in indexes:
            self.execute(
                f"CREATE INDEX IF NOT EXISTS {table}_{column} ON {self.table(table)} ({column})"
            )

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.flush()
        cursor = self._conn.execute(self._db.dialect.sql(sql), tuple(params))
        return list(cursor.fetchall()) if cursor.description is not None else []
