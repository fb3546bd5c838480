"""The properties the explorer checks, written from DESIGN.md's "The task model" as an oracle.

Each failed check raises a `Violation` named after the check, so that `make mutants` can show
which check catches each planted bug. The checks never ask the rule table what is allowed:
they state what must hold of every reachable state and of every accepted or refused action.
"""

import copy
from dataclasses import dataclass, replace

from domain.enums import Operation, ServiceStatus, SubtaskStatus, TaskStatus
from domain.errors import DomainError, RollbackProhibited, SkipProhibited, StaleAttempt
from domain.service import ArbitrationService
from domain.task import Task
from domain.task_sketch import TaskSketch
from tests.model.actions import Action

_S = SubtaskStatus
_ACTIVE = (_S.READY, _S.RUNNING, _S.CANCELING)
_HELD = (_S.RUNNING, _S.CANCELING)  # a run of the engine holds the subtask
_DONE = (_S.SUCCESSFUL, _S.FAILED)
OPERATOR_ACTIONS = ("retry_task", "rollback", "retry", "skip")
OUTCOMES = ("succeed", "fail", "time_out", "confirm_cancel")
ENGINE_ACTIONS = ("claim", "take_over", *OUTCOMES)
# What the service record says while a task of each template runs (docs/engine.md).
_V = ServiceStatus
TRANSITIONAL = {
    "upgrade": _V.UPGRADING,
    "create": _V.CREATING,
    "start": _V.STARTING,
    "stop": _V.STOPPING,
    "restart": _V.RESTARTING,
    "delete": _V.DELETING,
}


class Violation(AssertionError):
    def __init__(self, check: str, detail: str) -> None:
        super().__init__(f"[{check}] {detail}")
        self.check = check


def expect(check: str, holds: bool, detail: str) -> None:
    if not holds:
        raise Violation(check, detail)


@dataclass(frozen=True)
class Ghost:
    """What the explorer remembers of the path, independently of the aggregate."""

    stack: tuple[int, ...] = ()  # subtasks that finished a run, in completion order, not undone
    ran: frozenset[int] = frozenset()  # subtasks ever claimed


def fingerprint(task: Task, service: ArbitrationService) -> tuple[object, ...]:
    """Everything a command could change, as immutable values (a later change cannot alter it)."""
    return (task_fingerprint(task), service.version, service.status, service.active_task_id)


def task_fingerprint(task: Task) -> tuple[object, ...]:
    subtasks = tuple(
        (s.status, s.operation, s.run_time, s.attempt, s.executor, s.start_time, s.finish_time)
        for s in task.subtasks
    )
    return (task.version, task.operation, task.finish_time, subtasks)


def spec_status(task: Task) -> TaskStatus:
    statuses = {s.status for s in task.subtasks}
    if statuses & set(_ACTIVE):
        return TaskStatus.RUNNING
    return TaskStatus.FAILED if _S.FAILED in statuses else TaskStatus.SUCCESSFUL


def check_state(task: Task, service: ArbitrationService, ghost: Ghost) -> None:
    _check_service(task, service)
    status = spec_status(task)
    expect("status-derivation", task.status is status, f"task is {task.status}, not {status}")
    if status is TaskStatus.SUCCESSFUL:
        done = all(s.status is _S.SUCCESSFUL for s in task.subtasks)
        undone = task.rolling_back and all(s.status is _S.PENDING for s in task.subtasks)
        expect("status-derivation", done or undone, f"SUCCESSFUL but stuck: {_statuses(task)}")
    expect("status-derivation", (task.finish_time is None) == (status is TaskStatus.RUNNING), "")
    for s in task.subtasks:
        if s.status not in _ACTIVE:
            continue
        if task.rolling_back:
            ok = all(task.subtask(d).status is _S.PENDING for d in s.downstreams)
        else:
            ok = all(task.subtask(u).status is _S.SUCCESSFUL for u in s.upstreams)
        expect("dag-order", ok, f"subtask {s.id} is {s.status} too early: {_statuses(task)}")
    passed = any(s.prohibit_rollback and s.id in ghost.ran for s in task.subtasks)
    expect("prohibit-rollback", task.prohibit_rollback is passed, "derived flag is wrong")
    if task.rolling_back:
        expect("prohibit-rollback", not passed, "a rollback runs past a prohibitRollback step")


