"""ArbiterApp: every use case of arbiter over one event store, one method each.

The use cases live in their areas' modules: inventory, service_operations, task_steering,
engine_claims and queries. A method here runs its use case on a fresh StoreSession and saves
through `commit`, again when another writer saved first; it adds nothing of its own. The engine
subscribes to the commits (`subscribe`) to wake up at once after this node's saves.
"""

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError

from domain.caller import Caller
from domain.client_token import ClientToken
from domain.enums import SubtaskStatus
from domain.errors import TaskStateInvalid
from domain.inventory import Directory, Host, Package
from domain.runs import Outcome, ServiceEffect
from domain.service import ArbitrationService
from domain.service_lifecycle import ServiceOperation
from domain.step_log import LogLine, LogRun
from domain.task import Task, ended
from infrastructure.metrics import Metrics
from infrastructure.persistence.engine_tables import EngineTables
from infrastructure.persistence.ids import IdAllocator
from infrastructure.persistence.sql import SQL
from infrastructure.persistence.store import StoreConfig
from infrastructure.persistence.transcodings import SubtaskAsDict
from infrastructure.projections.db import ViewDB
from infrastructure.projections.queries import Page
from infrastructure.projections.runner import Projections
from infrastructure.use_cases import (
    engine_claims,
    inventory,
    queries,
    service_operations,
    task_steering,
)
from infrastructure.use_cases.engine_claims import Claim, Finish, Start, Work
from infrastructure.use_cases.inventory import ServiceSpec
from infrastructure.use_cases.queries import AuditFilter, Paged
from infrastructure.use_cases.session import Session, StoreContention, StoreSession

P = ParamSpec("P")
R = TypeVar("R")

CONFLICT_RETRIES = 5
ALL_AGGREGATES: tuple[type[Any], ...] = (
    Task,
    ArbitrationService,
    Host,
    Package,
    ClientToken,
    Directory,
)


