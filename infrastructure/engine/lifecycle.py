"""Use cases that create the lifecycle tasks: create, start, stop, restart, delete a service.

Each binds its task to the service in the same `save()` (one unfinished task per service) and
checks OCP's preconditions first; the engine then runs the task like an upgrade.
"""

from domain.enums import ServiceStatus
from domain.errors import AlreadyExists, FieldError, IllegalArgument, ServiceStateInvalid
from domain.rpm import RpmName
from domain.service import ArbitrationService
from domain.task import Task
from domain.templates import CREATE, DELETE, RESTART, START, STOP, TaskTemplate
from infrastructure.application import Caller
from infrastructure.inventory import ServiceSpec
from infrastructure.tasks import TaskUseCases

_S = ServiceStatus


class LifecycleUseCases(TaskUseCases):
    def start_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(START, service_id, (_S.STOPPED,), caller)

    def stop_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(STOP, service_id, (_S.RUNNING,), caller)

    def restart_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(RESTART, service_id, (_S.RUNNING,), caller)

    def delete_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(DELETE, service_id, (_S.RUNNING, _S.STOPPED, _S.UNAVAILABLE), caller)

    def create_service(self, spec: ServiceSpec, caller: Caller) -> tuple[ArbitrationService, Task]:
        """Register the service as CREATING and the task that installs and starts it: one save."""
        rpm = RpmName.parse(spec.rpm_name)
        host = self.get_host(spec.host_id)
        if rpm.architecture != host.architecture:
            message = f"rpm is for {rpm.architecture} but the host is {host.architecture}"
            raise IllegalArgument(message, [FieldError("rpmName", spec.rpm_name, message)])
        if self.find_package(rpm.name) is None:
            message = f"rpm {rpm.name} is not in the software package registry"
            raise IllegalArgument(message, [FieldError("rpmName", spec.rpm_name, message)])

        def command() -> tuple[ArbitrationService, Task]:
            services = self.directory("services", caller)
            for other in self.list_services():
                if (other.host_id, other.svr_port) == (spec.host_id, spec.svr_port) and (
                    other.status is not _S.DELETED
                ):
                    raise AlreadyExists(
                        f"host {host.ip_address} already has arbitration service "
                        f"{other.service_id} on port {spec.svr_port}"
                    )
            (service_id,) = self.ids.allocate(1)
            service = ArbitrationService.register(
                actor=caller.actor,
                trace_id=caller.trace_id,
                status=_S.CREATING,
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
            task = self._new_task(CREATE, service_id, {"rpmName": rpm.name}, None, caller)
            service.bind_task(task.task_id, caller.actor, caller.trace_id)
            services.add(service_id, caller.actor, caller.trace_id)
            ports = self._ports_of(spec.host_id, caller)  # register_service checks it
            ports.add(f"{spec.svr_port}:{service_id}", caller.actor, caller.trace_id)
            self.save(service, services, ports, task)
            return service, task

        return self.retrying(command)

    def _lifecycle(
        self,
        template: TaskTemplate,
        service_id: int,
        allowed: tuple[ServiceStatus, ...],
        caller: Caller,
    ) -> Task:
        def command() -> Task:
            service = self.get_service(service_id)
            if service.status not in allowed and service.active_task_id is None:
                names = ", ".join(allowed)
                raise ServiceStateInvalid(
                    f"arbitration service {service_id} is {service.status}; "
                    f"{template.name.lower()} needs it {names}"
                )
            params: dict[str, object] = {"rpmName": service.rpm_name}
            task = self._new_task(template, service_id, params, None, caller)
            service.bind_task(task.task_id, caller.actor, caller.trace_id)
            self.save(task, service)
            return task

        return self.retrying(command)