def _check_service(task: Task, service: ArbitrationService) -> None:
    """The service is bound to exactly its unfinished task (a FAILED one too: it may still be
    retried or rolled back), and shows the task's transitional status while a run holds it."""
    bound = service.active_task_id
    expect("service-binding", bound in (None, task.task_id), f"bound to task {bound}")
    if task.status is not TaskStatus.SUCCESSFUL:
        expect("service-binding", bound == task.task_id, f"a {task.status} task let it go")
    if any(s.status in _HELD for s in task.subtasks):
        shown = (service.status, TRANSITIONAL[task.template])
        expect("transitional", shown[0] is shown[1], f"{_statuses(task)}: service {shown}")


def check_refused(
    action: Action,
    error: Exception,
    before: tuple[object, ...],
    after: Task,
    service: ArbitrationService,
) -> None:
    """`before` is the fingerprint of the state the refused action was tried on."""
    check = "rejected-records-nothing"
    expect(check, isinstance(error, DomainError), f"{action.label} raised {error!r}")
    pending = after.collect_events() + service.collect_events()
    expect(check, not pending, f"refused {action.label} recorded events")
    expect(check, fingerprint(after, service) == before, f"refused {action.label} changed it")
    refused = after.subtask(_sid(action)) if action.subtask_id is not None else None
    if action.name == "skip" and refused and refused.prohibit_skip and refused.status is _S.FAILED:
        expect("prohibit-skip", isinstance(error, SkipProhibited), f"{error!r}")
    if action.name == "rollback" and after.status is TaskStatus.FAILED and after.prohibit_rollback:
        expect("prohibit-rollback", isinstance(error, RollbackProhibited), f"{error!r}")
    if action.name.startswith("stale_"):
        expect("fencing", isinstance(error, StaleAttempt), f"{action.label}: {error!r}")


# The operator's actions as the views name them: (action name, is it a subtask's) -> operation.
_ADVERTISED = {
    ("retry_task", False): Operation.RETRY,
    ("rollback", False): Operation.ROLLBACK,
    ("retry", True): Operation.RETRY,
    ("skip", True): Operation.SKIP,
    ("cancel", True): Operation.CANCEL,
}


def check_engine_offers(
    task: Task, service: ArbitrationService, accepted: set[tuple[str, int | None]]
) -> None:
    """A run's outcome, reported by its current attempt, is always recorded (a cancel asked
    meanwhile wins over what the run did); a SUCCESSFUL task that still holds its service
    lets it go when the engine's sweep comes."""
    for s in task.subtasks:
        if s.status in _HELD:
            missing = [o for o in OUTCOMES[:3] if (o, s.id) not in accepted]
            expect("outcome-recorded", not missing, f"{s.id} ({s.status}) refused {missing}")
    owed = task.status is TaskStatus.SUCCESSFUL and service.active_task_id == task.task_id
    expect("release", owed == (("release", None) in accepted), f"owed {owed}, {accepted}")


def check_allowed_operations(task: Task, accepted: set[tuple[str, int | None]]) -> None:
    """What the views offer (the task's, its sketch's and each subtask's allowed operations) is
    exactly what the commands accepted in this state: no surface offers a refused operation or
    hides an accepted one."""
    offered = {(str(op), None) for op in task.allowed_operations()}
    for s in task.subtasks:
        offered |= {(str(op), s.id) for op in task.allowed_subtask_operations(s.id)}
    taken = {
        (str(_ADVERTISED[name, sid is not None]), sid)
        for name, sid in accepted
        if (name, sid is not None) in _ADVERTISED
    }
    check = "allowed-operations"
    expect(check, offered == taken, f"offered {sorted(offered, key=str)}, accepted {taken}")
    sketched = set(TaskSketch.of(task).allowed_operations())
    expect(check, sketched == set(task.allowed_operations()), f"sketch offers {sketched}")


