"""Real responses checked against docs/openapi.yaml with jsonschema, never by hand."""

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator

OPENAPI_FILE = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"


@cache
def document() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(OPENAPI_FILE.read_text())
    return doc


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def path_template(path: str) -> str | None:
    """The documented path template that a concrete request path falls under."""
    for template in document()["paths"]:
        if _template_regex(template).fullmatch(path):
            return str(template)
    return None


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = document()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def response_schema(method: str, path: str, status: int) -> dict[str, Any]:
    """The JSON schema documented for this answer; unknown routes answer the error envelope."""
    template = path_template(path.partition("?")[0])
    if template is None:
        return {"$ref": "#/components/schemas/ErrorEnvelope"}
    operation = document()["paths"][template].get(method.lower())
    if operation is None:  # 405: the router refused the method
        return {"$ref": "#/components/schemas/ErrorEnvelope"}
    responses = operation["responses"]
    response = _resolve(responses.get(str(status)) or responses["default"])
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    # The document's components ride along, so '#/components/...' resolves inside the schema.
    return Draft202012Validator({**schema, "components": document()["components"]})


def assert_conforms(method: str, path: str, status: int, body: object) -> None:
    errors = sorted(validator(response_schema(method, path, status)).iter_errors(body), key=str)
    if errors:
        details = "\n".join(f"- {list(e.absolute_path)}: {e.message}" for e in errors[:10])
        raise AssertionError(f"{method} {path} -> {status} breaks docs/openapi.yaml:\n{details}")
