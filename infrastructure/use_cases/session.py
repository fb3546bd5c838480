"""The one seam between deciding and the store.

A use case reads the aggregates it needs through a Session, decides with domain commands, and
hands what changed back to `save`. `StoreSession` reads fresh copies from the event store and
saves at once, in one transaction; the engine's batch (infrastructure/engine/batch.py) is a
Session on the copies it remembers, and saves many decisions in one commit. A use case cannot
tell them apart, so the same function decides alone or in a batch.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate

from domain.errors import DomainError, NotFound, TaskNotFound
from domain.ids import directory_uuid, host_uuid, package_uuid, service_uuid, task_uuid
from domain.inventory import Directory, Host, Package
from domain.service import ArbitrationService
from domain.task import Task
from infrastructure.persistence.ids import IdAllocator

A = TypeVar("A", bound=Aggregate)


class StoreContention(DomainError):
    """A command kept losing optimistic-concurrency races; the caller may try again."""


class Session(ABC):
    """What one decision reads and saves, on the node that makes it."""

    node_address: str  # the deciding node: new tasks record it as their executor

    @abstractmethod
    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate, or None when there is none of that kind under that id."""

    @abstractmethod
    def save(self, *aggregates: Aggregate | None) -> None:
        """What the decision changed (None: nothing), in one transaction."""

    @abstractmethod
    def new_ids(self, count: int) -> list[int]:
        """Long ids that no node of the store has handed out."""

    def task(self, task_id: int) -> Task:
        task = self.find(task_uuid(task_id), Task)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    def service(self, service_id: int) -> ArbitrationService:
        service = self.find(service_uuid(service_id), ArbitrationService)
        if service is None:
            raise NotFound("arbitration service", service_id)
        return service

    def host(self, host_id: int) -> Host:
        host = self.find(host_uuid(host_id), Host)
        if host is None:
            raise NotFound("host", host_id)
        return host

    def package(self, rpm_name: str) -> Package | None:
        return self.find(package_uuid(rpm_name), Package)

    def directory(self, kind: str) -> Directory | None:
        return self.find(directory_uuid(kind), Directory)


class StoreSession(Session):
    """Fresh copies from the event store; `save` commits at once."""

    def __init__(
        self,
        repository: Repository[UUID],
        commit: Callable[..., None],
        ids: IdAllocator,
        node_address: str,
    ) -> None:
        self._repository = repository
        self._commit = commit
        self._ids = ids
        self.node_address = node_address

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            aggregate: object = self._repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def save(self, *aggregates: Aggregate | None) -> None:
        self._commit(*aggregates)

    def new_ids(self, count: int) -> list[int]:
        return self._ids.allocate(count)
