"""Breadth-first exploration of every reachable state of a Task and its ArbitrationService, in
memory, over the pure domain.

From a new task bound to its service, every engine and operator action is tried on a copy of
each state; the domain decides what is enabled. States are deduplicated by a canonical key and
the exploration stops expanding a state once a subtask's runTime passes the bound.
`python -m tests.model.explorer` prints the figures per template for the profile
(docs/testing.md records them).
"""

import copy
import sys
import time
from collections import deque
from dataclasses import dataclass, field, replace

from domain.caller import Caller
from domain.enums import ServiceStatus, SubtaskStatus, TaskStatus
from domain.service import ArbitrationService
from domain.service_lifecycle import STARTS_FROM
from domain.service_lifecycle import TEMPLATES as OPERATIONS
from domain.subtask import chain_specs
from domain.task import Task
from domain.templates import TEMPLATES, UPGRADE, TaskTemplate
from tests.model import checks
from tests.model.actions import TRACE, Action, all_actions, stale_outcomes
from tests.model.checks import Ghost, Violation, expect

DEFAULT_BOUND = 3  # runTime <= 3: a first run and two more (retries or undos)

# No shipped template forbids a skip; this variant of the upgrade does, so prohibitSkip is explored.
NO_SKIP = replace(
    UPGRADE,
    subtasks=tuple(
        replace(spec, prohibit_skip=spec.step == "install_target") for spec in UPGRADE.subtasks
    ),
)
EXPLORED = {**TEMPLATES, "upgrade-prohibit-skip": NO_SKIP}
ADMIN = Caller("admin", TRACE)
State = tuple[Task, ArbitrationService]


@dataclass
class Stats:
    template: str
    states: int = 0  # distinct states reached (expanded or beyond the bound)
    expanded: int = 0
    transitions: int = 0  # accepted actions from expanded states
    refused: int = 0  # refused actions, each checked to have changed and recorded nothing
    terminal: int = 0  # SUCCESSFUL states
    failed: int = 0  # FAILED states, each with an operator action
    seconds: float = 0.0
    edges: dict[int, set[int]] = field(default_factory=dict, repr=False)


def new_task(template: TaskTemplate) -> Task:
    task = created_task(template)
    task.collect_events()
    return task


def new_state(template: TaskTemplate) -> State:
    """A new task and its service, bound to it, in the status the task's operation starts from
    (a service being created is registered CREATING)."""
    task = new_task(template)
    operation = next((op for op, t in OPERATIONS.items() if t.key == template.key), None)
    status = ServiceStatus.CREATING if operation is None else STARTS_FROM[operation][0]
    service = ArbitrationService.register(
        caller=ADMIN,
        status=status,
        service_id=task.service_id,
        name="arbitration",
        host_id=1,
        svr_ip="10.0.0.9",
        svr_port=2882,
        install_path="/home/admin/oceanbase",
        run_path="/home/admin/oceanbase/run",
        run_user="admin",
        software_version="4.2.1.0-100000102023092807",
        rpm_name="oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm",
    )
    service.bind_task(task.task_id, ADMIN)
    service.collect_events()
    return task, service


def created_task(template: TaskTemplate) -> Task:
    """A new task of `template` (subtasks 101, 102, ...), its TaskCreated still pending."""
    ids = list(range(101, 101 + len(template.subtasks)))
    return Task.create(
        task_id=100,
        name=template.name,
        template=template.key,
        service_id=1,
        params={},
        subtasks=chain_specs(template, ids),
        executor="node",
        client_token=None,
        caller=ADMIN,
    )


