"""Numeric ids unique across every process that shares a store.

One counter row in the store's own database, advanced under its row lock (PostgreSQL) or the
database write lock (SQLite); each process takes a block at a time so most requests cost no query.
"""

import threading

from infrastructure.store import StoreConfig, plain_transaction

FIRST_ID = 1000
BLOCK = 64


class IdAllocator:
    def __init__(self, store: StoreConfig, block: int = BLOCK) -> None:
        self._store = store
        self._block = block
        self._lock = threading.Lock()
        self._next = 0
        self._end = 0
        # The table name is ours, never user input.
        schema = f'"{store.postgres_schema}".' if store.is_postgres else ""
        mark = "%s" if store.is_postgres else "?"
        self._create_sql = (
            f"CREATE TABLE IF NOT EXISTS {schema}arbiter_ids "
            "(one INTEGER PRIMARY KEY, next_id BIGINT NOT NULL)"
        )
        self._seed_sql = (
            f"INSERT INTO {schema}arbiter_ids (one, next_id) VALUES (1, {FIRST_ID}) "  # noqa: S608
            "ON CONFLICT (one) DO NOTHING"
        )
        self._advance_sql = (
            f"UPDATE {schema}arbiter_ids SET next_id = next_id + {mark} "  # noqa: S608
            "WHERE one = 1 RETURNING next_id"
        )
        with plain_transaction(self._store) as cursor:
            cursor.execute(self._create_sql)
            cursor.execute(self._seed_sql)

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
        with plain_transaction(self._store) as cursor:
            cursor.execute(self._advance_sql, (count,))
            row = cursor.fetchone()
        assert row is not None
        return int(row[0])
