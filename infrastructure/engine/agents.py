"""Host agents by address, over one shared aiohttp client session."""

from typing import Any

import aiohttp

from infrastructure.engine.steps import AgentState


class AgentError(Exception):
    """The agent refused or failed an action (its {"error"} message is the reason)."""


class HttpAgent:
    """The host agent's HTTP contract (JSON): status, stop, start, install, uninstall."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str) -> None:
        self._session = session
        self._base = base_url.rstrip("/")

    async def status(self, port: int) -> AgentState:
        return await self._call("GET", f"/agent/v1/services/{port}", None)

    async def stop(self, port: int, request_id: str) -> AgentState:
        return await self._action(port, "stop", {"requestId": request_id})

    async def start(self, port: int, request_id: str) -> AgentState:
        return await self._action(port, "start", {"requestId": request_id})

    async def install(self, port: int, rpm_name: str, request_id: str) -> AgentState:
        return await self._action(port, "install", {"requestId": request_id, "rpmName": rpm_name})

    async def uninstall(self, port: int, request_id: str) -> AgentState:
        return await self._action(port, "uninstall", {"requestId": request_id})

    async def _action(self, port: int, action: str, body: dict[str, Any]) -> AgentState:
        return await self._call("POST", f"/agent/v1/services/{port}/{action}", body)

    async def _call(self, method: str, path: str, body: dict[str, Any] | None) -> AgentState:
        async with self._session.request(method, self._base + path, json=body) as response:
            data: AgentState = await response.json(content_type=None)
            if response.status >= 400:
                raise AgentError(f"agent answered {response.status}: {data.get('error')}")
            return data


class AgentPool:
    """One client per agent address; "embedded" names this process's own agent."""

    def __init__(self, embedded_url: str | None = None) -> None:
        self._session: aiohttp.ClientSession | None = None
        self.embedded_url = embedded_url

    def agent(self, address: str) -> HttpAgent:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        url = self.embedded_url if address == "embedded" and self.embedded_url else address
        return HttpAgent(self._session, url)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
