"""OCP's vocabularies for tasks, subtasks and arbitration services."""

from enum import StrEnum


class TaskStatus(StrEnum):
    RUNNING = "RUNNING"
    FAILED = "FAILED"
    SUCCESSFUL = "SUCCESSFUL"


class SubtaskStatus(StrEnum):
    PENDING = "PENDING"
    READY = "READY"
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    FAILED = "FAILED"
    SUCCESSFUL = "SUCCESSFUL"


class Operation(StrEnum):
    EXECUTE = "EXECUTE"
    RETRY = "RETRY"
    ROLLBACK = "ROLLBACK"
    SKIP = "SKIP"
    CANCEL = "CANCEL"


class ServiceStatus(StrEnum):
    RUNNING = "RUNNING"
    STOPPED = "STOPPED"
    UNAVAILABLE = "UNAVAILABLE"
    CREATING = "CREATING"
    STARTING = "STARTING"
    STOPPING = "STOPPING"
    RESTARTING = "RESTARTING"
    UPGRADING = "UPGRADING"
    DELETING = "DELETING"
    DELETED = "DELETED"


class FailureReason(StrEnum):
    """Why a run failed (SubtaskFailed). A cancelled run ends by SubtaskCancelled, and a lost
    executor's by the take-over (SubtaskStarted), so neither is a reason here."""

    ERROR = "ERROR"
    TIMEOUT = "TIMEOUT"
