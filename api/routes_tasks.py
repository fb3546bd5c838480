"""Task instances: read them, and the operator's steering of failed steps.

A forbidden operation raises a domain error before anything is saved, so it answers an OCP
error (20003 state invalid, 20004 rollback prohibited, 20005 skip prohibited) and records nothing.
"""

from collections.abc import Callable

from aiohttp import web

from api.auth import authorize
from api.body import path_id
from api.context import caller
from api.envelope import ok
from api.keys import ARBITER, GATE
from api.time_params import as_of_param
from api.users import TASK_MANAGER, TASK_VIEWER
from api.views import subtask_log, task_view
from domain.caller import Caller
from domain.task import Task

routes = web.RouteTableDef()
TASK = "/api/v2/tasks/instances/{id}"
SUBTASK = TASK + "/subtasks/{sid}"


@routes.get(TASK)
async def get_task(request: web.Request) -> web.StreamResponse:
    """?asOf=<event version or ISO time>: the task as it was then."""
    authorize(request, TASK_VIEWER)
    task_id, as_of = path_id(request, "id"), as_of_param(request)
    if as_of is None:
        task = await request.app[GATE].call(request.app[ARBITER].get_task, task_id)
    else:
        task = await request.app[GATE].call(request.app[ARBITER].task_as_of, task_id, as_of)
    return ok(request, task_view(task))


@routes.get(SUBTASK + "/log")
async def get_subtask_log(request: web.Request) -> web.StreamResponse:
    authorize(request, TASK_VIEWER)
    task_id, subtask_id = path_id(request, "id"), path_id(request, "sid")
    runs = await request.app[GATE].call(request.app[ARBITER].subtask_log, task_id, subtask_id)
    return ok(request, {"log": subtask_log(runs)})


async def _steer(request: web.Request, command: Callable[[Caller], Task]) -> web.StreamResponse:
    authorize(request, TASK_MANAGER)
    task = await request.app[GATE].call(command, caller(request))
    return ok(request, task_view(task))


@routes.post(TASK + "/retry")
async def retry_task(request: web.Request) -> web.StreamResponse:
    task_id, app = path_id(request, "id"), request.app[ARBITER]
    return await _steer(request, lambda who: app.retry_task(task_id, who))


@routes.post(TASK + "/rollback")
async def rollback_task(request: web.Request) -> web.StreamResponse:
    task_id, app = path_id(request, "id"), request.app[ARBITER]
    return await _steer(request, lambda who: app.rollback_task(task_id, who))


@routes.post(SUBTASK + "/retry")
async def retry_subtask(request: web.Request) -> web.StreamResponse:
    task_id, subtask_id, app = path_id(request, "id"), path_id(request, "sid"), request.app[ARBITER]
    return await _steer(request, lambda who: app.retry_subtask(task_id, subtask_id, who))


@routes.post(SUBTASK + "/skip")
async def skip_subtask(request: web.Request) -> web.StreamResponse:
    task_id, subtask_id, app = path_id(request, "id"), path_id(request, "sid"), request.app[ARBITER]
    return await _steer(request, lambda who: app.skip_subtask(task_id, subtask_id, who))


@routes.post(SUBTASK + "/cancel")
async def cancel_subtask(request: web.Request) -> web.StreamResponse:
    task_id, subtask_id, app = path_id(request, "id"), path_id(request, "sid"), request.app[ARBITER]
    return await _steer(request, lambda who: app.cancel_subtask(task_id, subtask_id, who))
