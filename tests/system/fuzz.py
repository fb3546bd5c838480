"""Fuzz every operation of docs/openapi.yaml with schemathesis against a live
`arbiter serve --demo`, authenticated as the bootstrap admin.

    python -m tests.system.fuzz [--profile long|short] [--seed N]   (`make fuzz`: long)

`tests/system/test_fuzz.py` runs the short profile inside `make test`. Each run has its own free
port and temporary data directory. Checks: no 5xx, documented status codes, content types
and response schemas, and negative data (wrong types, missing fields, values out of range)
answered with a 4xx; and afterwards the server's log must hold no traceback and no ERROR.

The server runs no engine workers (ARBITER_ENGINE_WORKERS=0): the fuzzer registers hosts with
made-up agent addresses, and the engine would call them. Tasks are still created, bound and
steered through the same handlers; they just never start, so nothing can hang on them.

Before the fuzzer starts, a few real resources are made through the API — an upgrade task on
the demo service, three more RUNNING services — and schemathesis draws ids, subtask ids, host
ids and rpm names from them half of the time (its dictionaries), so that the operations reach
their logic instead of answering 404 to random ids.
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from api.demo import NEW_RPMS, OLD_RPM
from tests.system.test_cluster_support import free_port

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "openapi.yaml"
BIN = Path(sys.executable).parent
PASSWORD = "fuzz-admin-password"
_RECORD = re.compile(
    r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} [A-Z]+ "
)  # `arbiter serve`'s format
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",  # schema-violating requests must be 4xx
    "missing_required_header",
    "unsupported_method",  # an undeclared method is 405 with Allow
    "ignored_auth",  # without credentials, or with wrong ones: 401
    "use_after_free",  # stateful: a deleted resource is gone
    "ensure_resource_availability",  # stateful: a created resource can be read
)


@dataclass(frozen=True)
class Profile:
    phases: str
    max_examples: int  # per operation, mode and phase
    deterministic: bool  # hypothesis derandomized: the same cases on every run


PROFILES = {
    # Random cases only (positive and negative), the same ones every run: ~200 in CI.
    "short": Profile(phases="fuzzing", max_examples=7, deterministic=True),
    # Also the coverage phase: every boundary and every way to break each field and parameter.
    "long": Profile(
        phases="examples,coverage,fuzzing,stateful", max_examples=100, deterministic=False
    ),
}


@dataclass
class Result:
    report: dict[str, Any]  # schemathesis's JSON report
    output: str  # its console output
    server_log: str

    @property
    def cases(self) -> int:
        return int(self.report["test_cases"]["generated"])

    @property
    def operations(self) -> int:
        return int(self.report["operations"]["tested"])

    @property
    def failures(self) -> list[Any]:
        return [*self.report["failures"], *self.report["errors"]]

    def log_problems(self) -> list[str]:
        """Each ERROR or CRITICAL record of the server's log, with its traceback if any."""
        problems: list[str] = []
        inside = False
        for line in self.server_log.splitlines():
            if _RECORD.match(line):
                inside = line.split(" ")[2] in ("ERROR", "CRITICAL")
                if inside:
                    problems.append(line)
            elif inside:
                problems[-1] += f"\n{line}"
            elif line.startswith("Traceback"):  # printed without a record, to stderr
                problems.append(line)
                inside = True
        return problems


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        token = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
        self.headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: object = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 (a loopback http URL of our own)
            self.base + path, data=data, method=method, headers=self.headers
        )
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return json.load(answer)["data"]


def _wait_for_demo(api: Api, process: subprocess.Popen[bytes], within: float) -> int:
    deadline = time.monotonic() + within
    while True:
        assert process.poll() is None, "arbiter serve exited"
        try:
            services = api.call("GET", "/api/v2/arbitration/services")["contents"]
            if services:
                return int(services[0]["id"])
        except (urllib.error.URLError, ConnectionError):
            pass
        assert time.monotonic() < deadline, f"the demo server did not answer within {within} s"
        time.sleep(0.2)


