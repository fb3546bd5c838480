"""docs/api.md lists every error code the API can answer, with its HTTP status."""

import re
from pathlib import Path

from api.errors import DOMAIN_CODES, HTTP_CODES

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def documented_codes() -> dict[int, int]:
    rows = re.findall(r"^\| (\d{5}) \| (\d{3}) \|", API_MD.read_text(), re.MULTILINE)
    return {int(code): int(status) for code, status in rows}


def test_every_error_code_is_documented_with_its_status() -> None:
    answered = {code: status for _, status, code in DOMAIN_CODES}
    answered |= {code: status for status, code in HTTP_CODES.items()}
    answered[10000] = 500  # the error middleware's last resort

    assert documented_codes() == answered
