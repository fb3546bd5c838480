"""How the model's own value types are stored in snapshots."""

from typing import Any

from eventsourcing.persistence import Transcoding

from domain.subtask import Subtask


class SubtaskAsDict(Transcoding):
    """A Task snapshot's subtask. It decodes to the dict it was stored as, not to a Subtask:
    snapshots of older Task versions hold fields that the Task's upcasts drop first
    (`Task.upcast_v1_v2`), and the snapshot makes the Subtasks after them."""

    type = Subtask
    name = "arbiter.subtask"

    def encode(self, obj: Subtask) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> dict[str, Any]:
        return data
