"""Console sessions, kept in this process's memory.

In memory rather than in signed cookies: sign-out and expiry are the server's to enforce (a copied
cookie dies with its session), and there is no signing key to generate, share or rotate. The
price: a restart signs everyone out, and several nodes behind one address need sticky routing
for the console (API callers with Basic or access keys do not).
"""

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

SESSION_SECONDS = 8 * 3600  # an operator's shift; then sign in again
COOKIE = "arbiter_session"


@dataclass(frozen=True)
class Session:
    user: str
    csrf: str  # sent back with every state-changing request (api/console/guard.py)
    expires: float  # on the sessions' clock


class Sessions:
    def __init__(
        self, seconds: float = SESSION_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._seconds = seconds
        self._clock = clock
        self._open: dict[str, Session] = {}

    def open(self, user: str) -> str:
        """A new session's token (the cookie's value)."""
        now = self._clock()
        self._open = {t: s for t, s in self._open.items() if s.expires > now}
        token = secrets.token_urlsafe(32)
        self._open[token] = Session(user, secrets.token_urlsafe(32), now + self._seconds)
        return token

    def find(self, token: str | None) -> Session | None:
        session = self._open.get(token or "")
        if session is None or session.expires <= self._clock():
            return None
        return session

    def close(self, token: str) -> None:
        self._open.pop(token, None)


SESSIONS = web.AppKey("sessions", Sessions)
