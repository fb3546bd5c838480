"""Bounded waits that a cancel always ends.

Not asyncio.wait_for: on Python 3.11 it swallows a cancel that arrives just as the awaited
thing finishes (CPython gh-86296, fixed in 3.12 by rebuilding it on asyncio.timeout). A loop
that waits with it can then outlive the cancel meant to end it, and whoever awaits the loop
waits forever: the engine's stop() did, when a save woke its dispatcher at that moment.
"""

import asyncio


async def until_set(event: asyncio.Event, seconds: float) -> bool:
    """Whether `event` was set within `seconds`."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
