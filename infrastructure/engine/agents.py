"""Host agents by address, over one shared aiohttp client session."""

import aiohttp
from prometheus_client import Counter

from infrastructure.agent_client import AgentClient, AgentError


class AgentPool:
    """One client per call, all on one session; "embedded" names this process's own agent.
    Every failed call is counted in `errors` by its kind (`error_kind`)."""

    def __init__(self, errors: Counter, embedded_url: str | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.embedded_url = embedded_url
        self._errors = errors

    def agent(self, address: str) -> AgentClient:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = self.embedded_url if address == "embedded" and self.embedded_url else address
        # No client timeout: the subtask's own timeout interrupts a step that hangs.
        return AgentClient(url, self._session, timeout=None, failed=self._count)

    def _count(self, error: Exception) -> None:
        self._errors.labels(error_kind(error)).inc()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def error_kind(error: Exception) -> str:
    """http_<status> (the agent answered an error), timeout, unreachable (no answer), or the
    error's class."""
    if isinstance(error, AgentError):
        return f"http_{error.status}"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, aiohttp.ClientError):
        return "unreachable"
    return type(error).__name__
