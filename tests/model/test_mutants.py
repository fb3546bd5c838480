"""`make mutants` works: a planted bug (in a subprocess) is caught by the check named for it."""

import subprocess
import sys
from pathlib import Path

import pytest

from tools.mutants import MUTANTS


@pytest.mark.parametrize(
    ("mutant", "check"),
    [
        ("none", None),
        ("fencing_disabled", "fencing"),
        ("rollback_order_reversed", "undo-order"),
        ("claim_never_allowed", "liveness-finish"),
        ("task_status_recorded_unchanged", "recorded"),
        ("outcome_ignores_a_pending_cancel", "outcome-recorded"),
        ("views_offer_cancel_when_retry_is_allowed", "allowed-operations"),
    ],
)
def test_a_planted_bug_is_caught_by_its_check(mutant: str, check: str | None) -> None:
    assert mutant == "none" or mutant in MUTANTS
    done = subprocess.run(
        [sys.executable, "-m", "tools.mutants", "--run", mutant],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=Path(__file__).resolve().parents[2],  # where `tools` is importable
    )
    verdict = done.stdout.strip().split("\t")
    if check is None:
        assert verdict[0] == "survived", done.stdout  # the clean model passes its checks
    else:
        assert verdict[:2] == ["caught", check], done.stdout
