"""The append-only ledger of every action the agent performed: JSON lines, fsynced per entry.

Tests read it to check exactly-once execution and that no step ever ran twice at the same time.
"""

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson


@dataclass(frozen=True)
class Record:
    """What was asked, on which port, and when it ran."""

    action: str
    port: int
    request_id: str
    args: dict[str, Any]
    started_at: datetime
    finished_at: datetime


class Ledger:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._seq = self._recover()
        self._file = path.open("ab")

    def _recover(self) -> int:
        """The last complete entry's seq; a line torn by a crash mid-write is cut off."""
        if not self._path.exists():
            return 0
        data = self._path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        if len(complete) != len(data):
            with self._path.open("r+b") as file:
                file.truncate(len(complete))
                os.fsync(file.fileno())
        lines = complete.splitlines()
        return int(orjson.loads(lines[-1])["seq"]) if lines else 0

    def append(self, record: Record, outcome: str, error: str | None, fault: int | None) -> None:
        # Synchronous on purpose: a few hundred bytes, written from the event loop in finishing
        # order (so seq order is finish order), and safe inside a cancelled handler's cleanup.
        entry = {
            "seq": self._seq + 1,
            "action": record.action,
            "port": record.port,
            "requestId": record.request_id,
            "args": record.args,
            "startedAt": _iso(record.started_at),
            "finishedAt": _iso(record.finished_at),
            "outcome": outcome,
            "error": error,
            "fault": fault,  # the id of the injected fault that hit this action
        }
        self._file.write(orjson.dumps(entry) + b"\n")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._seq += 1

    def entries(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self._path.read_bytes().splitlines()]

    def close(self) -> None:
        self._file.close()


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")
