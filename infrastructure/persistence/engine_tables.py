"""The engine's plain tables, beside the event store in the same database.

Liveness and the queue of unfinished tasks are operational data, not domain history: they are
kept as plain rows, and every row can be rebuilt (the queue from the notification log, the
nodes from the next heartbeats).
"""

from typing import Any
from uuid import UUID

from infrastructure.store import StoreConfig, plain_transaction


class EngineTables:
    def __init__(self, store: StoreConfig, datastore: Any = None) -> None:
        self._store = store
        self._datastore = datastore  # the event store's connection pool (plain_transaction)
        # Table names are ours, never user input.
        self._schema = f'"{store.postgres_schema}".' if store.is_postgres else ""
        self._mark = "%s" if store.is_postgres else "?"
        real = "DOUBLE PRECISION" if store.is_postgres else "REAL"
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._schema}arbiter_task_queue "
                "(task_uuid TEXT PRIMARY KEY, version BIGINT NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._schema}arbiter_queue_position "
                "(one INTEGER PRIMARY KEY, position BIGINT NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO {self._schema}arbiter_queue_position (one, position) "  # noqa: S608
                "VALUES (1, 0) ON CONFLICT (one) DO NOTHING"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._schema}arbiter_nodes "
                f"(node_id TEXT PRIMARY KEY, address TEXT NOT NULL, last_seen {real} NOT NULL)"
            )

    # ---- the queue of unfinished tasks ------------------------------------------------------

    def queue_position(self) -> int:
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(f"SELECT position FROM {self._schema}arbiter_queue_position")  # noqa: S608
            return int(cursor.fetchone()[0])

    def enqueue(self, tasks: dict[UUID, int], position: int) -> None:
        """Remember tasks that changed (with their newest version) up to a notification position."""
        m = self._mark
        with plain_transaction(self._store, self._datastore) as cursor:
            # One order for every node: two nodes feeding the same notifications never deadlock.
            for task_uuid, version in sorted(tasks.items()):
                cursor.execute(
                    f"INSERT INTO {self._schema}arbiter_task_queue (task_uuid, version) "  # noqa: S608
                    f"VALUES ({m}, {m}) ON CONFLICT (task_uuid) DO UPDATE SET version = "
                    "CASE WHEN excluded.version > arbiter_task_queue.version "
                    "THEN excluded.version ELSE arbiter_task_queue.version END",
                    (str(task_uuid), version),
                )
            cursor.execute(
                f"UPDATE {self._schema}arbiter_queue_position SET position = {m} "  # noqa: S608
                f"WHERE one = 1 AND position < {m}",
                (position, position),
            )

    def queued(self) -> dict[UUID, int]:
        """Every unfinished task, with the newest version the queue has seen of it."""
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(f"SELECT task_uuid, version FROM {self._schema}arbiter_task_queue")  # noqa: S608
            return {UUID(row[0]): int(row[1]) for row in cursor.fetchall()}

    def dequeue(self, task_uuid: UUID, version: int) -> None:
        """Forget a finished task, unless an event newer than the one seen has re-opened it."""
        m = self._mark
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(
                f"DELETE FROM {self._schema}arbiter_task_queue "  # noqa: S608
                f"WHERE task_uuid = {m} AND version <= {m}",
                (str(task_uuid), version),
            )

    # ---- node heartbeats ----------------------------------------------------------------

    def heartbeat(self, node_id: str, address: str, now: float) -> None:
        m = self._mark
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(
                f"INSERT INTO {self._schema}arbiter_nodes (node_id, address, last_seen) "  # noqa: S608
                f"VALUES ({m}, {m}, {m}) ON CONFLICT (node_id) "
                "DO UPDATE SET last_seen = excluded.last_seen, address = excluded.address",
                (node_id, address, now),
            )

    def live_nodes(self, since: float) -> set[str]:
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(
                f"SELECT node_id FROM {self._schema}arbiter_nodes "  # noqa: S608
                f"WHERE last_seen >= {self._mark}",
                (since,),
            )
            return {str(row[0]) for row in cursor.fetchall()}

    def nodes(self) -> list[tuple[str, str, float]]:
        with plain_transaction(self._store, self._datastore) as cursor:
            cursor.execute(f"SELECT node_id, address, last_seen FROM {self._schema}arbiter_nodes")  # noqa: S608
            return [(str(r[0]), str(r[1]), float(r[2])) for r in cursor.fetchall()]
