"""The append-only ledger of every action the agent performed: JSON lines, fsynced per entry.

Tests read it to check exactly-once execution and that no step ever ran twice at the same time.
"""

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson


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

    def append(
        self,
        action: str,
        port: int,
        request_id: str,
        args: dict[str, Any],
        started_at: datetime,
        finished_at: datetime,
        outcome: str,
        error: str | None = None,
    ) -> None:
        # Synchronous on purpose: a few hundred bytes, written from the event loop in finishing
        # order (so seq order is finish order), and safe inside a cancelled handler's cleanup.
        entry = {
            "seq": self._seq + 1,
            "action": action,
            "port": port,
            "requestId": request_id,
            "args": args,
            "startedAt": _iso(started_at),
            "finishedAt": _iso(finished_at),
            "outcome": outcome,
            "error": error,
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
