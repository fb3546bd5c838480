"""One run of one claimed subtask: the step under its timeout, watched for cancel and take-over.

The outcome is saved with the attempt number of the claim; if the subtask was taken over in the
meantime the store refuses it (StaleAttempt) and nothing this run did is recorded.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from domain.enums import SubtaskStatus
from domain.errors import StaleAttempt
from infrastructure.engine.steps import (
    STEPS,
    HostAgent,
    ServiceEffect,
    StepContext,
    StepResult,
    set_status,
    truthful_status,
)
from infrastructure.engine_use_cases import Claim, EngineUseCases, Outcome
from infrastructure.gate import StoreGate

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunLimits:
    poll_seconds: float  # how often a running step checks for cancel / take-over
    timeout_override: float | None  # tests shorten every subtask's timeout
    fenced_out: Callable[[], bool]  # True once this node's lease may have run out


async def run_claim(
    app: EngineUseCases, gate: StoreGate, agent: HostAgent, claim: Claim, limits: RunLimits
) -> None:
    step = STEPS[claim.step]
    action = step.undo if claim.undo else step.run
    context = StepContext(agent, claim.port, claim.params, claim.request_id, claim.current_rpm)
    timeout = limits.timeout_override or claim.timeout
    job = asyncio.ensure_future(action(context))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    outcome: Outcome | None = None
    while not job.done():
        await asyncio.wait(
            {job}, timeout=max(0.0, min(limits.poll_seconds, deadline - loop.time()))
        )
        if job.done():
            break
        if loop.time() >= deadline:
            outcome = Outcome.TIMED_OUT
            break
        if limits.fenced_out():
            await _interrupt(job)
            log.warning("%s: lease lost; leaving the subtask to be taken over", claim.request_id)
            return
        status, attempt = await gate.call(app.subtask_state, claim.task_id, claim.subtask_id)
        if attempt != claim.attempt:
            await _interrupt(job)
            return
        if status is SubtaskStatus.CANCELING:
            outcome = Outcome.CANCELLED
            break
    lines: list[str]
    effect: ServiceEffect | None
    if outcome is None:
        try:
            result = job.result()
            outcome, lines, effect = Outcome.SUCCEEDED, result.log, result.effect
        except Exception as error:  # any failure of the step fails the subtask, with its reason
            outcome = Outcome.FAILED
            lines, effect = await truth(agent, claim, [f"step failed: {_reason(error)}"])
    else:
        await _interrupt(job)
        what = "interrupted at its timeout" if outcome is Outcome.TIMED_OUT else "cancel hook ran"
        lines, effect = await truth(agent, claim, [f"step {what} after {timeout} s budget"])
    try:
        await gate.call(app.finish_subtask, claim, outcome, lines, effect)
    except StaleAttempt as error:
        log.warning("%s: outcome rejected: %s", claim.request_id, error.message)


async def _interrupt(job: "asyncio.Future[StepResult]") -> None:
    job.cancel()
    with contextlib.suppress(BaseException):
        await job


async def truth(
    agent: HostAgent, claim: Claim, lines: list[str]
) -> tuple[list[str], ServiceEffect]:
    """After a failed or interrupted run, the service record says what the host really is."""
    try:
        state = await asyncio.wait_for(agent.status(claim.port), timeout=10)
    except Exception as error:  # an unreachable agent is the truth too: UNAVAILABLE
        state = None
        lines = [*lines, f"agent status unavailable: {_reason(error)}"]
    status = truthful_status(state)
    return [*lines, f"service status is now {status}"], set_status(status)


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