def check_accepted(
    action: Action,
    before: tuple[Task, ArbitrationService],
    after: tuple[Task, ArbitrationService],
    ghost: Ghost,
) -> None:
    task_before, (task_after, service_after) = before[0], after
    was_done = task_before.status is TaskStatus.SUCCESSFUL
    expect("absorbing", not was_done or action.name == "release", f"{action.label} after end")
    expect("fencing", not action.name.startswith("stale_"), f"{action.label} was accepted")
    events = task_after.collect_events()
    service_events = service_after.collect_events()
    expect("rejected-records-nothing", bool(events or service_events), f"{action.label}: none")
    # What the command did must be exactly what its events do: a replay rebuilds the same state.
    replayed, service_replayed = copy.deepcopy(before)
    for event in events:
        was = _transition(replayed, event)
        event.mutate(replayed)
        # Each event records the transition it made (the audit log reads it, not the rules).
        recorded = _recorded(event)
        made = was + _transition(replayed, event)
        expect("recorded", recorded == made, f"{action.label}: records {recorded}, made {made}")
    for service_event in service_events:
        service_event.mutate(service_replayed)
    expect(
        "replay",
        fingerprint(replayed, service_replayed) == fingerprint(*after),
        f"{action.label} is not its events",
    )
    # The views fold sketches, not aggregates: the same events must sketch the same task.
    sketch = TaskSketch.of(task_before)
    for event in events:
        assert isinstance(event, Task.SubtaskEvent | Task.TaskEvent)
        sketch.apply(event)
    expect("sketch", sketch == TaskSketch.of(task_after), f"{action.label}: {sketch} differs")
    if action.name == "skip":
        expect("prohibit-skip", not task_before.subtask(_sid(action)).prohibit_skip, action.label)
    if action.name == "rollback":
        passed = any(s.prohibit_rollback and s.id in ghost.ran for s in task_before.subtasks)
        expect("prohibit-rollback", not passed, "rollback accepted past a prohibitRollback step")
    ended = task_after.status is TaskStatus.SUCCESSFUL
    if ended and action.name in (*ENGINE_ACTIONS, "release"):
        # A task the engine finishes lets its service go in the same save.
        expect("release", service_after.active_task_id is None, f"{action.label} kept it bound")
    if action.name == "release":
        expect("release", not events and was_done, f"{action.label}: {events}")
        return
    _check_effect(action, task_before, task_after)


def _transition(task: Task, event: Task.Event) -> tuple[str | None, ...]:
    """(the event's subtask's status, the task's): what a subtask event records either side of
    itself; a task event records the task's alone."""
    subtask_id = getattr(event, "subtask_id", None)
    subtask = () if subtask_id is None else (str(task.subtask(subtask_id).status),)
    return (*subtask, str(task.status))


def _recorded(event: Task.Event) -> tuple[str | None, ...]:
    fields = ("task_status_before", "task_status_after")
    if hasattr(event, "subtask_id"):
        fields = ("status_before", "task_status_before", "status_after", "task_status_after")
    return tuple(getattr(event, f) for f in fields)


