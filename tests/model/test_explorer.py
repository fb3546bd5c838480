"""Exhaustive exploration of every template's reachable states (see tests/model/explorer.py)."""

import pytest

from domain.templates import TEMPLATES
from tests.model.explorer import EXPLORED, NO_SKIP, explore
from tests.model.profile import PROFILE


@pytest.mark.parametrize("key", sorted(EXPLORED))
def test_every_reachable_state_keeps_the_rules(key: str) -> None:
    stats = explore(EXPLORED[key], PROFILE.bound, name=key)
    print(f"\n{stats}")
    # Exploration really ran: a FAILED state, a finished one, both ways home for a rollback.
    assert stats.states == stats.expanded
    assert stats.failed > 0
    assert stats.terminal >= 2  # done forward, and rolled back (before any prohibitRollback step)
    assert stats.refused > stats.transitions > stats.states


@pytest.mark.parametrize(("key", "bound"), sorted(PROFILE.exact.items()))
def test_exact_states_up_to_the_runtime_bound(key: str, bound: int) -> None:
    stats = explore(EXPLORED[key], bound, exact=True, name=key)
    print(f"\n{stats}")
    assert stats.expanded < stats.states  # the bound was reached, so it did cut


def test_every_shipped_template_is_explored() -> None:
    assert set(TEMPLATES) < set(EXPLORED)
    assert any(spec.prohibit_skip for spec in NO_SKIP.subtasks)