def explore(
    template: TaskTemplate, bound: int = DEFAULT_BOUND, exact: bool = False, name: str = ""
) -> Stats:
    began = time.perf_counter()
    stats = Stats(name or template.key)
    ids: dict[tuple[object, ...], int] = {}
    finished: set[int] = set()
    queue: deque[tuple[int, State, Ghost]] = deque()

    def visit(state: State, ghost: Ghost) -> int:
        task, service = state
        state_key = checks.key(task, service, ghost, exact)
        if state_key in ids:
            return ids[state_key]
        checks.check_state(task, service, ghost)
        number = ids[state_key] = len(ids)
        if task.status is not TaskStatus.RUNNING:
            finished.add(number)
        if max(s.run_time for s in task.subtasks) <= bound:
            queue.append((number, state, ghost))
        return number

    visit(new_state(template), Ghost())
    while queue:
        number, state, ghost = queue.popleft()
        task, service = state
        stats.expanded += 1
        successors = stats.edges.setdefault(number, set())
        operator_enabled = False
        # Actions are tried on the state itself (a refused one must leave it as it was); an
        # accepted one moves it on, so the state is restored from a pristine copy afterwards.
        pristine, before = copy.deepcopy(state), checks.fingerprint(task, service)
        accepted: set[tuple[str, int | None]] = set()
        for action in _actions(task):
            try:
                action.run(task, service)
            except Exception as error:  # every refusal is checked, whatever it raised
                checks.check_refused(action, error, before, task, service)
                stats.refused += 1
                continue
            after, (task, service) = (task, service), copy.deepcopy(pristine)
            checks.check_accepted(action, (task, service), after, ghost)
            stats.transitions += 1
            operator_enabled |= action.name in checks.OPERATOR_ACTIONS
            accepted.add((action.name, action.subtask_id))
            successors.add(visit(after, checks.advance(action, task, after[0], ghost)))
        checks.check_allowed_operations(task, accepted)
        checks.check_engine_offers(task, service, accepted)
        if task.status is TaskStatus.FAILED:
            stats.failed += 1
            expect("liveness-operator", operator_enabled, f"FAILED with no way out: {task}")
        stats.terminal += task.status is TaskStatus.SUCCESSFUL
    _check_liveness(stats.edges, finished)
    stats.states = len(ids)
    stats.seconds = time.perf_counter() - began
    return stats


def _actions(task: Task) -> list[Action]:
    actions = all_actions(task)
    for s in task.subtasks:
        if s.status in (SubtaskStatus.RUNNING, SubtaskStatus.CANCELING):
            actions += stale_outcomes(s.id)
    return actions


def _check_liveness(edges: dict[int, set[int]], finished: set[int]) -> None:
    """From every expanded state a finished (non-RUNNING) state is reachable: nothing is stuck."""
    reverse: dict[int, set[int]] = {}
    for source, targets in edges.items():
        for target in targets:
            reverse.setdefault(target, set()).add(source)
    live, frontier = set(finished), list(finished)
    while frontier:
        for source in reverse.get(frontier.pop(), ()):
            if source not in live:
                live.add(source)
                frontier.append(source)
    stuck = sorted(set(edges) - live)
    expect("liveness-finish", not stuck, f"{len(stuck)} states can never finish, e.g. {stuck[:5]}")


def main() -> int:
    """Explore per the profile (ARBITER_MODEL_PROFILE) and print the figures as a table."""
    from tests.model.profile import PROFILE

    runs = [(key, PROFILE.bound, False) for key in EXPLORED]
    runs += [(key, bound, True) for key, bound in PROFILE.exact.items()]
    print(f"profile {PROFILE.name}")
    print(
        "| template | key | runTime <= | states | expanded | transitions | refused "
        "| SUCCESSFUL | FAILED | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for key, bound, exact in runs:
        try:
            s = explore(EXPLORED[key], bound, exact, key)
        except Violation as violation:
            print(f"VIOLATION in {key}: {violation}")
            return 1
        print(
            f"| {s.template} | {'exact' if exact else 'rules'} | {bound} | {s.states} "
            f"| {s.expanded} | {s.transitions} | {s.refused} | {s.terminal} | {s.failed} "
            f"| {s.seconds:.1f} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
