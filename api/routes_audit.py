"""GET /api/v2/audit/events: who did what, when, from which status to which.

With `Accept: application/x-ndjson` the whole matching log streams as one JSON object per line,
read a page at a time so that a long log never sits in memory at once.
"""

import orjson
from aiohttp import web

from api.auth import authorize
from api.envelope import ocp_time, ok
from api.keys import ARBITER, GATE
from api.query import MAX_LONG, int_param, paging, text_param
from api.row_views import audit_view, page_of
from api.time_params import time_param
from api.users import AUDIT_VIEW
from infrastructure.use_cases.queries import AuditFilter, Paged

routes = web.RouteTableDef()
NDJSON = "application/x-ndjson"
STREAM_PAGE = 1000


def _filter(request: web.Request) -> AuditFilter:
    actor = text_param(request, "actor")
    trace_id = text_param(request, "traceId")
    return AuditFilter(
        task_id=int_param(request, "taskId", None, 1, MAX_LONG),
        service_id=int_param(request, "serviceId", None, 1, MAX_LONG),
        actor=actor or None,
        trace_id=trace_id or None,
        since=time_param(request, "since"),
        until=time_param(request, "until"),
    )


@routes.get("/api/v2/audit/events")
async def audit_events(request: web.Request) -> web.StreamResponse:
    authorize(request, AUDIT_VIEW)
    where = _filter(request)
    if NDJSON in request.headers.get("Accept", ""):
        return await _stream(request, where)
    paged = paging(request, ())
    found = await request.app[GATE].call(
        request.app[ARBITER].audit_events, where, Paged(paged.number, paged.size)
    )
    rows = [audit_view(row) for row in found.rows]
    return ok(request, page_of(rows, found.total, paged.number, paged.size))


async def _stream(request: web.Request, where: AuditFilter) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": NDJSON})
    await response.prepare(request)
    number = 1
    while True:
        found = await request.app[GATE].call(
            request.app[ARBITER].audit_events, where, Paged(number, STREAM_PAGE)
        )
        lines = [
            orjson.dumps({**view, "time": ocp_time(view["time"])})
            for view in map(audit_view, found.rows)
        ]
        if lines:
            await response.write(b"\n".join(lines) + b"\n")
        if len(found.rows) < STREAM_PAGE:
            break
        number += 1
    await response.write_eof()
    return response
