"""The use cases on a Session of plain dicts: no store, no threads, milliseconds per test.

What a Session gives a use case (domain reads, one save per decision, new ids) is all it gets, so
the same functions run on the event store (StoreSession) and on the engine's batch copies.
"""

import itertools
from uuid import UUID

import pytest
from eventsourcing.domain import Aggregate

from domain.caller import Caller
from domain.enums import ServiceStatus, SubtaskStatus
from domain.errors import ClientTokenConflict, TaskStateInvalid
from domain.runs import Outcome
from infrastructure.use_cases import engine_claims, inventory, service_operations, task_steering
from infrastructure.use_cases.engine_claims import Finish, Start
from infrastructure.use_cases.inventory import ServiceSpec
from infrastructure.use_cases.session import A, Session
from tests.logs import lines

WHO = Caller("dba", "0123456789abcdef")
OLD = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"


class DictSession(Session):
    """The aggregates as last saved, each save counted."""

    def __init__(self) -> None:
        self.node_address = "10.0.0.1"
        self.saved: dict[UUID, Aggregate] = {}
        self.saves = 0
        self._ids = itertools.count(1000)

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        found = self.saved.get(aggregate_id)
        return found if isinstance(found, kind) else None

    def save(self, *aggregates: Aggregate | None) -> None:
        self.saves += 1
        for aggregate in aggregates:
            if aggregate is not None:
                aggregate.collect_events()
                self.saved[aggregate.id] = aggregate

    def new_ids(self, count: int) -> list[int]:
        return [next(self._ids) for _ in range(count)]


@pytest.fixture
def session() -> DictSession:
    return DictSession()


def a_service(session: DictSession) -> int:
    for rpm in (OLD, NEW):
        inventory.register_package(session, rpm, WHO)
    host = inventory.register_host(session, "10.0.0.9", "x86_64", "http://agent", WHO)
    spec = ServiceSpec("arb", host.host_id, 2882, "/i", "/r", "admin", OLD)
    return inventory.register_service(session, spec, WHO).service_id


def test_an_upgrade_binds_its_task_and_a_replayed_token_saves_nothing(
    session: DictSession,
) -> None:
    service_id = a_service(session)
    task = service_operations.upgrade(session, service_id, NEW, "token-one", WHO)
    assert session.service(service_id).active_task_id == task.task_id
    saves = session.saves

    again = service_operations.upgrade(session, service_id, NEW, "token-one", WHO)

    assert (again.task_id, session.saves) == (task.task_id, saves)
    with pytest.raises(ClientTokenConflict):
        service_operations.upgrade(session, service_id, OLD, "token-one", WHO)


def test_a_refused_steering_saves_nothing(session: DictSession) -> None:
    task = service_operations.upgrade(session, a_service(session), NEW, None, WHO)
    saves = session.saves
    with pytest.raises(TaskStateInvalid):
        task_steering.retry_task(session, task.task_id, WHO)
    assert session.saves == saves


def test_a_claim_and_its_outcome_chain_the_next_claim(session: DictSession) -> None:
    service_id = a_service(session)
    task = service_operations.upgrade(session, service_id, NEW, None, WHO)
    first, second = (s.id for s in task.subtasks[:2])

    claim = engine_claims.claim(session, Start(task.task_id, first, "node-a"))
    assert claim is not None
    assert claim.agent_address == "http://agent"
    assert session.service(service_id).status is ServiceStatus.UPGRADING
    done = Finish(claim, Outcome.SUCCEEDED, lines("ok"), None, chain_to="node-a")
    chained = engine_claims.finish(session, done)

    assert chained is not None
    assert (chained.subtask_id, chained.attempt) == (second, 1)
    statuses = [s.status for s in session.task(task.task_id).subtasks[:2]]
    assert statuses == [SubtaskStatus.SUCCESSFUL, SubtaskStatus.RUNNING]
