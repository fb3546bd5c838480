"""Records `task_1bc6d43.json`: a task's stored events and the snapshot that release took of it,
as release 1bc6d43 (the last whose Task kept every run's log lines) wrote them. Run it with
that release's code first on the path (its checkout: git worktree add /tmp/old 1bc6d43):

    PYTHONPATH=/tmp/old .venv/bin/python tests/integration/old_release/record.py

The task: "Prepare" claimed and failed, the task retried, 16 times over (each failure logs two
lines); claimed again (version 50: the release took its snapshot), taken over by another node,
and succeeded: 52 events.
"""

import json
import tempfile
from pathlib import Path

from domain.enums import FailureReason
from domain.ids import task_uuid
from infrastructure.persistence.store import sqlite_store
from infrastructure.use_cases.application import ArbiterApp
from tests.integration.projection_story import ADMIN, ENGINE, NEW_RPM, seed_service


def record() -> dict[str, object]:
    with tempfile.TemporaryDirectory() as scratch:
        app = ArbiterApp(sqlite_store(Path(scratch) / "events.sqlite"), "10.0.0.1")
        task_id = app.upgrade(seed_service(app), NEW_RPM, None, ADMIN).task_id
        task = app.get_task(task_id)
        for _ in range(16):
            prepare = task.ready_subtasks()[0]
            attempt = task.start_subtask(prepare.id, "10.0.0.1", ENGINE)
            why = ["step failed: AgentError: agent answered 500", "service status is now RUNNING"]
            task.fail_subtask(prepare.id, attempt, FailureReason.ERROR, why, ENGINE)
            task.retry(ADMIN)
        prepare = task.ready_subtasks()[0]
        task.start_subtask(prepare.id, "10.0.0.1", ENGINE)
        app.save(task)  # version 50: the snapshot
        attempt = task.start_subtask(prepare.id, "10.0.0.2", ENGINE, took_over=True)
        task.complete_subtask(prepare.id, attempt, ["agent reports port 2882 RUNNING"], ENGINE)
        app.save(task)
        uuid = task_uuid(task_id)
        assert app.snapshots is not None
        return {
            "task_id": task_id,
            "events": [_record(e) for e in app.recorder.select_events(uuid)],
            "snapshots": [_record(s) for s in app.snapshots.recorder.select_events(uuid)],
        }


def _record(stored: object) -> dict[str, object]:
    return {
        "originator_version": stored.originator_version,  # type: ignore[attr-defined]
        "topic": stored.topic,  # type: ignore[attr-defined]
        "state": stored.state.decode(),  # type: ignore[attr-defined]
    }


if __name__ == "__main__":
    out = Path(__file__).with_name("task_1bc6d43.json")
    out.write_text(json.dumps(record(), indent=1) + "\n")
