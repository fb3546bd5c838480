"""Authentication (HTTP Basic, OCP's HMAC-SHA1 access keys) and permission checks."""

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from aiohttp import web

from api.errors import ApiError, Handler
from api.keys import USERS
from api.users import User

USER = "arbiter.user"
SCHEME_HMAC = "OCP-ACCESS-KEY-HMACSHA1"
MAX_CLOCK_SKEW = timedelta(minutes=15)
PUBLIC_PATHS = frozenset({"/api/v2/openapi.json"})


def unauthenticated(message: str) -> ApiError:
    return ApiError(401, 30000, message)


def string_to_sign(request: web.Request, body: bytes) -> str:
    """METHOD, MD5(body), Content-Type, Date, Host, x-ocp-* headers, path?sorted query."""
    body_md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""  # noqa: S324
    ocp_headers = sorted(
        (name.lower(), value.strip())
        for name, value in request.headers.items()
        if name.lower().startswith("x-ocp-")
    )
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
    resource = request.path + (f"?{query}" if query else "")
    return "\n".join(
        [
            request.method,
            body_md5,
            request.headers.get("Content-Type", ""),
            request.headers.get("Date", ""),
            request.headers.get("Host", ""),
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
        return _basic(request, credentials.strip())
    if scheme == SCHEME_HMAC:
        return await _hmac(request, credentials.strip())
    raise unauthenticated(f"unsupported authorization scheme {scheme!r}")


def _basic(request: web.Request, credentials: str) -> User:
    try:
        name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthenticated("malformed Basic credentials") from None
    user = request.app[USERS].check_password(name, password)
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
    if not hmac.compare_digest(sign(secret, string_to_sign(request, body)), signature):
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
    if request.path.startswith("/api/") and request.path not in PUBLIC_PATHS:
        request[USER] = await _authenticate(request)
    return await handler(request)


def authorize(request: web.Request, permission: str) -> User:
    user: User = request[USER]
    if permission not in request.app[USERS].permissions(user):
        raise ApiError(403, 30014, f"user {user.name} lacks permission {permission}")
    return user
