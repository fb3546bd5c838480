"""Log lines for the tests: what a step logs, and the messages of a subtask's last run."""

import re
from datetime import UTC, datetime

from domain.step_log import LogLevel, LogLine, LogRun

AT = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


def lines(*messages: str, level: LogLevel = LogLevel.INFO) -> list[LogLine]:
    return [LogLine(AT, level, message) for message in messages]


def last_run(runs: list[LogRun]) -> list[str]:
    """The messages of the last run of a subtask's log."""
    return [line.message for line in runs[-1].lines]


# OCP's documented sample, byte for byte: "############{EXECUTE}{2021-08-25T15:09:32.697+08:00}
# ############\n2021-08-25 15:09:32.716  INFO ..." (Spring's %5p pads the level to five).
HEADER = re.compile(
    r"############\{([A-Z]+)\}\{(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d)\}############"
)
LINE = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) ( INFO| WARN|ERROR) \S.*")


def check_ocp_log(text: str, operations: list[str]) -> None:
    """Every line of the log is a run's header or a logged line in OCP's format; the runs are of
    `operations`, in order; each run's lines are logged in order, none before the run began."""
    found: list[str] = []
    last: datetime | None = None
    for line in text.split("\n"):
        header = HEADER.fullmatch(line)
        if header is not None:
            found.append(header[1])
            # Lines are in local time without an offset, as OCP prints them.
            last = datetime.fromisoformat(header[2]).astimezone().replace(tzinfo=None)
            continue
        logged = LINE.fullmatch(line)
        assert logged is not None, f"not an OCP log line: {line!r}"
        assert last is not None, f"a line before any run: {line!r}"
        at = datetime.strptime(logged[1], "%Y-%m-%d %H:%M:%S.%f")
        assert at >= last, f"{line!r} is logged before the line above it (or its run)"
        last = at
    assert found == operations
