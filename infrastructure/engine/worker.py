"""The engine of one server process: heartbeats, finding work, and a bounded set of runs.

Work is found without scanning the event store: Task notifications are read after the queue's
position into a small table of unfinished tasks; this node's own commits wake the dispatcher at
once (it subscribes to them), and a periodic sweep is the safety net for everything else (other
nodes, lost wake-ups).
"""

import asyncio
import logging
import random
import time
import uuid
from collections.abc import Callable
from uuid import UUID

from domain.ids import task_uuid
from domain.runs import Outcome, ServiceEffect
from domain.step_log import LogLine
from infrastructure.engine.batch import BatchStore
from infrastructure.engine.batcher import Batcher
from infrastructure.engine.runner import RunLimits, run_claim, truth
from infrastructure.engine.steps import HostAgent
from infrastructure.gate import StoreGate
from infrastructure.settings import Settings
from infrastructure.tracing import TRACE_ID
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.engine_claims import Claim, Finish, Start, Work
from infrastructure.waits import until_set

log = logging.getLogger(__name__)


class Engine:
    def __init__(
        self,
        app: ArbiterApp,
        gate: StoreGate,
        agents: Callable[[str], HostAgent],
        settings: Settings,
        address: str,
    ) -> None:
        self.app = app
        self.gate = gate
        self.agents = agents
        self.settings = settings
        self.address = address
        self.node_id = f"{address}#{uuid.uuid4().hex[:8]}"  # a restarted process is a new node
        self.runs: dict[tuple[int, int], asyncio.Task[None]] = {}
        self._loops: list[asyncio.Task[None]] = []
        self._wake = asyncio.Event()
        self._last_beat = 0.0
        self._unsubscribe: Callable[[], None] | None = None
        self._idle: dict[UUID, int] = {}  # task -> queued version at which it offered nothing
        self._stopping = False
        self._held: set[UUID] = set()  # tasks another node's run holds (until the next full sweep)
        self._next_full_sweep = 0.0
        # Claims and outcomes of many tasks share commits (infrastructure/engine/batch.py).
        self.metrics = app.metrics
        self.batcher = Batcher(
            BatchStore(app), gate, settings.batch_seconds, self.metrics.engine_batch_size
        )

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def wake() -> None:
            loop.call_soon_threadsafe(self._wake.set)

        self._unsubscribe = self.app.subscribe(wake)
        await self._beat()
        self._loops = [
            asyncio.create_task(self._heartbeats(), name="engine-heartbeat"),
            asyncio.create_task(self._dispatch(), name="engine-dispatch"),
        ]

    async def stop(self) -> None:
        """Stop finding and running work; interrupted subtasks are taken over after the lease."""
        self._stopping = True  # a run that outlives its cancel (it finishes saving) chains nothing
        if self._unsubscribe is not None:
            self._unsubscribe()
        tasks = [*self._loops, *self.runs.values()]
        for task in tasks:
            task.cancel()
        # gather, not a suppressed await: a cancel of stop() itself must not be swallowed.
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.batcher.close()
        b = self.batcher
        log.info(
            "engine stopped: %d requests in %d commits, %d decided again alone",
            b.requests,
            b.commits,
            b.store.alone,
        )

    def fenced_out(self) -> bool:
        """True once this node has not heartbeated for half a lease: it stops its runs well
        before any other node may take them over (after a whole lease), so that a step never
        runs twice at the same time."""
        return time.monotonic() - self._last_beat > self.settings.lease_seconds / 2

    # ---- loops ------------------------------------------------------------------------

    async def _beat(self) -> None:
        started = time.monotonic()
        await self.gate.call(
            self.app.engine_tables.heartbeat, self.node_id, self.address, time.time()
        )
        self._last_beat = started

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.settings.heartbeat_seconds)
            try:
                await self._beat()
            except Exception:
                log.exception("heartbeat of %s failed", self.node_id)

    async def _dispatch(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._sweep()
            except Exception:
                log.exception("engine sweep failed; trying again")
            await until_set(self._wake, self.settings.poll_seconds)

    async def _sweep(self) -> None:
        if self.fenced_out() or self._full():
            return  # a full node could launch nothing: a freed slot wakes the next sweep
        while await self.gate.call(self.app.feed_queue) > 0:
            pass
        since = time.time() - self.settings.lease_seconds
        live = await self.gate.call(self.app.engine_tables.live_nodes, since)
        queued = await self.gate.call(self.app.queued_tasks)
        self._idle = {t: v for t, v in self._idle.items() if queued.get(t) == v}
        full = time.monotonic() >= self._next_full_sweep
        if full:  # every heartbeat period, read them all: executors may have gone silent
            self._next_full_sweep = time.monotonic() + self.settings.heartbeat_seconds
            self._held.clear()
        skipped = set() if full else self._skipped(queued, live)
        # This node's own subtasks count as orphaned unless one of its runs holds them (a run it
        # abandoned when it fenced itself out): `_launch` skips the ones it is running.
        live.discard(self.node_id)
        order = [(t, v) for t, v in queued.items() if t not in skipped]
        random.shuffle(order)  # nodes sweeping in one order would all race for the same subtasks
        for task, version in order:
            if self._full():
                return  # no room for another run; the next sweep carries on
            try:
                work = await self._serve_task(task, live)
            except Exception:  # one broken task must not starve the others
                log.exception("engine could not serve task %s; it stays queued", task)
                continue
            if work is not None and not (work.ready or work.orphaned or work.finished):
                if work.running:  # another node's run holds it, and moves it on by itself
                    self._held.add(task)
                else:
                    self._idle[task] = version

    def _skipped(self, queued: dict[UUID, int], live: set[str]) -> set[UUID]:
        """The tasks a partial sweep leaves alone (without this every node re-read every
        unfinished task on every wake): those that offered nothing at their queued version,
        those a run holds (here: it moves them on by its chained claims, and its end wakes the
        sweep; elsewhere: that node does), and those another live node owns. Tasks are spread
        over the live nodes by their id, so that nodes rarely race for a task's first claim."""
        peers = sorted(live | {self.node_id})
        me = peers.index(self.node_id)
        mine = {task_uuid(task_id) for task_id, _ in self.runs}
        return {
            t
            for t in queued
            if t in self._idle or t in self._held or t in mine or t.int % len(peers) != me
        }

    async def _serve_task(self, task: UUID, live: set[str]) -> Work | None:
        """Launch what the task offers; what it offered (None if it is gone)."""
        work = await self.gate.call(self.app.work_of, task, live)
        if work is None:
            return None
        if work.unreleased is not None:
            agent = self.agents(work.unreleased.agent_address)
            _, effect = await truth(agent, work.unreleased, [])
            await self.gate.call(self.app.release_service, work.unreleased, effect)
        if work.finished:
            await self.gate.call(self.app.forget_task, task, work.version)
            return work
        for subtask_id in work.ready:
            await self._launch(work.task_id, subtask_id, None)
        for subtask_id, executor in work.orphaned:
            await self._launch(work.task_id, subtask_id, executor)
        return work

    def _full(self) -> bool:
        return len(self.runs) >= self.settings.engine_workers

    async def _launch(self, task_id: int, subtask_id: int, lost_executor: str | None) -> None:
        """Take a worker slot at once and claim in it, so that one sweep's claims share a
        commit; the slot then runs the claimed step and every step chained after it."""
        key = (task_id, subtask_id)
        if key in self.runs or self._full() or self.fenced_out():
            return
        # This node's own RUNNING subtask is orphaned only if none of its runs holds the task:
        # a run's chained claim is in the store a moment before the run is filed under it.
        if lost_executor == self.node_id and any(t == task_id for t, _ in self.runs):
            return
        current = [key]  # the subtask this slot runs now (it changes along a chain)
        run = asyncio.create_task(self._run(current, lost_executor))
        self.runs[key] = run
        run.add_done_callback(lambda _: self._finished(current[0], run))

    async def _run(self, current: list[tuple[int, int]], lost_executor: str | None) -> None:
        task_id, subtask_id = current[0]
        start = Start(task_id, subtask_id, self.node_id, lost_executor)
        claim = await self.batcher.submit(start)
        if claim is None:
            self.metrics.claims_lost.inc()
        else:
            self.metrics.claims.labels("take_over" if lost_executor else "claim").inc()
        limits = RunLimits(
            self.settings.poll_seconds, self.settings.step_timeout_seconds, self.fenced_out
        )
        # A chained claim is run like a fresh one: it was made only while the node was not fenced
        # out (see _finish), and the run watches for fencing every poll.
        while claim is not None and not self._stopping:
            key = (claim.task_id, claim.subtask_id)
            if key != current[0]:  # a chained claim: this slot now runs that subtask
                run = asyncio.current_task()
                assert run is not None
                self.runs.pop(current[0], None)
                self.runs[key] = run
                current[0] = key
                self.metrics.claims.labels("chained").inc()
            # Every log line of this run (here, in the store's threads) carries its trace id.
            TRACE_ID.set(claim.trace_id)
            agent = self.agents(claim.agent_address)
            claim = await run_claim(self.app, self.gate, agent, claim, limits, self._finish)

    async def _finish(
        self, claim: Claim, outcome: Outcome, log: list[LogLine], effect: ServiceEffect | None
    ) -> Claim | None:
        # A node about to be fenced out must not start anything new.
        chain_to = None if self.fenced_out() or self._stopping else self.node_id
        return await self.batcher.submit(Finish(claim, outcome, log, effect, chain_to))

    def _finished(self, key: tuple[int, int], run: "asyncio.Task[None]") -> None:
        if self.runs.get(key) is run:
            del self.runs[key]
        if not run.cancelled() and run.exception() is not None:
            log.error("run of subtask %s failed", key, exc_info=run.exception())
        self._wake.set()
