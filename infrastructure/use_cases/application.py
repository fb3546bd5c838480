"""The arbiter application: one event store, one method per use case (get -> command -> save)."""

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, RecordConflictError

from domain.caller import Caller
from domain.client_token import ClientToken
from domain.errors import DomainError
from domain.ids import directory_uuid
from domain.inventory import Directory, Host, Package
from domain.service import ArbitrationService
from domain.task import Task
from infrastructure.ids import IdAllocator
from infrastructure.store import StoreConfig
from infrastructure.transcodings import SubtaskAsDict

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")

CONFLICT_RETRIES = 5


class StoreContention(DomainError):
    """A command kept losing optimistic-concurrency races; the caller may try again."""


class BaseApp(Application[UUID]):
    name = "arbiter"  # pinned: the store's identity must not follow a class rename
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
        self.ids = IdAllocator(store)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(SubtaskAsDict())

    # ---- helpers shared by the use cases ----------------------------------------------------

    def find(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        try:
            aggregate: object = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, kind) else None

    def directory(self, kind: str, caller: Caller) -> Directory:
        """The directory to add an entry to, opened (by the first registration) if need be."""
        found = self.find(directory_uuid(kind), Directory)
        return found or Directory.open(kind, caller)

    def listed(self, kind: str, aggregate_id: Callable[[str], UUID], cls: type[A]) -> list[A]:
        directory = self.find(directory_uuid(kind), Directory)
        entries = directory.entries if directory is not None else []
        found = (self.find(aggregate_id(entry), cls) for entry in entries)
        return [aggregate for aggregate in found if aggregate is not None]

    def retrying(self, command: Callable[[], R]) -> R:
        """Run a read-decide-save command again when another writer saved first."""
        for _ in range(CONFLICT_RETRIES):
            try:
                return command()
            except RecordConflictError:
                continue
        raise StoreContention("the store is busy with conflicting writes; try again")

    def head_position(self) -> int:
        return self.recorder.max_notification_id() or 0


ALL_AGGREGATES: tuple[type[Any], ...] = (
    Task,
    ArbitrationService,
    Host,
    Package,
    ClientToken,
    Directory,
)
