"""Plain text for people: aligned columns of services, tasks, subtasks and audit events."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any


def columns(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [list(header), *([_cell(v) for v in row] for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def _cell(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def when(stamp: str | None) -> str:
    """An OCP timestamp in local time, to the second."""
    if not stamp:
        return "-"
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(int(value), 60)
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def elapsed(subtask: dict[str, Any], now: datetime) -> float | None:
    """Seconds of the subtask's latest run: to its finish, or to `now` while it runs."""
    if not subtask["startTime"]:
        return None
    start = datetime.fromisoformat(subtask["startTime"])
    running = subtask["status"] in ("RUNNING", "CANCELING")
    if running:
        return max(0.0, (now - start).total_seconds())
    if subtask["finishTime"]:
        return max(0.0, (datetime.fromisoformat(subtask["finishTime"]) - start).total_seconds())
    return None


def progress(subtask: dict[str, Any], now: datetime) -> str:
    spent = elapsed(subtask, now)
    return f"{'-' if spent is None else seconds(spent)} / {seconds(subtask['timeout'])}"


def services(found: dict[str, Any]) -> str:
    return columns(
        ("ID", "NAME", "HOST", "PORT", "VERSION", "STATUS", "TASK", "ALLOWED"),
        [
            (
                s["id"],
                s["name"],
                s["svrIp"],
                s["svrPort"],
                s["version"],
                s["status"],
                s["activeTaskId"],
                ",".join(s["allowedOperations"]),
            )
            for s in found["contents"]
        ],
    )


def tasks(found: dict[str, Any]) -> str:
    return columns(
        ("ID", "NAME", "STATUS", "OPERATION", "SERVICE", "CREATOR", "CREATED", "FINISHED"),
        [
            (
                t["id"],
                t["name"],
                t["status"],
                t["operation"],
                t["serviceId"],
                t["creator"],
                when(t["createTime"]),
                when(t["finishTime"]),
            )
            for t in found["contents"]
        ],
    )


def task_title(task: dict[str, Any]) -> str:
    allowed = ", ".join(task["allowedOperations"]) or "none"
    return (
        f"task {task['id']} {task['name']!r}: {task['status']} ({task['operation']}), "
        f"created by {task['creator']} at {when(task['createTime'])}; allowed: {allowed}"
    )


def task(task: dict[str, Any], now: datetime) -> str:
    table = columns(
        ("ID", "SUBTASK", "STATUS", "OPERATION", "RUN", "ELAPSED / TIMEOUT", "EXECUTOR", "ALLOWED"),
        [
            (
                s["id"],
                s["name"],
                s["status"],
                s["operation"],
                s["runTime"],
                progress(s, now),
                s["executor"],
                ",".join(s["allowedOperations"]),
            )
            for s in task["subtasks"]
        ],
    )
    return f"{task_title(task)}\n{table}"


def audit_line(event: dict[str, Any]) -> str:
    return f"{when(event['time'])}  #{event['position']}  {event['message']}"
