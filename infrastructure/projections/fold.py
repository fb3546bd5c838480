"""The aggregates as the notification log walks them, so a projection sees before and after.

Tasks are folded as TaskSketches (domain/task_sketch.py: what the views read, from the same
events through the same rules, without the logs) and every other aggregate as itself. Event
`apply` bodies are pure, so re-applying an event to a cached state gives exactly the state the
repository would load; a miss (or a cache out of step) takes the version just before, which
`read_ahead` loaded before the batch: the fold never reads the store while a batch is applied
(the runner applies it under the view's write lock; infrastructure/projections/runner.py).

Events that record their own transition (Task events since class_version 2) need no fold at all:
the audit log reads their statuses and only asks `subject` for the task's names.
"""

from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any, Literal, NamedTuple
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate

from domain.task import Task
from domain.task_sketch import TaskSketch

CACHE_SIZE = 10_000  # sketches of the tasks in flight: about a kilobyte each
SUBJECTS_SIZE = 100_000  # a task's names: a few hundred bytes

# What a projection's `apply` asks the fold about an event: the state of its aggregate before it
# (`step`, or `created` for a creation), or only its task's names (`subject`).
Need = Literal["state", "subject"]


class TaskSubject(NamedTuple):
    """What an audit row names of a task: fixed when the task is created."""

    task_id: int
    service_id: int
    name: str
    subtask_names: dict[int, str]

    def subtask_name(self, subtask_id: int) -> str:
        return self.subtask_names[subtask_id]


class Unread(LookupError):
    """The fold needed a state that `read_ahead` did not load (a `needs` that differs from what
    `apply` asks): it does not read the store itself, under the view's write lock."""


class Fold:
    def __init__(self, app: Application[UUID]) -> None:
        self._app = app
        # Keyed by the id's int: a UUID hashes and compares in Python code, an int does not.
        self._cache: OrderedDict[int, Any] = OrderedDict()
        self._subjects: dict[int, TaskSubject] = {}
        # (key, version) -> the state at that version, loaded by read_ahead for one batch.
        self._loaded: dict[tuple[int, int], Any] = {}

    def forget(self) -> None:
        """After a rolled-back batch the cached states ran ahead of the view: drop them."""
        self._cache.clear()
        self._loaded.clear()

    def read_ahead(
        self, events: Iterable[Aggregate.Event], needs: Callable[[Aggregate.Event], Need]
    ) -> None:
        """Load from the store now what the batch's events (with what `apply` `needs` of each)
        will miss, so that applying them reads nothing. It walks the batch on versions alone:
        an aggregate's state moves to each event's version as the batch goes, so only a state
        the caches do not hold at the version before an event is loaded. Nothing is evicted
        until `trim`, so what the caches hold now is still there when the batch needs it."""
        versions: dict[int, int] = {}  # the version each aggregate is at, so far in the batch
        created: set[int] = set()  # tasks whose names the batch's own creations give
        subjects, cache = self._subjects, self._cache
        for event in events:
            key, version = event.originator_id.int, event.originator_version
            if needs(event) == "subject":
                if version == 1:  # a task's creation
                    created.add(key)
                elif key not in subjects and key not in created:
                    task: Task = self._app.repository.get(event.originator_id, version=1)
                    subjects[key] = _subject_of(task)
                continue
            known = versions.get(key)
            if known is None and version > 1:
                known = _version(cache.get(key))
            if version > 1 and known != version - 1:
                before: Any = self._app.repository.get(event.originator_id, version=version - 1)
                self._loaded[key, version - 1] = (
                    TaskSketch.of(before) if isinstance(before, Task) else before
                )
            versions[key] = version

    def trim(self) -> None:
        """After a batch: drop what it did not use, and evict the oldest states and names down
        to the caches' sizes (between batches only: see `read_ahead`)."""
        self._loaded.clear()
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        # Names never change, so the oldest entries go first: tasks are created in order.
        while len(self._subjects) > SUBJECTS_SIZE:
            del self._subjects[next(iter(self._subjects))]

    def subject(self, event: Aggregate.Event) -> TaskSubject:
        """The names of the event's task, without folding it: from its creation, or seen in
        this fold (or read ahead)."""
        key = event.originator_id.int
        found = self._subjects.get(key)
        if found is None:
            if not isinstance(event, Task.Created):
                raise Unread(f"the names of task {event.originator_id} were not read ahead")
            specs = event.subtasks
            names = {spec["id"]: spec["name"] for spec in specs}
            found = TaskSubject(event.task_id, event.service_id, event.name, names)
            self._subjects[key] = found
        return found

    def created(self, event: Task.Created) -> None:
        """A task's creation, remembered unsketched: a rebuild meets most creations long
        before the task's next event, if any, and a sketch maps the task's DAG (the task
        list's largest cost on a store of new tasks). `step` sketches it when that event comes."""
        self._cache[event.originator_id.int] = event

    def step(self, event: Aggregate.Event, compares: bool = False) -> tuple[Any, Any]:
        """(a Summary of the aggregate before the event or None, the aggregate after it);
        without `compares` the Summary is always None (it costs a look at the subtasks)."""
        key = event.originator_id.int
        before = self._cache.pop(key, None)
        if isinstance(before, Task.Created):  # a creation not sketched yet (see `created`)
            before = TaskSketch.created(before)
        if event.originator_version == 1:
            before = None
        elif before is None or before.version != event.originator_version - 1:
            before = self._loaded.pop((key, event.originator_version - 1), None)
            if before is None:
                version = event.originator_version - 1
                raise Unread(f"{event.originator_id} at version {version} was not read ahead")
        subtask_id = getattr(event, "subtask_id", None)
        summary = None if before is None or not compares else summarise(before, subtask_id)
        after = _next(before, event)
        self._cache[key] = after
        return summary, after


def _subject_of(task: Task) -> TaskSubject:
    names = {sub.id: sub.name for sub in task.subtasks}
    return TaskSubject(task.task_id, task.service_id, task.name, names)


def _version(state: Any) -> int | None:
    """The version of a cached state (None for none): a creation not sketched yet is its
    event (see `created`)."""
    if isinstance(state, Task.Created):
        return int(state.originator_version)
    return None if state is None else int(state.version)


# What an audit row compares: the status of the aggregate and of the event's subtask. A plain
# tuple: two are made per event of an audit rebuild, and a NamedTuple costs three times more.
Summary = tuple[str | None, str | None]


def summarise(aggregate: Any, subtask_id: int | None) -> Summary:
    # str() of a StrEnum is its value, without the Python-level `.value` descriptor.
    status = getattr(aggregate, "status", None)
    subtask = None if subtask_id is None else aggregate.subtask_status(subtask_id)
    return (None if status is None else str(status)), subtask


def _next(before: Any, event: Aggregate.Event) -> Any:
    if isinstance(event, Task.Created):
        return TaskSketch.created(event)
    if isinstance(before, TaskSketch):
        assert isinstance(event, Task.SubtaskEvent | Task.TaskEvent)
        before.apply(event)
        return before
    return event.mutate(before)
