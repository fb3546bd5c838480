"""The trace id of whatever this code runs for: a request's, or a step run's.

A context variable, so every log line made under a request or a step carries its trace id
without being handed it: aiohttp runs each request in a task of its own, the engine each run in
a task of its own, and the store gate carries the caller's context into its threads.
"""

from contextvars import ContextVar

TRACE_ID: ContextVar[str | None] = ContextVar("arbiter_trace_id", default=None)
