"""The host's services, one JSON file under the state directory, replaced atomically on change.

Written as temp file + fsync + rename + fsync of the directory: a crash at any point leaves either
the old file or the new one, never a torn one, so a restarted agent remembers exactly.
"""

import fcntl
import os
from pathlib import Path
from typing import BinaryIO

import orjson

from infrastructure.agent.host import Service


class StateFile:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._path = directory / "services.json"
        self._services: dict[int, Service] = {}
        if self._path.exists():
            stored = orjson.loads(self._path.read_bytes())["services"]
            self._services = {
                int(port): Service(s["state"], s["rpmName"]) for port, s in stored.items()
            }

    def get(self, port: int) -> Service:
        return self._services.get(port, Service())

    def put(self, port: int, service: Service) -> None:
        services = {**self._services, port: service}
        self._write(services)
        self._services = services  # only once it is durable

    def _write(self, services: dict[int, Service]) -> None:
        document = {
            "services": {
                str(port): {"state": s.state, "rpmName": s.rpm_name}
                for port, s in sorted(services.items())
                if s != Service()  # an ABSENT port is the default: nothing to remember
            }
        }
        temp = self._path.with_suffix(".json.tmp")
        with temp.open("wb") as file:
            file.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, self._path)
        directory = os.open(self._directory, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


class StateDirInUse(Exception):
    """Another agent serves this state directory: two would break the ledger's exactly-once."""


def claim(directory: Path) -> BinaryIO:
    """An exclusive lock on the state directory, held while the returned file stays open."""
    lock = (directory / "lock").open("ab")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise StateDirInUse(f"another agent is serving the state directory {directory}") from None
    return lock
