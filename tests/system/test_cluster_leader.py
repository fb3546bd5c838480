"""Cluster-wide lead over a PostgreSQL advisory lock: one leader per schema, failover when the
leader closes its connection or its process is killed (-9), and a lock held around table
creation serialises nodes starting together."""

import subprocess
import sys
import threading
import time

import pytest

from infrastructure.persistence.leader import Leadership, exclusive
from infrastructure.persistence.store import StoreConfig, postgres_store
from tests.stores import POSTGRES_URL, fresh_postgres_schema

pytestmark = [pytest.mark.system, pytest.mark.postgres]

HOLDER = """
import sys, time
from infrastructure.persistence.leader import Leadership
from infrastructure.persistence.store import postgres_store
lead = Leadership(postgres_store(sys.argv[1]), "projections")
print("leads" if lead.leads() else "follows", flush=True)
time.sleep(60)
"""


def _store(schema: str) -> StoreConfig:
    return postgres_store(f"{POSTGRES_URL}?schema={schema}")


def test_one_leader_per_schema_and_failover_on_close() -> None:
    with fresh_postgres_schema() as one, fresh_postgres_schema() as two:
        a, b = Leadership(_store(one), "projections"), Leadership(_store(one), "projections")
        elsewhere = Leadership(_store(two), "projections")
        other_duty = Leadership(_store(one), "something-else")
        try:
            assert [a.leads(), b.leads(), a.leads(), b.leads()] == [True, False, True, False]
            assert elsewhere.leads()  # another schema is another cluster
            assert other_duty.leads()  # another name is another lock
            a.close()
            assert [b.leads(), a.leads()] == [True, False]
        finally:
            for lead in (a, b, elsewhere, other_duty):
                lead.close()


def test_a_killed_leader_is_replaced() -> None:
    with fresh_postgres_schema() as schema:
        url = f"{POSTGRES_URL}?schema={schema}"
        holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, url], stdout=subprocess.PIPE, text=True
        )
        follower = Leadership(_store(schema), "projections")
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "leads"
            assert not follower.leads()
            holder.kill()  # SIGKILL: the server sees the socket close and drops the lock
            holder.wait(10)
            deadline = time.monotonic() + 10
            while not follower.leads():
                assert time.monotonic() < deadline, "nobody took the lead within 10 s"
                time.sleep(0.05)
        finally:
            if holder.poll() is None:
                holder.kill()
            holder.wait(10)
            assert holder.stdout is not None
            holder.stdout.close()
            follower.close()


def test_exclusive_serialises_its_holders() -> None:
    with fresh_postgres_schema() as schema:
        store = _store(schema)
        inside: list[str] = []
        overlaps: list[bool] = []

        def hold(name: str) -> None:
            with exclusive(store, "create-tables"):
                overlaps.append(bool(inside))
                inside.append(name)
                time.sleep(0.2)
                inside.remove(name)

        threads = [threading.Thread(target=hold, args=(f"t{i}",)) for i in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert overlaps == [False, False, False]
