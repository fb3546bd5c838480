"""Upgrade, create, start, stop, restart and delete an arbitration service: each answers its
task, which the engine then runs."""

from collections.abc import Callable

from aiohttp import web

from api.auth import authorize
from api.body import Field, path_id, read_json
from api.context import caller
from api.envelope import ok
from api.keys import ARBITER, GATE
from api.routes_inventory import read_service_spec
from api.users import ARBITRATION_CREATE, ARBITRATION_DELETE, ARBITRATION_UPDATE
from api.views import task_view
from domain.caller import Caller
from domain.task import Task

routes = web.RouteTableDef()
SERVICE = "/api/v2/arbitration/services/{id}"


async def _lifecycle(
    request: web.Request, permission: str, command: Callable[[int, Caller], Task]
) -> web.StreamResponse:
    authorize(request, permission)
    service_id = path_id(request, "id")
    task = await request.app[GATE].call(command, service_id, caller(request))
    return ok(request, task_view(task))


@routes.post("/api/v2/arbitration/services")
async def create(request: web.Request) -> web.StreamResponse:
    """OCP's create: install and start a new arbitration service on a registered host."""
    authorize(request, ARBITRATION_CREATE)
    spec = await read_service_spec(request)
    _, task = await request.app[GATE].call(
        request.app[ARBITER].create_service, spec, caller(request)
    )
    return ok(request, task_view(task))


@routes.post(SERVICE + "/start")
async def start(request: web.Request) -> web.StreamResponse:
    return await _lifecycle(request, ARBITRATION_UPDATE, request.app[ARBITER].start_service)


@routes.post(SERVICE + "/stop")
async def stop(request: web.Request) -> web.StreamResponse:
    return await _lifecycle(request, ARBITRATION_UPDATE, request.app[ARBITER].stop_service)


@routes.post(SERVICE + "/restart")
async def restart(request: web.Request) -> web.StreamResponse:
    return await _lifecycle(request, ARBITRATION_UPDATE, request.app[ARBITER].restart_service)


@routes.delete(SERVICE + "/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    return await _lifecycle(request, ARBITRATION_DELETE, request.app[ARBITER].delete_service)


@routes.post(SERVICE + "/upgrade")
async def upgrade(request: web.Request) -> web.StreamResponse:
    authorize(request, ARBITRATION_UPDATE)
    service_id = path_id(request, "id")
    body = await read_json(
        request, [Field("rpmName", str), Field("clientToken", str, required=False)]
    )
    task = await request.app[GATE].call(
        request.app[ARBITER].upgrade,
        service_id,
        body["rpmName"],
        body.get("clientToken"),
        caller(request),
    )
    return ok(request, task_view(task))
