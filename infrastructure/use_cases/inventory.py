"""Hosts, software packages and arbitration services: registering them, and listing them.

Lists are read from Directory aggregates (one per kind, saved with every registration), so
they never scan the event store and never miss a registration.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.caller import Caller
from domain.enums import ServiceStatus
from domain.errors import AlreadyExists
from domain.ids import host_uuid, package_uuid, service_uuid
from domain.inventory import Directory, Host, Package, check_architecture
from domain.rpm import RpmName
from domain.service import ArbitrationService
from infrastructure.use_cases.session import Session

A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class ServiceSpec:
    """An arbitration service to register (it runs already) or to create (install and start)."""

    name: str
    host_id: int
    svr_port: int
    install_path: str
    run_path: str
    run_user: str
    rpm_name: str


def register_host(
    session: Session, ip_address: str, architecture: str, agent_address: str, caller: Caller
) -> Host:
    check_architecture(architecture)
    hosts = _directory(session, "hosts", caller)
    if any(h.ip_address == ip_address for h in list_hosts(session)):
        raise AlreadyExists(f"a host with address {ip_address} is already registered")
    (host_id,) = session.new_ids(1)
    host = Host.register(host_id, ip_address, architecture, agent_address, caller)
    hosts.add(host_id, caller)
    session.save(host, hosts)
    return host


def register_package(session: Session, rpm_name: str, caller: Caller) -> Package:
    rpm = RpmName.parse(rpm_name)
    if session.package(rpm.name) is not None:
        raise AlreadyExists(f"package {rpm.name} is already registered")
    packages = _directory(session, "packages", caller)
    (package_id,) = session.new_ids(1)
    package = Package.register(package_id, rpm, caller)
    packages.add(rpm.name, caller)
    session.save(package, packages)
    return package


def register_service(session: Session, spec: ServiceSpec, caller: Caller) -> ArbitrationService:
    """Record an arbitration service that already runs on a host, so arbiter can manage it."""
    host, rpm = placement(session, spec)
    service, directories = new_service(session, spec, host, rpm, ServiceStatus.RUNNING, caller)
    session.save(service, *directories)
    return service


def placement(session: Session, spec: ServiceSpec) -> tuple[Host, RpmName]:
    """The spec's host and rpm, provided the rpm runs on that host."""
    rpm = RpmName.parse(spec.rpm_name)
    host = session.host(spec.host_id)
    host.check_runs(rpm)
    return host, rpm


def new_service(
    session: Session,
    spec: ServiceSpec,
    host: Host,
    rpm: RpmName,
    status: ServiceStatus,
    caller: Caller,
) -> tuple[ArbitrationService, list[Directory]]:
    """A new service record on a free port, with the directory entries to save beside it."""
    services = _directory(session, "services", caller)
    ports = _ports_of(session, spec.host_id, caller)
    for entry in ports.entries:
        port, other = entry.split(":")
        if int(port) == spec.svr_port and not _deleted(session, int(other)):
            raise AlreadyExists(
                f"host {host.ip_address} already runs arbitration service "
                f"{other} on port {spec.svr_port}"
            )
    (service_id,) = session.new_ids(1)
    service = ArbitrationService.register(
        caller=caller,
        status=status,
        service_id=service_id,
        name=spec.name,
        host_id=spec.host_id,
        svr_ip=host.ip_address,
        svr_port=spec.svr_port,
        install_path=spec.install_path,
        run_path=spec.run_path,
        run_user=spec.run_user,
        software_version=str(rpm.version),
        rpm_name=rpm.name,
    )
    services.add(service_id, caller)
    ports.add(f"{spec.svr_port}:{service_id}", caller)
    return service, [services, ports]


def list_hosts(session: Session) -> list[Host]:
    return _listed(session, "hosts", lambda key: host_uuid(int(key)), Host)


def list_packages(session: Session) -> list[Package]:
    packages = _listed(session, "packages", package_uuid, Package)
    return sorted(packages, key=lambda p: (p.rpm.version, p.rpm_name))


def list_services(session: Session) -> list[ArbitrationService]:
    return _listed(session, "services", lambda key: service_uuid(int(key)), ArbitrationService)


def _directory(session: Session, kind: str, caller: Caller) -> Directory:
    """The directory to add an entry to, opened (by the first registration) if need be."""
    return session.directory(kind) or Directory.open(kind, caller)


def _listed(
    session: Session, kind: str, aggregate_id: Callable[[str], UUID], cls: type[A]
) -> list[A]:
    directory = session.directory(kind)
    entries = directory.entries if directory is not None else []
    found = (session.find(aggregate_id(entry), cls) for entry in entries)
    return [aggregate for aggregate in found if aggregate is not None]


def _deleted(session: Session, service_id: int) -> bool:
    service = session.find(service_uuid(service_id), ArbitrationService)
    return service is not None and service.status is ServiceStatus.DELETED


def _ports_of(session: Session, host_id: int, caller: Caller) -> Directory:
    """The ports registered on one host ("port:serviceId"): checking a new registration
    against it reads one aggregate, not every service (which made registering N services
    cost N^2 reads). A store from before it existed gets it filled from the services."""
    kind = f"host-{host_id}-ports"
    found = session.directory(kind)
    if found is not None:
        return found
    ports = Directory.open(kind, caller)
    for other in list_services(session):
        if other.host_id == host_id:
            ports.add(f"{other.svr_port}:{other.service_id}", caller)
    return ports
