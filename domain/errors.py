"""Domain errors: what the rules refuse, in the model's words. The API maps them to OCP codes."""

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every rule the model refuses."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldError:
    field: str
    rejected_value: object
    message: str


class IllegalArgument(DomainError):
    def __init__(self, message: str, field_errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.field_errors: list[FieldError] = field_errors or []


class NotFound(DomainError):
    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} not found: {key}")
        self.kind = kind
        self.key = key


class TaskNotFound(NotFound):
    def __init__(self, task_id: int) -> None:
        super().__init__("task", task_id)


class TaskStateInvalid(DomainError):
    """The operation is not allowed from the current status (OCP 20003)."""


class RollbackProhibited(DomainError):
    """The task has passed a step that cannot be undone (OCP 20004)."""


class SkipProhibited(DomainError):
    """The subtask is marked prohibitSkip."""


class StaleAttempt(DomainError):
    """An outcome reported by an attempt that is no longer the current one (fencing)."""


class ServiceStateInvalid(DomainError):
    """The arbitration service is not in a status that allows the operation."""


class ServiceBusy(DomainError):
    """Only one unfinished task per arbitration service."""

    def __init__(self, service_id: int, task_id: int) -> None:
        super().__init__(f"arbitration service {service_id} has an unfinished task {task_id}")
        self.service_id = service_id
        self.task_id = task_id


class ClientTokenConflict(DomainError):
    """The clientToken was already used for a different request."""


class AlreadyExists(DomainError):
    """A registration that would duplicate an existing entity."""
