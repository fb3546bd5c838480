"""How the model's own value types are stored in snapshots."""

from typing import Any

from eventsourcing.persistence import Transcoding

from domain.subtask import Subtask


class SubtaskAsDict(Transcoding):
    type = Subtask
    name = "arbiter.subtask"

    def encode(self, obj: Subtask) -> dict[str, Any]:
        return obj.to_dict()

    def decode(self, data: dict[str, Any]) -> Subtask:
        return Subtask.from_dict(data)