@contextmanager
def demo_server(data_dir: Path) -> Iterator[tuple[str, Path]]:
    """A throwaway `arbiter serve --demo` (SQLite under data_dir); its URL and log file."""
    port = free_port()
    env = {**os.environ, "ARBITER_ADMIN_PASSWORD": PASSWORD, "ARBITER_ENGINE_WORKERS": "0"}
    for name in ("ARBITER_DATABASE_URL", "ARBITER_USERS_FILE", "ARBITER_ADMIN_USER"):
        env.pop(name, None)
    log = data_dir.parent / "serve.log"
    command = [str(BIN / "arbiter"), "serve", "--demo", "--port", str(port)]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--data-dir", str(data_dir)], stdout=out, stderr=out, env=env
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_demo(Api(base), process, within=60)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def seed_resources(api: Api) -> dict[str, list[int | str]]:
    """Real things to aim at, made through the API; the dictionaries schemathesis draws from."""
    services = api.call("GET", "/api/v2/arbitration/services")["contents"]
    demo = services[0]
    task = api.call(
        "POST", f"/api/v2/arbitration/services/{demo['id']}/upgrade", {"rpmName": NEW_RPMS[-1]}
    )
    spares = [
        api.call(
            "POST",
            "/api/v2/arbitration/services/register",
            {"name": f"fuzz-{port}", "hostId": demo["hostId"], "svrPort": port, "rpmName": OLD_RPM},
        )["id"]
        for port in (2883, 2884, 2885)
    ]
    return {
        "ids": [demo["id"], *spares, task["id"]],
        "sids": [s["id"] for s in task["subtasks"]],
        "hosts": [demo["hostId"]],
        "rpms": [OLD_RPM, *NEW_RPMS],
        "tasks": [task["id"]],
        "services": [demo["id"], *spares],
    }


# Where each dictionary is drawn from, half of the time (the other half is generated).
BINDINGS = {
    "path.id": "ids",
    "path.sid": "sids",
    "body.hostId": "hosts",
    "query.hostId": "hosts",
    "body.rpmName": "rpms",
    "query.taskId": "tasks",
    "query.serviceId": "services",
}


def write_config(path: Path, dictionaries: dict[str, list[int | str]]) -> None:
    # A task's event stream stays open while the task may change (for ever here: no engine);
    # its first event is the task, sent at once, and is all there is to check.
    lines = ["max-stream-events = 1", ""]
    for name, values in dictionaries.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, name in BINDINGS.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = 0.5 }}')
    path.write_text("\n".join(lines) + "\n")


def fuzz(profile: Profile, seed: int, workdir: Path, checks: str = ",".join(CHECKS)) -> Result:
    report = workdir / "report.json"
    config = workdir / "schemathesis.toml"
    with demo_server(workdir / "data") as (base, log):
        write_config(config, seed_resources(Api(base)))
        command = [
            str(BIN / "st"),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            str(SPEC),
            "--url",
            base,
            "--auth",
            f"admin:{PASSWORD}",
            "--checks",
            checks,
            "--mode",
            "all",
            "--max-examples",
            str(profile.max_examples),
            "--phases",
            profile.phases,
            "--seed",
            str(seed),
            "--request-timeout",
            "30",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ]
        # Deterministic mode keeps no example database; otherwise keep none either, so that
        # a run does not replay what an earlier one found.
        mode = ["--generation-deterministic"] if profile.deterministic else []
        command += mode or ["--generation-database", "none"]
        run = subprocess.run(command, capture_output=True, text=True, cwd=workdir, check=False)
        server_log = log.read_text(errors="replace")
    if not report.exists():
        raise RuntimeError(f"schemathesis wrote no report:\n{run.stdout}\n{run.stderr}")
    return Result(json.loads(report.read_text()), run.stdout + run.stderr, server_log)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.system.fuzz")
    parser.add_argument("--profile", choices=PROFILES, default="long")
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--keep", type=Path, help="work here and keep the server's data and log")
    parser.add_argument("--checks", default=",".join(CHECKS), help="schemathesis's check names")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.keep:
        args.keep.mkdir(parents=True)
        result = fuzz(PROFILES[args.profile], args.seed, args.keep, args.checks)
    else:
        with tempfile.TemporaryDirectory(prefix="arbiter-fuzz-") as workdir:
            result = fuzz(PROFILES[args.profile], args.seed, Path(workdir), args.checks)
    print(result.output)
    problems = result.log_problems()
    print(
        f"fuzz ({args.profile}, seed {args.seed}): {result.cases} cases over "
        f"{result.operations} operations in {time.monotonic() - started:.0f} s; "
        f"{len(result.failures)} failures; {len(problems)} error lines in the server log"
    )
    for line in problems:
        print("server log:", line)
    return 1 if result.failures or problems or result.report["exit_code"] else 0


if __name__ == "__main__":
    sys.exit(main())