class ArbiterApp(Application[UUID]):
    # Pinned: eventsourcing names a PostgreSQL store's tables after it (arbiterapp_events, ...),
    # so stores made by earlier releases are read only under this name, whatever the class is
    # called.
    name = "ArbiterApp"
    snapshotting_intervals: ClassVar[dict[Any, int]] = {
        Task: 50,
        ArbitrationService: 50,
        Directory: 200,
    }

    def __init__(self, store: StoreConfig, node_address: str) -> None:
        env = {**store.env, "AGGREGATE_CACHE_MAXSIZE": "2000"}
        super().__init__(env=env)
        self.store = store
        self.node_address = node_address
        self.metrics = Metrics()
        # Our plain tables borrow the event store's pooled connections (PostgreSQL).
        sql = SQL(store, getattr(self.recorder, "datastore", None))
        self.ids = IdAllocator(sql)
        self.engine_tables = EngineTables(sql)
        self._listeners: list[Callable[[], None]] = []
        self._projections: Projections | None = None
        self._projections_lock = threading.Lock()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SubtaskAsDict())

    # ---- deciding and saving --------------------------------------------------------------

    def session(self) -> StoreSession:
        return StoreSession(self.repository, self.commit, self.ids, self.node_address)

    def decide(
        self, use_case: Callable[Concatenate[Session, P], R], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Run one use case on fresh copies; again, on fresh copies, when another writer saved
        first (the store refused the save: nothing of it was saved)."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return use_case(self.session(), *args, **kwargs)
            except RecordConflictError:
                continue
        raise StoreContention("the store is busy with conflicting writes; try again")

    def commit(self, *aggregates: Aggregate | None) -> None:
        """Save what one or more decisions changed, in one transaction; then count the tasks it
        created and ended, and tell every subscriber."""
        tasks = [(a.template, list(a.pending_events)) for a in aggregates if isinstance(a, Task)]
        self.save(*aggregates)
        for template, events in tasks:
            for event in events:
                status = ended(event)
                if isinstance(event, Task.Created):
                    self.metrics.tasks_created.labels(template).inc()
                elif status is not None:
                    self.metrics.tasks_finished.labels(template, status).inc()
        for listener in self._listeners:
            listener()

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` after every commit, in the committing thread (so it must be cheap
        and thread-safe); returns what ends the subscription."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0

    # ---- inventory ------------------------------------------------------------------------

    def register_host(
        self, ip_address: str, architecture: str, agent_address: str, caller: Caller
    ) -> Host:
        return self.decide(inventory.register_host, ip_address, architecture, agent_address, caller)

    def register_package(self, rpm_name: str, caller: Caller) -> Package:
        return self.decide(inventory.register_package, rpm_name, caller)

    def register_service(self, spec: ServiceSpec, caller: Caller) -> ArbitrationService:
        return self.decide(inventory.register_service, spec, caller)

    def get_host(self, host_id: int) -> Host:
        return self.session().host(host_id)

    def get_service(self, service_id: int) -> ArbitrationService:
        return self.session().service(service_id)

    def find_package(self, rpm_name: str) -> Package | None:
        return self.session().package(rpm_name)

    def list_hosts(self) -> list[Host]:
        return inventory.list_hosts(self.session())

    def list_packages(self) -> list[Package]:
        return inventory.list_packages(self.session())

    def list_services(self) -> list[ArbitrationService]:
        return inventory.list_services(self.session())

    # ---- service operations ---------------------------------------------------------------

    def upgrade(
        self, service_id: int, rpm_name: str, client_token: str | None, caller: Caller
    ) -> Task:
        return self.decide(service_operations.upgrade, service_id, rpm_name, client_token, caller)

    def upgrade_candidates(self, service_id: int) -> list[Package]:
        return service_operations.candidates(self.session(), service_id)

    def create_service(self, spec: ServiceSpec, caller: Caller) -> tuple[ArbitrationService, Task]:
        return self.decide(service_operations.create_service, spec, caller)

    def start_service(self, service_id: int, caller: Caller) -> Task:
        return self.decide(service_operations.operate, ServiceOperation.START, service_id, caller)

    def stop_service(self, service_id: int, caller: Caller) -> Task:
        return self.decide(service_operations.operate, ServiceOperation.STOP, service_id, caller)

    def restart_service(self, service_id: int, caller: Caller) -> Task:
        return self.decide(service_operations.operate, ServiceOperation.RESTART, service_id, caller)

    def delete_service(self, service_id: int, caller: Caller) -> Task:
        return self.decide(service_operations.operate, ServiceOperation.DELETE, service_id, caller)

    # ---- task steering --------------------------------------------------------------------

    def retry_task(self, task_id: int, caller: Caller) -> Task:
        return self.decide(task_steering.retry_task, task_id, caller)

    def rollback_task(self, task_id: int, caller: Caller) -> Task:
        return self.decide(task_steering.rollback_task, task_id, caller)

    def retry_subtask(self, task_id: int, subtask_id: int, caller: Caller) -> Task:
        return self.decide(task_steering.retry_subtask, task_id, subtask_id, caller)

    def skip_subtask(self, task_id: int, subtask_id: int, caller: Caller) -> Task:
        return self.decide(task_steering.skip_subtask, task_id, subtask_id, caller)

    def cancel_subtask(self, task_id: int, subtask_id: int, caller: Caller) -> Task:
        return self.decide(task_steering.cancel_subtask, task_id, subtask_id, caller)

    # ---- engine claims and outcomes -------------------------------------------------------

    def feed_queue(self, limit: int = 500) -> int:
        return engine_claims.feed_queue(self.recorder, self.engine_tables, limit)

    def queued_tasks(self) -> dict[UUID, int]:
        return self.engine_tables.queued()

    def forget_task(self, task_uuid: UUID, version: int) -> None:
        self.engine_tables.dequeue(task_uuid, version)

    def work_of(self, task_uuid: UUID, live_nodes: set[str]) -> Work | None:
        return engine_claims.work_of(self.session(), task_uuid, live_nodes)

    def claim_subtask(
        self, task_id: int, subtask_id: int, node_id: str, lost_executor: str | None = None
    ) -> Claim | None:
        """The claim; None when another claimant won or the subtask is not this node's to
        claim any more. With `lost_executor`, take it over from that executor, and only it."""
        start = Start(task_id, subtask_id, node_id, lost_executor)
        try:
            return engine_claims.claim(self.session(), start)
        except (TaskStateInvalid, RecordConflictError):
            return None

    def finish_subtask(
        self, claim: Claim, outcome: Outcome, log: list[LogLine], effect: ServiceEffect | None
    ) -> None:
        """Save a run's outcome and its effect; StaleAttempt if the run was taken over."""
        self.decide(engine_claims.finish, Finish(claim, outcome, log, effect))

    def release_service(self, claim: Claim, effect: ServiceEffect) -> None:
        self.decide(engine_claims.release_service, claim, effect)

    def subtask_state(self, task_id: int, subtask_id: int) -> tuple[SubtaskStatus, int]:
        return engine_claims.subtask_state(self.session(), task_id, subtask_id)

    # ---- queries --------------------------------------------------------------------------

    @property
    def projections(self) -> Projections:
        with self._projections_lock:
            if self._projections is None:
                self._projections = Projections(self, ViewDB(self.store))
            return self._projections

    def fresh_projections(self) -> Projections:
        """The views, caught up with every write made before this call (bounded wait)."""
        projections = self.projections
        projections.catch_up()
        return projections

    def get_task(self, task_id: int) -> Task:
        return self.session().task(task_id)

    def task_as_of(self, task_id: int, point: int | datetime) -> Task:
        return queries.task_as_of(self, self.get_task(task_id), point)

    def subtask_log(self, task_id: int, subtask_id: int) -> list[LogRun]:
        return queries.subtask_log(self, task_id, subtask_id)

    def audit_events(self, where: AuditFilter, paged: Paged) -> Page:
        return queries.audit_events(self.fresh_projections(), where, paged)

    def event_nodes(self, task_id: int) -> dict[int, str | None]:
        return queries.event_nodes(self, task_id)

    def task_events(self, task_id: int) -> Page:
        self.get_task(task_id)  # a 20000 for a task that does not exist
        return self.audit_events(AuditFilter(task_id=task_id), Paged(1, None))

    def task_list(self, name: str, statuses: list[str], host_id: int | None, paged: Paged) -> Page:
        return queries.task_list(self.fresh_projections(), name, statuses, host_id, paged)

    def service_list(
        self, keyword: str, statuses: list[str], host_id: int | None, paged: Paged
    ) -> Page:
        return queries.service_list(self.fresh_projections(), keyword, statuses, host_id, paged)

    def close(self) -> None:
        if self._projections is not None:
            self._projections.db.close()
        super().close()
