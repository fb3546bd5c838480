"""GET /api/v2/tasks/instances (the task list view) and .../{id}/events (a task's history)."""

from typing import Any

from aiohttp import web

from api.auth import authorize
from api.body import path_id
from api.envelope import ok
from api.keys import ARBITER, GATE
from api.query import MAX_LONG, int_param, list_param, paging, text_param
from api.row_views import audit_view, page_of, task_item_view
from api.users import TASK_VIEWER
from domain.enums import TaskStatus
from infrastructure.projections.task_list import SORTABLE
from infrastructure.use_cases.queries import Paged

routes = web.RouteTableDef()


@routes.get("/api/v2/tasks/instances")
async def list_tasks(request: web.Request) -> web.StreamResponse:
    authorize(request, TASK_VIEWER)
    paged = paging(request, tuple(SORTABLE))
    statuses = list_param(request, "status", [s.value for s in TaskStatus])
    list_param(request, "type", ["MANUAL"])  # every task is MANUAL: checked, nothing to filter
    host_id = int_param(request, "hostId", None, 1, MAX_LONG)
    name = text_param(request, "name")
    found = await request.app[GATE].call(
        request.app[ARBITER].task_list,
        name,
        statuses,
        host_id,
        Paged(paged.number, paged.size, paged.sort_key, paged.descending),
    )
    rows = [task_item_view(row) for row in found.rows]
    return ok(request, page_of(rows, found.total, paged.number, paged.size))


@routes.get("/api/v2/tasks/instances/{id}/events")
async def task_events(request: web.Request) -> web.StreamResponse:
    authorize(request, TASK_VIEWER)
    task_id, arbiter, gate = path_id(request, "id"), request.app[ARBITER], request.app[GATE]
    found = await gate.call(arbiter.task_events, task_id)
    nodes = await gate.call(arbiter.event_nodes, task_id)
    return ok(request, {"contents": [_with_node(audit_view(row), nodes) for row in found.rows]})


def _with_node(view: dict[str, Any], nodes: dict[int, str | None]) -> dict[str, Any]:
    """A task event's row names the node that made it (the task's versions are `nodes`' keys);
    the service's rows in a task's history have none."""
    node = nodes.get(view["version"]) if view["aggregate"] == "Task" else None
    return {**view, "node": node}
