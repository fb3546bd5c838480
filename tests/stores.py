"""The two event stores every store-facing test runs against: a real SQLite file and PostgreSQL."""

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from infrastructure.persistence.store import StoreConfig, postgres_store, sqlite_store

POSTGRES_URL = os.environ.get("ARBITER_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        with psycopg.connect(
            POSTGRES_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=3
        ):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> None:
    if postgres_available():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL must answer at {POSTGRES_URL} under CI")
    pytest.skip(f"PostgreSQL does not answer at {POSTGRES_URL}")


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A new, empty schema, dropped afterwards: isolates tests and parallel runs."""
    require_postgres()
    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextmanager
def store_of(kind: str, directory: Path) -> Iterator[StoreConfig]:
    if kind == "sqlite":
        yield sqlite_store(directory / "events.sqlite")
        return
    with fresh_postgres_schema() as schema:
        yield postgres_store(f"{POSTGRES_URL}?schema={schema}")


def database_url(store: StoreConfig) -> str | None:
    return store.database_url
