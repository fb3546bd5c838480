"""Several tasks' transitions in one commit: the engine's claims and outcomes, batched.

A node sends every claim and every outcome through one Batcher. Requests that arrive while a
commit is in flight (or within `batch_seconds` of the first) are decided together and saved in
one `save()`, one transaction. Decisions are made on this node's own last saved copy of each
Task and ArbitrationService, without reading the store: if another writer changed one of them
since, the version check of the save refuses the whole commit, and every request of the batch is
then decided again alone on a fresh read, exactly as an unbatched claim or outcome is; so a
conflict never loses another task's transition. A "no" (claim lost, stale attempt) decided on a
copy is not trusted either: that task's requests are decided again alone, on a fresh read.

An outcome may also claim its task's next READY subtask in the same commit (`chain`): the slot
that ran one step runs the next, without a sweep in between.
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import RecordConflictError

from domain.errors import DomainError
from domain.ids import service_uuid, task_uuid
from domain.service import ArbitrationService
from domain.task import Task
from infrastructure.engine.claims import Claim, Outcome, claim_of
from infrastructure.engine.steps import ServiceEffect
from infrastructure.engine_use_cases import EngineUseCases, record_outcome, start

FRESH_COPIES = 2000  # aggregates this node remembers as it last saved them


@dataclass(frozen=True)
class Start:
    """Claim a READY subtask (or take one over from `lost_executor`)."""

    task_id: int
    subtask_id: int
    node_id: str
    lost_executor: str | None = None


@dataclass(frozen=True)
class Finish:
    """Save a run's outcome; with `chain_to`, also claim the task's next READY subtask for it."""

    claim: Claim
    outcome: Outcome
    log: list[str]
    effect: ServiceEffect | None
    chain_to: str | None = None  # the node id that runs the next subtask, or None


Request = Start | Finish
Result = Claim | None | BaseException  # the claim to run next, nothing, or the error to raise


class _Unsure(Exception):
    """A decision on a copy said no: decide it again on a fresh read."""


class BatchStore:
    """The synchronous side: decide a batch on remembered copies, save it in one commit."""

    def __init__(self, app: EngineUseCases) -> None:
        self.app = app
        self._fresh: OrderedDict[UUID, Any] = OrderedDict()  # only the flushing thread uses it
        self._agents: dict[int, str] = {}  # host id -> agent address (a host never moves)
        self.alone = 0  # requests decided again alone (a conflict, or a "no" on a copy)

    def commit(self, requests: list[Request]) -> list[Result]:
        results: list[Result] = [None] * len(requests)
        groups: dict[int, list[int]] = {}  # task id -> its requests' indexes, in order
        for index, request in enumerate(requests):
            groups.setdefault(_task_id(request), []).append(index)
        decided: dict[int, tuple[Task, ArbitrationService]] = {}
        alone: list[int] = []
        for task_id, indexes in groups.items():
            try:
                task, service = self._copies(task_id)
                for index in indexes:
                    results[index] = self._decide(task, service, requests[index])
                decided[task_id] = (task, service)
            except (_Unsure, DomainError):
                self._forget(task_id)  # the copies may hold half-applied events: drop them
                alone.extend(indexes)
        if decided:
            try:
                self.app.save(*(each for pair in decided.values() for each in pair))
            except RecordConflictError:
                for task_id in decided:
                    self._forget(task_id)
                    alone.extend(groups[task_id])
                decided = {}
        for task, service in decided.values():
            self._remember(task, service)
        self.alone += len(alone)
        for index in sorted(alone):
            results[index] = self._alone(requests[index])
        return results

    # ---- deciding on copies ---------------------------------------------------------------

    def _decide(self, task: Task, service: ArbitrationService, request: Request) -> Claim | None:
        if isinstance(request, Start):
            subtask = task.subtask(request.subtask_id)
            took_over = request.lost_executor is not None
            if took_over and subtask.executor != request.lost_executor:
                raise _Unsure
            return self._start(task, service, request.subtask_id, request.node_id, took_over)
        record_outcome(task, service, request.claim, request.outcome, request.log, request.effect)
        ready = task.ready_subtasks()
        if request.chain_to is None or not ready:
            return None
        return self._start(task, service, ready[0].id, request.chain_to, False)

    def _start(
        self, task: Task, service: ArbitrationService, sid: int, node_id: str, took_over: bool
    ) -> Claim | None:
        """The claim (raises TaskStateInvalid when the copy says it is not claimable)."""
        attempt = start(task, service, sid, node_id, took_over)
        if attempt is None:
            return None
        return claim_of(task, service, self._agent(service.host_id), sid, attempt)

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

    def _copies(self, task_id: int) -> tuple[Task, ArbitrationService]:
        task = self._take(task_uuid(task_id), Task)
        return task, self._take(service_uuid(task.service_id), ArbitrationService)

    def _take(self, aggregate_id: UUID, kind: type[Any]) -> Any:
        copy = self._fresh.pop(aggregate_id, None)
        if copy is None:
            copy = self.app.repository.get(aggregate_id)  # a fresh read (and a deep copy)
        if not isinstance(copy, kind):
            raise _Unsure
        return copy

    def _remember(self, task: Task, service: ArbitrationService) -> None:
        if task.is_finished:  # the engine is done with it
            return
        for aggregate in (task, service):
            self._fresh[aggregate.id] = aggregate
        while len(self._fresh) > FRESH_COPIES:
            self._fresh.popitem(last=False)

    def _forget(self, task_id: int) -> None:
        task = self._fresh.pop(task_uuid(task_id), None)
        if isinstance(task, Task):
            self._fresh.pop(service_uuid(task.service_id), None)

    def _agent(self, host_id: int) -> str:
        if host_id not in self._agents:
            self._agents[host_id] = self.app.get_host(host_id).agent_address
        return self._agents[host_id]


def _task_id(request: Request) -> int:
    return request.task_id if isinstance(request, Start) else request.claim.task_id
