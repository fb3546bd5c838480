"""The one table of the task model's rules, held by two transitions Machines.

The Machines are built once, with no model, and used as a rule table: the Task aggregate asks
which state a trigger leads to from a state, given named guards it evaluates itself. The engine,
the API and the model checker never restate these rules.
"""

from collections.abc import Mapping

from transitions import Machine

from domain.enums import SubtaskStatus, TaskStatus

# Guards a subtask transition may depend on; the Task aggregate evaluates each of them.
ROLLING_BACK = "rolling_back"
PROHIBIT_SKIP = "prohibit_skip"
UPSTREAMS_SUCCESSFUL = "upstreams_successful"
DOWNSTREAMS_PENDING = "downstreams_pending"
# Guards of task transitions.
PROHIBIT_ROLLBACK = "prohibit_rollback"

_S = SubtaskStatus
SUBTASK_TRANSITIONS: list[dict[str, object]] = [
    # Scheduling: the DAG moves forward when every upstream has succeeded.
    {"trigger": "schedule", "source": _S.PENDING, "dest": _S.READY,
     "conditions": [UPSTREAMS_SUCCESSFUL], "unless": [ROLLING_BACK]},
    {"trigger": "claim", "source": _S.READY, "dest": _S.RUNNING},
    # A run that finishes its step: forward it succeeds, in a rollback its undo brings it home.
    {"trigger": "succeed", "source": _S.RUNNING, "dest": _S.SUCCESSFUL, "unless": [ROLLING_BACK]},
    {"trigger": "succeed", "source": _S.RUNNING, "dest": _S.PENDING, "conditions": [ROLLING_BACK]},
    {"trigger": "fail", "source": _S.RUNNING, "dest": _S.FAILED},
    {"trigger": "time_out", "source": [_S.RUNNING, _S.CANCELING], "dest": _S.FAILED},
    {"trigger": "request_cancel", "source": _S.RUNNING, "dest": _S.CANCELING},
    {"trigger": "confirm_cancel", "source": _S.CANCELING, "dest": _S.FAILED},
    # The executor died: a running step is run again by a new attempt (steps are idempotent);
    # a step that was being cancelled is cancelled.
    {"trigger": "take_over", "source": _S.RUNNING, "dest": _S.RUNNING},
    {"trigger": "take_over", "source": _S.CANCELING, "dest": _S.FAILED},
    # Operator actions.
    {"trigger": "retry", "source": _S.FAILED, "dest": _S.READY, "unless": [ROLLING_BACK]},
    {"trigger": "skip", "source": _S.FAILED, "dest": _S.SUCCESSFUL,
     "unless": [PROHIBIT_SKIP, ROLLING_BACK]},
    {"trigger": "skip", "source": _S.FAILED, "dest": _S.PENDING,
     "conditions": [ROLLING_BACK], "unless": [PROHIBIT_SKIP]},
    # The rollback walk: undo a step once everything after it is back to PENDING.
    {"trigger": "undo", "source": [_S.SUCCESSFUL, _S.FAILED], "dest": _S.READY,
     "conditions": [ROLLING_BACK, DOWNSTREAMS_PENDING]},
]  # fmt: skip

_T = TaskStatus
TASK_TRANSITIONS: list[dict[str, object]] = [
    {"trigger": "retry", "source": _T.FAILED, "dest": _T.RUNNING, "unless": [ROLLING_BACK]},
    {"trigger": "rollback", "source": _T.FAILED, "dest": _T.RUNNING, "unless": [PROHIBIT_ROLLBACK]},
]


def _machine(
    states: type[SubtaskStatus] | type[TaskStatus], table: list[dict[str, object]]
) -> Machine:
    return Machine(
        model=None,
        states=[state.value for state in states],
        transitions=table,
        auto_transitions=False,
        initial=None,
    )


SUBTASK_RULES = _machine(SubtaskStatus, SUBTASK_TRANSITIONS)
TASK_RULES = _machine(TaskStatus, TASK_TRANSITIONS)


def destination(
    machine: Machine, trigger: str, state: str, guards: Mapping[str, bool]
) -> str | None:
    """Where `trigger` leads from `state` under `guards`, or None when the rules forbid it."""
    event = machine.events.get(trigger)
    if event is None:
        raise KeyError(f"unknown trigger {trigger!r}")
    for transition in event.transitions.get(state, []):
        if all(guards.get(str(c.func), False) == c.target for c in transition.conditions):
            return str(transition.dest)
    return None


def triggers(machine: Machine) -> list[str]:
    return list(machine.events)
