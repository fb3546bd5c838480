"""Which node made each event of a task, as the events themselves record it.

The creation names the node that created the task; a start names the executor (node) that
claimed the subtask; an outcome belongs to the attempt started last on that subtask. An
operator's command records no node (its traceId names the request instead): None.
"""

from typing import cast

from domain.ids import task_uuid
from domain.task import Task
from infrastructure.application import BaseApp


def event_nodes(app: BaseApp, task_id: int) -> dict[int, str | None]:
    """The node of each version of the task (empty for a task that does not exist)."""
    events = cast(list[Task.Event], list(app.events.get(task_uuid(task_id))))
    runners: dict[int, str] = {}  # subtask id -> the executor of its latest start
    nodes: dict[int, str | None] = {}
    for event in events:
        node: str | None = None
        if isinstance(event, Task.Created):
            node = event.executor
        elif isinstance(event, Task.SubtaskStarted):
            node = runners[event.subtask_id] = event.executor
        elif isinstance(event, Task.SubtaskEvent) and hasattr(event, "attempt"):
            node = runners.get(event.subtask_id)
        nodes[event.originator_version] = node
    return nodes
