"""The running node shows itself: /metrics scraped with prometheus-client's own parser after an
upgrade and after a failure, /healthz and /readyz without credentials, and JSON log lines that
carry the trace id of their request or step."""

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api import projection_loop
from api.log_format import JsonLines
from infrastructure.persistence.store import StoreConfig
from tests.api.conftest import ADMIN, NEW_RPM, Api
from tests.integration.projection_story import ADMIN as CALLER
from tests.integration.test_engine_api import SERVICES, TASKS, _until, engine_api

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
UPGRADE = "/api/v2/arbitration/services/{id}/upgrade"
TASK = "/api/v2/tasks/instances/{id}"


async def scrape(api: Api) -> Samples:
    """Every sample of /metrics (asked without credentials), parsed by prometheus-client."""
    answer = await api.client.get("/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(await answer.text())
        for sample in family.samples
    }


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    """How much the samples named `name` whose labels include `labels` moved, added up."""
    wanted = set(labels.items())

    def total(samples: Samples) -> float:
        return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)

    return total(after) - total(before)


@contextmanager
def json_log(logger: str) -> Iterator[list[dict[str, Any]]]:
    """The lines `logger` writes meanwhile, as ARBITER_LOG_FORMAT=json writes them."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonLines())
    target = logging.getLogger(logger)
    level = target.level
    target.setLevel(logging.INFO)  # as `arbiter serve` sets it
    target.addHandler(handler)
    lines: list[dict[str, Any]] = []
    try:
        yield lines
    finally:
        target.removeHandler(handler)
        target.setLevel(level)
        lines.extend(orjson.loads(line) for line in out.getvalue().splitlines())


async def test_metrics_after_an_upgrade_and_after_a_failure(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine_api(store, tmp_path, monkeypatch) as (api, agent, service_id):
        before = await scrape(api)
        created = await api.call("POST", f"{SERVICES}/{service_id}/upgrade", {"rpmName": NEW_RPM})
        await _until(api, created.data["id"], "SUCCESSFUL")
        upgraded = await scrape(api)

        assert moved(before, upgraded, "arbiter_tasks_created_total", template="upgrade") == 1
        done = {"template": "upgrade", "status": "SUCCESSFUL"}
        assert moved(before, upgraded, "arbiter_tasks_finished_total", **done) == 1
        steps = "arbiter_subtask_run_duration_seconds_count"
        assert moved(before, upgraded, steps, outcome="succeeded") == 7
        assert moved(before, upgraded, steps, step="install_target") == 1
        assert moved(before, upgraded, "arbiter_engine_claims_total") == 7
        # The first claim, then seven outcomes, each of the first six claiming the next step.
        assert moved(before, upgraded, "arbiter_engine_batch_size_sum") == 8
        ok = {"route": UPGRADE, "method": "POST", "status": "200"}
        assert moved(before, upgraded, "arbiter_http_requests_total", **ok) == 1
        timed = {"route": UPGRADE, "method": "POST"}
        assert moved(before, upgraded, "arbiter_http_request_duration_seconds_count", **timed) == 1
        assert moved(before, upgraded, "arbiter_agent_call_errors_total") == 0
        for view in ("audit", "tasks", "services"):
            assert ("arbiter_view_lag_events", frozenset({("view", view)})) in upgraded
        assert ("arbiter_engine_queue_depth", frozenset()) in upgraded

        await agent.inject_fault("stop", "fail", 2882)
        with json_log("infrastructure.engine.runner") as lines:
            failing = await api.call("POST", f"{SERVICES}/{service_id}/stop")
            await _until(api, failing.data["id"], "FAILED")
        await api.call("GET", f"{TASKS}/999999")  # 404: counted under the route's template
        failed = await scrape(api)

        lost = {"template": "stop", "status": "FAILED"}
        assert moved(upgraded, failed, "arbiter_tasks_finished_total", **lost) == 1
        assert moved(upgraded, failed, "arbiter_tasks_finished_total") == 1
        assert moved(upgraded, failed, "arbiter_tasks_created_total", template="stop") == 1
        assert moved(upgraded, failed, steps, step="stop", outcome="failed") == 1
        assert moved(upgraded, failed, "arbiter_agent_call_errors_total", kind="http_500") == 1
        missing = {"route": TASK, "method": "GET", "status": "404"}
        assert moved(upgraded, failed, "arbiter_http_requests_total", **missing) == 1
        # The failed step's warning carries the trace id of the step's claim.
        task = api.arbiter.get_task(failing.data["id"])
        warned = [line for line in lines if line["level"] == "WARNING"]
        assert [line["traceId"] for line in warned] == [task.trace_id]
        assert "stop FAILED: step failed" in warned[0]["message"]


async def test_health_and_readiness_need_no_credentials(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The views catch up only when asked after the server's first round.
    monkeypatch.setattr(projection_loop, "INTERVAL_SECONDS", 3600.0)
    async with engine_api(store, tmp_path, monkeypatch, ready_max_lag=2) as (api, _, _):
        healthy = await api.client.get("/healthz")
        assert (healthy.status, await healthy.json()) == (200, {"status": "UP"})
        api.arbiter.fresh_projections()
        ready = await api.client.get("/readyz")
        assert ready.status == 200
        assert (await ready.json())["views"] == {"audit": 0, "tasks": 0, "services": 0}

        for release in (8, 9, 10):  # three packages (and their events) the views have not seen
            api.arbiter.register_package(NEW_RPM.replace("el7", f"el{release}"), CALLER)
        lagging = await api.client.get("/readyz")
        body = await lagging.json()
        assert lagging.status == 503
        assert (body["status"], body["store"], body["maxLag"]) == ("DOWN", "UP", 2)
        (lag,) = set(body["views"].values())  # every view follows the same head
        assert lag >= 3
        api.arbiter.fresh_projections()
        assert (await api.client.get("/readyz")).status == 200


async def test_a_requests_json_log_lines_carry_its_trace_id(
    store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiohttp decides whether to log access when it opens a connection: the level goes first.
    access = logging.getLogger("aiohttp.access")
    level = access.level
    access.setLevel(logging.INFO)
    try:
        async with engine_api(store, tmp_path, monkeypatch) as (api, _, service_id):
            with json_log("aiohttp.access") as lines:
                answer = await api.call("GET", f"{SERVICES}/{service_id}", user=ADMIN)
    finally:
        access.setLevel(level)
    (line,) = [line for line in lines if f"{SERVICES}/{service_id}" in line["message"]]
    assert line["traceId"] == answer.body["traceId"]
    assert set(line) == {"time", "level", "logger", "message", "traceId"}
