"""An async client for a host agent's HTTP contract (docs/agent.md).

Its status/stop/start/install/uninstall signatures are the engine's HostAgent protocol
(infrastructure/engine/steps.py), so the engine can use it as is.
"""

from collections.abc import Callable
from types import TracebackType
from typing import Any

import aiohttp
import orjson


class AgentError(Exception):
    """The agent answered non-2xx: 400 bad input, 404, 409 state conflict, 500 injected failure."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"agent answered {status}: {message}")
        self.status = status
        self.message = message


class AgentClient:
    """Timeouts raise TimeoutError and an unreachable agent aiohttp.ClientError, unchanged.

    Pass a shared session to pool connections across agents; otherwise the client owns one.
    `failed` hears of every call that fails, with its error, before it is raised.
    """

    def __init__(
        self,
        base_url: str,
        session: aiohttp.ClientSession | None = None,
        timeout: float | None = 30.0,
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._failed = failed
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def __aenter__(self) -> "AgentClient":
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def health(self) -> dict[str, Any]:
        return await self._call("GET", "/agent/v1/health")

    async def status(self, port: int) -> dict[str, Any]:
        return await self._call("GET", f"/agent/v1/services/{port}")

    async def stop(self, port: int, request_id: str) -> dict[str, Any]:
        return await self._action(port, "stop", {"requestId": request_id})

    async def start(self, port: int, request_id: str) -> dict[str, Any]:
        return await self._action(port, "start", {"requestId": request_id})

    async def install(self, port: int, rpm_name: str, request_id: str) -> dict[str, Any]:
        return await self._action(port, "install", {"requestId": request_id, "rpmName": rpm_name})

    async def uninstall(self, port: int, request_id: str) -> dict[str, Any]:
        return await self._action(port, "uninstall", {"requestId": request_id})

    async def adopt(self, port: int, rpm_name: str, state: str, request_id: str) -> dict[str, Any]:
        body = {"requestId": request_id, "rpmName": rpm_name, "state": state}
        return await self._action(port, "adopt", body)

    async def ledger(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = (await self._call("GET", "/agent/v1/ledger"))["entries"]
        return entries

    async def inject_fault(
        self,
        action: str,
        mode: str,
        port: int | None = None,
        times: int = 1,
        seconds: float | None = None,
    ) -> int:
        body: dict[str, Any] = {"action": action, "mode": mode, "port": port, "times": times}
        if seconds is not None:
            body["seconds"] = seconds
        fault_id: int = (await self._call("POST", "/agent/v1/faults", body))["id"]
        return fault_id

    async def clear_faults(self) -> None:
        await self._call("DELETE", "/agent/v1/faults")

    async def _action(self, port: int, action: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call("POST", f"/agent/v1/services/{port}/{action}", body)

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        data = None if body is None else orjson.dumps(body)
        headers = {"Content-Type": "application/json"} if data is not None else None
        try:
            async with self._session.request(
                method, self.base_url + path, data=data, headers=headers, timeout=self._timeout
            ) as response:
                text = await response.read()
            if response.status >= 300:
                raise AgentError(response.status, _message(text))
        except Exception as error:
            if self._failed is not None:
                self._failed(error)
            raise
        answer: dict[str, Any] = orjson.loads(text)
        return answer


def _message(text: bytes) -> str:
    try:
        error = orjson.loads(text)
        return (
            str(error["error"]) if isinstance(error, dict) and "error" in error else text.decode()
        )
    except (orjson.JSONDecodeError, UnicodeDecodeError):
        return text.decode(errors="replace")[:500]
