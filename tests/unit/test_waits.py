"""Bounded waits: a cancel always ends them, even one that meets the event being set."""

import asyncio

import pytest

from infrastructure.waits import until_set


async def test_a_set_event_ends_the_wait_at_once() -> None:
    event = asyncio.Event()
    asyncio.get_running_loop().call_soon(event.set)
    assert await until_set(event, 30) is True


async def test_an_unset_event_ends_the_wait_at_its_bound() -> None:
    assert await until_set(asyncio.Event(), 0.01) is False


async def test_a_cancel_that_meets_the_event_being_set_is_not_swallowed() -> None:
    """The race that hung the engine's stop() on Python 3.11's asyncio.wait_for: the event is
    set and the waiting task cancelled in the same turn of the loop."""
    event = asyncio.Event()
    waiter = asyncio.create_task(until_set(event, 30))
    await asyncio.sleep(0)  # the waiter is parked in the wait
    event.set()
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
