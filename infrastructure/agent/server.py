"""The agent's HTTP API (docs/agent.md), standalone (`arbiter agent`) or embedded in a process."""

import asyncio
import signal
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from infrastructure.agent.agent import Agent, InjectedFailure
from infrastructure.agent.host import ACTIONS, Conflict
from infrastructure.agent.request import BadRequest

AGENT = web.AppKey("agent", Agent)
_STATUS = {BadRequest: 400, Conflict: 409, InjectedFailure: 500}


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error is {"error": message}, including aiohttp's own 404 and 405."""
    try:
        return await handler(request)
    except (BadRequest, Conflict, InjectedFailure) as error:
        return _json({"error": str(error)}, _STATUS[type(error)])
    except web.HTTPException as error:
        return _json({"error": error.reason}, error.status)


def _port(request: web.Request) -> int:
    text = request.match_info["port"]
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= 65535):
        raise BadRequest(f"port must be an integer between 1 and 65535, not {text!r}")
    return int(text)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError as error:
        raise BadRequest(f"the body is not JSON: {error}") from None
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    return body


async def _status(request: web.Request) -> web.Response:
    port = _port(request)
    service = await request.app[AGENT].status(port)
    return _json(service.view(port))


async def _action(request: web.Request) -> web.Response:
    port, action = _port(request), request.match_info["action"]
    if action not in ACTIONS:
        raise web.HTTPNotFound(reason=f"no action {action!r}")
    service = await request.app[AGENT].perform(action, port, await _body(request))
    return _json(service.view(port))


async def _ledger(request: web.Request) -> web.Response:
    return _json({"entries": request.app[AGENT].ledger.entries()})


async def _add_fault(request: web.Request) -> web.Response:
    fault = request.app[AGENT].faults.add(await _body(request))
    return _json({"id": fault.id})


async def _clear_faults(request: web.Request) -> web.Response:
    request.app[AGENT].faults.clear()
    return _json({})


async def _health(request: web.Request) -> web.Response:
    return _json({"status": "UP"})


def make_app(state_dir: Path, action_seconds: float) -> web.Application:
    app = web.Application(middlewares=[_errors])
    agent = Agent(state_dir, action_seconds)
    app[AGENT] = agent

    async def close(app: web.Application) -> None:
        agent.close()

    app.on_cleanup.append(close)
    app.router.add_get("/agent/v1/services/{port}", _status)
    app.router.add_post("/agent/v1/services/{port}/{action}", _action)
    app.router.add_get("/agent/v1/ledger", _ledger)
    app.router.add_post("/agent/v1/faults", _add_fault)
    app.router.add_delete("/agent/v1/faults", _clear_faults)
    app.router.add_get("/agent/v1/health", _health)
    return app


async def start_agent(
    state_dir: Path, host: str = "127.0.0.1", port: int = 0, action_seconds: float = 0.3
) -> tuple[web.AppRunner, str]:
    """Serve an agent on host:port (0: any free port); returns its runner and bound base URL.

    handler_cancellation: a client that disconnects (or times out) cancels its action, which is
    how a hung action ends and is recorded "interrupted".
    """
    runner = web.AppRunner(make_app(state_dir, action_seconds), handler_cancellation=True)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}"


async def serve(state_dir: Path, host: str, port: int, action_seconds: float) -> None:
    """Run until SIGINT or SIGTERM; the first line printed is the bound URL."""
    runner, url = await start_agent(state_dir, host, port, action_seconds)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    print(f"arbiter agent: serving on {url} (state in {state_dir})", flush=True)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
