"""Faults a test injects through the agent's API: fail, hang or slow down the next N actions.

Faults live in memory only: a restarted agent starts healthy.
"""

from dataclasses import dataclass
from typing import Any

from infrastructure.agent.request import BadRequest, optional, required

# "status" is an extension of the contract: it lets a test fail the steps that only look.
FAULTABLE = ("stop", "start", "install", "uninstall", "status")
MODES = ("fail", "hang", "slow")
HANG_SECONDS = 3600.0  # a hang ends when the client goes away, or after this long


@dataclass
class Fault:
    id: int
    action: str
    port: int | None  # None: any port
    mode: str
    times: int
    seconds: float

    def matches(self, action: str, port: int) -> bool:
        return self.action == action and self.port in (None, port)


class Faults:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._last_id = 0

    def add(self, body: dict[str, Any]) -> Fault:
        fault = parse(body, self._last_id + 1)
        self._last_id = fault.id
        self._faults.append(fault)
        return fault

    def clear(self) -> None:
        self._faults.clear()

    def take(self, action: str, port: int) -> Fault | None:
        """The oldest fault for this action on this port, used up once."""
        fault = next((f for f in self._faults if f.matches(action, port)), None)
        if fault is not None:
            fault.times -= 1
            if fault.times == 0:
                self._faults.remove(fault)
        return fault


def parse(body: dict[str, Any], fault_id: int) -> Fault:
    allowed = {"action", "port", "mode", "times", "seconds"}
    if unknown := sorted(set(body) - allowed):
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    action = required(body, "action", str)
    if action not in FAULTABLE:
        raise BadRequest(f"action must be one of {', '.join(FAULTABLE)}")
    mode = required(body, "mode", str)
    if mode not in MODES:
        raise BadRequest(f"mode must be one of {', '.join(MODES)}")
    port = optional(body, "port", int)
    if port is not None and not 1 <= port <= 65535:
        raise BadRequest("port must be between 1 and 65535")
    times = optional(body, "times", int)
    times = 1 if times is None else times
    if times < 1:
        raise BadRequest("times must be at least 1")
    seconds = optional(body, "seconds", float)
    if mode == "slow" and seconds is None:
        raise BadRequest("seconds is required for mode slow")
    if seconds is not None and not 0 <= seconds <= HANG_SECONDS:
        raise BadRequest(f"seconds must be between 0 and {HANG_SECONDS:g}")
    default = HANG_SECONDS if mode == "hang" else 0.0
    return Fault(fault_id, action, port, mode, times, default if seconds is None else seconds)
