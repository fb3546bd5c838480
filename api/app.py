"""The aiohttp application factory."""

import functools
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import yaml
from aiohttp import web

from api import (
    observe,
    routes_audit,
    routes_candidates,
    routes_inventory,
    routes_me,
    routes_service_operations,
    routes_stream,
    routes_task_list,
    routes_tasks,
)
from api.auth import auth_middleware
from api.console import pages
from api.console.guard import session_middleware
from api.console.headers import secure_headers
from api.console.sessions import SESSIONS, Sessions
from api.envelope import STARTED, TRACE_ID, new_trace_id
from api.errors import Handler, error_middleware
from api.feed import end_streams, live_feed
from api.keys import AGENT_URL, ARBITER, ENGINE, GATE, SETTINGS, USERS
from api.observe import metrics_middleware, scrape_readings
from api.projection_loop import keep_projections_fresh
from api.users import UserDirectory
from infrastructure.agent.server import start_agent
from infrastructure.engine.agents import AgentPool
from infrastructure.engine.worker import Engine
from infrastructure.gate import StoreGate
from infrastructure.persistence.leader import exclusive
from infrastructure.persistence.store import StoreConfig, store_for
from infrastructure.settings import Settings
from infrastructure.tracing import TRACE_ID as CURRENT_TRACE
from infrastructure.use_cases.application import ArbiterApp

OPENAPI = Path(__file__).resolve().parent.parent / "docs" / "openapi.yaml"
STATIC = Path(__file__).resolve().parent / "console" / "static"


@web.middleware
async def trace_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request[STARTED] = time.perf_counter()
    request[TRACE_ID] = new_trace_id()
    # aiohttp runs each request in a task of its own: its log lines carry its trace id.
    CURRENT_TRACE.set(request[TRACE_ID])
    response = await handler(request)
    response.headers["X-Trace-Id"] = request[TRACE_ID]
    return response


@functools.cache
def _openapi_json() -> str:
    """Read and parse once: the document does not change while the server runs."""
    return json.dumps(yaml.safe_load(OPENAPI.read_text()))


async def openapi(request: web.Request) -> web.StreamResponse:
    return web.Response(text=_openapi_json(), content_type="application/json")


def init_app(settings: Settings, users: UserDirectory) -> web.Application:
    app = web.Application(
        middlewares=[
            metrics_middleware,
            trace_middleware,
            error_middleware,
            session_middleware,
            auth_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app[SETTINGS] = settings
    app[USERS] = users
    app[SESSIONS] = Sessions()
    app.on_response_prepare.append(secure_headers)
    app.on_shutdown.append(end_streams)
    app.cleanup_ctx.append(_store)
    app.cleanup_ctx.append(live_feed)
    app.cleanup_ctx.append(keep_projections_fresh)
    app.cleanup_ctx.append(_embedded_agent)  # before the engine: it stops after the engine
    app.cleanup_ctx.append(_engine)
    app.cleanup_ctx.append(scrape_readings)
    app.router.add_get("/api/v2/openapi.json", openapi)
    app.add_routes(routes_inventory.routes)
    app.add_routes(routes_tasks.routes)
    app.add_routes(routes_service_operations.routes)
    app.add_routes(routes_audit.routes)
    app.add_routes(routes_task_list.routes)
    app.add_routes(routes_stream.routes)
    app.add_routes(routes_candidates.routes)
    app.add_routes(routes_me.routes)
    app.add_routes(pages.routes)
    app.add_routes(observe.routes)
    app.router.add_static("/static", STATIC)
    return app


async def _store(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    gate = StoreGate(settings.store_threads)
    arbiter = await gate.call(
        _open_store, store_for(settings.database_url, settings.data_dir), settings.node_address
    )
    app[GATE] = gate
    app[ARBITER] = arbiter
    yield
    gate.close()
    arbiter.close()


def _open_store(store: StoreConfig, node_address: str) -> ArbiterApp:
    # Nodes started together on an empty schema would race to create the same tables.
    with exclusive(store, "create-tables"):
        return ArbiterApp(store, node_address)


async def _embedded_agent(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if not settings.embedded_agent:
        yield
        return
    runner, app[AGENT_URL] = await start_agent(
        settings.data_dir / "agent", action_seconds=settings.agent_action_seconds
    )
    yield
    await runner.cleanup()


async def _engine(app: web.Application) -> AsyncIterator[None]:
    """Every server process runs the engine's workers (none with engine_workers = 0)."""
    settings = app[SETTINGS]
    agents = AgentPool(app[ARBITER].metrics.agent_errors, app.get(AGENT_URL))
    engine = Engine(app[ARBITER], app[GATE], agents.agent, settings, settings.node_address)
    app[ENGINE] = engine
    if settings.engine_workers > 0:
        await engine.start()
    yield
    await engine.stop()
    await agents.close()
