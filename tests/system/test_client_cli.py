"""The `arbiter` client commands against a real `arbiter serve --demo` process, over HTTP only:
every command, the --json shapes (the API's own data), every exit code, --watch to SUCCESSFUL
and to FAILED, Basic and OCP access-key authentication."""

import os
import pty
import queue
import re
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import orjson
import pytest

from api.demo import NEW_RPMS, OLD_RPM
from domain.ids import package_uuid
from tests.api.contract import validator
from tests.system.demo_server import (
    ADMIN,
    ARBITER,
    Account,
    DemoServer,
    demo_server,
    free_port,
    users_file,
)

pytestmark = pytest.mark.system

OPERATOR = Account("ops", "ops-secret", "operator", ("AK-ops-1", "sk-0123456789"))
VIEWER = Account("watcher", "watcher-secret", "viewer")
NEWEST_RPM = "oceanbase-4.3.5.0-300000012025010100.el7.x86_64.rpm"
FOLLOWED_RPM = "oceanbase-4.3.5.1-300000022025020200.el7.x86_64.rpm"
WATCHED_RPM = "oceanbase-4.3.6.0-300000032025030300.el7.x86_64.rpm"
TASKS = "/api/v2/tasks/instances"


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def data(self) -> Any:
        return orjson.loads(self.out)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    root = tmp_path_factory.mktemp("cli")
    users = users_file(root / "users.yaml", [OPERATOR, VIEWER])
    with demo_server(root / "data", {"ARBITER_USERS_FILE": str(users)}) as running:
        yield running


