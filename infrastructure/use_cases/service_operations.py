"""What may be done to an arbitration service: upgrade, create, start, stop, restart, delete;
and which packages an upgrade could move it to.

Each checks OCP's preconditions (domain/upgrade.py, domain/service_lifecycle.py), creates the
task that does it and binds that task to the service in the same save (one unfinished task per
service, through the service's version); the engine then runs the task.
"""

from domain.caller import Caller
from domain.client_token import ClientToken, fingerprint, validate_token
from domain.enums import ServiceStatus
from domain.ids import client_token_uuid
from domain.inventory import Package, check_registered
from domain.service import ArbitrationService
from domain.service_lifecycle import TEMPLATES, ServiceOperation, check
from domain.subtask import chain_specs
from domain.task import Task
from domain.templates import CREATE, UPGRADE, TaskTemplate
from domain.upgrade import check_upgrade, upgrade_candidates, upgrade_params
from infrastructure.use_cases.inventory import ServiceSpec, list_packages, new_service, placement
from infrastructure.use_cases.session import Session


def upgrade(
    session: Session, service_id: int, rpm_name: str, client_token: str | None, caller: Caller
) -> Task:
    """Create the upgrade task, bind it to the service and remember the token: one save. The
    same clientToken with the same request answers the task it created, and saves nothing."""
    if client_token is not None:
        validate_token(client_token)
    request = fingerprint({"action": "upgrade", "serviceId": service_id, "rpmName": rpm_name})
    # Service first, token second: the token is saved with the service's binding, so a service
    # already bound by a concurrent twin request shows its token here too.
    service = session.service(service_id)
    replayed = _replayed(session, client_token, request)
    if replayed is not None:
        return replayed
    host = session.host(service.host_id)
    target = check_upgrade(service, host, session.package(rpm_name), rpm_name)
    params = upgrade_params(service, target)
    task = _new_task(session, UPGRADE, service_id, params, client_token, caller)
    service.bind_task(task.task_id, caller)
    token = None
    if client_token is not None:
        token = ClientToken.register(client_token, request, task.task_id, caller)
    session.save(task, service, token)
    return task


def candidates(session: Session, service_id: int) -> list[Package]:
    """The registered packages the service could be upgraded to, by the upgrade's own rule."""
    service = session.service(service_id)
    host = session.host(service.host_id)
    return upgrade_candidates(service, host, list_packages(session))


def create_service(
    session: Session, spec: ServiceSpec, caller: Caller
) -> tuple[ArbitrationService, Task]:
    """Register the service as CREATING and the task that installs and starts it: one save."""
    host, rpm = placement(session, spec)
    check_registered(rpm, session.package(rpm.name))
    service, directories = new_service(session, spec, host, rpm, ServiceStatus.CREATING, caller)
    task = _new_task(session, CREATE, service.service_id, {"rpmName": rpm.name}, None, caller)
    service.bind_task(task.task_id, caller)
    session.save(service, *directories, task)
    return service, task


def operate(session: Session, operation: ServiceOperation, service_id: int, caller: Caller) -> Task:
    """Start, stop, restart or delete the service: its lifecycle task."""
    service = session.service(service_id)
    check(service, operation)
    params: dict[str, object] = {"rpmName": service.rpm_name}
    task = _new_task(session, TEMPLATES[operation], service_id, params, None, caller)
    service.bind_task(task.task_id, caller)
    session.save(task, service)
    return task


def _replayed(session: Session, client_token: str | None, request: str) -> Task | None:
    if client_token is None:
        return None
    token = session.find(client_token_uuid(client_token), ClientToken)
    return None if token is None else session.task(token.task_for(request))


def _new_task(
    session: Session,
    template: TaskTemplate,
    service_id: int,
    params: dict[str, object],
    client_token: str | None,
    caller: Caller,
) -> Task:
    task_id, *subtask_ids = session.new_ids(1 + len(template.subtasks))
    return Task.create(
        task_id=task_id,
        name=template.name,
        template=template.key,
        service_id=service_id,
        params=params,
        subtasks=chain_specs(template, subtask_ids),
        executor=session.node_address,
        client_token=client_token,
        caller=caller,
    )
