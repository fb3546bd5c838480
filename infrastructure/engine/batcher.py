"""The event-loop side of batching: collect requests, commit them in one store call.

One commit is in flight at a time per node. Requests that arrive meanwhile wait for the next
one, so under load a batch grows by itself (group commit) and an idle node adds no delay but
`window` seconds, the time it waits after the first request for others to join it.
"""

import asyncio
import contextvars

from prometheus_client import Histogram

from infrastructure.engine.batch import BatchStore, Request
from infrastructure.gate import StoreGate
from infrastructure.use_cases.engine_claims import Claim

MAX_BATCH = 256  # requests per commit; more wait for the next one


class Batcher:
    def __init__(self, store: BatchStore, gate: StoreGate, window: float, sizes: Histogram) -> None:
        self.store = store
        self.gate = gate
        self.window = window
        self.sizes = sizes  # requests per commit (/metrics)
        self._pending: list[tuple[Request, asyncio.Future[Claim | None]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.commits = 0  # counters for benchmarks and tests
        self.requests = 0

    async def submit(self, request: Request) -> Claim | None:
        """The request's result, once committed: a claim to run, None, or its error raised."""
        future: asyncio.Future[Claim | None] = asyncio.get_running_loop().create_future()
        self._pending.append((request, future))
        if self._flusher is None or self._flusher.done():
            # A context of its own: a commit is no one request's, whose trace id it would carry.
            self._flusher = asyncio.create_task(
                self._flush(), name="engine-batcher", context=contextvars.Context()
            )
        return await future

    async def close(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
            await asyncio.gather(self._flusher, return_exceptions=True)
        for _, future in self._pending:
            future.cancel()
        self._pending = []

    async def _flush(self) -> None:
        while self._pending:
            if self.window > 0:
                await asyncio.sleep(self.window)
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            try:
                results = await self.gate.call(self.store.commit, [r for r, _ in batch])
            except asyncio.CancelledError:
                for _, future in batch:
                    future.cancel()
                raise
            except Exception as error:  # the store failed: every waiting request learns it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.commits += 1
            self.requests += len(batch)
            self.sizes.observe(len(batch))
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():  # its run was cancelled meanwhile (the engine stops)
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
