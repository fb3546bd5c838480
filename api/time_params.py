"""Time query parameters (since, until, asOf): ISO-8601 with an offset; bad ones are 400s."""

from datetime import datetime

from aiohttp import web

from api.errors import illegal_argument
from api.query import is_digits, text_param
from domain.errors import FieldError


def time_param(request: web.Request, name: str) -> datetime | None:
    text = text_param(request, name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        message = (
            f"{name} must be an ISO-8601 time with an offset, e.g. 2024-12-23T20:52:59.002+08:00"
        )
        raise illegal_argument(message, [FieldError(name, text, message)])
    return moment


def as_of_param(request: web.Request) -> int | datetime | None:
    """asOf: an event version (a positive integer) or a time."""
    text = text_param(request, "asOf")
    if is_digits(text):
        return int(text)
    return time_param(request, "asOf")
