"""OCP's JSON shapes of the projected rows (audit events, task list items, services)."""

from typing import Any

from api.envelope import page
from api.views import service_operations
from domain.enums import Operation, ServiceStatus, TaskStatus
from domain.steering import allowed_task_operations
from infrastructure.projections.db import from_micros, unstamp


def audit_view(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "position": row["position"],
        "time": from_micros(row["time"]),
        "actor": row["actor"],
        "traceId": row["trace_id"],
        "aggregate": row["kind"],
        "version": row["version"],
        "taskId": row["task_id"],
        "subtaskId": row["subtask_id"],
        "serviceId": row["service_id"],
        "operation": row["operation"],
        "statusBefore": row["status_before"],
        "statusAfter": row["status_after"],
        "message": row["message"],
    }


def task_item_view(row: dict[str, Any]) -> dict[str, Any]:
    """A task in a list: the task's own fields, without its subtasks (GET .../{id} has them)."""
    return {
        "id": row["task_id"],
        "name": row["name"],
        "type": row["type"],
        "taskDefinitionId": -1,
        "status": row["status"],
        "operation": row["operation"],
        "creator": row["creator"],
        "executor": row["executor"],
        "createTime": unstamp(row["create_time"]),
        "startTime": unstamp(row["create_time"]),
        "finishTime": unstamp(row["finish_time"]),
        "prohibitRollback": bool(row["prohibit_rollback"]),
        "allowedOperations": [
            str(op)
            for op in allowed_task_operations(
                TaskStatus(row["status"]),
                row["operation"] == Operation.ROLLBACK,
                bool(row["prohibit_rollback"]),
            )
        ],
        "serviceId": row["service_id"],
        "hostId": row["host_id"],
    }


def service_row_view(row: dict[str, Any]) -> dict[str, Any]:
    """The same shape as api.views.service_view, from the service list's row."""
    return {
        "id": row["service_id"],
        "name": row["name"],
        "hostId": row["host_id"],
        "svrIp": row["svr_ip"],
        "svrPort": row["svr_port"],
        "installPath": row["install_path"],
        "runPath": row["run_path"],
        "runUser": row["run_user"],
        "version": row["version"],
        "rpmName": row["rpm_name"],
        "status": row["status"],
        "activeTaskId": row["active_task_id"],
        "allowedOperations": service_operations(
            row["service_id"], ServiceStatus(row["status"]), row["active_task_id"]
        ),
        "createTime": unstamp(row["create_time"]),
        "updateTime": unstamp(row["update_time"]),
    }


def page_of(rows: list[dict[str, Any]], total: int, number: int, size: int) -> dict[str, Any]:
    """OCP's page shape around rows the database already cut to one page."""
    shape = page([], number, size)
    shape["contents"] = rows
    shape["page"]["totalElements"] = total
    shape["page"]["totalPages"] = (total + size - 1) // size
    return shape
