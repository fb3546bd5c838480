"""Use cases that create the lifecycle tasks: create, start, stop, restart, delete a service.

Each binds its task to the service in the same `save()` (one unfinished task per service) and
checks OCP's preconditions first; the engine then runs the task like an upgrade.
"""

from domain.enums import ServiceStatus
from domain.errors import FieldError, IllegalArgument
from domain.service import ArbitrationService
from domain.service_lifecycle import ServiceOperation, check
from domain.task import Task
from domain.templates import CREATE, DELETE, RESTART, START, STOP, TaskTemplate
from infrastructure.application import Caller
from infrastructure.inventory import ServiceSpec
from infrastructure.tasks import TaskUseCases

_S = ServiceStatus
_OPERATIONS = {
    START: ServiceOperation.START,
    STOP: ServiceOperation.STOP,
    RESTART: ServiceOperation.RESTART,
    DELETE: ServiceOperation.DELETE,
}


class LifecycleUseCases(TaskUseCases):
    def start_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(START, service_id, caller)

    def stop_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(STOP, service_id, caller)

    def restart_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(RESTART, service_id, caller)

    def delete_service(self, service_id: int, caller: Caller) -> Task:
        return self._lifecycle(DELETE, service_id, caller)

    def create_service(self, spec: ServiceSpec, caller: Caller) -> tuple[ArbitrationService, Task]:
        """Register the service as CREATING and the task that installs and starts it: one save."""
        host, rpm = self.host_and_rpm(spec)
        if self.find_package(rpm.name) is None:
            message = f"rpm {rpm.name} is not in the software package registry"
            raise IllegalArgument(message, [FieldError("rpmName", spec.rpm_name, message)])

        def command() -> tuple[ArbitrationService, Task]:
            service, directories = self.new_service(spec, host, rpm, _S.CREATING, caller)
            task = self._new_task(CREATE, service.service_id, {"rpmName": rpm.name}, None, caller)
            service.bind_task(task.task_id, caller.actor, caller.trace_id)
            self.save(service, *directories, task)
            return service, task

        return self.retrying(command)

    def _lifecycle(self, template: TaskTemplate, service_id: int, caller: Caller) -> Task:
        def command() -> Task:
            service = self.get_service(service_id)
            check(service, _OPERATIONS[template])
            params: dict[str, object] = {"rpmName": service.rpm_name}
            task = self._new_task(template, service_id, params, None, caller)
            service.bind_task(task.task_id, caller.actor, caller.trace_id)
            self.save(task, service)
            return task

        return self.retrying(command)
