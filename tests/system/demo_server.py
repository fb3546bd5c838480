"""A real `arbiter serve --demo` process on a free loopback port, for the system and browser
tests and `make screenshot`: its URL, its embedded agent's URL and the demo service's id.

Not a test module (no test_ prefix): a helper the tests and tools import.
"""

import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import Request, urlopen

import orjson
import yaml

from api.users import hash_password

ARBITER = Path(sys.executable).parent / "arbiter"
ADMIN = ("admin", "demo-password")
START_SECONDS = 30
_AGENT_LINE = re.compile(r"the demo host's agent is at (\S+)")
_SERVICE_LINE = re.compile(r"with demo arbitration service (\d+)")


@dataclass(frozen=True)
class DemoServer:
    url: str
    agent_url: str
    service_id: int
    log: Path

    def call(
        self, method: str, path: str, body: object = None, user: tuple[str, str] = ADMIN
    ) -> Any:
        """One API call with Basic credentials; the envelope's data (AssertionError if refused)."""
        request = Request(  # noqa: S310 (a loopback URL of our own)
            self.url + path,
            data=None if body is None else orjson.dumps(body),
            method=method,
            headers={
                "Authorization": _basic(user),
                "Content-Type": "application/json",
            },
        )
        with urlopen(request, timeout=20) as response:  # noqa: S310
            envelope = orjson.loads(response.read())
        assert envelope["successful"], envelope
        return envelope["data"]

    def fault(self, action: str, mode: str) -> None:
        """Make the demo agent's next `action` on the demo service's port fail or hang."""
        body = orjson.dumps({"action": action, "port": 2882, "mode": mode})
        request = Request(f"{self.agent_url}/agent/v1/faults", data=body, method="POST")  # noqa: S310
        with urlopen(request, timeout=10):  # noqa: S310
            pass


def _basic(user: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    role: str
    access_key: tuple[str, str] | None = None  # (id, secret)

    @property
    def login(self) -> tuple[str, str]:
        return self.name, self.password


def users_file(path: Path, accounts: list[Account]) -> Path:
    """A users file (docs/api.md) with these accounts, passwords hashed."""
    entries = [
        {
            "name": a.name,
            "password_hash": hash_password(a.password),
            "roles": [a.role],
            "access_keys": [{"id": a.access_key[0], "secret": a.access_key[1]}]
            if a.access_key
            else [],
        }
        for a in accounts
    ]
    path.write_text(yaml.safe_dump({"users": entries}))
    return path


@contextmanager
def demo_server(data_dir: Path, env: Mapping[str, str] | None = None) -> Iterator[DemoServer]:
    """`arbiter serve --demo` on `data_dir` (SQLite), up and seeded; stopped with SIGTERM."""
    port = free_port()
    log = data_dir.parent / f"serve-{port}.log"
    environ = {
        **os.environ,
        "ARBITER_ADMIN_USER": ADMIN[0],
        "ARBITER_ADMIN_PASSWORD": ADMIN[1],
        "ARBITER_POLL_SECONDS": "0.1",
        "PYTHONUNBUFFERED": "1",  # the demo's printed lines reach the log at once
        **(env or {}),
    }
    environ.pop("ARBITER_DATABASE_URL", None)  # the embedded default: SQLite under data_dir
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(ARBITER), "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=out,
            stderr=out,
            env=environ,
        )
    try:
        yield _started(process, f"http://127.0.0.1:{port}", log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def _started(process: subprocess.Popen[bytes], url: str, log: Path) -> DemoServer:
    """Bounded wait for the seeded demo's lines and a first answer."""
    deadline = time.monotonic() + START_SECONDS
    while True:
        text = log.read_text(errors="replace")
        agent, service = _AGENT_LINE.search(text), _SERVICE_LINE.search(text)
        if agent and service:
            try:
                with urlopen(f"{url}/api/v2/openapi.json", timeout=5):  # noqa: S310
                    return DemoServer(url, agent[1], int(service[1]), log)
            except URLError:
                pass
        assert process.poll() is None, f"arbiter serve exited:\n{text[-2000:]}"
        assert time.monotonic() < deadline, f"arbiter serve did not start:\n{text[-2000:]}"
        time.sleep(0.1)
