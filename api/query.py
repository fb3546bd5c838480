"""OCP query parameters: paging, sorting, list filters; bad values are 400s, never 500s."""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from api.errors import illegal_argument
from domain.errors import FieldError

MAX_PAGE_SIZE = 2000
MAX_LONG = 2**63 - 1  # OCP's ids are Java Longs
# ASCII digits only: str.isdigit() also takes other scripts' digits (fullwidth, superscripts),
# some of which int() refuses. Enough of them for any Long; callers check the range.
_DIGITS = re.compile(r"[0-9]{1,19}")


def is_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def _rejected(name: str, value: object, message: str) -> Exception:
    return illegal_argument(f"{name} {message}", [FieldError(name, value, message)])


def single(request: web.Request, name: str) -> str | None:
    """A parameter that takes one value. Given twice it is refused rather than read as its
    first value: the signed form joins repeats with commas (api.auth.canonical_query), so
    `?name=a&name=b` must not mean something other than `?name=a,b`."""
    values = request.query.getall(name, [])
    if len(values) > 1:
        raise _rejected(name, values, "must be given at most once")
    return values[0] if values else None


def text_param(request: web.Request, name: str) -> str:
    return (single(request, name) or "").strip()


def int_param(
    request: web.Request, name: str, default: int | None, low: int, high: int
) -> int | None:
    text = single(request, name)
    if text is None or text == "":
        return default
    if not is_digits(text.removeprefix("-")):
        raise _rejected(name, text, "must be an integer")
    value = int(text)
    if not low <= value <= high:
        raise _rejected(name, text, f"must be between {low} and {high}")
    return value


def list_param(request: web.Request, name: str, allowed: Sequence[str]) -> list[str]:
    values = [
        v.strip() for raw in request.query.getall(name, []) for v in raw.split(",") if v.strip()
    ]
    for value in values:
        if value not in allowed:
            raise _rejected(name, value, f"must be among {', '.join(allowed)}")
    return values


@dataclass(frozen=True)
class Paging:
    number: int
    size: int
    sort_key: str | None
    descending: bool

    def sort(
        self, rows: list[dict[str, Any]], default: Callable[[dict[str, Any]], Any]
    ) -> list[dict[str, Any]]:
        if self.sort_key is None:
            return sorted(rows, key=default, reverse=self.descending)
        key = self.sort_key
        return sorted(rows, key=lambda r: (r.get(key) is None, r.get(key)), reverse=self.descending)


def paging(request: web.Request, sortable: Sequence[str]) -> Paging:
    number = int_param(request, "page", 1, 1, 10**9) or 1
    size = int_param(request, "size", 10, 1, MAX_PAGE_SIZE) or 10
    sort = single(request, "sort") or ""
    key, _, direction = sort.partition(",")
    if key and key not in sortable:
        raise _rejected("sort", sort, f"must sort by one of {', '.join(sortable)}")
    if direction.lower() not in ("", "asc", "desc"):
        raise _rejected("sort", sort, "direction must be asc or desc")
    return Paging(number, size, key or None, direction.lower() == "desc")
