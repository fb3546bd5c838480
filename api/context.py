"""Who is calling, as the use cases record it."""

from aiohttp import web

from api.auth import USER
from api.envelope import TRACE_ID
from domain.caller import Caller


def caller(request: web.Request) -> Caller:
    return Caller(actor=request[USER].name, trace_id=request[TRACE_ID])
