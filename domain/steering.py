"""What an operator may do to a task and its subtasks, asked of the rule table (domain.rules).

The commands (domain.task) and every surface that lists what is allowed (the views, hence the
console and the CLI) ask here, so no surface restates a rule.
"""

from collections.abc import Mapping

from transitions import Machine

from domain import rules
from domain.enums import Operation, TaskStatus

# The operator's operations, by the rule table's trigger each one pulls.
TASK_OPERATIONS = {Operation.RETRY: "retry", Operation.ROLLBACK: "rollback"}
SUBTASK_OPERATIONS = {
    Operation.RETRY: "retry",
    Operation.SKIP: "skip",
    Operation.CANCEL: "request_cancel",
}
# Guards that forbid what the state alone would allow; a refusal that lifting one of them would
# turn into a yes is that guard's (SkipProhibited, RollbackProhibited), not a wrong state.
_PROHIBITING = (rules.PROHIBIT_SKIP, rules.PROHIBIT_ROLLBACK)


def blamed_guard(machine: Machine, trigger: str, state: str, guards: Mapping[str, bool]) -> bool:
    """True when a prohibiting guard alone refuses `trigger` from `state`."""
    return any(
        guards.get(name, False)
        and rules.destination(machine, trigger, state, {**guards, name: False}) is not None
        for name in _PROHIBITING
    )


def task_guards(rolling_back: bool, prohibit_rollback: bool) -> dict[str, bool]:
    return {rules.ROLLING_BACK: rolling_back, rules.PROHIBIT_ROLLBACK: prohibit_rollback}


def allowed_task_operations(
    status: TaskStatus, rolling_back: bool, prohibit_rollback: bool
) -> list[Operation]:
    """The operator's task operations the rules allow: plain values in, so that the task, its
    sketch and a task list's row all ask the same question of the same table."""
    guards = task_guards(rolling_back, prohibit_rollback)
    return [
        op
        for op, trigger in TASK_OPERATIONS.items()
        if rules.destination(rules.TASK_RULES, trigger, status, guards) is not None
    ]
