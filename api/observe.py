"""The running node shows itself: /metrics (Prometheus), /healthz and /readyz.

All three live outside /api, so no credentials are asked (docs/operations.md says why /metrics
may stay open). /metrics is the application's own registry (infrastructure/metrics.py): HTTP
requests are counted here, by route template; the rest where it happens, or read at scrape.
"""

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from api.envelope import json_response
from api.errors import Handler
from api.keys import ARBITER, ENGINE, GATE, SETTINGS
from infrastructure.gate import STORE_ERRORS, StoreGate
from infrastructure.use_cases.application import ArbiterApp

routes = web.RouteTableDef()
READY_STORE_SECONDS = 2.0  # a store slower than this to answer is not ready


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        # The route's template, never the raw path: one series per route, whatever the ids.
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        metrics = request.app[ARBITER].metrics
        metrics.http_requests.labels(route, request.method, str(status)).inc()
        elapsed = time.perf_counter() - started
        metrics.http_seconds.labels(route, request.method).observe(elapsed)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.StreamResponse:
    arbiter = request.app[ARBITER]
    # Some readings query the store: off the event loop, like every store call.
    body = await request.app[GATE].call(arbiter.metrics.exposition)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.StreamResponse:
    """The process answers: nothing else is asked."""
    return json_response({"status": "UP"}, 200)


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.StreamResponse:
    """Ready: the store answers within READY_STORE_SECONDS and every view lags the store's head
    by at most `ready_max_lag` events; else 503, saying which."""
    arbiter, gate = request.app[ARBITER], request.app[GATE]
    bound = request.app[SETTINGS].ready_max_lag
    body: dict[str, object] = {"maxLag": bound}
    try:
        async with asyncio.timeout(READY_STORE_SECONDS):
            statuses = await gate.call(arbiter.projections.status)
    except (TimeoutError, *STORE_ERRORS) as error:
        body |= {"status": "DOWN", "store": f"DOWN: {type(error).__name__}: {error}"}
        return json_response(body, 503)
    lags = {s.name: s.lag for s in statuses}
    ready = all(lag <= bound for lag in lags.values())
    body |= {"status": "UP" if ready else "DOWN", "store": "UP", "views": lags}
    return json_response(body, 200 if ready else 503)


async def scrape_readings(app: web.Application) -> AsyncIterator[None]:
    """Read, at each scrape, what the node already keeps: the views' lag, the engine's queue
    and runs, its batches decided again alone, the store's errors."""
    arbiter, gate = app[ARBITER], app[GATE]

    def readings() -> Iterator[Metric]:
        yield from _store_readings(arbiter, gate)
        engine = app.get(ENGINE)
        if engine is None:
            return
        yield GaugeMetricFamily(
            "arbiter_engine_runs", "Steps this node runs now.", value=len(engine.runs)
        )
        yield CounterMetricFamily(
            "arbiter_engine_requests_alone",
            "Engine claims and outcomes decided again alone after their batch's commit was "
            "refused (another writer changed one of its tasks) or a copy said no.",
            value=engine.batcher.store.alone,
        )

    remove = arbiter.metrics.read_at_scrape(readings)
    yield
    remove()


def _store_readings(arbiter: ArbiterApp, gate: StoreGate) -> Iterator[Metric]:
    errors = CounterMetricFamily(
        "arbiter_store_errors", "Store calls that failed, by error class.", labels=["kind"]
    )
    for kind, count in sorted(gate.errors.items()):
        errors.add_metric([kind], count)
    yield errors
    try:
        statuses = arbiter.projections.status()
        queued = len(arbiter.queued_tasks())
    except STORE_ERRORS:  # the store is away: the scrape still answers, without these
        return
    lag = GaugeMetricFamily(
        "arbiter_view_lag_events", "Events the view has yet to apply.", labels=["view"]
    )
    for status in statuses:
        lag.add_metric([status.name], status.lag)
    yield lag
    yield GaugeMetricFamily(
        "arbiter_engine_queue_depth",
        "Unfinished tasks in the engine's queue (every node shares it).",
        value=queued,
    )
