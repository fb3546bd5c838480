"""A new task's sketch made from its TaskCreated event is the sketch of the aggregate.

(Every later event is checked on every reachable transition by the model explorer's "sketch"
check, in tests/model/checks.py.)"""

import pytest

from domain.task_sketch import TaskSketch
from tests.model.explorer import EXPLORED, created_task


@pytest.mark.parametrize("key", sorted(EXPLORED))
def test_the_sketch_of_a_creation_is_the_sketch_of_the_new_task(key: str) -> None:
    task = created_task(EXPLORED[key])
    (created,) = task.collect_events()

    sketch = TaskSketch.created(created)

    assert sketch == TaskSketch.of(task)
    assert sketch.status == task.status
    assert sketch.prohibit_rollback is False
    ids = [s.id for s in task.subtasks]
    assert [sketch.subtask_name(i) for i in ids] == [s.name for s in task.subtasks]
    assert [sketch.subtask_status(i) for i in ids] == [s.status.value for s in task.subtasks]
