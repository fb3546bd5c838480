"""The simulated host agent's behaviour: actions take real time, are serialised per port, obey
injected faults, change the state on disk only when they succeed, and all end up in the ledger."""

import asyncio
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from infrastructure.agent.faults import Fault, Faults
from infrastructure.agent.host import ACTIONS, RUNNING, STOPPED, Conflict, Service
from infrastructure.agent.ledger import Ledger, Record
from infrastructure.agent.request import BadRequest, required
from infrastructure.agent.state import StateFile, claim

_RPM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,250}\.rpm", re.ASCII)
_FIELDS = {  # each action's body, beside requestId
    "stop": (),
    "start": (),
    "install": ("rpmName",),
    "uninstall": (),
    "adopt": ("rpmName", "state"),
}


class InjectedFailure(Exception):
    """A fault told this action to fail (HTTP 500)."""


class Agent:
    def __init__(self, state_dir: Path, action_seconds: float) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self._claim = claim(state_dir)
        self.action_seconds = action_seconds
        self.services = StateFile(state_dir)
        self.ledger = Ledger(state_dir / "ledger.jsonl")
        self.faults = Faults()
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def status(self, port: int) -> Service:
        """Immediate and lock-free: what the host is now, not what a running action will make."""
        fault = self.faults.take("status", port)
        if fault is not None:
            await self._take_time(fault, base=0.0)
        return self.services.get(port)

    async def perform(self, action: str, port: int, body: dict[str, Any]) -> Service:
        request_id, args = parse_action(action, body)
        async with self._locks[port]:  # concurrent calls never interleave on one service
            started = datetime.now(UTC)
            outcome, error, fault = "failed", None, None
            try:
                current = self.services.get(port)
                target = ACTIONS[action](current, args)
                fault = self.faults.take(action, port)
                await self._take_time(fault, self.action_seconds)
                if target != current:
                    self.services.put(port, target)
                outcome = "ok"
                return target
            except Conflict as conflict:
                outcome, error = "rejected", str(conflict)
                raise
            except asyncio.CancelledError:  # the client went away (or timed out) mid-action
                outcome, error = "interrupted", "the client disconnected"
                raise
            except Exception as failure:
                error = str(failure)
                raise
            finally:
                record = Record(action, port, request_id, args, started, datetime.now(UTC))
                self.ledger.append(record, outcome, error, None if fault is None else fault.id)

    async def _take_time(self, fault: Fault | None, base: float) -> None:
        if fault is None:
            await asyncio.sleep(base)
        elif fault.mode == "slow":
            await asyncio.sleep(base + fault.seconds)
        elif fault.mode == "fail":
            await asyncio.sleep(base)
            raise InjectedFailure(f"injected failure (fault {fault.id})")
        else:
            await asyncio.sleep(fault.seconds)
            raise InjectedFailure(f"hung for {fault.seconds:g} s (fault {fault.id})")

    def close(self) -> None:
        self.ledger.close()
        self._claim.close()


def parse_action(action: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The requestId and the action's other arguments, checked."""
    fields = _FIELDS[action]
    if unknown := sorted(set(body) - {"requestId", *fields}):
        raise BadRequest(f"unknown fields: {', '.join(unknown)}")
    request_id = required(body, "requestId", str)
    if not 1 <= len(request_id) <= 200:
        raise BadRequest("requestId must be 1 to 200 characters")
    args = {name: required(body, name, str) for name in fields}
    if "rpmName" in args and not _RPM_NAME.fullmatch(args["rpmName"]):
        raise BadRequest(f"rpmName is not an rpm file name: {args['rpmName']!r}")
    if "state" in args and args["state"] not in (RUNNING, STOPPED):
        raise BadRequest(f"state must be {RUNNING} or {STOPPED}")
    return request_id, args
