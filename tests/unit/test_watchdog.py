"""The test watchdog fails a stalled block with where each task waits."""

import asyncio

import pytest

from tests.watchdog import watchdog


async def test_a_stalled_block_fails_naming_where_it_waits() -> None:
    async def stuck_forever() -> None:
        await asyncio.Event().wait()

    stalled = pytest.raises(AssertionError, match=r"stalled for 0.05 s(.|\n)*stuck_forever")
    with stalled, watchdog(0.05):
        await stuck_forever()
    test = asyncio.current_task()
    assert test is not None
    assert test.cancelling() == 0  # the test task goes on uncancelled


async def test_a_block_within_its_bound_is_left_alone() -> None:
    with watchdog(5):
        await asyncio.sleep(0)
