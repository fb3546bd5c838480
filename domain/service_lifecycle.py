"""What an arbitration service's status allows: OCP's console rules for its operations, the
task each one starts, and what the service record says while such a task runs.

One table answers both questions a surface asks: may this operation start now (the command
checks it before it creates a task), and which operations may start now (the views list them,
so the console and the CLI never re-derive a rule).
"""

from enum import StrEnum

from domain.enums import ServiceStatus
from domain.errors import DomainError, ServiceBusy, ServiceStateInvalid
from domain.service import ArbitrationService
from domain.templates import CREATE, DELETE, RESTART, START, STOP, UPGRADE, TaskTemplate

_S = ServiceStatus


class ServiceOperation(StrEnum):
    UPGRADE = "UPGRADE"
    START = "START"
    STOP = "STOP"
    RESTART = "RESTART"
    DELETE = "DELETE"


# The statuses each operation starts from (a service with an unfinished task allows none).
STARTS_FROM: dict[ServiceOperation, tuple[ServiceStatus, ...]] = {
    ServiceOperation.UPGRADE: (_S.RUNNING,),
    ServiceOperation.START: (_S.STOPPED,),
    ServiceOperation.STOP: (_S.RUNNING,),
    ServiceOperation.RESTART: (_S.RUNNING,),
    ServiceOperation.DELETE: (_S.RUNNING, _S.STOPPED, _S.UNAVAILABLE),
}


# The task each operation starts (a new service's creation starts CREATE).
TEMPLATES: dict[ServiceOperation, TaskTemplate] = {
    ServiceOperation.UPGRADE: UPGRADE,
    ServiceOperation.START: START,
    ServiceOperation.STOP: STOP,
    ServiceOperation.RESTART: RESTART,
    ServiceOperation.DELETE: DELETE,
}

# What the service record says while a task of each template runs: the engine sets it at every
# claim; the run's outcome then records what the host really is.
TRANSITIONAL: dict[str, ServiceStatus] = {
    UPGRADE.key: _S.UPGRADING,
    CREATE.key: _S.CREATING,
    START.key: _S.STARTING,
    STOP.key: _S.STOPPING,
    RESTART.key: _S.RESTARTING,
    DELETE.key: _S.DELETING,
}


def refusal(
    service_id: int,
    status: ServiceStatus,
    active_task_id: int | None,
    operation: ServiceOperation,
) -> DomainError | None:
    """Why `operation` may not start now on a service in `status` that has (or has not) an
    unfinished task, or None when it may. Plain values, so that a view's row can ask too."""
    if active_task_id is not None:
        return ServiceBusy(service_id, active_task_id)
    allowed = STARTS_FROM[operation]
    if status not in allowed:
        return ServiceStateInvalid(
            f"arbitration service {service_id} is {status}; "
            f"{operation.lower()} needs it {', '.join(allowed)}"
        )
    return None


def check(service: ArbitrationService, operation: ServiceOperation) -> None:
    error = refusal(service.service_id, service.status, service.active_task_id, operation)
    if error is not None:
        raise error


def allowed_operations(
    service_id: int, status: ServiceStatus, active_task_id: int | None
) -> list[ServiceOperation]:
    return [
        op for op in ServiceOperation if refusal(service_id, status, active_task_id, op) is None
    ]
