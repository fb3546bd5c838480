"""Batched claims and outcomes (infrastructure/engine/batch.py): one commit for many tasks, and
every guarantee of an unbatched claim or outcome kept when a batch goes wrong."""

import asyncio

from api.demo import NEW_RPMS, OLD_RPM
from domain.caller import Caller
from domain.enums import Operation, SubtaskStatus
from domain.errors import StaleAttempt
from domain.runs import Outcome
from domain.task import Task
from infrastructure.engine.batch import BatchStore
from infrastructure.engine.batcher import Batcher
from infrastructure.gate import StoreGate
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.engine_claims import Claim, Finish, Start
from infrastructure.use_cases.inventory import ServiceSpec
from tests.logs import lines

WHO = Caller("operator", "0123456789abcdef")
NODE, OTHER = "10.0.0.1:8080#aaaa", "10.0.0.2:8080#bbbb"


def upgrades(app: ArbiterApp, count: int) -> list[Task]:
    for rpm in (OLD_RPM, *NEW_RPMS):
        app.register_package(rpm, WHO)
    host = app.register_host("10.1.0.1", "x86_64", "http://127.0.0.1:1", WHO)
    tasks = []
    for number in range(count):
        spec = ServiceSpec(f"a{number}", host.host_id, 3000 + number, "/i", "/r", "admin", OLD_RPM)
        service = app.register_service(spec, WHO)
        tasks.append(app.upgrade(service.service_id, NEW_RPMS[-1], None, WHO))
    return tasks


def first_claims(batch: BatchStore, tasks: list[Task]) -> list[Claim]:
    results = batch.commit([Start(t.task_id, t.subtasks[0].id, NODE) for t in tasks])
    assert all(isinstance(r, Claim) for r in results), results
    return [r for r in results if isinstance(r, Claim)]


def done(claim: Claim, chain: bool = True) -> Finish:
    return Finish(claim, Outcome.SUCCEEDED, lines("ok"), None, NODE if chain else None)


def test_claims_of_several_tasks_share_one_commit(arbiter: ArbiterApp) -> None:
    tasks = upgrades(arbiter, 3)
    head = arbiter.head_position()
    claims = first_claims(BatchStore(arbiter), tasks)
    assert [c.attempt for c in claims] == [1, 1, 1]
    # One transaction: every event of the batch is in the store, with consecutive positions.
    notifications = arbiter.recorder.select_notifications(start=head + 1, limit=100)
    assert len(notifications) == 6  # per task: SubtaskStarted and the service's StatusChanged
    for task in tasks:
        assert arbiter.get_task(task.task_id).subtasks[0].status is SubtaskStatus.RUNNING


def test_an_outcome_claims_the_next_subtask_in_the_same_commit(arbiter: ArbiterApp) -> None:
    (task,) = upgrades(arbiter, 1)
    batch = BatchStore(arbiter)
    (claim,) = first_claims(batch, [task])
    (chained,) = batch.commit([done(claim)])
    assert isinstance(chained, Claim)
    assert (chained.subtask_id, chained.attempt) == (task.subtasks[1].id, 1)
    saved = arbiter.get_task(task.task_id)
    assert saved.subtasks[0].status is SubtaskStatus.SUCCESSFUL
    assert saved.subtasks[1].status is SubtaskStatus.RUNNING
    assert saved.subtasks[1].executor == NODE


def test_a_conflict_in_a_batch_loses_no_other_task_s_transition(arbiter: ArbiterApp) -> None:
    tasks = upgrades(arbiter, 3)
    batch = BatchStore(arbiter)
    claims = first_claims(batch, tasks)
    # Another writer (an operator, through any node) changes the middle task behind the
    # batch's copy of it: the batch's commit conflicts as a whole.
    arbiter.cancel_subtask(tasks[1].task_id, tasks[1].subtasks[0].id, WHO)
    results = batch.commit([done(c) for c in claims])
    assert results == [None, None, None]  # decided alone: saved, but nothing chained
    first, middle, last = (arbiter.get_task(t.task_id) for t in tasks)
    assert first.subtasks[0].status is SubtaskStatus.SUCCESSFUL
    assert last.subtasks[0].status is SubtaskStatus.SUCCESSFUL
    # The cancelled one ends cancelled, whatever its run did (as without batching).
    assert middle.subtasks[0].status is SubtaskStatus.FAILED
    assert middle.subtasks[0].operation is Operation.CANCEL
    # The next batch reads fresh copies and goes on batching.
    again = batch.commit([Start(first.task_id, first.subtasks[1].id, NODE)])
    assert isinstance(again[0], Claim)


def test_a_stale_outcome_in_a_batch_is_rejected_alone(arbiter: ArbiterApp) -> None:
    tasks = upgrades(arbiter, 2)
    batch = BatchStore(arbiter)
    mine, lost = first_claims(batch, tasks)
    # Another node takes the second subtask over (attempt 2): the batch's own copy knows it.
    (taken,) = batch.commit([Start(lost.task_id, lost.subtask_id, OTHER, lost_executor=NODE)])
    assert isinstance(taken, Claim)
    assert taken.attempt == 2
    results = batch.commit([done(mine), done(lost)])
    assert isinstance(results[0], Claim)  # saved, and its next subtask claimed
    assert isinstance(results[1], StaleAttempt)
    kept, refused = (arbiter.get_task(t.task_id) for t in tasks)
    assert kept.subtasks[0].status is SubtaskStatus.SUCCESSFUL
    assert kept.subtasks[1].status is SubtaskStatus.RUNNING
    assert refused.subtasks[0].status is SubtaskStatus.RUNNING
    assert (refused.subtasks[0].attempt, refused.subtasks[0].executor) == (2, OTHER)


def test_a_claim_lost_to_another_node_is_none_and_saves_nothing(arbiter: ArbiterApp) -> None:
    (task,) = upgrades(arbiter, 1)
    batch = BatchStore(arbiter)
    (claim,) = first_claims(batch, [task])
    assert batch.commit([done(claim, chain=False)]) == [None]  # the copy: next one READY
    # Another node (its own batch) claims the next subtask; this batch's copy still shows READY.
    other = BatchStore(arbiter).commit([Start(task.task_id, task.subtasks[1].id, OTHER)])
    assert isinstance(other[0], Claim)
    head = arbiter.head_position()
    assert batch.commit([Start(task.task_id, task.subtasks[1].id, NODE)]) == [None]
    assert arbiter.head_position() == head
    assert arbiter.get_task(task.task_id).subtasks[1].executor == OTHER


async def test_requests_that_arrive_together_share_a_commit(arbiter: ArbiterApp) -> None:
    gate = StoreGate(2)
    try:
        tasks = await gate.call(upgrades, arbiter, 4)
        sizes = arbiter.metrics.engine_batch_size
        batcher = Batcher(BatchStore(arbiter), gate, window=0.05, sizes=sizes)
        starts = [Start(t.task_id, t.subtasks[0].id, NODE) for t in tasks]
        claims = await asyncio.gather(*(batcher.submit(s) for s in starts))
        assert all(isinstance(c, Claim) for c in claims)
        assert (batcher.commits, batcher.requests) == (1, 4)
        await batcher.close()
    finally:
        gate.close()
