"""Cluster-wide locks for nodes sharing one PostgreSQL: session advisory locks.

A session advisory lock belongs to one connection: it is released when the holder closes the
connection or its process dies (the server notices the closed socket), so a dead leader never
blocks the others for longer than that. On SQLite there is one node per database file, which
is always the leader (its own transactions still serialise it against other processes).
"""

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

import psycopg

from infrastructure.persistence.sql import Dialect, connect
from infrastructure.persistence.store import StoreConfig

log = logging.getLogger(__name__)


@contextlib.contextmanager
def exclusive(store: StoreConfig, name: str) -> Iterator[None]:
    """Hold the cluster-wide lock `name` for the block (waits for it): e.g. while a node creates
    the tables, so that nodes starting together on an empty schema do not collide."""
    if not store.is_postgres:
        yield
        return
    with connect(store, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (Dialect(store).lock_key(name),))
        yield  # closing the connection releases the lock


class Leadership:
    """At most one node of the cluster leads `name` at a time; another one takes over once the
    leader's connection is gone. `leads()` is cheap while the lead is held (one round trip)."""

    def __init__(self, store: StoreConfig, name: str) -> None:
        self.store = store
        self.name = name
        self._key = Dialect(store).lock_key(name)
        self._conn: Any = None
        self._held = False

    def leads(self) -> bool:
        if not self.store.is_postgres:
            return True
        try:
            if self._conn is None or self._conn.closed:
                self.close()  # a new connection holds nothing yet
                self._conn = connect(self.store, autocommit=True)
            if self._held:  # held as long as this connection lives: check that it does
                self._conn.execute("SELECT 1")
                return True
            got = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
            self._held = bool(got is not None and got[0])
            if self._held:
                log.info("this node now leads %s", self.name)
            return self._held
        except psycopg.Error:
            log.warning("lost the connection that holds the lead of %s", self.name)
            self.close()
            return False

    def close(self) -> None:
        """Give the lead up now (the server drops a closed session's locks only a moment later)."""
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                if self._held:
                    self._conn.execute("SELECT pg_advisory_unlock(%s)", (self._key,))
                self._conn.close()
            self._conn = None
        self._held = False
