"""A view whose tables changed shape in a new version of arbiter is made anew from the events
when a process starts; a view whose shape did not change is left as it is."""

from typing import Any

from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.queries import AuditFilter, Paged
from tests.integration.projection_story import retried_then_rolled_back


def _rows(arbiter: ArbiterApp, name: str) -> dict[str, list[tuple[Any, ...]]]:
    arbiter.fresh_projections()
    return arbiter.projections.rows(name)


def test_a_store_from_before_the_audit_shape_2_is_rebuilt_in_the_new_shape(
    store: StoreConfig,
) -> None:
    first = ArbiterApp(store, "10.0.0.1")
    retried_then_rolled_back(first)
    audit, tasks = _rows(first, "audit"), _rows(first, "tasks")
    # What a store written before shapes were recorded holds: the audit's time as text, and
    # views that are complete up to the head.
    with first.projections.db.transaction() as tx:
        tx.execute(f"DROP TABLE {tx.table('arbiter_projection_shape')}")
        tx.execute(f"DROP TABLE {tx.table('arbiter_view_audit')}")
        tx.execute(f"CREATE TABLE {tx.table('arbiter_view_audit')} (position BIGINT, time TEXT)")
        tx.execute(f"DELETE FROM {tx.table('arbiter_view_tasks')}")  # noqa: S608  # not rebuilt
    first.close()

    again = ArbiterApp(store, "10.0.0.1")
    try:
        assert _rows(again, "audit") == audit
        page = again.audit_events(AuditFilter(), Paged(1, 1))
        assert isinstance(page.rows[0]["time"], int)  # microseconds since the epoch
        assert _rows(again, "tasks") == {**tasks, "arbiter_view_tasks": []}  # left as it was
    finally:
        again.close()
