"""Every failure becomes an OCP error envelope with the right status and code, never a trace."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.http_exceptions import BadHttpMessage

from api.envelope import failure
from domain import errors as domain
from infrastructure.use_cases.session import StoreContention

log = logging.getLogger(__name__)


@dataclass
class ApiError(Exception):
    status: int
    code: int
    message: str
    target: str | None = None
    sub_errors: list[domain.FieldError] = field(default_factory=list)


def illegal_argument(message: str, sub_errors: list[domain.FieldError] | None = None) -> ApiError:
    return ApiError(400, 10001, message, sub_errors=sub_errors or [])


# (domain error, HTTP status, OCP code); the first match wins, so subclasses come first.
DOMAIN_CODES: list[tuple[type[domain.DomainError], int, int]] = [
    (domain.TaskNotFound, 404, 20000),
    (domain.NotFound, 404, 10002),
    (domain.IllegalArgument, 400, 10001),
    (domain.TaskStateInvalid, 400, 20003),
    (domain.RollbackProhibited, 400, 20004),
    (domain.SkipProhibited, 400, 20005),
    (domain.StaleAttempt, 409, 20006),
    (domain.ClientTokenConflict, 409, 10008),
    (domain.AlreadyExists, 409, 10009),
    (domain.ServiceBusy, 409, 60001),
    (domain.ServiceStateInvalid, 400, 60002),
    (StoreContention, 503, 10010),
]

HTTP_CODES = {
    401: 30000,
    403: 30014,
    404: 10002,
    405: 10004,
    413: 10005,
    415: 10006,
}


def from_domain(error: domain.DomainError) -> ApiError:
    for kind, status, code in DOMAIN_CODES:
        if isinstance(error, kind):
            target = str(error.key) if isinstance(error, domain.NotFound) else None
            sub_errors = error.field_errors if isinstance(error, domain.IllegalArgument) else []
            return ApiError(status, code, error.message, target, sub_errors)
    return ApiError(400, 10001, error.message)


def render(request: web.Request, error: ApiError) -> web.Response:
    body: dict[str, object] = {"code": error.code, "message": error.message}
    if error.target is not None:
        body["target"] = error.target
    if error.sub_errors:
        body["subErrors"] = [
            {
                "object": request.path,
                "field": e.field,
                "rejectedValue": e.rejected_value,
                "message": e.message,
            }
            for e in error.sub_errors
        ]
    return failure(request, error.status, body)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as error:
        return render(request, error)
    except domain.DomainError as error:
        return render(request, from_domain(error))
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = HTTP_CODES.get(error.status, 10001)
        response = render(request, ApiError(error.status, code, error.reason))
        if "Allow" in error.headers:  # a 405 must list the allowed methods (RFC 9110)
            response.headers["Allow"] = error.headers["Allow"]
        return response
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return render(request, ApiError(500, 10000, "internal error; see the server log"))


class MalformedRequests(logging.Filter):
    """aiohttp's parser refuses a request that is not valid HTTP (a NUL in a header value, a
    broken request line) with a plain-text 400 before any handler or middleware sees it, and
    logs the parser's exception with its traceback at ERROR. The fault is the client's: log it
    as one WARNING line instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, BadHttpMessage):
            reason = error.message.partition("\n")[0]
            record.msg = f"{record.getMessage()}: malformed HTTP: {reason}"
            record.args = ()
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
