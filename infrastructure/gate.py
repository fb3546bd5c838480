"""The one bounded thread pool between the event loop and the (synchronous) event store."""

import asyncio
import contextvars
import functools
import sqlite3
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

import psycopg
from eventsourcing.persistence import IntegrityError, PersistenceError

P = ParamSpec("P")
R = TypeVar("R")

# What the store (or our own SQL beside it) raises when it fails; a version conflict (an
# IntegrityError) is a race that the use cases settle, not a failure.
STORE_ERRORS = (PersistenceError, sqlite3.Error, psycopg.Error)


class StoreGate:
    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="store")
        self.errors: Counter[str] = Counter()  # store failures by exception class (/metrics)

    async def call(self, function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        # The caller's context goes along: a log line made in the thread keeps its trace id.
        context = contextvars.copy_context()
        call = functools.partial(context.run, function, *args, **kwargs)
        try:
            return await loop.run_in_executor(self._pool, call)
        except STORE_ERRORS as error:
            if not isinstance(error, IntegrityError):
                self.errors[type(error).__name__] += 1
            raise

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
