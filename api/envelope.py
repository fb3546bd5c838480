"""OCP's response envelope: every answer, success or error, has the same frame."""

import secrets
import socket
import time
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

TRACE_ID = web.RequestKey("trace_id", str)
STARTED = web.RequestKey("started", float)
SERVER_NAME = socket.gethostname()


def new_trace_id() -> str:
    return secrets.token_hex(8)


def ocp_time(moment: datetime | None) -> str | None:
    """ISO-8601 with milliseconds and the server's offset, as OCP prints times."""
    if moment is None:
        return None
    return moment.astimezone().isoformat(timespec="milliseconds")


def _default(value: object) -> object:
    if isinstance(value, datetime):
        return ocp_time(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def _frame(request: web.Request, status: int) -> dict[str, Any]:
    started: float = request.get(STARTED, time.perf_counter())
    return {
        "successful": 200 <= status < 300,
        "timestamp": ocp_time(datetime.now().astimezone()),
        "duration": int((time.perf_counter() - started) * 1000),
        "status": status,
        "traceId": request.get(TRACE_ID) or new_trace_id(),
        "server": SERVER_NAME,
    }


def to_json(value: object) -> bytes:
    """JSON as the API writes it: times in OCP's format."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def json_response(body: dict[str, Any], status: int) -> web.Response:
    return web.Response(body=to_json(body), status=status, content_type="application/json")


def ok(request: web.Request, data: object, status: int = 200) -> web.Response:
    return json_response({"data": data, **_frame(request, status)}, status)


def failure(request: web.Request, status: int, error: dict[str, Any]) -> web.Response:
    return json_response({**_frame(request, status), "error": error}, status)


def page(items: list[Any], number: int, size: int) -> dict[str, Any]:
    """OCP's list shape: one 1-based page of `items` with the totals."""
    total = len(items)
    start = (number - 1) * size
    return {
        "contents": items[start : start + size],
        "page": {
            "totalElements": total,
            "totalPages": (total + size - 1) // size,
            "number": number,
            "size": size,
        },
    }
