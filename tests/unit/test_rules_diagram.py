"""The committed state diagram is the one the rule Machines draw today."""

from tools.diagram import DOC, render


def test_committed_state_diagram_is_current() -> None:
    stale = "docs/state-machine.md is stale: run python -m tools.diagram"
    assert DOC.read_text() == render(), stale


def test_diagram_shows_every_trigger_of_the_rule_table() -> None:
    text = render()
    for trigger in ("schedule", "claim", "succeed", "fail", "time_out", "request_cancel"):
        assert f"{trigger}" in text
    assert "FAILED --> RUNNING: retry [!rolling_back] | rollback [!prohibit_rollback]" in text
    assert "FAILED --> SUCCESSFUL: skip [!prohibit_skip & !rolling_back]" in text
