"""domain.rules answers "where does this trigger lead from this state, under these guards"."""

import pytest

from domain import rules
from domain.enums import SubtaskStatus, TaskStatus

_S = SubtaskStatus


def test_a_trigger_leads_where_its_guards_allow() -> None:
    m = rules.SUBTASK_RULES
    forward = {rules.ROLLING_BACK: False}
    backward = {rules.ROLLING_BACK: True}
    assert rules.destination(m, "succeed", _S.RUNNING, forward) == _S.SUCCESSFUL
    assert rules.destination(m, "succeed", _S.RUNNING, backward) == _S.PENDING
    assert rules.destination(m, "skip", _S.FAILED, {rules.PROHIBIT_SKIP: True}) is None
    assert rules.destination(m, "claim", _S.PENDING, {}) is None


def test_a_missing_guard_counts_as_false() -> None:
    # schedule needs upstreams_successful: unknown means not yet.
    assert rules.destination(rules.SUBTASK_RULES, "schedule", _S.PENDING, {}) is None


def test_rollback_of_a_task_is_refused_past_a_prohibit_rollback_step() -> None:
    m, failed = rules.TASK_RULES, TaskStatus.FAILED
    assert rules.destination(m, "rollback", failed, {rules.PROHIBIT_ROLLBACK: True}) is None
    assert rules.destination(m, "rollback", failed, {}) == TaskStatus.RUNNING


def test_an_unknown_trigger_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        rules.destination(rules.SUBTASK_RULES, "explode", _S.RUNNING, {})


def test_the_triggers() -> None:
    assert set(rules.triggers(rules.TASK_RULES)) == {"retry", "rollback"}
    assert "undo" in rules.triggers(rules.SUBTASK_RULES)
