"""A subtask's log: its runs, each with the lines logged while it ran.

The Task aggregate keeps no log (every read of a task copies its state, and a log grows with
every run): the lines travel in the events, and a subtask's log is folded from the task's events
only when it is asked for (`domain.task.subtask_log`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.enums import Operation


class LogLevel(StrEnum):
    """INFO for progress; WARN for what interrupted a run (cancel, take-over); ERROR for what
    failed it (an error, a timeout)."""

    INFO = "INFO"
    WARN = "WARN"
    ERROR = "ERROR"


@dataclass(frozen=True)
class LogLine:
    time: datetime  # when the line was logged, timezone-aware
    level: LogLevel
    message: str

    def payload(self) -> dict[str, Any]:
        """The line as an event stores it."""
        return {"time": self.time, "level": self.level.value, "message": self.message}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "LogLine":
        return cls(data["time"], LogLevel(data["level"]), data["message"])


@dataclass
class LogRun:
    """One run of a subtask: the operation it ran for, when it began, and its lines."""

    operation: Operation
    time: datetime
    lines: list[LogLine] = field(default_factory=list)


def add_lines(runs: list[LogRun], lines: list[LogLine]) -> None:
    """Lines of the current run; lines logged before any run began have nowhere to go."""
    if runs:
        runs[-1].lines.extend(lines)
