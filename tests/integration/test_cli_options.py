"""`arbiter projections ACTION` and `arbiter nodes` take --data-dir before or after the command
and after the action, against a real SQLite data directory."""

import re
import time
from pathlib import Path

import pytest

from api.cli import main
from domain.caller import Caller
from infrastructure.persistence.engine_tables import EngineTables
from infrastructure.persistence.sql import SQL
from infrastructure.persistence.store import store_for
from infrastructure.use_cases.application import ArbiterApp

NODE = "node-cli-test"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with events and a heartbeat; the working directory is elsewhere, so a
    --data-dir that got lost would read an empty ./data there instead."""
    for name in ("ARBITER_DATA_DIR", "ARBITER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    store = store_for(None, data)
    app = ArbiterApp(store, "10.0.0.1")
    try:
        app.register_host("10.0.0.2", "x86_64", "http://10.0.0.2:1", Caller("t", "0" * 16))
    finally:
        app.close()
    EngineTables(SQL(store)).heartbeat(NODE, "10.0.0.1:8080", time.time())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    return data


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    main(list(argv))
    return capsys.readouterr().out


def orders(command: str, action: list[str], data: Path) -> list[list[str]]:
    option = ["--data-dir", str(data)]
    return [
        [*option, command, *action],
        [command, *option, *action],
        [command, *action, *option],
    ]


def head_of(data: Path) -> int:
    app = ArbiterApp(store_for(None, data), "10.0.0.1")
    try:
        return app.projections.head()
    finally:
        app.close()


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (["status"], r"audit +{head} +{head} +0\n"),
        (["catch-up"], r"caught up to {head}\n"),
        (["rebuild", "audit"], r"audit: rebuilt to {head} in"),
        (["rebuild", "audit", "--batch", "1"], r"audit: rebuilt to {head} in"),
    ],
)
def test_projections_take_the_data_dir_anywhere(
    data_dir: Path, capsys: pytest.CaptureFixture[str], action: list[str], expected: str
) -> None:
    head = head_of(data_dir)
    assert head > 0
    if action == ["status"]:
        run(capsys, "projections", "--data-dir", str(data_dir), "catch-up")

    for argv in orders("projections", action, data_dir):
        assert re.search(expected.format(head=head), run(capsys, *argv)), argv


def test_nodes_take_the_data_dir_before_or_after(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in orders("nodes", [], data_dir)[::2]:
        assert f"{NODE:<40} 10.0.0.1:8080" in run(capsys, *argv), argv


def test_without_the_option_the_default_is_used(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The check above can fail: the working directory's own ./data has no events."""
    assert "caught up to 0" in run(capsys, "projections", "catch-up")
