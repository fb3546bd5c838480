"""Hosts, software packages, and the directories that list each kind of entity."""

from eventsourcing.domain import Aggregate
from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.caller import Caller
from domain.errors import FieldError, IllegalArgument
from domain.ids import directory_uuid, host_uuid, package_uuid
from domain.rpm import RpmName

ARCHITECTURES = ("x86_64", "aarch64")


def check_architecture(architecture: str) -> None:
    if architecture not in ARCHITECTURES:
        message = f"architecture must be one of {', '.join(ARCHITECTURES)}"
        raise IllegalArgument(message, [FieldError("architecture", architecture, message)])


def rpm_rejected(rpm: RpmName, message: str) -> IllegalArgument:
    return IllegalArgument(message, [FieldError("rpmName", rpm.name, message)])


def check_registered(rpm: RpmName, package: "Package | None") -> None:
    """Only an rpm of the software package registry may be installed."""
    if package is None:
        raise rpm_rejected(rpm, f"rpm {rpm.name} is not in the software package registry")


class Host(Aggregate):
    TOPIC = "arbiter:Host"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:Host.Event"
        actor: str
        trace_id: str

    class Snapshot(BaseSnapshot):
        TOPIC = "arbiter:Host.Snapshot"

    class Registered(Event, Aggregate.Created):
        TOPIC = "arbiter:HostRegistered"
        host_id: int
        ip_address: str
        architecture: str
        agent_address: str

        def apply(self, aggregate: "Host") -> None:
            aggregate.host_id = self.host_id
            aggregate.ip_address = self.ip_address
            aggregate.architecture = self.architecture
            aggregate.agent_address = self.agent_address

    host_id: int
    ip_address: str
    architecture: str
    agent_address: str

    def __init__(self) -> None:
        """State is set by `Registered.apply`."""

    def rpm_refusal(self, rpm: RpmName) -> str | None:
        """Why `rpm` cannot run on this host (it is built for another architecture), or None."""
        if rpm.architecture == self.architecture:
            return None
        return (
            f"rpm {rpm.name} is built for {rpm.architecture} but host {self.ip_address} "
            f"is {self.architecture}"
        )

    def check_runs(self, rpm: RpmName) -> None:
        refusal = self.rpm_refusal(rpm)
        if refusal is not None:
            raise rpm_rejected(rpm, refusal)

    @classmethod
    def register(
        cls,
        host_id: int,
        ip_address: str,
        architecture: str,
        agent_address: str,
        caller: Caller,
    ) -> "Host":
        return cls._create(
            cls.Registered,
            id=host_uuid(host_id),
            host_id=host_id,
            ip_address=ip_address,
            architecture=architecture,
            agent_address=agent_address,
            actor=caller.actor,
            trace_id=caller.trace_id,
        )


class Package(Aggregate):
    """An rpm that may be installed: its identity is its name."""

    TOPIC = "arbiter:Package"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:Package.Event"
        actor: str
        trace_id: str

    class Snapshot(BaseSnapshot):
        TOPIC = "arbiter:Package.Snapshot"

    class Registered(Event, Aggregate.Created):
        TOPIC = "arbiter:PackageRegistered"
        package_id: int
        rpm_name: str

        def apply(self, aggregate: "Package") -> None:
            aggregate.package_id = self.package_id
            aggregate.rpm_name = self.rpm_name

    package_id: int
    rpm_name: str

    def __init__(self) -> None:
        """State is set by `Registered.apply`."""

    @property
    def rpm(self) -> RpmName:
        return RpmName.parse(self.rpm_name)

    @classmethod
    def register(cls, package_id: int, rpm: RpmName, caller: Caller) -> "Package":
        return cls._create(
            cls.Registered,
            id=package_uuid(rpm.name),
            package_id=package_id,
            rpm_name=rpm.name,
            actor=caller.actor,
            trace_id=caller.trace_id,
        )


class Directory(Aggregate):
    """The keys of every entity of one kind (ids, or names for packages), in registration order.

    Registering an entity saves it with its directory entry in one transaction, so a list
    read never scans the event store and never misses a registration.
    """

    TOPIC = "arbiter:Directory"

    class Event(Aggregate.Event):
        TOPIC = "arbiter:Directory.Event"
        actor: str
        trace_id: str

    class Snapshot(BaseSnapshot):
        TOPIC = "arbiter:Directory.Snapshot"

    class Opened(Event, Aggregate.Created):
        TOPIC = "arbiter:DirectoryOpened"
        kind: str

        def apply(self, aggregate: "Directory") -> None:
            aggregate.kind = self.kind
            aggregate.entries = []

    class EntryAdded(Event):
        TOPIC = "arbiter:DirectoryEntryAdded"
        key: str

        def apply(self, aggregate: "Directory") -> None:
            aggregate.entries.append(self.key)

    kind: str
    entries: list[str]

    def __init__(self) -> None:
        """State is set by `Opened.apply`."""

    @classmethod
    def open(cls, kind: str, caller: Caller) -> "Directory":
        return cls._create(
            cls.Opened,
            id=directory_uuid(kind),
            kind=kind,
            actor=caller.actor,
            trace_id=caller.trace_id,
        )

    def add(self, key: object, caller: Caller) -> None:
        self.trigger_event(
            self.EntryAdded, key=str(key), actor=caller.actor, trace_id=caller.trace_id
        )
