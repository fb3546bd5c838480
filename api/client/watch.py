"""`--watch`: a task's progress per subtask as the server pushes it (the task stream), drawn
live with rich on a terminal and as one plain line per change otherwise; ends when the task
has finished."""

from datetime import UTC, datetime
from typing import Any, TextIO

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from api.client import render
from api.client.http import Client

STYLES = {
    "PENDING": "dim",
    "READY": "cyan",
    "RUNNING": "bold blue",
    "CANCELING": "yellow",
    "FAILED": "bold red",
    "SUCCESSFUL": "green",
}


def _finished(task: dict[str, Any]) -> bool:
    return bool(task["status"] != "RUNNING")


def watch(client: Client, task_id: int, out: TextIO) -> dict[str, Any]:
    """The task once it has finished, its progress shown on `out` meanwhile."""
    stream = (task for _, task in client.events(f"/api/v2/tasks/instances/{task_id}/stream"))
    if out.isatty():
        return _live(stream, out)
    return _plain(stream, out)


class _Board:
    """The latest task as a table; rich re-renders it a few times a second, so elapsed times
    move on between pushes."""

    def __init__(self) -> None:
        self.task: dict[str, Any] | None = None

    def __rich__(self) -> Table | Text:
        if self.task is None:
            return Text("waiting for the task...")
        now = datetime.now(UTC)
        table = Table(title=render.task_title(self.task), title_justify="left", expand=False)
        for header in ("subtask", "status", "run", "elapsed / timeout", "executor"):
            table.add_column(header)
        for s in self.task["subtasks"]:
            table.add_row(
                s["name"],
                Text(s["status"], style=STYLES.get(s["status"], "")),
                str(s["runTime"]),
                render.progress(s, now),
                s["executor"] or "-",
            )
        return table


def _live(stream: Any, out: TextIO) -> dict[str, Any]:
    board = _Board()
    with Live(board, console=Console(file=out), refresh_per_second=4):
        for task in stream:
            board.task = task
            if _finished(task):
                break
    assert board.task is not None
    return board.task


def _plain(stream: Any, out: TextIO) -> dict[str, Any]:
    seen: dict[int, tuple[str, str, int]] = {}
    task: dict[str, Any] = {}
    for task in stream:
        if not seen:
            print(render.task_title(task), file=out, flush=True)
        now = datetime.now(UTC)
        for s in task["subtasks"]:
            state = (s["status"], s["operation"], s["runTime"])
            if seen.get(s["id"]) != state:
                seen[s["id"]] = state
                print(
                    f"{now.astimezone():%H:%M:%S}  {s['name']}: {s['status']} "
                    f"({s['operation']}, run {s['runTime']}, {render.progress(s, now)}, "
                    f"{s['executor'] or 'not run yet'})",
                    file=out,
                    flush=True,
                )
        if _finished(task):
            break
    print(f"task {task['id']}: {task['status']}", file=out, flush=True)
    return task
