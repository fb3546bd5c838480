"""A store made by an earlier release stays readable: the event tables keep their names."""

from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.application import ArbiterApp


def test_the_events_go_to_the_tables_of_earlier_releases(store: StoreConfig) -> None:
    # eventsourcing names a PostgreSQL store's tables after the application's name; a SQLite
    # store (one file per application) keeps eventsourcing's own names.
    app = ArbiterApp(store, "10.0.0.1")
    try:
        assert app.snapshots is not None
        tables = (app.recorder.events_table_name, app.snapshots.recorder.events_table_name)
    finally:
        app.close()
    if store.is_postgres:
        assert tables == ("arbiterapp_events", "arbiterapp_snapshots")
    else:
        assert tables == ("stored_events", "stored_snapshots")
