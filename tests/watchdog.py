"""A bound on an async test that, when it runs out, says where every asyncio task waits.

pytest-timeout's own dump shows threads only: an async test stuck on an await shows nothing
but the event loop's select. This one fails the test with each task's stack instead.
"""

import asyncio
import io
from collections.abc import Iterator
from contextlib import contextmanager


def task_stacks() -> str:
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(file=out)
    return out.getvalue()


@contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Fail the current task with every task's stack if the block takes longer than `seconds`."""
    test = asyncio.current_task()
    assert test is not None
    stacks: list[str] = []

    def expire() -> None:
        stacks.append(task_stacks())
        test.cancel()

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        yield
    except asyncio.CancelledError:
        if not stacks:
            raise
        test.uncancel()
        raise AssertionError(f"stalled for {seconds} s; the tasks were at:\n{stacks[0]}") from None
    finally:
        timer.cancel()
