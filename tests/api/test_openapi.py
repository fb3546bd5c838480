"""docs/openapi.yaml describes every route init_app() registers, and only those."""

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from api.app import init_app
from api.users import load_directory
from infrastructure.settings import Settings
from tests.api.conftest import Api
from tests.api.contract import assert_conforms, document

METHODS = {"get", "post", "put", "patch", "delete"}


def registered_routes(tmp_path: Path) -> set[tuple[str, str]]:
    """The API's routes (the console's pages and static files are not the API)."""
    app = init_app(Settings(data_dir=tmp_path), load_directory(None, tmp_path))
    return {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and route.resource.canonical.startswith("/api/")
    }


def documented_routes() -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, operations in document()["paths"].items()
        for method in operations
        if method in METHODS
    }


def test_every_registered_route_is_documented_and_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARBITER_ADMIN_PASSWORD", "x")

    registered = registered_routes(tmp_path)

    assert registered - documented_routes() == set(), "add these routes to docs/openapi.yaml"
    assert documented_routes() - registered == set(), "docs/openapi.yaml names missing routes"


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_every_reference_resolves_and_every_schema_is_valid() -> None:
    doc = document()
    for ref in refs(doc):
        target: Any = doc
        for part in ref.removeprefix("#/").split("/"):
            assert part in target, ref
            target = target[part]
    for name, schema in doc["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    for operations in doc["paths"].values():
        for method, operation in operations.items():
            assert "default" in operation["responses"], method
            assert "200" in operation["responses"], method


def test_the_check_can_fail() -> None:
    """The strict schemas catch an undocumented field and a wrong type."""
    path = "/api/v2/tasks/instances/1"
    frame = {
        "successful": True,
        "timestamp": "2024-12-23T20:52:59.002+08:00",
        "duration": 3,
        "status": 200,
        "traceId": "1702357d6555e49d",
        "server": "s",
    }
    with pytest.raises(AssertionError, match="breaks docs"):
        assert_conforms("GET", path, 200, {**frame, "data": {"id": 1}})
    with pytest.raises(AssertionError, match="breaks docs"):
        assert_conforms("GET", path, 404, {**frame, "successful": False, "status": 404})
    with pytest.raises(AssertionError, match="breaks docs"):
        assert_conforms("GET", path, 200, {**frame, "data": None, "extra": 1})


async def test_the_served_document_is_the_file(api: Api) -> None:
    async with api.client.get("/api/v2/openapi.json") as response:
        served = await response.json()

    assert served == document()


async def test_lists_conform(api: Api, service_id: int) -> None:
    """Each list route answers a page that the document describes (checked inside `call`)."""
    for path in ("/api/v2/compute/hosts", "/api/v2/software-packages"):
        reply = await api.call("GET", f"{path}?page=1&size=2&sort=id,desc")
        assert reply.status == 200
        assert len(reply.data["contents"]) <= 2
    services = await api.call("GET", "/api/v2/arbitration/services?statusList=RUNNING&keyword=ARB")
    assert [s["id"] for s in services.data["contents"]] == [service_id]
    assert services.data["page"] == {"totalElements": 1, "totalPages": 1, "number": 1, "size": 10}
