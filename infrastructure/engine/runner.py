"""One run of one claimed subtask: the step under its timeout, watched for cancel and take-over.

The outcome is saved with the attempt number of the claim; if the subtask was taken over in the
meantime the store refuses it (StaleAttempt) and nothing this run did is recorded.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from domain.enums import SubtaskStatus
from domain.errors import StaleAttempt
from domain.runs import Outcome, ServiceEffect
from domain.step_log import LogLevel, LogLine
from infrastructure.engine.steps import (
    STEPS,
    HostAgent,
    StepContext,
    StepResult,
    logged,
    set_status,
    truthful_status,
)
from infrastructure.gate import StoreGate
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.engine_claims import Claim

log = logging.getLogger(__name__)
# Saves a run's outcome; answers the claim of the task's next subtask when it chained one.
Finisher = Callable[[Claim, Outcome, list[LogLine], ServiceEffect | None], Awaitable[Claim | None]]


@dataclass(frozen=True)
class RunLimits:
    poll_seconds: float  # how often a running step checks for cancel / take-over
    timeout_override: float | None  # tests shorten every subtask's timeout
    fenced_out: Callable[[], bool]  # True once this node's lease may have run out


async def run_claim(
    app: ArbiterApp,
    gate: StoreGate,
    agent: HostAgent,
    claim: Claim,
    limits: RunLimits,
    finish: Finisher,
) -> Claim | None:
    """Run the claimed step and save its outcome; the next claim to run, if one was chained."""
    step = STEPS[claim.step]
    action = step.undo if claim.undo else step.run
    context = StepContext(agent, claim.port, claim.params, claim.request_id, claim.current_rpm)
    timeout = limits.timeout_override or claim.timeout
    job = asyncio.ensure_future(action(context))
    started = asyncio.get_running_loop().time()
    deadline = started + timeout
    try:
        outcome = await _watch(app, gate, job, claim, limits, deadline)
    except _Abandoned:
        await _interrupt(job)
        return None
    except BaseException:  # stopped, or the store failed: the step must not run on unwatched
        await _interrupt(job)
        raise
    ran = asyncio.get_running_loop().time() - started
    lines: list[LogLine]
    effect: ServiceEffect | None
    if outcome is None:
        try:
            result = job.result()
            outcome, lines, effect = Outcome.SUCCEEDED, result.log, result.effect
        except Exception as error:  # any failure of the step fails the subtask, with its reason
            outcome = Outcome.FAILED
            failed = logged(f"step failed: {_reason(error)}", LogLevel.ERROR)
            lines, effect = await truth(agent, claim, [failed])
    else:
        await _interrupt(job)
        if outcome is Outcome.TIMED_OUT:
            message = f"step interrupted at its timeout after {timeout} s budget"
            why = logged(message, LogLevel.ERROR)
        else:
            why = logged("step interrupted by a cancel; cancel hook ran", LogLevel.WARN)
        lines, effect = await truth(agent, claim, [why])
    step_name = f"{claim.step}.undo" if claim.undo else claim.step
    app.metrics.step_seconds.labels(step_name, outcome.name.lower()).observe(ran)
    if outcome is not Outcome.SUCCEEDED:
        log.warning("%s: %s %s: %s", claim.request_id, step_name, outcome.name, lines[0].message)
    try:
        return await finish(claim, outcome, lines, effect)
    except StaleAttempt as error:
        log.warning("%s: outcome rejected: %s", claim.request_id, error.message)
        return None


class _Abandoned(Exception):
    """The lease is lost or the subtask was taken over: this run records nothing."""


async def _watch(
    app: ArbiterApp,
    gate: StoreGate,
    job: "asyncio.Future[StepResult]",
    claim: Claim,
    limits: RunLimits,
    deadline: float,
) -> Outcome | None:
    """Wait for the step; None when it ended by itself, else why it must be interrupted."""
    loop = asyncio.get_running_loop()
    while not job.done():
        await asyncio.wait(
            {job}, timeout=max(0.0, min(limits.poll_seconds, deadline - loop.time()))
        )
        if job.done():
            break
        if loop.time() >= deadline:
            return Outcome.TIMED_OUT
        if limits.fenced_out():
            log.warning("%s: lease lost; leaving the subtask to be taken over", claim.request_id)
            raise _Abandoned
        status, attempt = await gate.call(app.subtask_state, claim.task_id, claim.subtask_id)
        if attempt != claim.attempt:
            raise _Abandoned
        if status is SubtaskStatus.CANCELING:
            return Outcome.CANCELLED
    return None


async def _interrupt(job: "asyncio.Future[StepResult]") -> None:
    job.cancel()
    await asyncio.gather(job, return_exceptions=True)


async def truth(
    agent: HostAgent, claim: Claim, lines: list[LogLine]
) -> tuple[list[LogLine], ServiceEffect]:
    """After a failed or interrupted run, the service record says what the host really is."""
    try:
        async with asyncio.timeout(10):
            state = await agent.status(claim.port)
    except Exception as error:  # an unreachable agent is the truth too: UNAVAILABLE
        state = None
        lines = [*lines, logged(f"agent status unavailable: {_reason(error)}", LogLevel.WARN)]
    status = truthful_status(state)
    return [*lines, logged(f"service status is now {status}")], set_status(status)


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
