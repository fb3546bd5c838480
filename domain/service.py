"""The ArbitrationService aggregate: what runs where, at which version, and which task owns it."""

from typing import Any, cast

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.enums import ServiceStatus
from domain.errors import ServiceBusy
from domain.ids import service_uuid


class ArbitrationService(Aggregate):
    TOPIC = "arbiter:ArbitrationService"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:ArbitrationService.Event"
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
        status: str

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.status = ServiceStatus(self.status)

    class VersionChanged(Event):
        TOPIC = "arbiter:ServiceVersionChanged"
        software_version: str
        rpm_name: str

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.software_version = self.software_version
            aggregate.rpm_name = self.rpm_name

    class TaskBound(Event):
        TOPIC = "arbiter:ServiceTaskBound"
        task_id: int

        def apply(self, aggregate: "ArbitrationService") -> None:
            aggregate.active_task_id = self.task_id

    class TaskReleased(Event):
        TOPIC = "arbiter:ServiceTaskReleased"
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
        cls, *, actor: str, trace_id: str, status: ServiceStatus, **fields: Any
    ) -> "ArbitrationService":
        return cls._create(
            cls.Registered,
            id=service_uuid(fields["service_id"]),
            actor=actor,
            trace_id=trace_id,
            status=status.value,
            **fields,
        )

    def bind_task(self, task_id: int, actor: str, trace_id: str) -> None:
        if self.active_task_id is not None:
            raise ServiceBusy(self.service_id, self.active_task_id)
        self.trigger_event(self.TaskBound, task_id=task_id, actor=actor, trace_id=trace_id)

    def release_task(self, task_id: int, actor: str, trace_id: str) -> None:
        if self.active_task_id == task_id:
            self.trigger_event(self.TaskReleased, task_id=task_id, actor=actor, trace_id=trace_id)

    def change_status(self, status: ServiceStatus, actor: str, trace_id: str) -> None:
        if status is not self.status:
            self.trigger_event(
                self.StatusChanged, status=status.value, actor=actor, trace_id=trace_id
            )

    def change_version(self, version: str, rpm_name: str, actor: str, trace_id: str) -> None:
        if (version, rpm_name) != (self.software_version, self.rpm_name):
            self.trigger_event(
                self.VersionChanged,
                software_version=version,
                rpm_name=rpm_name,
                actor=actor,
                trace_id=trace_id,
            )
