"""The console's session cookie as a way to authenticate, with its CSRF check.

A request that carries no Authorization header but a live session cookie is that session's
user, on the console's pages and on /api/v2 alike: the console's JavaScript calls the same API
as every other client, under the same permissions. Every state-changing request made with the
cookie must also send the session's CSRF token (the `X-CSRF-Token` header, or a `csrf` form
field), else 403 / 30014: SameSite=Strict already keeps the cookie off other sites' requests,
the token keeps a forged request out even where that fails.
"""

import hmac

from aiohttp import web

from api.auth import USER
from api.console.sessions import COOKIE, SESSIONS, Session
from api.errors import ApiError, Handler
from api.keys import USERS

SESSION = web.RequestKey("session", Session)
SESSION_TOKEN = web.RequestKey("session_token", str)
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM = "application/x-www-form-urlencoded"


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    token = request.cookies.get(COOKIE)
    if token and "Authorization" not in request.headers:
        session = request.app[SESSIONS].find(token)
        user = request.app[USERS].users.get(session.user) if session else None
        if session is not None and user is not None:
            if request.method not in SAFE_METHODS:
                await _check_csrf(request, session)
            request[USER] = user
            request[SESSION] = session
            request[SESSION_TOKEN] = token
    return await handler(request)


async def _check_csrf(request: web.Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type == FORM:
        field = (await request.post()).get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if sent is None or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise ApiError(403, 30014, "the console's CSRF token is missing or wrong")
