"""Runtime settings, read once from the environment and the command line."""

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path


def _default_node_address() -> str:
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


_ENGINE_ENV: dict[str, type] = {
    "engine_workers": int,
    "lease_seconds": float,
    "heartbeat_seconds": float,
    "poll_seconds": float,
    "step_timeout_seconds": float,
    "batch_seconds": float,
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    database_url: str | None = None  # postgresql://... ; None means SQLite under data_dir
    node_address: str = field(default_factory=_default_node_address)
    store_threads: int = 8  # the one bounded pool between the event loop and the store
    max_body_bytes: int = 64 * 1024
    # The task engine (docs/engine.md).
    engine_workers: int = 4  # subtasks this node runs at the same time; 0 runs none
    lease_seconds: float = 10.0  # a node silent this long has lost its running subtasks
    heartbeat_seconds: float = 2.0
    poll_seconds: float = 0.5  # the sweep's period, and how often a run checks for cancel
    step_timeout_seconds: float | None = None  # overrides every subtask's timeout (tests)
    # How long the engine's first claim or outcome waits for others to share its commit.
    batch_seconds: float = 0.002
    # A simulated host agent in this process, for hosts whose agent address is "embedded"
    # (`arbiter serve`, the demo; docs/agent.md). Its state lives under data_dir/agent.
    embedded_agent: bool = False
    agent_action_seconds: float = 0.3
    # GET /readyz answers 503 while any view lags the store's head by more events than this.
    ready_max_lag: int = 1000

    @classmethod
    def from_env(cls, **overrides: object) -> "Settings":
        values: dict[str, object] = {}
        if os.environ.get("ARBITER_DATA_DIR"):
            values["data_dir"] = Path(os.environ["ARBITER_DATA_DIR"])
        if os.environ.get("ARBITER_DATABASE_URL"):
            values["database_url"] = os.environ["ARBITER_DATABASE_URL"]
        if os.environ.get("ARBITER_NODE_ADDRESS"):
            values["node_address"] = os.environ["ARBITER_NODE_ADDRESS"]
        if os.environ.get("ARBITER_STORE_THREADS"):
            values["store_threads"] = int(os.environ["ARBITER_STORE_THREADS"])
        if os.environ.get("ARBITER_READY_MAX_LAG"):
            values["ready_max_lag"] = int(os.environ["ARBITER_READY_MAX_LAG"])
        for name, kind in _ENGINE_ENV.items():
            text = os.environ.get(f"ARBITER_{name.upper()}")
            if text:
                values[name] = kind(text)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
