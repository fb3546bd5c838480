"""Every server process keeps the views fresh in the background (reads also catch up on demand).

Several processes may run this loop on one PostgreSQL store: each batch locks its projection's
position row, so their batches take turns and no event is applied twice.
"""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import suppress

from aiohttp import web

from api.keys import ARBITER, GATE

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.5
BATCH_SECONDS = 2.0  # one call's bound, so shutdown never waits long for the store thread


async def keep_projections_fresh(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(_loop(app))
    yield
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task


async def _loop(app: web.Application) -> None:
    while True:
        try:
            await app[GATE].call(app[ARBITER].projections.catch_up, None, BATCH_SECONDS)
        except Exception:
            log.exception("projection catch-up failed; trying again")
        await asyncio.sleep(INTERVAL_SECONDS)
