"""Strict request bodies: JSON objects with known fields of the declared types, nothing else."""

from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from api.errors import illegal_argument
from api.query import MAX_LONG, is_digits
from domain.errors import FieldError

_TYPE_NAMES = {str: "a string", int: "an integer", bool: "a boolean"}


@dataclass(frozen=True)
class Field:
    name: str
    kind: type
    required: bool = True
    bounds: tuple[int, int] | None = None  # an integer field's inclusive range


async def read_json(request: web.Request, fields: list[Field]) -> dict[str, Any]:
    """The body as a checked dict; the app's client_max_size turns a huge body into a 413."""
    raw = await request.read()
    if not raw.strip():
        raise illegal_argument("request body is empty; a JSON object is expected")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise illegal_argument(f"request body is not valid JSON: {error}") from None
    if not isinstance(body, dict):
        raise illegal_argument("request body must be a JSON object")
    return _checked(body, fields)


def _checked(body: dict[str, Any], fields: list[Field]) -> dict[str, Any]:
    known = {f.name: f for f in fields}
    problems = [FieldError(name, body[name], "unknown field") for name in body if name not in known]
    for spec in fields:
        value = body.get(spec.name)
        if value is None:
            if spec.required:
                problems.append(FieldError(spec.name, None, "is required"))
            continue
        if not _is(value, spec.kind):
            problems.append(FieldError(spec.name, value, f"must be {_TYPE_NAMES[spec.kind]}"))
        elif spec.kind is str and spec.required and not value.strip():
            problems.append(FieldError(spec.name, value, "must not be blank"))
        elif spec.bounds and not spec.bounds[0] <= value <= spec.bounds[1]:
            message = f"must be between {spec.bounds[0]} and {spec.bounds[1]}"
            problems.append(FieldError(spec.name, value, message))
    if problems:
        summary = "; ".join(f"{p.field} {p.message}" for p in problems)
        raise illegal_argument(f"invalid request body: {summary}", problems)
    return body


def _is(value: object, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def path_id(request: web.Request, name: str) -> int:
    text = request.match_info[name]
    if not is_digits(text) or int(text) > MAX_LONG:
        message = f"{name} must be a positive integer"
        raise illegal_argument(message, [FieldError(name, text, message)])
    return int(text)
