"""Fixtures shared by every kind of test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from infrastructure.persistence.store import StoreConfig
from infrastructure.use_cases.application import ArbiterApp
from tests.stores import store_of

STORES = ["sqlite", "postgres"]


@pytest.fixture(params=STORES)
def store_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(store_kind: str, tmp_path: Path) -> Iterator[StoreConfig]:
    """A fresh, empty event store: a SQLite file, or a new PostgreSQL schema."""
    with store_of(store_kind, tmp_path) as config:
        yield config


@pytest.fixture
def arbiter(store: StoreConfig) -> Iterator[ArbiterApp]:
    app = ArbiterApp(store, "10.0.0.1")
    yield app
    app.close()
