"""The ArbitrationService aggregate: what runs where, at which version, and which task owns it."""

from typing import Any, ClassVar, cast

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.caller import Caller
from domain.enums import ServiceStatus
from domain.errors import ServiceBusy
from domain.ids import service_uuid


class ArbitrationService(Aggregate):
    TOPIC = "arbiter:ArbitrationService"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:ArbitrationService.Event"
        VERB: ClassVar[str]  # what the audit log says the actor did
        actor: str
        trace_id: str

    class Snapshot(BaseSnapshot):
        TOPIC = "arbiter:ArbitrationService.Snapshot"

        def mutate(self, _: None) -> "ArbitrationService":
            # JSON brings enums back as plain strings: give them their type again.
            service = cast(ArbitrationService, super().mutate(None))
            service.status = ServiceStatus(service.status)
            return service

    class Registered(Event, Aggregate.Created):
        TOPIC = "arbiter:ServiceRegistered"
        VERB = "registered arbitration service"
        service_id: int
        name: str
        host_id: int
        svr_ip: str
        svr_port: int
        install_path: str
        run_path: str
        run_user: str
        software_version: str
        rpm_name: str
        status: str

        def apply(self, aggregate: "ArbitrationService") -> None:
            for key in ArbitrationService.FIELDS:
                setattr(aggregate, key, getattr(self, key))
            aggregate.status = ServiceStatus(self.status)
            aggregate.active_task_id = None

    class StatusChanged(Event):
        TOPIC = "arbiter:ServiceStatusChanged"
        VERB = "changed the status of arbitration service"
        status: str

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.status = ServiceStatus(self.status)

    class VersionChanged(Event):
        TOPIC = "arbiter:ServiceVersionChanged"
        VERB = "changed the version of arbitration service"
        software_version: str
        rpm_name: str

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.software_version = self.software_version
            aggregate.rpm_name = self.rpm_name

    class TaskBound(Event):
        TOPIC = "arbiter:ServiceTaskBound"
        VERB = "bound a task to arbitration service"
        task_id: int

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.active_task_id = self.task_id

    class TaskReleased(Event):
        TOPIC = "arbiter:ServiceTaskReleased"
        VERB = "released the task of arbitration service"
        task_id: int

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.active_task_id = None

    FIELDS = (
        "service_id",
        "name",
        "host_id",
        "svr_ip",
        "svr_port",
        "install_path",
        "run_path",
        "run_user",
        "software_version",
        "rpm_name",
    )
    service_id: int
    name: str
    host_id: int
    svr_ip: str
    svr_port: int
    install_path: str
    run_path: str
    run_user: str
    software_version: str  # `version` is the aggregate's own event count
    rpm_name: str
    status: ServiceStatus
    active_task_id: int | None

    def __init__(self) -> None:
        """State is set by `Registered.apply`."""

    @classmethod
    def register(
        cls, *, caller: Caller, status: ServiceStatus, **fields: Any
    ) -> "ArbitrationService":
        return cls._create(
            cls.Registered,
            id=service_uuid(fields["service_id"]),
            actor=caller.actor,
            trace_id=caller.trace_id,
            status=status.value,
            **fields,
        )

    def bind_task(self, task_id: int, caller: Caller) -> None:
        if self.active_task_id is not None:
            raise ServiceBusy(self.service_id, self.active_task_id)
        self._record(self.TaskBound, caller, task_id=task_id)

    def release_task(self, task_id: int, caller: Caller) -> None:
        if self.active_task_id == task_id:
            self._record(self.TaskReleased, caller, task_id=task_id)

    def change_status(self, status: ServiceStatus, caller: Caller) -> None:
        if status is not self.status:
            self._record(self.StatusChanged, caller, status=status.value)

    def change_version(self, version: str, rpm_name: str, caller: Caller) -> None:
        if (version, rpm_name) != (self.software_version, self.rpm_name):
            self._record(self.VersionChanged, caller, software_version=version, rpm_name=rpm_name)

    def _record(
        self, event_class: type["ArbitrationService.Event"], caller: Caller, **fields: Any
    ) -> None:
        self.trigger_event(event_class, actor=caller.actor, trace_id=caller.trace_id, **fields)
