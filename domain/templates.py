"""DAG templates: the subtasks of each kind of task, in chain order."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SubtaskSpec:
    name: str
    step: str  # the engine's key for what this subtask does (and undoes)
    timeout: int  # seconds
    series_id: int
    prohibit_rollback: bool = False
    prohibit_skip: bool = False


@dataclass(frozen=True)
class TaskTemplate:
    key: str
    name: str
    subtasks: tuple[SubtaskSpec, ...]


UPGRADE = TaskTemplate(
    "upgrade",
    "Upgrade arbitration service",
    (
        SubtaskSpec("Prepare upgrade arbitration service", "prepare_upgrade", 60, 4),
        SubtaskSpec("Stop arbitration service", "stop", 1800, 0),
        SubtaskSpec("Begin upgrade arbitration", "begin_upgrade", 60, 3, prohibit_rollback=True),
        SubtaskSpec("Install arbitration rpm", "install_target", 1800, 5),
        SubtaskSpec("Start arbitration service", "start", 1800, 1),
        SubtaskSpec(
            "Update arbitration service version", "record_version", 120, 6, prohibit_rollback=True
        ),
        SubtaskSpec("Update arbitration service status", "record_running", 60, 2),
    ),
)

CREATE = TaskTemplate(
    "create",
    "Create arbitration service",
    (
        SubtaskSpec("Prepare create arbitration service", "prepare_create", 60, 0),
        SubtaskSpec("Install arbitration rpm", "install_target", 1800, 1),
        SubtaskSpec("Start arbitration service", "start", 1800, 2),
        SubtaskSpec("Update arbitration service status", "record_running", 60, 3),
    ),
)

START = TaskTemplate(
    "start",
    "Start arbitration service",
    (
        SubtaskSpec("Start arbitration service", "start", 1800, 0),
        SubtaskSpec("Update arbitration service status", "record_running", 60, 1),
    ),
)

STOP = TaskTemplate(
    "stop",
    "Stop arbitration service",
    (
        SubtaskSpec("Stop arbitration service", "stop", 1800, 0),
        SubtaskSpec("Update arbitration service status", "record_stopped", 60, 1),
    ),
)

RESTART = TaskTemplate(
    "restart",
    "Restart arbitration service",
    (
        SubtaskSpec("Stop arbitration service", "stop", 1800, 0),
        SubtaskSpec("Start arbitration service", "start", 1800, 1),
        SubtaskSpec("Update arbitration service status", "record_running", 60, 2),
    ),
)

DELETE = TaskTemplate(
    "delete",
    "Delete arbitration service",
    (
        SubtaskSpec("Stop arbitration service", "stop", 1800, 0),
        SubtaskSpec("Uninstall arbitration rpm", "uninstall", 1800, 1, prohibit_rollback=True),
        SubtaskSpec("Update arbitration service status", "record_deleted", 60, 2),
    ),
)

TEMPLATES: dict[str, TaskTemplate] = {
    t.key: t for t in (UPGRADE, CREATE, START, STOP, RESTART, DELETE)
}
