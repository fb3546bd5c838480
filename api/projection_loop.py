"""One server process of the cluster keeps the views fresh in the background; reads also catch
up on demand in any process.

The background loop runs only on the node that leads "projections" (a PostgreSQL advisory
lock, infrastructure/leader.py): when the leader dies its connection closes, the lock is
released, and another node leads from its next round. Correctness never depends on the lead:
each batch locks its projection's position row, so a read catching up in another process
takes turns with the leader and no event is applied twice; the lead only saves the cluster
from running N copies of the same catch-up.
"""

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from api.keys import ARBITER, GATE
from infrastructure.persistence.leader import Leadership
from infrastructure.waits import until_set

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 0.5
BATCH_SECONDS = 2.0  # one call's bound, so shutdown never waits long for the store thread


async def keep_projections_fresh(app: web.Application) -> AsyncIterator[None]:
    leadership = Leadership(app[ARBITER].store, "projections")
    stopping = asyncio.Event()
    task = asyncio.create_task(_loop(app, leadership, stopping))
    yield
    # Stop between rounds rather than cancel: a cancelled await leaves its store call running
    # in the pool, where it could reopen the lead's connection after close() and leak it.
    stopping.set()
    await task
    await app[GATE].call(leadership.close)


async def _loop(app: web.Application, leadership: Leadership, stopping: asyncio.Event) -> None:
    while not stopping.is_set():
        try:
            if await app[GATE].call(leadership.leads):
                await app[GATE].call(app[ARBITER].projections.catch_up, None, BATCH_SECONDS)
        except Exception:
            log.exception("projection catch-up failed; trying again")
        await until_set(stopping, INTERVAL_SECONDS)
