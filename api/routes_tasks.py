"""Task instances: read them, and the operator's steering of failed steps."""

from aiohttp import web

from api.auth import authorize
from api.body import path_id
from api.envelope import ok
from api.keys import ARBITER, GATE
from api.users import TASK_VIEWER
from api.views import task_view

routes = web.RouteTableDef()


@routes.get("/api/v2/tasks/instances/{id}")
async def get_task(request: web.Request) -> web.StreamResponse:
    authorize(request, TASK_VIEWER)
    task = await request.app[GATE].call(request.app[ARBITER].get_task, path_id(request, "id"))
    return ok(request, task_view(task))
