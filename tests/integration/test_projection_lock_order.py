"""The views catch up while many threads save, and neither ever waits for the other.

A batch of a view used to take its write lock (on SQLite: the database file's) and then read
the event store through eventsourcing's pool, while a save held the pool's writer connection and
waited for the file's lock, and the next saver queued in the pool holding its turn: nothing
moved until the pool's 5 s timeout (ConnectionUnavailableError; a 500 from the API). Now a batch
reads everything before it takes the lock, and applies only if the position is still where it
read from.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import pytest

from infrastructure.projections.db import ViewDB
from infrastructure.projections.fold import Unread
from infrastructure.projections.runner import Projections
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import (
    ADMIN,
    NEW_RPM,
    retried_then_rolled_back,
    run_step,
    seed_service,
)

THREADS = 8  # a server's store threads (ARBITER_STORE_THREADS)
UPGRADES = 240
BOUND_SECONDS = 90.0  # generous: a few seconds on a loaded machine; the old stall is 5 s each


def test_upgrades_while_the_views_catch_up_never_stall(arbiter: ArbiterApp) -> None:
    services = [seed_service(arbiter, port) for port in range(3000, 3000 + UPGRADES)]
    projections = arbiter.projections
    assert projections.catch_up()
    errors: list[BaseException] = []
    stop = threading.Event()  # at the first error (one stall is enough), or when all are done

    def keep_fresh() -> None:  # as the server's projection loop, without its pause
        while not stop.is_set():
            try:
                projections.catch_up()
            except Exception as error:
                errors.append(error)
                stop.set()

    def upgrade(service_id: int) -> None:
        if stop.is_set():
            return
        try:
            arbiter.upgrade(service_id, NEW_RPM, f"token-{service_id}", ADMIN)
        except Exception as error:
            errors.append(error)
            stop.set()

    loop = threading.Thread(target=keep_fresh)
    loop.start()
    try:
        with ThreadPoolExecutor(THREADS) as pool:
            _, late = wait([pool.submit(upgrade, s) for s in services], timeout=BOUND_SECONDS)
            stop.set()  # the late ones return at once
    finally:
        stop.set()
        loop.join()

    assert errors == []
    assert not late, f"{len(late)} of {UPGRADES} upgrades took longer than {BOUND_SECONDS} s"
    assert projections.catch_up()
    assert len(projections.rows("tasks")["arbiter_view_tasks"]) == UPGRADES


def test_a_batch_reads_the_store_only_outside_its_transaction(
    arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second runner, whose fold has seen nothing, catches up the middle of histories: every
    state and name it lacks is read from the store, and never while its transaction is open."""
    task_id = arbiter.upgrade(seed_service(arbiter), NEW_RPM, None, ADMIN).task_id
    run_step(arbiter, task_id, ok=False)
    assert arbiter.projections.catch_up()
    arbiter.retry_task(task_id, ADMIN)  # later events of the same task and service
    run_step(arbiter, task_id, ok=True)
    second = Projections(arbiter, ViewDB(arbiter.store))
    reads: list[bool] = []  # for each read of the store: was the view's transaction open?
    open_ = [False]
    transaction = second.db.transaction

    @contextmanager
    def tracked_transaction() -> Iterator[Any]:
        with transaction() as tx:
            open_[0] = True
            try:
                yield tx
            finally:
                open_[0] = False

    def tracked(read: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            reads.append(open_[0])
            return read(*args, **kwargs)

        return wrapper

    try:
        monkeypatch.setattr(second.db, "transaction", tracked_transaction)
        monkeypatch.setattr(arbiter.repository, "get", tracked(arbiter.repository.get))
        select = arbiter.recorder.select_notifications
        monkeypatch.setattr(arbiter.recorder, "select_notifications", tracked(select))
        assert second.catch_up()
    finally:
        monkeypatch.undo()
        second.db.close()

    notifications = len(second.all)  # one select per view, at least
    assert len(reads) > notifications, "the second runner's fold lacked nothing: no test"
    assert not any(reads), "a batch read the event store inside its view transaction"
    caught_up = {name: arbiter.projections.rows(name) for name in arbiter.projections.all}
    for name in arbiter.projections.all:
        arbiter.projections.reset(name)
    assert arbiter.projections.catch_up()
    assert {name: arbiter.projections.rows(name) for name in arbiter.projections.all} == caught_up


def test_a_batch_whose_position_moved_meanwhile_is_dropped(
    arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runner `first` reads a batch; before it takes the lock, runner `second` (another process,
    say) applies the same events. `first` then applies nothing and reports where `second` got."""
    retried_then_rolled_back(arbiter)
    first, second = arbiter.projections, Projections(arbiter, ViewDB(arbiter.store))
    projection = first.all["audit"]
    needs = projection.needs
    overtaken = []

    def overtaking(event: Any) -> Any:
        if not overtaken:
            overtaken.append(second.catch_up(["audit"]))
        return needs(event)

    head = arbiter.head_position()
    try:
        monkeypatch.setattr(projection, "needs", overtaking)
        assert first.step("audit", head) == head
    finally:
        second.db.close()

    assert overtaken == [True]
    rows = first.rows("audit")["arbiter_view_audit"]
    assert [row[0] for row in rows] == list(range(1, head + 1))
    monkeypatch.undo()
    assert first.catch_up()
    assert first.rows("audit")["arbiter_view_audit"] == rows


def test_a_fold_that_saw_every_event_reads_no_aggregate(
    arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading ahead costs nothing once the fold is warm: a new task and its steps in one batch
    (its names come from its creation, its states from the batch) read no aggregate."""
    service_id = seed_service(arbiter)
    assert arbiter.projections.catch_up()
    task_id = arbiter.upgrade(service_id, NEW_RPM, None, ADMIN).task_id
    run_step(arbiter, task_id, ok=False)
    arbiter.retry_task(task_id, ADMIN)
    run_step(arbiter, task_id, ok=True)
    loads: list[Any] = []
    get = arbiter.repository.get

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(args)
        return get(*args, **kwargs)

    monkeypatch.setattr(arbiter.repository, "get", counted)
    assert arbiter.projections.catch_up()
    assert loads == []


def test_a_fold_asked_for_what_was_not_read_ahead_fails_the_batch(
    arbiter: ArbiterApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A projection whose `needs` says less than its `apply` asks gets Unread, and the batch
    writes nothing: the fold never falls back to reading the store under the lock."""
    task_id = arbiter.upgrade(seed_service(arbiter), NEW_RPM, None, ADMIN).task_id
    assert arbiter.projections.catch_up()
    run_step(arbiter, task_id, ok=True)
    second = Projections(arbiter, ViewDB(arbiter.store))
    position = second.position("audit")
    try:
        monkeypatch.setattr(second.all["audit"], "needs", lambda event: "state")
        with pytest.raises(Unread):
            second.step("audit", arbiter.head_position())
        assert second.position("audit") == position
    finally:
        second.db.close()
