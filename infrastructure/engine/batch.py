"""Several tasks' transitions in one commit: the engine's claims and outcomes, batched.

A node sends every claim and every outcome through one Batcher. Requests that arrive while a
commit is in flight (or within `batch_seconds` of the first) are decided together and saved in
one commit, one transaction. Each is decided by the same use case as an unbatched claim or
outcome (infrastructure/use_cases/engine_claims.py), on a Session over this node's own last
saved copy of each Task and ArbitrationService, without reading the store: if another writer
changed one of them since, the version check of the commit refuses it whole, and every request
of the batch is then decided again alone on a fresh read, exactly as an unbatched claim or
outcome is; so a conflict never loses another task's transition. A "no" (claim lost, stale
attempt) decided on a copy is not trusted either: that task's requests are decided again alone.

An outcome may also claim its task's next READY subtask in the same commit (`chain_to`): the
slot that ran one step runs the next, without a sweep in between.
"""

from collections import OrderedDict
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import RecordConflictError

from domain.errors import DomainError
from domain.ids import service_uuid, task_uuid
from domain.inventory import Host
from domain.task import Task
from infrastructure.use_cases import engine_claims
from infrastructure.use_cases.application import ArbiterApp
from infrastructure.use_cases.engine_claims import Claim, Finish, Start
from infrastructure.use_cases.session import A, Session

FRESH_COPIES = 2000  # aggregates this node remembers as it last saved them

Request = Start | Finish
Result = Claim | None | BaseException  # the claim to run next, nothing, or the error to raise


class BatchStore:
    """The synchronous side: decide a batch on remembered copies, save it in one commit."""

    def __init__(self, app: ArbiterApp) -> None:
        self.app = app
        self._fresh: OrderedDict[UUID, Aggregate] = OrderedDict()  # the flushing thread's only
        self._hosts: dict[UUID, Host] = {}  # a host never changes
        self.alone = 0  # requests decided again alone (a conflict, or a "no" on a copy)

    def commit(self, requests: list[Request]) -> list[Result]:
        results: list[Result] = [None] * len(requests)
        groups: dict[int, list[int]] = {}  # task id -> its requests' indexes, in order
        for index, request in enumerate(requests):
            groups.setdefault(_task_id(request), []).append(index)
        decided: dict[int, Copies] = {}
        alone: list[int] = []
        for task_id, indexes in groups.items():
            copies = Copies(self)
            try:
                for index in indexes:
                    results[index] = _decide(copies, requests[index])
                decided[task_id] = copies
            except (_Unsure, DomainError):
                self._forget(task_id)  # the copies may hold half-applied events: drop them
                alone.extend(indexes)
        if decided:
            try:
                self.app.commit(*(a for copies in decided.values() for a in copies.saved.values()))
            except RecordConflictError:
                for task_id in decided:
                    self._forget(task_id)
                    alone.extend(groups[task_id])
                decided = {}
        for copies in decided.values():
            self._remember(list(copies.saved.values()))
        self.alone += len(alone)
        for index in sorted(alone):
            results[index] = self._alone(requests[index])
        return results

    def _alone(self, request: Request) -> Result:
        """One request on a fresh read, exactly as without batching (no chained claim)."""
        try:
            if isinstance(request, Start):
                return self.app.claim_subtask(
                    request.task_id, request.subtask_id, request.node_id, request.lost_executor
                )
            self.app.finish_subtask(request.claim, request.outcome, request.log, request.effect)
            return None
        except Exception as error:  # StaleAttempt and store errors go to that request alone
            return error

    # ---- the remembered copies ------------------------------------------------------------

    def take(self, aggregate_id: UUID) -> Aggregate:
        """This node's copy as it last saved it, else a fresh read; a taken copy is this
        batch's until the commit (a failed decision must not leave it half-applied)."""
        copy = self._fresh.pop(aggregate_id, None)
        if copy is None:
            copy = self.app.repository.get(aggregate_id)  # a fresh read (and a deep copy)
        return copy

    def host(self, aggregate_id: UUID) -> Host:
        if aggregate_id not in self._hosts:
            host: object = self.app.repository.get(aggregate_id)
            assert isinstance(host, Host)
            self._hosts[aggregate_id] = host
        return self._hosts[aggregate_id]

    def _remember(self, saved: list[Aggregate]) -> None:
        if any(isinstance(a, Task) and a.is_finished for a in saved):  # the engine is done
            return
        for aggregate in saved:
            self._fresh[aggregate.id] = aggregate
        while len(self._fresh) > FRESH_COPIES:
            self._fresh.popitem(last=False)

    def _forget(self, task_id: int) -> None:
        task = self._fresh.pop(task_uuid(task_id), None)
        if isinstance(task, Task):
            self._fresh.pop(service_uuid(task.service_id), None)


class Copies(Session):
    """One task's requests of a batch: decided on the batch's copies, saved by its commit."""

    def __init__(self, store: BatchStore) -> None:
        self._store = store
        self.node_address = store.app.node_address
        self._taken: dict[UUID, Aggregate] = {}
        self.saved: dict[UUID, Aggregate] = {}

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        if kind is Host:
            found: Aggregate = self._store.host(aggregate_id)
        else:
            if aggregate_id not in self._taken:
                self._taken[aggregate_id] = self._store.take(aggregate_id)
            found = self._taken[aggregate_id]
        if not isinstance(found, kind):
            raise _Unsure
        return found

    def save(self, *aggregates: Aggregate | None) -> None:
        for aggregate in aggregates:
            if aggregate is not None:
                self.saved[aggregate.id] = aggregate

    def new_ids(self, count: int) -> list[int]:
        return self._store.app.ids.allocate(count)


class _Unsure(Exception):
    """A copy is not what the decision expects: decide it again on a fresh read."""


def _decide(copies: Copies, request: Request) -> Claim | None:
    if isinstance(request, Start):
        return engine_claims.claim(copies, request)
    return engine_claims.finish(copies, request)


def _task_id(request: Request) -> int:
    return request.task_id if isinstance(request, Start) else request.claim.task_id
