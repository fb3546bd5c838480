"""OCP's JSON shapes of tasks, subtasks, services, hosts and packages."""

from typing import Any

from domain.enums import ServiceStatus
from domain.inventory import Host, Package
from domain.service import ArbitrationService
from domain.service_lifecycle import allowed_operations
from domain.step_log import LogRun
from domain.subtask import Subtask
from domain.task import Task


def task_view(task: Task) -> dict[str, Any]:
    return {
        "id": task.task_id,
        "name": task.name,
        "type": "MANUAL",
        "taskDefinitionId": -1,
        "status": task.status.value,
        "operation": task.operation.value,
        "creator": task.creator,
        "executor": task.executor,
        "createTime": task.start_time,
        "startTime": task.start_time,
        "finishTime": task.finish_time,
        "prohibitRollback": task.prohibit_rollback,
        "allowedOperations": [str(op) for op in task.allowed_operations()],
        "subtasks": [subtask_view(task, s) for s in task.subtasks],
    }


def subtask_view(task: Task, subtask: Subtask) -> dict[str, Any]:
    return {
        "id": subtask.id,
        "taskId": task.task_id,
        "name": subtask.name,
        "description": subtask.name,
        "seriesId": subtask.series_id,
        "timeout": subtask.timeout,
        "status": subtask.status.value,
        "operation": subtask.operation.value,
        "runTime": subtask.run_time,
        "nodeType": "JAVA_TASK",
        "parallelIdx": -1,
        "upstreams": list(subtask.upstreams),
        "downstreams": list(subtask.downstreams),
        "prohibitRollback": subtask.prohibit_rollback,
        "prohibitSkip": subtask.prohibit_skip,
        "executor": subtask.executor,
        "startTime": subtask.start_time,
        "finishTime": subtask.finish_time,
        "allowedOperations": [str(op) for op in task.allowed_subtask_operations(subtask.id)],
    }


def subtask_log(runs: list[LogRun]) -> str:
    """OCP's log text: each run under `############{EXECUTE}{2021-08-25T15:09:32.697+08:00}
    ############` (the braces are literal), each line as OCP's Spring log pattern begins it,
    `2021-08-25 15:09:32.716  INFO message` (local time to the millisecond; the level padded to
    five, as `%5p` pads it)."""
    blocks = []
    for run in runs:
        started = run.time.astimezone().isoformat(timespec="milliseconds")
        lines = [f"############{{{run.operation.value}}}{{{started}}}############"]
        for line in run.lines:
            logged = line.time.astimezone().strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
            lines.append(f"{logged} {line.level.value:>5} {line.message}")
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def service_view(service: ArbitrationService) -> dict[str, Any]:
    return {
        "id": service.service_id,
        "name": service.name,
        "hostId": service.host_id,
        "svrIp": service.svr_ip,
        "svrPort": service.svr_port,
        "installPath": service.install_path,
        "runPath": service.run_path,
        "runUser": service.run_user,
        "version": service.software_version,
        "rpmName": service.rpm_name,
        "status": service.status.value,
        "activeTaskId": service.active_task_id,
        "allowedOperations": service_operations(
            service.service_id, service.status, service.active_task_id
        ),
        "createTime": service.created_on,
        "updateTime": service.modified_on,
    }


def service_operations(
    service_id: int, status: ServiceStatus, active_task_id: int | None
) -> list[str]:
    """What may start on the service now, as the domain's lifecycle rules answer."""
    return [str(op) for op in allowed_operations(service_id, status, active_task_id)]


def host_view(host: Host) -> dict[str, Any]:
    return {
        "id": host.host_id,
        "ipAddress": host.ip_address,
        "architecture": host.architecture,
        "agentAddress": host.agent_address,
        "createTime": host.created_on,
    }


def package_view(package: Package) -> dict[str, Any]:
    rpm = package.rpm
    return {
        "id": package.package_id,
        "name": package.rpm_name,
        "version": str(rpm.version),
        "architecture": rpm.architecture,
        "createTime": package.created_on,
    }
