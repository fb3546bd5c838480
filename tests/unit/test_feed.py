"""The live feed tells each subscriber when what it follows has new events, and nobody else."""

import asyncio
from collections.abc import Sequence
from uuid import UUID, uuid4

from api.feed import Feed


class Log:
    """A notification log in memory: (id, originator) pairs."""

    def __init__(self) -> None:
        self.notifications: list[tuple[int, UUID]] = []
        self.reads = 0

    def append(self, originator: UUID) -> None:
        self.notifications.append((len(self.notifications) + 1, originator))

    async def after(self, position: int) -> Sequence[tuple[int, UUID]]:
        self.reads += 1
        return [n for n in self.notifications if n[0] > position]

    async def head(self) -> int:
        return len(self.notifications)


async def told(subscription_changed: asyncio.Event) -> None:
    async with asyncio.timeout(5):  # a guard against a hang, not a measurement
        await subscription_changed.wait()
    subscription_changed.clear()


async def test_subscribers_hear_of_their_own_originators_only() -> None:
    log, a, b = Log(), uuid4(), uuid4()
    log.append(a)
    feed = Feed(log.after, log.head)
    loop = asyncio.create_task(feed.run())
    with feed.subscribe(a) as on_a, feed.subscribe(b) as on_b:
        await told(on_a.changed)  # the first subscriber makes the feed read the head: all told
        await told(on_b.changed)
        log.append(a)
        log.append(a)
        feed.wake()
        await told(on_a.changed)
        b_told_of_a = on_b.changed.is_set()
        log.append(b)
        feed.wake()
        await told(on_b.changed)
        feed.close()
        closed = (on_a.closed, on_b.closed, on_a.changed.is_set())
    await loop

    assert not b_told_of_a
    assert closed == (True, True, True)


async def test_an_idle_feed_reads_nothing() -> None:
    log = Log()
    feed = Feed(log.after, log.head)
    loop = asyncio.create_task(feed.run())
    for _ in range(3):
        log.append(uuid4())
        feed.wake()
        await asyncio.sleep(0)
    feed.close()
    await loop

    assert log.reads == 0
