"""Checking the agent's JSON request bodies: exact fields, exact types, a 400 otherwise."""

from typing import Any, TypeVar

T = TypeVar("T", int, float, str)


class BadRequest(Exception):
    """The request is malformed (HTTP 400)."""


def required(body: dict[str, Any], name: str, kind: type[T]) -> T:
    if name not in body:
        raise BadRequest(f"{name} is required")
    value = optional(body, name, kind)
    if value is None:
        raise BadRequest(f"{name} must not be null")
    return value


def optional(body: dict[str, Any], name: str, kind: type[T]) -> T | None:
    value = body.get(name)
    if value is None:
        return None
    # bool is an int in Python, and JSON true is not a port; an int is a fine float.
    if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
        raise BadRequest(f"{name} must be {_NAMES[kind]}")
    return kind(value)


_NAMES = {int: "an integer", float: "a number", str: "a string"}
