"""Authentication (HTTP Basic, OCP's HMAC-SHA1 access keys) and permission checks."""

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote

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


def md5_base64(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324


def canonical_query(query: Mapping[str, str]) -> str:
    """The query as OCP clients sign it: keys sorted, a key's values joined by `,` (a list is
    one parameter, sent joined or repeated), then key and value percent-encoded with nothing
    left safe, `key=value` pairs joined by `&`.

    Encoding keeps `&`, `=` and `,` inside a value apart from the separators, so two queries
    that the handlers read differently never share a string to sign; a repeated single-valued
    parameter, the one case where they could, is refused by api.query.
    """
    values: dict[str, list[str]] = {}
    for key, value in query.items():
        values.setdefault(key, []).append(value)
    return "&".join(
        f"{quote(key, safe='')}={quote(','.join(values[key]), safe='')}" for key in sorted(values)
    )


def string_to_sign(
    method: str,
    body: bytes,
    headers: Mapping[str, str],
    path: str,
    query: Mapping[str, str],
) -> str:
    """METHOD, MD5(body), Content-Type, Date, Host, x-ocp-* headers, path?canonical query.

    One line each, joined by newlines: MD5 is the base64 of the body's MD5 digest (empty for an
    empty body); x-ocp-* headers are `name:value` lines, names lower-cased and sorted; the query
    is `canonical_query` (every pair of a multi-valued mapping counts).
    """
    body_md5 = md5_base64(body) if body else ""
    ocp_headers = sorted(
        (name.lower(), value.strip())
        for name, value in headers.items()
        if name.lower().startswith("x-ocp-")
    )
    sorted_query = canonical_query(query)
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
    """base64(HMAC-SHA1(secret, text)), both UTF-8; a text that is not valid Unicode (a header
    sent with undecodable bytes) raises UnicodeEncodeError."""
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
        # ValueError covers all three ways to fail: non-ASCII text (b64decode refuses it before
        # decoding), bad base64 (binascii.Error) and credentials that are not UTF-8.
        name, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
    except ValueError:
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
    _check_content_md5(request.headers.get("Content-MD5"), body)
    text = string_to_sign(request.method, body, request.headers, request.path, request.query)
    try:
        expected = sign(secret, text)
    except UnicodeEncodeError:
        # aiohttp keeps undecodable header bytes as surrogates: the client cannot have signed
        # them as we would read them.
        raise unauthenticated("a signed header is not valid UTF-8") from None
    # A signature is base64, so ASCII; compare bytes (compare_digest refuses non-ASCII str).
    if not signature.isascii() or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise unauthenticated("signature does not match")
    return user


def _check_content_md5(value: str | None, body: bytes) -> None:
    """OCP clients send Content-MD5 (base64 of the body's MD5); the string to sign uses the MD5
    of the body as received, so a header that disagrees says the body changed in transit."""
    if value is not None and value.strip() != md5_base64(body):
        raise unauthenticated("Content-MD5 does not match the body")


def _check_date(value: str | None) -> None:
    if not value:
        raise unauthenticated("a signed request needs a Date header")
    try:
        sent = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
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