def env_for(server: DemoServer, who: str = "admin") -> dict[str, str]:
    """The environment of a client: ARBITER_URL and one way to authenticate."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARBITER_")}
    env["ARBITER_URL"] = server.url
    if who == "hmac":
        env["ARBITER_ACCESS_KEY"], env["ARBITER_SECRET_KEY"] = OPERATOR.access_key or ("", "")
    elif who == "viewer":
        env["ARBITER_USER"], env["ARBITER_PASSWORD"] = VIEWER.login
    elif who == "admin":
        env["ARBITER_USER"], env["ARBITER_PASSWORD"] = ADMIN
    return env


def arbiter(server: DemoServer, *args: str, who: str = "admin", **env: str) -> Ran:
    done = subprocess.run(
        [str(ARBITER), *args],
        env={**env_for(server, who), **env},
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def conforms(schema: str, value: Any) -> None:
    errors = list(validator({"$ref": f"#/components/schemas/{schema}"}).iter_errors(value))
    assert not errors, [e.message for e in errors[:5]]


def subtask(task: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(s for s in task["subtasks"] if s["name"] == name)
    return found


def test_reads_print_the_apis_data_with_either_authentication(server: DemoServer) -> None:
    basic = arbiter(server, "services", "--json")
    signed = arbiter(server, "services", "--json", who="hmac")
    plain = arbiter(server, "services")
    tasks = arbiter(server, "tasks", "--json", "--status", "SUCCESSFUL", "--name", "upgrade")

    assert (basic.code, basic.err) == (0, "")
    assert basic.data == server.call("GET", "/api/v2/arbitration/services?size=2000&sort=id,asc")
    assert signed.data == basic.data
    (service,) = basic.data["contents"]
    conforms("Service", service)
    assert service["id"] == server.service_id
    assert plain.code == 0
    assert plain.out.splitlines()[0].split() == [
        "ID", "NAME", "HOST", "PORT", "VERSION", "STATUS", "TASK", "ALLOWED",
    ]  # fmt: skip
    assert plain.out.splitlines()[1].split()[:2] == [str(server.service_id), "demo-arbitration"]
    assert tasks.code == 0
    assert set(tasks.data) == {"contents", "page"}


def test_errors_exit_2_with_ocps_code_and_an_unreachable_server_exits_3(
    server: DemoServer,
) -> None:
    bad_status = arbiter(server, "tasks", "--status", "DONE", "--json")
    no_task = arbiter(server, "task", "999999", "--json")
    viewer = arbiter(server, "upgrade", str(server.service_id), "--rpm", NEW_RPMS[0], who="viewer")
    wrong_key = arbiter(server, "services", who="hmac", ARBITER_SECRET_KEY="not-the-secret")
    nobody = arbiter(server, "services", who="none")
    down = arbiter(server, "services", ARBITER_URL=f"http://127.0.0.1:{free_port()}")
    usage = arbiter(server, "task", "1", "skip")

    assert (bad_status.code, bad_status.out) == (2, "")
    assert bad_status.err.startswith("arbiter: error 10001: status must be among")
    assert (no_task.code, no_task.out) == (2, "")
    assert no_task.err.startswith("arbiter: error 20000: ")
    assert (viewer.code, viewer.err) == (
        2,
        "arbiter: error 30014: user watcher lacks permission ARBITRATION:UPDATE\n",
    )
    assert (wrong_key.code, wrong_key.err) == (
        2,
        "arbiter: error 30000: signature does not match\n",
    )
    assert (nobody.code, nobody.err) == (2, "arbiter: error 30000: authentication is required\n")
    assert (down.code, down.out) == (3, "")
    assert down.err.startswith("arbiter: cannot reach http://127.0.0.1:")
    assert usage.code == 2
    assert "skip needs a SUBTASK_ID" in usage.err


def test_upgrade_watch_fail_log_steer_and_audit(server: DemoServer) -> None:
    service = str(server.service_id)

    first = arbiter(
        server, "upgrade", service, "--rpm", NEW_RPMS[0], "--token", "cli-tok-1", "--watch"
    )
    again = arbiter(
        server, "upgrade", service, "--rpm", NEW_RPMS[0], "--token", "cli-tok-1", "--json"
    )
    shown = arbiter(server, "task", str(again.data["id"]), "--json")

    assert first.code == 0, first.err
    lines = first.out.splitlines()
    assert lines[0].startswith(f"task {again.data['id']} 'Upgrade arbitration service': RUNNING")
    assert "Stop arbitration service: RUNNING (EXECUTE, run 1" in first.out
    assert lines[-1] == f"task {again.data['id']}: SUCCESSFUL"
    assert again.code == 0
    assert shown.data == server.call("GET", f"{TASKS}/{again.data['id']}")
    conforms("Task", shown.data)
    assert shown.data["status"] == "SUCCESSFUL"

    # An upgrade signed with an access key, whose stop fails: --watch ends FAILED, exit 1.
    server.fault("stop", "fail")
    failed = arbiter(
        server, "upgrade", service, "--rpm", NEW_RPMS[1], "--watch", "--json", who="hmac"
    )

    assert failed.code == 1, failed.err
    task = failed.data  # stdout is the task's data alone; the progress went to stderr
    task_id, stop = str(task["id"]), subtask(task, "Stop arbitration service")
    assert (task["status"], task["creator"], stop["status"]) == ("FAILED", "ops", "FAILED")
    assert task == server.call("GET", f"{TASKS}/{task_id}")
    assert "Stop arbitration service: FAILED" in failed.err

    log = arbiter(server, "task", task_id, "log", str(stop["id"]))
    log_json = arbiter(server, "task", task_id, "log", str(stop["id"]), "--json")
    pending = subtask(task, "Install arbitration rpm")
    refused = arbiter(server, "task", task_id, "skip", str(pending["id"]))

    assert log.code == 0
    assert log.out.startswith("############{EXECUTE}")
    assert "injected failure" in log.out
    assert log_json.data == {"log": log.out.rstrip("\n")}
    assert (refused.code, refused.out) == (2, "")
    assert refused.err.startswith("arbiter: error 20003: ")

    retried = arbiter(server, "task", task_id, "retry-subtask", str(stop["id"]), "--json")
    watched = arbiter(server, "task", task_id, "--watch")

    assert retried.code == 0
    assert subtask(retried.data, "Stop arbitration service")["runTime"] == 2
    assert (watched.code, watched.out.splitlines()[-1]) == (0, f"task {task_id}: SUCCESSFUL")

    # A step that hangs: cancel it, watch the task fail, roll it back, watch that succeed.
    server.call("POST", "/api/v2/software-packages", {"name": NEWEST_RPM})
    server.fault("stop", "hang")
    hung = arbiter(server, "upgrade", service, "--rpm", NEWEST_RPM, "--json").data
    hung_id, hung_stop = str(hung["id"]), subtask(hung, "Stop arbitration service")["id"]
    wait_until_running(server, hung_id, hung_stop)
    cancelled = arbiter(server, "task", hung_id, "cancel", str(hung_stop))
    ended = arbiter(server, "task", hung_id, "--watch", "--json")
    rolled = arbiter(server, "task", hung_id, "rollback", "--json")
    undone = arbiter(server, "task", hung_id, "--watch", "--json")
    retry_refused = arbiter(server, "task", hung_id, "retry")

    assert cancelled.code == 0, cancelled.err
    assert cancelled.out.startswith(f"task {hung_id} 'Upgrade arbitration service': RUNNING")
    assert ended.code == 1
    assert subtask(ended.data, "Stop arbitration service")["operation"] == "CANCEL"
    assert (rolled.code, rolled.data["operation"]) == (0, "ROLLBACK")
    assert (undone.code, undone.data["status"], undone.data["operation"]) == (
        0,
        "SUCCESSFUL",
        "ROLLBACK",
    )
    assert retry_refused.code == 2

    audit = arbiter(server, "audit", "--task", task_id, "--json")
    audit_plain = arbiter(server, "audit", "--task", task_id)

    assert audit.code == 0
    events = [orjson.loads(line) for line in audit.out.splitlines()]
    for event in events:
        conforms("AuditEvent", event)
    assert {e["taskId"] for e in events} == {int(task_id)}
    assert events[0]["operation"] == "TaskCreated"
    assert [e["position"] for e in events] == sorted(e["position"] for e in events)
    assert len(audit_plain.out.splitlines()) == len(events)
    assert f"#{events[0]['position']}  ops created task {task_id}" in audit_plain.out


def wait_until_running(server: DemoServer, task_id: str, subtask_id: int) -> None:
    deadline = time.monotonic() + 20
    while True:
        task = server.call("GET", f"{TASKS}/{task_id}")
        if next(s for s in task["subtasks"] if s["id"] == subtask_id)["status"] == "RUNNING":
            return
        assert time.monotonic() < deadline, task
        time.sleep(0.1)


def last_audit_position(server: DemoServer) -> int:
    total = server.call("GET", "/api/v2/audit/events?size=1")["page"]["totalElements"]
    position: int = server.call("GET", f"/api/v2/audit/events?size=1&page={total}")["contents"][0][
        "position"
    ]
    return position


class Lines:
    """A stream's lines as they come, read by a thread (select() cannot see what a text stream
    has already buffered)."""

    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)

    def until(self, text: str) -> str:
        """Lines up to one containing `text` (bounded wait)."""
        seen = ""
        while text not in seen:
            seen += self._lines.get(timeout=30)
        return seen

    def join(self) -> None:
        self._reader.join(20)


def test_audit_follow_prints_new_events_as_they_come(server: DemoServer) -> None:
    before = last_audit_position(server)
    with subprocess.Popen(
        [str(ARBITER), "audit", "--follow"],
        env=env_for(server),
        stdout=subprocess.PIPE,
        text=True,
    ) as follow:
        assert follow.stdout is not None
        lines = Lines(follow.stdout)
        try:
            dump = lines.until(f"  #{before}  ")
            server.call("POST", "/api/v2/software-packages", {"name": FOLLOWED_RPM})
            after = last_audit_position(server)
            followed = lines.until(f"  #{after}  ")
        finally:
            follow.send_signal(signal.SIGINT)
            code = follow.wait(20)
            lines.join()

    first = f"  #1  demo PackageRegistered Package {package_uuid(OLD_RPM)}"
    assert dump.splitlines()[0].endswith(first)
    assert "admin PackageRegistered Package" in followed
    assert code == 130


def test_watch_on_a_terminal_draws_with_rich(server: DemoServer) -> None:
    server.call("POST", "/api/v2/software-packages", {"name": WATCHED_RPM})
    path = f"/api/v2/arbitration/services/{server.service_id}/upgrade"
    task_id = server.call("POST", path, {"rpmName": WATCHED_RPM})["id"]
    main, child = pty.openpty()
    process = subprocess.Popen(
        [str(ARBITER), "task", str(task_id), "--watch"],
        env={**env_for(server), "COLUMNS": "120", "TERM": "xterm"},
        stdin=child,
        stdout=child,
        stderr=child,
    )
    os.close(child)
    screen = b""
    try:
        while True:
            ready, _, _ = select.select([main], [], [], 30)
            assert ready, screen
            try:
                chunk = os.read(main, 65536)
            except OSError:  # the terminal closed: the process has ended
                break
            if not chunk:
                break
            screen += chunk
    finally:
        code = process.wait(30)
        os.close(main)

    text = screen.decode(errors="replace")
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    assert code == 0
    assert "\x1b[32mSUCCESSFUL" in text  # styled for a terminal: a green status
    assert re.search(r"┃ subtask +┃ status +┃ run ┃ elapsed / timeout +┃ executor +┃", shown)
    assert re.search(r"│ Update arbitration service status +│ SUCCESSFUL +│ 1 +│", shown)
    assert f"task {task_id} 'Upgrade arbitration service': SUCCESSFUL" in shown
