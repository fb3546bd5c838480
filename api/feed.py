"""Live changes for the streams: one loop per process tails the event notification log and tells
each subscriber when an aggregate it follows has new events.

This process's own saves wake the loop at once; other nodes' saves (a shared PostgreSQL store)
are found within POLL_SECONDS. The log is read only while someone subscribes, so an idle
console costs the store nothing. A subscriber is told "something changed", not what: it reads
the aggregate's current state itself, so a burst of events costs it one read.
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from uuid import UUID

from aiohttp import web

from api.keys import ARBITER, GATE
from infrastructure.waits import until_set

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
BATCH = 500

# (notification id, originator id) of the notifications after a position, at most BATCH.
ReadAfter = Callable[[int], Awaitable[Sequence[tuple[int, UUID]]]]


@dataclass(eq=False)
class Subscription:
    originator: UUID
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


class Feed:
    def __init__(self, read_after: ReadAfter, head: Callable[[], Awaitable[int]]) -> None:
        self._read_after = read_after
        self._head = head
        self._subscribers: dict[UUID, set[Subscription]] = {}
        self._wake = asyncio.Event()
        self._closed = False

    @contextmanager
    def subscribe(self, originator: UUID) -> Iterator[Subscription]:
        subscription = Subscription(originator, closed=self._closed)
        self._subscribers.setdefault(originator, set()).add(subscription)
        self._wake.set()  # a first subscriber makes the loop find the log's head now
        try:
            yield subscription
        finally:
            followers = self._subscribers[originator]
            followers.discard(subscription)
            if not followers:
                del self._subscribers[originator]

    @property
    def listening(self) -> bool:
        return bool(self._subscribers)

    def wake(self) -> None:
        self._wake.set()

    def close(self) -> None:
        """End every subscription (the server is shutting down) and the loop."""
        self._closed = True
        for followers in self._subscribers.values():
            for subscription in followers:
                subscription.closed = True
                subscription.changed.set()
        self._wake.set()

    async def run(self) -> None:
        position: int | None = None
        while not self._closed:
            await until_set(self._wake, POLL_SECONDS)
            self._wake.clear()
            if not self._subscribers:
                position = None  # nobody listens: stop reading, and start from the head again
                continue
            try:
                position = await self._advance(position)
            except Exception:
                log.exception("reading the notification log for the live feed failed")

    async def _advance(self, position: int | None) -> int:
        if position is None:
            # Events saved between a subscriber's first read and this head would be missed:
            # tell everyone to read again once.
            head = await self._head()
            self._tell(set(self._subscribers))
            return head
        while True:
            batch = await self._read_after(position)
            if not batch:
                return position
            position = batch[-1][0]
            self._tell({originator for _, originator in batch})
            if len(batch) < BATCH:
                return position

    def _tell(self, originators: set[UUID]) -> None:
        for originator in originators:
            for subscription in self._subscribers.get(originator, ()):
                subscription.changed.set()


FEED = web.AppKey("feed", Feed)


async def live_feed(app: web.Application) -> AsyncIterator[None]:
    """The app's feed over its store; its loop runs from start-up to clean-up."""
    arbiter, gate = app[ARBITER], app[GATE]

    def read_after(position: int) -> list[tuple[int, UUID]]:
        notifications = arbiter.recorder.select_notifications(start=position + 1, limit=BATCH)
        return [(n.id, UUID(str(n.originator_id))) for n in notifications]

    async def read(position: int) -> Sequence[tuple[int, UUID]]:
        return await gate.call(read_after, position)

    async def head() -> int:
        return await gate.call(arbiter.head_position)

    feed = Feed(read, head)
    loop = asyncio.get_running_loop()

    def on_commit() -> None:  # runs on a store thread
        if feed.listening:  # a busy node with no console open pays nothing per save
            loop.call_soon_threadsafe(feed.wake)

    unsubscribe = arbiter.subscribe(on_commit)
    app[FEED] = feed
    runner = asyncio.create_task(feed.run())
    yield
    unsubscribe()
    feed.close()
    await runner


async def end_streams(app: web.Application) -> None:
    """On shutdown, before the server waits for open connections: streams never end alone."""
    feed = app.get(FEED)
    if feed is not None:  # None when the start-up failed before the feed began
        feed.close()
