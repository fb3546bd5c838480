"""Authentication (HTTP Basic, OCP's HMAC-SHA1 access keys) and permission checks."""

import asyncio
import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from aiohttp import web

from api.errors import ApiError, Handler
from api.keys import USERS
from api.users import User

USER = web.RequestKey("user", User)
SCHEME_HMAC = "OCP-ACCESS-KEY-HMACSHA1"
MAX_CLOCK_SKEW = timedelta(minutes=15)
PUBLIC_PATHS = frozenset({"/api/v2/openapi.json"})


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, 30000, message)


def string_to_sign(
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    path: str,
    query: Mapping[str, str],
) -> str:
    """METHOD, MD5(body), Content-Type, Date, Host, x-ocp-* headers, path?sorted query.

    One line each, joined by newlines: MD5 is the base64 of the body's MD5 digest (empty for an
    empty body); x-ocp-* headers are `name:value` lines, names lower-cased and sorted; the query
    is `key=value` pairs sorted by key and joined by `&` (decoded values, as received).
    """
    body_md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""  # noqa: S324
    ocp_headers = sorted(
        (name.lower(), value.strip())
        for name, value in headers.items()
        if name.lower().startswith("x-ocp-")
    )
    sorted_query = "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    resource = path + (f"?{sorted_query}" if sorted_query else "")
    return "\n".join(
        [
            method,
            body_md5,
            headers.get("Content-Type", ""),
            headers.get("Date", ""),
            headers.get("Host", ""),
            *(f"{name}:{value}" for name, value in ocp_headers),
            resource,
        ]
    )


def sign(secret: str, text: str) -> str:
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


async def _authenticate(request: web.Request) -> User:
    header = request.headers.get("Authorization")
    if not header:
        raise unauthenticated("authentication is required")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "basic":
        return await _basic(request, credentials.strip())
    if scheme == SCHEME_HMAC:
        return await _hmac(request, credentials.strip())
    raise unauthenticated(f"unsupported authorization scheme {scheme!r}")


async def _basic(request: web.Request, credentials: str) -> User:
    try:
        name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthenticated("malformed Basic credentials") from None
    # Password hashing is slow on purpose: keep it off the event loop.
    user = await asyncio.to_thread(request.app[USERS].check_password, name, password)
    if user is None:
        raise unauthenticated("wrong user name or password")
    return user


async def _hmac(request: web.Request, credentials: str) -> User:
    access_key, _, signature = credentials.partition(":")
    found = request.app[USERS].by_access_key(access_key)
    if found is None or not signature:
        raise unauthenticated("unknown access key or missing signature")
    _check_date(request.headers.get("Date"))
    user, secret = found
    body = await request.read()
    text = string_to_sign(request.method, body, request.headers, request.path, request.query)
    if not hmac.compare_digest(sign(secret, text), signature):
        raise unauthenticated("signature does not match")
    return user


def _check_date(value: str | None) -> None:
    if not value:
        raise unauthenticated("a signed request needs a Date header")
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        raise unauthenticated("the Date header is not an HTTP date") from None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    if abs(datetime.now(UTC) - sent) > MAX_CLOCK_SKEW:
        raise unauthenticated("the Date header is more than 15 minutes away from server time")


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    # USER is already known when the console's session cookie authenticated the request.
    if (
        request.path.startswith("/api/")
        and request.path not in PUBLIC_PATHS
        and USER not in request
    ):
        request[USER] = await _authenticate(request)
    return await handler(request)


def authorize(request: web.Request, permission: str) -> User:
    user: User = request[USER]
    if permission not in request.app[USERS].permissions(user):
        raise ApiError(403, 30014, f"user {user.name} lacks permission {permission}")
    return user
