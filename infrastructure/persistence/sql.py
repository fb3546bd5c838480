"""The one way to SQL beside the events: a store's dialect, its connections, its transactions.

Our own tables (ids, the engine's queue and heartbeats, the views) and the leader lock live in
the events' own database, a SQLite file or a PostgreSQL schema. Everything that speaks SQL to
it comes through here, so a statement is written once: `?` marks and plain table names.
"""

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import make_conninfo
from psycopg.rows import tuple_row

from infrastructure.persistence.store import StoreConfig


class Dialect:
    """What differs between the two stores."""

    def __init__(self, store: StoreConfig) -> None:
        self.postgres = store.is_postgres
        self._schema = store.postgres_schema
        # Table names are ours, never user input.
        self._prefix = f'"{self._schema}".' if self.postgres else ""
        # A 64-bit integer primary key: on SQLite INTEGER makes it the rowid (one B-tree, not
        # a table and an index); on PostgreSQL INTEGER is 32 bits.
        self.key_type = "BIGINT" if self.postgres else "INTEGER"
        self.real_type = "DOUBLE PRECISION" if self.postgres else "REAL"
        # Case-insensitive on both: SQLite's LIKE already is (for ASCII, as LOWER() would be).
        self.like = "ILIKE" if self.postgres else "LIKE"

    def table(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def sql(self, statement: str) -> str:
        """A statement written with `?` marks, in the store's own marks."""
        return statement.replace("?", "%s") if self.postgres else statement

    def lock_key(self, name: str) -> int:
        """A 64-bit advisory lock key per schema and purpose: two clusters in two schemas never
        share a lock."""
        digest = hashlib.sha256(f"{self._schema}/{name}".encode()).digest()
        return int.from_bytes(digest[:8], "big", signed=True)


def connect(store: StoreConfig, *, autocommit: bool = False, options: str | None = None) -> Any:
    """A connection of its own to the store's database: the views keep one per thread, the
    leader one for its lock. SQLite's is in autocommit mode: `transaction` opens each one."""
    if store.is_postgres:
        settings = {} if options is None else {"options": options}
        conninfo = make_conninfo(**store.postgres_conninfo, **settings)
        return psycopg.connect(conninfo, autocommit=autocommit)
    return sqlite3.connect(
        store.sqlite_path, timeout=30, isolation_level=None, check_same_thread=False
    )


@contextmanager
def transaction(conn: Any, dialect: Dialect) -> Iterator[None]:
    """One transaction on a connection of `connect`. SQLite takes the write lock up front
    (BEGIN IMMEDIATE), so that a transaction that reads, then writes, cannot deadlock."""
    if dialect.postgres:
        with conn.transaction():
            yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class Cursor:
    """A DB-API cursor that takes statements with `?` marks."""

    def __init__(self, cursor: Any, dialect: Dialect) -> None:
        self._cursor = cursor
        self._dialect = dialect

    def execute(self, statement: str, params: Sequence[Any] = ()) -> "Cursor":
        self._cursor.execute(self._dialect.sql(statement), tuple(params))
        return self

    def fetchone(self) -> Any:
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cursor.fetchall())


class SQL:
    """Short transactions on the store's database, for tables used a few times a second.

    On PostgreSQL `pool` (the event store's, eventsourcing's PostgresDatastore) lends a pooled
    connection: a new server connection (a new server process) per transaction would cost more
    than the transaction. Without one (a command line tool), each transaction connects.
    """

    def __init__(self, store: StoreConfig, pool: Any = None) -> None:
        self.store = store
        self.dialect = Dialect(store)
        self._pool = pool if store.is_postgres else None

    @contextmanager
    def transaction(self) -> Iterator[Cursor]:
        if self._pool is not None:
            with (
                self._pool.get_connection() as pg,
                pg.transaction(),
                pg.cursor(row_factory=tuple_row) as cursor,
            ):
                yield Cursor(cursor, self.dialect)
            return
        conn = connect(self.store)
        try:
            with transaction(conn, self.dialect):
                yield Cursor(conn.cursor(), self.dialect)
        finally:
            conn.close()
