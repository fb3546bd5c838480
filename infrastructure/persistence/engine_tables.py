"""The engine's plain tables, beside the event store in the same database.

Liveness and the queue of unfinished tasks are operational data, not domain history: they are
kept as plain rows, and every row can be rebuilt (the queue from the notification log, the
nodes from the next heartbeats).
"""

from uuid import UUID

from infrastructure.persistence.sql import SQL


class EngineTables:
    def __init__(self, sql: SQL) -> None:
        self._sql = sql
        table = sql.dialect.table
        self._queue = table("arbiter_task_queue")
        self._position = table("arbiter_queue_position")
        self._nodes = table("arbiter_nodes")
        real = sql.dialect.real_type
        with sql.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._queue} "
                "(task_uuid TEXT PRIMARY KEY, version BIGINT NOT NULL)"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._position} "
                "(one INTEGER PRIMARY KEY, position BIGINT NOT NULL)"
            )
            cursor.execute(
                f"INSERT INTO {self._position} (one, position) "  # noqa: S608
                "VALUES (1, 0) ON CONFLICT (one) DO NOTHING"
            )
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self._nodes} "
                f"(node_id TEXT PRIMARY KEY, address TEXT NOT NULL, last_seen {real} NOT NULL)"
            )

    # ---- the queue of unfinished tasks ------------------------------------------------------

    def queue_position(self) -> int:
        with self._sql.transaction() as cursor:
            cursor.execute(f"SELECT position FROM {self._position}")  # noqa: S608
            return int(cursor.fetchone()[0])

    def enqueue(self, tasks: dict[UUID, int], position: int) -> None:
        """Remember tasks that changed (with their newest version) up to a notification position."""
        with self._sql.transaction() as cursor:
            # One order for every node: two nodes feeding the same notifications never deadlock.
            for task_uuid, version in sorted(tasks.items()):
                cursor.execute(
                    f"INSERT INTO {self._queue} (task_uuid, version) "  # noqa: S608
                    f"VALUES (?, ?) ON CONFLICT (task_uuid) DO UPDATE SET version = "
                    "CASE WHEN excluded.version > arbiter_task_queue.version "
                    "THEN excluded.version ELSE arbiter_task_queue.version END",
                    (str(task_uuid), version),
                )
            cursor.execute(
                f"UPDATE {self._position} SET position = ? "  # noqa: S608
                f"WHERE one = 1 AND position < ?",
                (position, position),
            )

    def queued(self) -> dict[UUID, int]:
        """Every unfinished task, with the newest version the queue has seen of it."""
        with self._sql.transaction() as cursor:
            cursor.execute(f"SELECT task_uuid, version FROM {self._queue}")  # noqa: S608
            return {UUID(row[0]): int(row[1]) for row in cursor.fetchall()}

    def dequeue(self, task_uuid: UUID, version: int) -> None:
        """Forget a finished task, unless an event newer than the one seen has re-opened it."""
        with self._sql.transaction() as cursor:
            cursor.execute(
                f"DELETE FROM {self._queue} "  # noqa: S608
                f"WHERE task_uuid = ? AND version <= ?",
                (str(task_uuid), version),
            )

    # ---- node heartbeats ----------------------------------------------------------------

    def heartbeat(self, node_id: str, address: str, now: float) -> None:
        with self._sql.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO {self._nodes} (node_id, address, last_seen) "  # noqa: S608
                f"VALUES (?, ?, ?) ON CONFLICT (node_id) "
                "DO UPDATE SET last_seen = excluded.last_seen, address = excluded.address",
                (node_id, address, now),
            )

    def live_nodes(self, since: float) -> set[str]:
        with self._sql.transaction() as cursor:
            cursor.execute(
                f"SELECT node_id FROM {self._nodes} "  # noqa: S608
                f"WHERE last_seen >= ?",
                (since,),
            )
            return {str(row[0]) for row in cursor.fetchall()}

    def nodes(self) -> list[tuple[str, str, float]]:
        with self._sql.transaction() as cursor:
            cursor.execute(f"SELECT node_id, address, last_seen FROM {self._nodes}")  # noqa: S608
            return [(str(r[0]), str(r[1]), float(r[2])) for r in cursor.fetchall()]
