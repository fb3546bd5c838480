"""What each subtask does on the host, and how it is undone.

Every step is idempotent ("make it stopped", "make the target rpm installed"), so a step that a
crash interrupted can simply run again. A step returns its log lines and, for the record_* steps,
the change to the ArbitrationService aggregate that the engine saves in the same `save()` as the
subtask's outcome.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from domain.caller import Caller
from domain.enums import ServiceStatus
from domain.runs import ServiceEffect
from domain.service import ArbitrationService
from domain.step_log import LogLevel, LogLine

AgentState = dict[str, Any]  # {"port", "state": RUNNING|STOPPED|ABSENT, "rpmName"}


class HostAgent(Protocol):
    """The host agent's HTTP contract, as the steps use it."""

    async def status(self, port: int) -> AgentState: ...
    async def stop(self, port: int, request_id: str) -> AgentState: ...
    async def start(self, port: int, request_id: str) -> AgentState: ...
    async def install(self, port: int, rpm_name: str, request_id: str) -> AgentState: ...
    async def uninstall(self, port: int, request_id: str) -> AgentState: ...


@dataclass
class StepResult:
    log: list[LogLine]
    effect: ServiceEffect | None = None


def logged(message: str, level: LogLevel = LogLevel.INFO) -> LogLine:
    """A line of a run's log, stamped now: the subtask's log shows when each line was logged."""
    return LogLine(datetime.now(UTC), level, message)


@dataclass(frozen=True)
class StepContext:
    agent: HostAgent
    port: int
    params: dict[str, Any]
    request_id: str
    current_rpm: str  # the service record's rpm when the step was claimed


Action = Callable[[StepContext], Awaitable[StepResult]]

# ABSENT: nothing is installed on that port (a rolled-back create): the port is free again.
_TRUTH = {
    "RUNNING": ServiceStatus.RUNNING,
    "STOPPED": ServiceStatus.STOPPED,
    "ABSENT": ServiceStatus.DELETED,
}


def truthful_status(state: AgentState | None) -> ServiceStatus:
    """The service record's status for what the agent reports (no answer: UNAVAILABLE)."""
    if state is None:
        return ServiceStatus.UNAVAILABLE
    return _TRUTH.get(str(state.get("state")), ServiceStatus.UNAVAILABLE)


def set_status(status: ServiceStatus) -> ServiceEffect:
    def effect(service: ArbitrationService, caller: Caller) -> None:
        service.change_status(status, caller)

    return effect


def _described(state: AgentState) -> str:
    return f"agent reports port {state['port']} {state['state']} with rpm {state.get('rpmName')}"


async def _observe(ctx: StepContext) -> StepResult:
    state = await ctx.agent.status(ctx.port)
    return StepResult([logged(_described(state))])


async def _restore_truth(ctx: StepContext) -> StepResult:
    state = await ctx.agent.status(ctx.port)
    status = truthful_status(state)
    lines = [logged(_described(state)), logged(f"service status restored to {status}")]
    return StepResult(lines, set_status(status))


async def _stop(ctx: StepContext) -> StepResult:
    return StepResult([logged(_described(await ctx.agent.stop(ctx.port, ctx.request_id)))])


async def _start(ctx: StepContext) -> StepResult:
    return StepResult([logged(_described(await ctx.agent.start(ctx.port, ctx.request_id)))])


async def _install(rpm_name: str, ctx: StepContext) -> StepResult:
    state = await ctx.agent.install(ctx.port, rpm_name, ctx.request_id)
    return StepResult([logged(f"installed {rpm_name}"), logged(_described(state))])


async def _install_target(ctx: StepContext) -> StepResult:
    return await _install(str(ctx.params["rpmName"]), ctx)


async def _undo_install(ctx: StepContext) -> StepResult:
    previous = ctx.params.get("previousRpmName")
    if previous is None:  # a created service had nothing before: take the rpm away again
        return await _uninstall(ctx)
    return await _install(str(previous), ctx)


async def _uninstall(ctx: StepContext) -> StepResult:
    state = await ctx.agent.uninstall(ctx.port, ctx.request_id)
    return StepResult([logged("uninstalled"), logged(_described(state))])


async def _reinstall_current(ctx: StepContext) -> StepResult:
    return await _install(ctx.current_rpm, ctx)


async def _begin_upgrade(ctx: StepContext) -> StepResult:
    state = await ctx.agent.status(ctx.port)
    if state["state"] != "STOPPED":
        raise StepError(f"{_described(state)}; the upgrade needs it STOPPED")
    previous, target = ctx.params["previousVersion"], ctx.params["targetVersion"]
    begins = f"upgrade from {previous} to {target} begins; no rollback after this"
    return StepResult([logged(_described(state)), logged(begins)])


async def _record_version(ctx: StepContext) -> StepResult:
    version, rpm_name = str(ctx.params["targetVersion"]), str(ctx.params["rpmName"])
    state = await ctx.agent.status(ctx.port)
    if state.get("rpmName") != rpm_name:
        raise StepError(f"{_described(state)}; expected {rpm_name}")

    def effect(service: ArbitrationService, caller: Caller) -> None:
        service.change_version(version, rpm_name, caller)

    return StepResult([logged(f"service version recorded as {version} ({rpm_name})")], effect)


async def _restore_version(ctx: StepContext) -> StepResult:
    version, rpm_name = str(ctx.params["previousVersion"]), str(ctx.params["previousRpmName"])

    def effect(service: ArbitrationService, caller: Caller) -> None:
        service.change_version(version, rpm_name, caller)

    return StepResult([logged(f"service version restored to {version} ({rpm_name})")], effect)


def _record(expected: str, status: ServiceStatus) -> Action:
    async def record(ctx: StepContext) -> StepResult:
        state = await ctx.agent.status(ctx.port)
        if state["state"] != expected:
            raise StepError(f"{_described(state)}; expected {expected}")
        lines = [logged(_described(state)), logged(f"service status recorded as {status}")]
        return StepResult(lines, set_status(status))

    return record


async def _record_deleted(ctx: StepContext) -> StepResult:
    state = await ctx.agent.status(ctx.port)
    if state["state"] != "ABSENT":
        raise StepError(f"{_described(state)}; expected ABSENT")
    lines = [logged(_described(state)), logged("service recorded as DELETED")]
    return StepResult(lines, set_status(ServiceStatus.DELETED))


class StepError(Exception):
    """A step found the host in a state it cannot proceed from."""


@dataclass(frozen=True)
class Step:
    run: Action
    undo: Action


STEPS: dict[str, Step] = {
    "prepare_upgrade": Step(_observe, _restore_truth),
    "prepare_create": Step(_observe, _restore_truth),
    "stop": Step(_stop, _start),
    "begin_upgrade": Step(_begin_upgrade, _observe),
    "install_target": Step(_install_target, _undo_install),
    "start": Step(_start, _stop),
    "record_version": Step(_record_version, _restore_version),
    "record_running": Step(_record("RUNNING", ServiceStatus.RUNNING), _restore_truth),
    "record_stopped": Step(_record("STOPPED", ServiceStatus.STOPPED), _restore_truth),
    "uninstall": Step(_uninstall, _reinstall_current),
    "record_deleted": Step(_record_deleted, _restore_truth),
}
