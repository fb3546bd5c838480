"""GET /api/v2/tasks/instances/{id}/stream: the task as Server-Sent Events, pushed as it changes.

The first event is the task as it is; then one event per change that the live feed (api/feed.py)
reports, each the whole task view (`event: task`, `id:` the task's event version, `data:` the
same JSON as GET .../{id}). A comment line every HEARTBEAT_SECONDS keeps proxies from closing
an idle stream and finds clients that have gone. The stream ends when the client leaves or the
server shuts down; a client decides itself when it has seen enough (a finished task can be
retried and run again).
"""

from aiohttp import web

from api.auth import authorize
from api.body import path_id
from api.envelope import to_json
from api.feed import FEED
from api.keys import ARBITER, GATE
from api.users import TASK_VIEWER
from api.views import task_view
from domain.ids import task_uuid
from domain.task import Task
from infrastructure.waits import until_set

routes = web.RouteTableDef()
HEARTBEAT_SECONDS = 15.0
EVENT_STREAM = "text/event-stream"


def task_event(task: Task) -> bytes:
    return b"id: %d\nevent: task\ndata: %s\n\n" % (task.version, to_json(task_view(task)))


@routes.get("/api/v2/tasks/instances/{id}/stream")
async def task_stream(request: web.Request) -> web.StreamResponse:
    authorize(request, TASK_VIEWER)
    task_id = path_id(request, "id")
    arbiter, gate = request.app[ARBITER], request.app[GATE]
    # Subscribe before the first read: a change between the two is then told, not lost.
    with request.app[FEED].subscribe(task_uuid(task_id)) as subscription:
        task = await gate.call(arbiter.get_task, task_id)  # a 20000 before the stream opens
        response = web.StreamResponse(
            headers={"Content-Type": EVENT_STREAM, "Cache-Control": "no-store"}
        )
        await response.prepare(request)
        sent: int | None = None
        try:
            while not subscription.closed:
                if task.version != sent:
                    await response.write(task_event(task))
                    sent = task.version
                if not await until_set(subscription.changed, HEARTBEAT_SECONDS):
                    await response.write(b": keep-alive\n\n")
                    continue
                subscription.changed.clear()
                task = await gate.call(arbiter.get_task, task_id)
        except ConnectionResetError:
            pass  # the client left
    return response
