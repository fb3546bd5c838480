"""Where the events live: SQLite under the data directory, or PostgreSQL from a URL."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse


@dataclass(frozen=True)
class StoreConfig:
    """The eventsourcing environment of one store, plus what our own tables need to connect."""

    env: dict[str, str]

    @property
    def is_postgres(self) -> bool:
        return self.env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"

    @property
    def sqlite_path(self) -> str:
        return self.env["SQLITE_DBNAME"]

    @property
    def postgres_conninfo(self) -> dict[str, str]:
        return {
            "dbname": self.env["POSTGRES_DBNAME"],
            "host": self.env["POSTGRES_HOST"],
            "port": self.env["POSTGRES_PORT"],
            "user": self.env["POSTGRES_USER"],
            "password": self.env["POSTGRES_PASSWORD"],
        }

    @property
    def postgres_schema(self) -> str:
        return self.env.get("POSTGRES_SCHEMA") or "public"

    @property
    def database_url(self) -> str | None:
        """The ARBITER_DATABASE_URL naming this store (None for SQLite, found in the data dir)."""
        if not self.is_postgres:
            return None
        info = self.postgres_conninfo
        return (
            f"postgresql://{info['user']}@{info['host']}:{info['port']}/{info['dbname']}"
            f"?schema={self.postgres_schema}"
        )


def sqlite_store(path: Path) -> StoreConfig:
    path.parent.mkdir(parents=True, exist_ok=True)
    return StoreConfig(
        {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    )


def postgres_store(url: str) -> StoreConfig:
    """postgresql://user[:password]@host[:port]/dbname[?schema=NAME&pool_size=N&max_overflow=M]

    pool_size and max_overflow size each process's pool of event store connections (default
    10 + 10): N nodes hold up to N * (pool_size + max_overflow) of the server's connections.
    """
    parsed = urlparse(url)
    if parsed.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    query = parse_qs(parsed.query)
    schema = query.get("schema", [""])[0]
    pool_size = query.get("pool_size", ["10"])[0]
    max_overflow = query.get("max_overflow", ["10"])[0]
    if not (pool_size.isdigit() and max_overflow.isdigit() and int(pool_size) > 0):
        raise ValueError(f"pool_size and max_overflow must be whole numbers: {url}")
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": parsed.path.lstrip("/") or "postgres",
        "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(parsed.port or 5432),
        "POSTGRES_USER": unquote(parsed.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parsed.password or ""),
        "POSTGRES_POOL_SIZE": pool_size,
        "POSTGRES_MAX_OVERFLOW": max_overflow,
        "POSTGRES_CONNECT_TIMEOUT": "10",
    }
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return StoreConfig(env)


def store_for(database_url: str | None, data_dir: Path) -> StoreConfig:
    if database_url:
        return postgres_store(database_url)
    return sqlite_store(data_dir / "events.sqlite")
