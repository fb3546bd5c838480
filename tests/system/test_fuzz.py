"""The short fuzz profile in `make test`: schemathesis against a live `arbiter serve --demo`
(tests/system/fuzz.py; `make fuzz` runs the long one, figures in docs/testing.md)."""

from pathlib import Path

import pytest

from tests.api.contract import document
from tests.system.fuzz import PROFILES, Result, fuzz

pytestmark = pytest.mark.system
SEED = 20261204
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.mark.timeout(300)  # ~15 s alone; the machine is shared
def test_the_short_profile_finds_nothing(tmp_path: Path) -> None:
    result = fuzz(PROFILES["short"], SEED, tmp_path)

    assert result.failures == [], result.output[-6000:]
    assert result.log_problems() == []
    assert result.report["exit_code"] == 0, result.output[-6000:]
    operations = sum(m in METHODS for ops in document()["paths"].values() for m in ops)
    assert result.operations == operations == 27
    assert result.cases >= 150


def test_the_log_check_sees_errors_and_their_tracebacks() -> None:
    log = "\n".join(
        [
            "2026-12-04 16:25:00,600 INFO aiohttp.access 127.0.0.1 GET /x 200",
            "2026-12-04 16:25:00,601 ERROR aiohttp.server Error handling request",
            "Traceback (most recent call last):",
            '  File "x.py", line 1, in f',
            "ValueError: boom",
            "2026-12-04 16:25:00,602 WARNING aiohttp.server malformed HTTP: Invalid header",
            "2026-12-04 16:25:00,603 CRITICAL arbiter down",
            "2026-12-04 16:25:00,604 INFO arbiter up",
            "Traceback (most recent call last):",
            "KeyError: 1",
        ]
    )

    problems = Result({}, "", log).log_problems()

    assert problems == [
        "2026-12-04 16:25:00,601 ERROR aiohttp.server Error handling request\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "ValueError: boom",
        "2026-12-04 16:25:00,603 CRITICAL arbiter down",
        "Traceback (most recent call last):\nKeyError: 1",
    ]
