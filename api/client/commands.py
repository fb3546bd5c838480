"""The client subcommands of `arbiter`: services, upgrade, tasks, task, audit (docs/console.md).

Exit codes: 0 success; 1 a watched task ended FAILED; 2 an API error (OCP's code and message on
stderr) or a command line that does not parse; 3 the server cannot be reached. With --json,
stdout carries OCP's `data` as JSON and nothing else.
"""

import argparse
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from api.client import render
from api.client.http import ApiFailure, Client, Unreachable
from api.client.watch import watch

NAMES = ("services", "upgrade", "tasks", "task", "audit")
TASK_ACTIONS = ("retry", "rollback")
SUBTASK_ACTIONS = ("skip", "cancel", "retry-subtask", "log")
LIST_SIZE = 2000  # the API's largest page
TASKS_SHOWN = 100
FOLLOW_SECONDS = 1.0
# Rows of the audit log are ordered by position, stamped when their event was made: a row can
# commit a little after a later-stamped one, so a follow asks again this far back.
FOLLOW_OVERLAP = timedelta(seconds=60)

TASKS = "/api/v2/tasks/instances"
SERVICES = "/api/v2/arbitration/services"


def add_parsers(commands: Any) -> None:
    """Add the client subcommands to `arbiter`'s subparsers."""
    as_json = argparse.ArgumentParser(add_help=False)
    as_json.add_argument("--json", action="store_true", help="print OCP's data as JSON")
    commands.add_parser("services", parents=[as_json], help="list arbitration services")
    upgrade = commands.add_parser("upgrade", parents=[as_json], help="upgrade a service")
    upgrade.add_argument("service_id", type=int, metavar="SERVICE_ID")
    upgrade.add_argument("--rpm", required=True, metavar="RPM_NAME")
    upgrade.add_argument("--token", metavar="CLIENT_TOKEN")
    upgrade.add_argument("--watch", action="store_true", help="follow the task to its end")
    tasks = commands.add_parser("tasks", parents=[as_json], help="list tasks, newest first")
    tasks.add_argument("--status", metavar="STATUS")
    tasks.add_argument("--name", metavar="NAME")
    task = commands.add_parser(
        "task",
        parents=[as_json],
        help="show, watch or steer a task",
        description="arbiter task ID [--watch] | ID retry|rollback | "
        "ID skip|cancel|retry-subtask|log SUBTASK_ID",
    )
    task.add_argument("task_id", type=int, metavar="TASK_ID")
    task.add_argument("action", nargs="?", choices=TASK_ACTIONS + SUBTASK_ACTIONS)
    task.add_argument("subtask_id", nargs="?", type=int, metavar="SUBTASK_ID")
    task.add_argument("--watch", action="store_true", help="follow the task to its end")
    task.set_defaults(check=_check_task_form(task))
    audit = commands.add_parser("audit", parents=[as_json], help="the audit log")
    audit.add_argument("--task", type=int, metavar="TASK_ID")
    audit.add_argument("--follow", action="store_true", help="keep printing new events")


def _check_task_form(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    def check(args: argparse.Namespace) -> None:
        if args.action in SUBTASK_ACTIONS and args.subtask_id is None:
            parser.error(f"{args.action} needs a SUBTASK_ID")
        if args.action not in SUBTASK_ACTIONS and args.subtask_id is not None:
            parser.error("only skip, cancel, retry-subtask and log take a SUBTASK_ID")
        if args.action is not None and args.watch:
            parser.error("--watch goes with `arbiter task TASK_ID` alone")

    return check


def run(args: argparse.Namespace) -> int:
    if hasattr(args, "check"):
        args.check(args)
    try:
        client = Client.from_env()
        return COMMANDS[args.command](client, args)
    except ApiFailure as failure:
        print(f"arbiter: error {failure.code}: {failure.message}", file=sys.stderr)
        return 2
    except Unreachable as failure:
        print(f"arbiter: {failure}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


def _emit(args: argparse.Namespace, data: Any, text: Callable[[Any], str]) -> None:
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(data) + b"\n")
        sys.stdout.flush()
    else:
        print(text(data))


def _show_task(task: dict[str, Any]) -> str:
    return render.task(task, datetime.now(UTC))


def _watched(client: Client, args: argparse.Namespace, task_id: int) -> int:
    # With --json, stdout is for the data alone: progress goes to stderr.
    task = watch(client, task_id, sys.stderr if args.json else sys.stdout)
    if args.json:
        _emit(args, task, _show_task)
    return 0 if task["status"] == "SUCCESSFUL" else 1


def services(client: Client, args: argparse.Namespace) -> int:
    found = client.call("GET", SERVICES, {"size": LIST_SIZE, "sort": "id,asc"})
    _emit(args, found, render.services)
    return 0


def upgrade(client: Client, args: argparse.Namespace) -> int:
    body = {"rpmName": args.rpm}
    if args.token is not None:
        body["clientToken"] = args.token
    task = client.call("POST", f"{SERVICES}/{args.service_id}/upgrade", body=body)
    if args.watch:
        return _watched(client, args, task["id"])
    _emit(args, task, _show_task)
    return 0


def tasks(client: Client, args: argparse.Namespace) -> int:
    query = {"status": args.status, "name": args.name, "size": TASKS_SHOWN, "sort": "id,desc"}
    found = client.call("GET", TASKS, query)
    _emit(args, found, render.tasks)
    return 0


def task(client: Client, args: argparse.Namespace) -> int:
    path = f"{TASKS}/{args.task_id}"
    if args.action is None:
        if args.watch:
            return _watched(client, args, args.task_id)
        _emit(args, client.call("GET", path), _show_task)
        return 0
    if args.action == "log":
        found = client.call("GET", f"{path}/subtasks/{args.subtask_id}/log")
        _emit(args, found, lambda data: str(data["log"]))
        return 0
    if args.action in SUBTASK_ACTIONS:
        verb = "retry" if args.action == "retry-subtask" else args.action
        path = f"{path}/subtasks/{args.subtask_id}/{verb}"
    else:
        path = f"{path}/{args.action}"
    _emit(args, client.call("POST", path), _show_task)
    return 0


def audit(client: Client, args: argparse.Namespace) -> int:
    """The matching log, oldest first, one line per event (with --json, the API's NDJSON lines)."""
    query: dict[str, object] = {"taskId": args.task}
    last: dict[str, Any] | None = None
    while True:
        for event in client.lines("/api/v2/audit/events", query):
            if last is None or event["position"] > last["position"]:
                _emit(args, event, render.audit_line)
                last = event
        if not args.follow:
            return 0
        time.sleep(FOLLOW_SECONDS)
        if last is not None:
            since = datetime.fromisoformat(last["time"]) - FOLLOW_OVERLAP
            query["since"] = since.isoformat(timespec="milliseconds")


COMMANDS: dict[str, Callable[[Client, argparse.Namespace], int]] = {
    "services": services,
    "upgrade": upgrade,
    "tasks": tasks,
    "task": task,
    "audit": audit,
}
