"""Who asks for a change, and in which request's trace: every command event records both."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Caller:
    actor: str  # the authenticated user, or the engine for its own steps
    trace_id: str  # the request's traceId (for the engine: the trace of the task's creation)
