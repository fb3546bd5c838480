"""Numeric ids unique across every process that shares a store.

One counter row in the store's own database, advanced under its row lock (PostgreSQL) or the
database write lock (SQLite); each process takes a block at a time so most requests cost no query.
"""

import threading

from infrastructure.persistence.sql import SQL

FIRST_ID = 1000
BLOCK = 64


class IdAllocator:
    def __init__(self, sql: SQL, block: int = BLOCK) -> None:
        self._sql = sql
        self._block = block
        self._lock = threading.Lock()
        self._next = 0
        self._end = 0
        self._table = sql.dialect.table("arbiter_ids")
        with sql.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} "
                "(one INTEGER PRIMARY KEY, next_id BIGINT NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO {self._table} (one, next_id) VALUES (1, {FIRST_ID}) "  # noqa: S608
                "ON CONFLICT (one) DO NOTHING"
            )

    def allocate(self, count: int) -> list[int]:
        with self._lock:
            if self._end - self._next < count:
                size = max(self._block, count)
                self._end = self._advance(size)
                self._next = self._end - size
            ids = list(range(self._next, self._next + count))
            self._next += count
            return ids

    def _advance(self, count: int) -> int:
        """Reserve `count` ids; returns the end (exclusive) of the reserved range."""
        with self._sql.transaction() as cursor:
            row = cursor.execute(
                f"UPDATE {self._table} SET next_id = next_id + ? "  # noqa: S608
                "WHERE one = 1 RETURNING next_id",
                (count,),
            ).fetchone()
        assert row is not None
        return int(row[0])
