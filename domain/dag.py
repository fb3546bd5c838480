"""The task DAG as the rules see it: a shape (who is upstream and downstream of whom) and one
status per subtask.

Everything here is a pure function of (rule table, shape, statuses, direction), so each answer is
computed once and remembered: a replay, a projection rebuild and the engine ask the same few
questions of the same few shapes again and again. The rules themselves stay in domain.rules.
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
    """What one subtask event does: its subtask's new status, then the moves that follow."""

    dest: SubtaskStatus | None
    moves: tuple[Move, ...]


_SHAPE_IDS: dict[Shape, int] = {}
_ANSWERS: dict[tuple[Any, ...], SubtaskStatus | None] = {}
_SETTLED: dict[tuple[Any, ...], tuple[Move, ...]] = {}
_PLANS: dict[tuple[Any, ...], Plan] = {}


def shape_id(shape: Shape) -> int:
    """A small number per distinct shape: cheaper to hash in the memo keys than the shape."""
    return _SHAPE_IDS.setdefault(shape, len(_SHAPE_IDS))


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
    # The table is part of the key: tools/mutants.py swaps it.
    key = (rules.SUBTASK_RULES, trigger, statuses[index], *found.items())
    if key not in _ANSWERS:
        dest = rules.destination(rules.SUBTASK_RULES, trigger, statuses[index], found)
        _ANSWERS[key] = None if dest is None else SubtaskStatus(dest)
    return _ANSWERS[key]


def settled(ident: int, shape: Shape, statuses: Statuses, rolling_back: bool) -> tuple[Move, ...]:
    """The moves that settle a task: schedule forward, or walk the rollback upstream, until
    nothing more can move. Each move is seen by the subtasks after it."""
    key = (rules.SUBTASK_RULES, ident, statuses, rolling_back)
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
    key = (rules.SUBTASK_RULES, ident, statuses, direction, index, trigger)
    found = _PLANS.get(key)
    if found is None:
        dest = destination(shape, statuses, direction[0], index, trigger)
        moves: tuple[Move, ...] = ()
        if dest is not None:
            after = (*statuses[:index], dest, *statuses[index + 1 :])
            moves = settled(ident, shape, after, direction[1])
        found = remember(_PLANS, key, Plan(dest, moves))
    return found


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


def remember(memo: dict[K, V], key: K, value: V) -> V:
    """Store an answer in a memo, which is emptied when it reaches its bound."""
    if len(memo) >= _MEMO_LIMIT:
        memo.clear()
    memo[key] = value
    return value
