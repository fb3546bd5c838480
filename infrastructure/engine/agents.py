"""Host agents by address, over one shared aiohttp client session."""

import aiohttp

from infrastructure.agent_client import AgentClient


class AgentPool:
    """One client per call, all on one session; "embedded" names this process's own agent."""

    def __init__(self, embedded_url: str | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.embedded_url = embedded_url

    def agent(self, address: str) -> AgentClient:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = self.embedded_url if address == "embedded" and self.embedded_url else address
        # No client timeout: the subtask's own timeout interrupts a step that hangs.
        return AgentClient(url, self._session, timeout=None)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
