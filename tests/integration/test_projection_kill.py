"""Kill `arbiter projections rebuild` (a real process, SIGKILL) mid-way, restart: no gap, no
duplicate, and the same rows as an uninterrupted rebuild."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import retried_then_rolled_back, seed_service
from tests.stores import database_url

NAMES = ("audit", "tasks", "services")
AUDIT_INDEXES = {
    f"arbiter_view_audit_{c}" for c in ("task_id", "service_id", "actor", "trace_id", "time")
}


def _indexes(arbiter: ArbiterApp, store: StoreConfig) -> set[str]:
    """The secondary indexes of the audit view's table."""
    if store.is_postgres:
        sql = "SELECT indexname FROM pg_indexes WHERE schemaname = ? AND tablename = ?"
        params: tuple[str, ...] = (store.postgres_schema, "arbiter_view_audit")
    else:
        # sql IS NULL: the primary key's own index
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql <> ''"
        params = ("arbiter_view_audit",)
    names = {str(row[0]) for row in arbiter.projections.db.query(sql, params)}
    return {n for n in names if not n.endswith("_pkey")}


def _arbiter(store: StoreConfig, data_dir: Path, *args: str) -> subprocess.Popen[str]:
    """`arbiter projections ARGS` as its own process; its stderr (the progress bar) to a file."""
    env = {**os.environ, "ARBITER_DATA_DIR": str(data_dir)}
    url = database_url(store)
    if url is not None:
        env["ARBITER_DATABASE_URL"] = url
    with (data_dir / "stderr.txt").open("a") as stderr:  # the child keeps its own copy
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "projections", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )


def test_a_rebuild_killed_mid_way_resumes_without_gap_or_duplicate(
    arbiter: ArbiterApp, store: StoreConfig, tmp_path: Path
) -> None:
    for port in range(2900, 2906):
        seed_service(arbiter, port, ip=f"10.0.1.{port - 2899}")
    retried_then_rolled_back(arbiter)
    projections = arbiter.projections
    assert projections.catch_up()
    expected = {name: projections.rows(name) for name in NAMES}
    head = projections.head()
    data_dir = tmp_path  # SQLite: events.sqlite lives here (store_for's file name)
    if not store.is_postgres:
        assert Path(store.sqlite_path) == data_dir / "events.sqlite"

    # One event per transaction, so that the kill lands between commits, mid rebuild.
    rebuild = _arbiter(store, data_dir, "rebuild", "audit", "--batch", "1")
    deadline = time.monotonic() + 30
    while projections.position("audit") in (0, head) or projections.position("audit") > head:
        assert time.monotonic() < deadline, "the rebuild never got under way"
        assert rebuild.poll() is None, (data_dir / "stderr.txt").read_text()[-3000:]
        time.sleep(0.005)
    rebuild.send_signal(signal.SIGKILL)
    rebuild.communicate(timeout=10)  # reaps it and closes its pipe
    stopped_at = projections.position("audit")
    assert 0 < stopped_at < head
    partial = projections.rows("audit")["arbiter_view_audit"]
    assert [row[0] for row in partial] == list(range(1, stopped_at + 1))
    assert _indexes(arbiter, store) == set()  # a rebuild loads without them

    resumed = _arbiter(store, data_dir, "catch-up")
    out, _ = resumed.communicate(timeout=60)

    assert resumed.returncode == 0, out
    assert _indexes(arbiter, store) == AUDIT_INDEXES  # a starting process puts them back
    assert projections.position("audit") == head
    assert {name: projections.rows(name) for name in NAMES} == expected
    checked = _arbiter(store, data_dir, "rebuild", "audit")
    out, _ = checked.communicate(timeout=60)
    assert f"audit: checksum sha256:{projections.checksum('audit')}" in out
    assert _indexes(arbiter, store) == AUDIT_INDEXES  # a finished rebuild makes them again
    status = _arbiter(store, data_dir, "status")
    out, _ = status.communicate(timeout=60)
    assert out.split("\n")[1:4] == [f"{n:<10} {head:>10} {head:>10} {0:>10}" for n in NAMES]