def _check_effect(action: Action, before: Task, after: Task) -> None:
    """The accepted action did what DESIGN.md says it does."""
    name, check = action.name, "action-effect"
    if action.subtask_id is None:
        expect(check, before.status is TaskStatus.FAILED, f"{name} on a {before.status} task")
        if name == "retry_task":
            expect(check, not before.rolling_back, "retry of a rolled-back task")
            expect(check, after.operation is Operation.RETRY, f"operation {after.operation}")
            for b, a in zip(before.subtasks, after.subtasks, strict=True):
                if b.status is _S.FAILED:
                    moved = (a.status, a.operation, a.run_time)
                    expect(check, moved == (_S.READY, Operation.RETRY, b.run_time + 1), str(moved))
        else:
            expect(check, after.operation is Operation.ROLLBACK, f"operation {after.operation}")
        return
    b, a = before.subtask(action.subtask_id), after.subtask(action.subtask_id)
    back = _S.PENDING if after.rolling_back else _S.SUCCESSFUL
    expected: dict[str, tuple[tuple[SubtaskStatus, ...], tuple[SubtaskStatus, ...]]] = {
        "claim": ((_S.READY,), (_S.RUNNING,)),
        "succeed": ((_S.RUNNING, _S.CANCELING), (back,)),
        "fail": ((_S.RUNNING, _S.CANCELING), (_S.FAILED,)),
        "time_out": ((_S.RUNNING, _S.CANCELING), (_S.FAILED,)),
        "take_over": ((_S.RUNNING, _S.CANCELING), (_S.RUNNING, _S.FAILED)),
        "confirm_cancel": ((_S.CANCELING,), (_S.FAILED,)),
        "retry": ((_S.FAILED,), (_S.READY,)),
        "skip": ((_S.FAILED,), (back,)),
        "cancel": ((_S.RUNNING,), (_S.CANCELING,)),
    }
    sources, dests = expected[name]
    canceled = name in OUTCOMES and b.status is _S.CANCELING
    if canceled:  # a cancel asked while the step ran wins over whatever the run reports
        dests = (_S.FAILED,)
    expect(check, b.status in sources, f"{action.label} from {b.status}")
    expect(check, a.status in dests, f"{action.label} from {b.status} led to {a.status}")
    if name in ("claim", "take_over") and a.status is _S.RUNNING:
        expect(check, a.attempt == b.attempt + 1, f"{action.label}: attempt {a.attempt}")
    if name == "take_over":
        expect(check, (b.status is _S.RUNNING) == (a.status is _S.RUNNING), action.label)
    if name in ("time_out", "confirm_cancel") or canceled:
        expect(check, a.operation is Operation.CANCEL, f"{action.label}: {a.operation}")
    if name == "retry":
        expect(check, not before.rolling_back, "subtask retry during a rollback")
        now = (a.operation, a.run_time)
        expect(check, now == (Operation.RETRY, b.run_time + 1), f"{action.label}: {now}")
    if name == "skip" and not after.rolling_back:
        expect(check, a.operation is Operation.SKIP, f"{action.label}: {a.operation}")


def advance(action: Action, before: Task, after: Task, ghost: Ghost) -> Ghost:
    """The ghost after an accepted action, checking the undo order on the way."""
    ran = ghost.ran | {_sid(action)} if action.name == "claim" else ghost.ran
    stack = list(ghost.stack)
    changed = [
        (b, a)
        for b, a in zip(before.subtasks, after.subtasks, strict=True)
        if b.status is not a.status
    ]
    if after.rolling_back:
        # Undone subtasks leave the stack from its top; then whatever else moved must be the top.
        homed = [b.id for b, a in changed if a.status is _S.PENDING and b.id in stack]
        for sid in sorted(homed, key=stack.index, reverse=True):
            expect("undo-order", stack[-1] == sid, f"{sid} undone before {stack[-1]}: {stack}")
            stack.pop()
        for b, a in changed:
            if a.status is _S.PENDING and b.id not in homed:
                expect("undo-order", not b.has_started, f"{b.id} went home without its undo")
            elif a.status is not _S.PENDING:
                top = stack[-1] if stack else None
                expect("undo-order", top == b.id, f"{b.id} moved while {top} is not undone")
    else:
        for b, a in changed:
            if a.status in _DONE and b.id not in stack:
                stack.append(b.id)
            elif a.status not in _DONE and b.id in stack:
                stack.remove(b.id)
    return replace(ghost, stack=tuple(stack), ran=ran)


def key(task: Task, service: ArbitrationService, ghost: Ghost, exact: bool) -> tuple[object, ...]:
    """A state's identity for deduplication.

    By default it is what the rules can observe: the task operation, the subtask statuses, which
    subtasks ever ran, the completion stack (subtask operations, runTimes and attempts never
    decide what is allowed), and the service's status and whether the task holds it. `exact`
    adds every subtask's operation and runTime.
    """
    if exact:
        subtasks: tuple[object, ...] = tuple(
            (s.status, s.operation, s.run_time) for s in task.subtasks
        )
    else:
        subtasks = tuple(s.status for s in task.subtasks)
    held = (service.status, service.active_task_id is not None)
    return (task.operation, subtasks, ghost.stack, ghost.ran, held)


def _sid(action: Action) -> int:
    assert action.subtask_id is not None
    return action.subtask_id


def _statuses(task: Task) -> str:
    return " ".join(f"{s.id}:{s.status}/{s.operation}" for s in task.subtasks)
