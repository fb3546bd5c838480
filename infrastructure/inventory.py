"""Use cases for hosts, software packages and arbitration services."""

from dataclasses import dataclass

from domain.caller import Caller
from domain.enums import ServiceStatus
from domain.errors import AlreadyExists, FieldError, IllegalArgument, NotFound
from domain.ids import directory_uuid, host_uuid, package_uuid, service_uuid
from domain.inventory import Directory, Host, Package
from domain.rpm import RpmName
from domain.service import ArbitrationService
from infrastructure.application import BaseApp

ARCHITECTURES = ("x86_64", "aarch64")


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    host_id: int
    svr_port: int
    install_path: str
    run_path: str
    run_user: str
    rpm_name: str


class InventoryUseCases(BaseApp):
    def register_host(
        self, ip_address: str, architecture: str, agent_address: str, caller: Caller
    ) -> Host:
        if architecture not in ARCHITECTURES:
            message = f"architecture must be one of {', '.join(ARCHITECTURES)}"
            raise IllegalArgument(message, [FieldError("architecture", architecture, message)])

        def command() -> Host:
            hosts = self.directory("hosts", caller)
            if any(h.ip_address == ip_address for h in self.list_hosts()):
                raise AlreadyExists(f"a host with address {ip_address} is already registered")
            (host_id,) = self.ids.allocate(1)
            host = Host.register(host_id, ip_address, architecture, agent_address, caller)
            hosts.add(host_id, caller)
            self.save(host, hosts)
            return host

        return self.retrying(command)

    def register_package(self, rpm_name: str, caller: Caller) -> Package:
        rpm = RpmName.parse(rpm_name)

        def command() -> Package:
            if self.find(package_uuid(rpm.name), Package) is not None:
                raise AlreadyExists(f"package {rpm.name} is already registered")
            packages = self.directory("packages", caller)
            (package_id,) = self.ids.allocate(1)
            package = Package.register(package_id, rpm, caller)
            packages.add(rpm.name, caller)
            self.save(package, packages)
            return package

        return self.retrying(command)

    def register_service(self, spec: ServiceSpec, caller: Caller) -> ArbitrationService:
        """Record an arbitration service that already runs on a host, so arbiter can manage it."""
        host, rpm = self.host_and_rpm(spec)

        def command() -> ArbitrationService:
            service, directories = self.new_service(spec, host, rpm, ServiceStatus.RUNNING, caller)
            self.save(service, *directories)
            return service

        return self.retrying(command)

    def host_and_rpm(self, spec: ServiceSpec) -> tuple[Host, RpmName]:
        """The spec's host and rpm, provided the rpm is built for the host's architecture."""
        rpm = RpmName.parse(spec.rpm_name)
        host = self.get_host(spec.host_id)
        if rpm.architecture != host.architecture:
            message = f"rpm is for {rpm.architecture} but the host is {host.architecture}"
            raise IllegalArgument(message, [FieldError("rpmName", spec.rpm_name, message)])
        return host, rpm

    def new_service(
        self, spec: ServiceSpec, host: Host, rpm: RpmName, status: ServiceStatus, caller: Caller
    ) -> tuple[ArbitrationService, list[Directory]]:
        """A new service record on a free port, with the directory entries to save beside it."""
        services = self.directory("services", caller)
        ports = self._ports_of(spec.host_id, caller)
        for entry in ports.entries:
            port, other = entry.split(":")
            if int(port) == spec.svr_port and not self._deleted(int(other)):
                raise AlreadyExists(
                    f"host {host.ip_address} already runs arbitration service "
                    f"{other} on port {spec.svr_port}"
                )
        (service_id,) = self.ids.allocate(1)
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

    def _deleted(self, service_id: int) -> bool:
        service = self.find(service_uuid(service_id), ArbitrationService)
        return service is not None and service.status is ServiceStatus.DELETED

    def _ports_of(self, host_id: int, caller: Caller) -> Directory:
        """The ports registered on one host ("port:serviceId"): checking a new registration
        against it reads one aggregate, not every service (which made registering N services
        cost N^2 reads). A store from before it existed gets it filled from the services."""
        kind = f"host-{host_id}-ports"
        found = self.find(directory_uuid(kind), Directory)
        if found is not None:
            return found
        ports = Directory.open(kind, caller)
        for other in self.list_services():
            if other.host_id == host_id:
                ports.add(f"{other.svr_port}:{other.service_id}", caller)
        return ports

    def get_host(self, host_id: int) -> Host:
        host = self.find(host_uuid(host_id), Host)
        if host is None:
            raise NotFound("host", host_id)
        return host

    def get_service(self, service_id: int) -> ArbitrationService:
        service = self.find(service_uuid(service_id), ArbitrationService)
        if service is None:
            raise NotFound("arbitration service", service_id)
        return service

    def find_package(self, rpm_name: str) -> Package | None:
        return self.find(package_uuid(rpm_name), Package)

    def list_hosts(self) -> list[Host]:
        return self.listed("hosts", lambda key: host_uuid(int(key)), Host)

    def list_packages(self) -> list[Package]:
        packages = self.listed("packages", package_uuid, Package)
        return sorted(packages, key=lambda p: (p.rpm.version, p.rpm_name))

    def list_services(self) -> list[ArbitrationService]:
        return self.listed("services", lambda key: service_uuid(int(key)), ArbitrationService)
