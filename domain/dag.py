"""The task DAG as the rules see it: a shape (who is upstream and downstream of whom) and one
status per subtask.

Everything here is a pure function of (shape, statuses, direction) under the rule table, so each
answer is computed once and remembered: a replay, a projection rebuild and the engine ask the same
few questions of the same few shapes again and again. The rules themselves stay in domain.rules;
whoever swaps the table (tools/mutants.py) empties the memos (`forget`).
"""

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from domain import rules
from domain.enums import SubtaskStatus

_S = SubtaskStatus
K = TypeVar("K")
V = TypeVar("V")
_MEMO_LIMIT = 100_000  # reachable states are few; a bound keeps a pathological store in check


class Node(NamedTuple):
    upstreams: tuple[int, ...]  # indices into the task's subtasks
    downstreams: tuple[int, ...]
    prohibit_skip: bool


Shape = tuple[Node, ...]
Statuses = tuple[SubtaskStatus, ...]


class Move(NamedTuple):
    """One consequence of a transition: the subtask at `at` moved by `trigger` to `dest`."""

    at: int
    trigger: str
    dest: SubtaskStatus


class Plan(NamedTuple):
    """What one event does: its subtask's new status (None for a task event, or when the rules
    forbid it), the moves that follow, and every subtask's status once they are done."""

    dest: SubtaskStatus | None
    moves: tuple[Move, ...]
    after: Statuses


_SHAPE_IDS: dict[tuple[tuple[tuple[int, ...], tuple[int, ...], bool], ...], int] = {}
_SHAPES: list[Shape] = []
_ANSWERS: dict[tuple[Any, ...], SubtaskStatus | None] = {}
_SETTLED: dict[tuple[Any, ...], tuple[Move, ...]] = {}
_PLANS: dict[tuple[Any, ...], Plan] = {}


def shape_of(
    nodes: Sequence[tuple[int, Sequence[int], Sequence[int], bool]],
) -> tuple[dict[int, int], Shape, int]:
    """From (id, upstream ids, downstream ids, prohibit_skip) per subtask, in order: each id's
    index, the shape, and the shape's number (cheaper to hash in the memo keys)."""
    index_of = {node[0]: i for i, node in enumerate(nodes)}
    at = index_of.__getitem__
    plain = tuple(
        (tuple(map(at, ups)), tuple(map(at, downs)), skip) for _, ups, downs, skip in nodes
    )
    ident = _SHAPE_IDS.get(plain)
    if ident is None:  # Nodes are made once per distinct shape: every replayed creation asks
        ident = _SHAPE_IDS[plain] = len(_SHAPES)
        _SHAPES.append(tuple(Node(*node) for node in plain))
    return index_of, _SHAPES[ident], ident


def guards(
    shape: Shape, statuses: Sequence[SubtaskStatus], rolling_back: bool, index: int
) -> Mapping[str, bool]:
    node = shape[index]
    return {
        rules.ROLLING_BACK: rolling_back,
        rules.PROHIBIT_SKIP: node.prohibit_skip,
        rules.UPSTREAMS_SUCCESSFUL: all(statuses[i] is _S.SUCCESSFUL for i in node.upstreams),
        rules.DOWNSTREAMS_PENDING: all(statuses[i] is _S.PENDING for i in node.downstreams),
    }


def destination(
    shape: Shape, statuses: Sequence[SubtaskStatus], rolling_back: bool, index: int, trigger: str
) -> SubtaskStatus | None:
    """Where `trigger` takes subtask `index`, or None when the rules forbid it."""
    found = guards(shape, statuses, rolling_back, index)
    key = (trigger, statuses[index], *found.items())
    if key not in _ANSWERS:
        dest = rules.destination(rules.SUBTASK_RULES, trigger, statuses[index], found)
        _ANSWERS[key] = None if dest is None else SubtaskStatus(dest)
    return _ANSWERS[key]


def settled(ident: int, shape: Shape, statuses: Statuses, rolling_back: bool) -> tuple[Move, ...]:
    """The moves that settle a task: schedule forward, or walk the rollback upstream, until
    nothing more can move. Each move is seen by the subtasks after it."""
    key = (ident, statuses, rolling_back)
    found = _SETTLED.get(key)
    if found is None:
        found = remember(_SETTLED, key, _walk(shape, list(statuses), rolling_back))
    return found


def plan(
    ident: int,
    shape: Shape,
    statuses: Statuses,
    direction: tuple[bool, bool],
    index: int,
    trigger: str,
) -> Plan:
    """A subtask event's transition and what it sets moving. `direction` is whether the task
    rolls back before the event and after it (a retry of a subtask turns the task forward)."""
    key = (ident, statuses, direction, index, trigger)
    found = _PLANS.get(key)
    if found is None:
        dest = destination(shape, statuses, direction[0], index, trigger)
        if dest is None:
            found = Plan(None, (), statuses)
        else:
            moved = (*statuses[:index], dest, *statuses[index + 1 :])
            moves = settled(ident, shape, moved, direction[1])
            found = remember(_PLANS, key, Plan(dest, moves, _moved(moved, moves)))
    return found


def whole_task(
    ident: int, shape: Shape, statuses: Statuses, trigger: str, rolling_back: bool
) -> Plan:
    """A task event: `trigger` ("retry" forward, "undo" for a rollback) moves every FAILED
    subtask the rules let it move, in order, then the task settles in its direction."""
    key = (ident, statuses, rolling_back, None, trigger)
    found = _PLANS.get(key)
    if found is None:
        vector, moves = list(statuses), []
        for index, status in enumerate(statuses):
            dest = destination(shape, vector, rolling_back, index, trigger)
            if status is _S.FAILED and dest is not None:
                vector[index] = dest
                moves.append(Move(index, trigger, dest))
        moved = tuple(vector)
        then = settled(ident, shape, moved, rolling_back)
        found = remember(_PLANS, key, Plan(None, (*moves, *then), _moved(moved, then)))
    return found


def _moved(statuses: Statuses, moves: tuple[Move, ...]) -> Statuses:
    vector = list(statuses)
    for move in moves:
        vector[move.at] = move.dest
    return tuple(vector)


def _walk(shape: Shape, statuses: list[SubtaskStatus], rolling_back: bool) -> tuple[Move, ...]:
    moves = []
    changed = True
    while changed:
        changed = False
        for index in range(len(shape)):
            trigger = _trigger_to_move(shape, statuses, rolling_back, index)
            if trigger is None:
                continue
            dest = destination(shape, statuses, rolling_back, index, trigger)
            assert dest is not None
            statuses[index] = dest
            moves.append(Move(index, trigger, dest))
            changed = True
    return tuple(moves)


def _trigger_to_move(
    shape: Shape, statuses: Sequence[SubtaskStatus], rolling_back: bool, index: int
) -> str | None:
    if rolling_back:
        if statuses[index] is _S.SUCCESSFUL and destination(
            shape, statuses, rolling_back, index, "undo"
        ):
            return "undo"
    elif statuses[index] is _S.PENDING and destination(
        shape, statuses, rolling_back, index, "schedule"
    ):
        return "schedule"
    return None


def forget() -> None:
    """Empty the memos of the rules' answers: the rule table was swapped."""
    for memo in (_ANSWERS, _SETTLED, _PLANS):
        memo.clear()


def remember(memo: dict[K, V], key: K, value: V) -> V:
    """Store an answer in a memo, which is emptied when it reaches its bound."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value
