"""Time query parameters (since, until, asOf): ISO-8601 with an offset; bad ones are 400s."""

import re
from datetime import datetime

from aiohttp import web

from api.errors import illegal_argument
from api.query import is_digits, text_param
from domain.errors import FieldError

# RFC 3339's date-time with a mandatory offset, as docs/openapi.yaml states it: fromisoformat()
# alone takes more (basic format, week dates) and would accept what the document refuses.
_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)


def time_param(request: web.Request, name: str) -> datetime | None:
    text = text_param(request, name)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text) if _TIME.fullmatch(text) else None
    except ValueError:  # well-formed but impossible: month 13, hour 25
        moment = None
    if moment is None:
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
