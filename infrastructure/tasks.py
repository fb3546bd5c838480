"""Use cases that create tasks and steer them: upgrade; retry, skip, cancel, rollback."""

from collections.abc import Callable

from eventsourcing.persistence import RecordConflictError

from domain.caller import Caller
from domain.client_token import ClientToken, fingerprint, validate_token
from domain.errors import TaskNotFound
from domain.ids import client_token_uuid, host_uuid, task_uuid
from domain.inventory import Host
from domain.subtask import chain_specs
from domain.task import Task
from domain.templates import UPGRADE, TaskTemplate
from domain.upgrade import check_upgrade, upgrade_params
from infrastructure.inventory import InventoryUseCases


class TaskUseCases(InventoryUseCases):
    def upgrade(
        self, service_id: int, rpm_name: str, client_token: str | None, caller: Caller
    ) -> Task:
        """Create the upgrade task, bind it to the service and remember the token: one save."""
        if client_token is not None:
            validate_token(client_token)
        request = fingerprint({"action": "upgrade", "serviceId": service_id, "rpmName": rpm_name})

        def command() -> Task:
            # Service first, token second: the token is saved with the service's binding, so a
            # service already bound by a concurrent twin request shows its token here too.
            service = self.get_service(service_id)
            replayed = self._replayed(client_token, request)
            if replayed is not None:
                return replayed
            host = self.find(host_uuid(service.host_id), Host)
            assert host is not None, "a service always references a registered host"
            target = check_upgrade(service, host, self.find_package(rpm_name), rpm_name)
            task = self._new_task(
                UPGRADE, service_id, upgrade_params(service, target), client_token, caller
            )
            service.bind_task(task.task_id, caller)
            token = self._token(client_token, request, task, caller)
            self.save(task, service, token)
            return task

        return self.retrying(command)

    def get_task(self, task_id: int, version: int | None = None) -> Task:
        task = (
            self.find(task_uuid(task_id), Task)
            if version is None
            else self._task_at(task_id, version)
        )
        if task is None:
            raise TaskNotFound(task_id)
        return task

    # ---- operator actions ----------------------------------------------------------------

    def retry_task(self, task_id: int, caller: Caller) -> Task:
        return self._steer(task_id, lambda task: task.retry(caller))

    def rollback_task(self, task_id: int, caller: Caller) -> Task:
        return self._steer(task_id, lambda task: task.rollback(caller))

    def retry_subtask(self, task_id: int, subtask_id: int, caller: Caller) -> Task:
        return self._steer(task_id, lambda task: task.retry_subtask(subtask_id, caller))

    def skip_subtask(self, task_id: int, subtask_id: int, caller: Caller) -> Task:
        return self._steer(task_id, lambda task: task.skip_subtask(subtask_id, caller))

    def cancel_subtask(self, task_id: int, subtask_id: int, caller: Caller) -> Task:
        return self._steer(task_id, lambda task: task.request_cancel(subtask_id, caller))

    # ---- helpers -------------------------------------------------------------------------

    def _steer(self, task_id: int, command: Callable[[Task], None]) -> Task:
        def attempt() -> Task:
            task = self.get_task(task_id)
            command(task)
            self.save(task)
            return task

        return self.retrying(attempt)

    def _replayed(self, client_token: str | None, request: str) -> Task | None:
        if client_token is None:
            return None
        token = self.find(client_token_uuid(client_token), ClientToken)
        return None if token is None else self.get_task(token.task_for(request))

    def _token(
        self, client_token: str | None, request: str, task: Task, caller: Caller
    ) -> ClientToken | None:
        if client_token is None:
            return None
        return ClientToken.register(client_token, request, task.task_id, caller)

    def _new_task(
        self,
        template: TaskTemplate,
        service_id: int,
        params: dict[str, object],
        client_token: str | None,
        caller: Caller,
    ) -> Task:
        task_id, *subtask_ids = self.ids.allocate(1 + len(template.subtasks))
        return Task.create(
            task_id=task_id,
            name=template.name,
            template=template.key,
            service_id=service_id,
            params=params,
            subtasks=chain_specs(template, subtask_ids),
            executor=self.node_address,
            client_token=client_token,
            caller=caller,
        )

    def _task_at(self, task_id: int, version: int) -> Task | None:
        try:
            task: object = self.repository.get(task_uuid(task_id), version=version)
        except (KeyError, RecordConflictError):
            return None
        return task if isinstance(task, Task) else None
