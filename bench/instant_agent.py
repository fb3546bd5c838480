"""A host agent in the engine's own process whose every action takes no time: it implements the
engine's HostAgent protocol over a dict, so that a benchmark measures the engine and the store,
not HTTP to agent processes. For benchmarks only (the real agent is infrastructure/agent/)."""

from typing import Any

from api.demo import OLD_RPM

AgentState = dict[str, Any]


class InstantAgent:
    def __init__(self) -> None:
        self.services: dict[int, AgentState] = {}
        self.actions = 0

    def _state(self, port: int) -> AgentState:
        return self.services.setdefault(
            port, {"port": port, "state": "RUNNING", "rpmName": OLD_RPM}
        )

    def _set(self, port: int, **changes: Any) -> AgentState:
        self.actions += 1
        state = self._state(port)
        state.update(changes)
        return dict(state)

    async def status(self, port: int) -> AgentState:
        return dict(self._state(port))

    async def stop(self, port: int, request_id: str) -> AgentState:
        return self._set(port, state="STOPPED")

    async def start(self, port: int, request_id: str) -> AgentState:
        return self._set(port, state="RUNNING")

    async def install(self, port: int, rpm_name: str, request_id: str) -> AgentState:
        return self._set(port, rpmName=rpm_name)

    async def uninstall(self, port: int, request_id: str) -> AgentState:
        return self._set(port, state="ABSENT", rpmName=None)
