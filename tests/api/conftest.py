"""A real arbiter HTTP server on a loopback port, over each store, and a client that checks
every answer against docs/openapi.yaml."""

import base64
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict
from yarl import URL

from api.app import init_app
from api.keys import ARBITER
from api.users import hash_password, load_directory
from infrastructure.persistence.store import StoreConfig
from infrastructure.settings import Settings
from infrastructure.use_cases.application import ArbiterApp
from tests.api.contract import assert_conforms
from tests.api.ocp_client import Params, md5_base64, sign_request
from tests.stores import database_url

NODE_ADDRESS = "10.9.8.7"
OLD_RPM = "oceanbase-4.2.1.0-100000102023092807.el7.x86_64.rpm"
NEW_RPM = "oceanbase-4.3.4.0-200000022024070119.el7.x86_64.rpm"
OLDER_RPM = "oceanbase-4.2.0.0-100000202023081111.el7.x86_64.rpm"
SAME_NUMBERS_OLDER_BUILD = "oceanbase-4.2.1.0-100000002023010100.el7.x86_64.rpm"
ARM_RPM = "oceanbase-4.3.4.0-200000022024070119.el7.aarch64.rpm"

ADMIN = ("admin", "admin-secret")
OPERATOR = ("ops", "ops-secret")
VIEWER = ("watcher", "watcher-secret")
ACCESS_KEY = ("AK-ops-1", "sk-0123456789")
# Hashing is deliberately slow: do it once per test session, not per test.
_USERS = {
    "users": [
        {
            "name": OPERATOR[0],
            "password_hash": hash_password(OPERATOR[1]),
            "roles": ["operator"],
            "access_keys": [{"id": ACCESS_KEY[0], "secret": ACCESS_KEY[1]}],
        },
        {"name": VIEWER[0], "password_hash": hash_password(VIEWER[1]), "roles": ["viewer"]},
    ]
}


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: Mapping[str, str]

    @property
    def data(self) -> Any:
        return self.body["data"]

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = self.body["error"]
        return error


def basic(user: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


@dataclass
class Api:
    client: TestClient[web.Request, web.Application]
    settings: Settings
    calls: list[Reply] = field(default_factory=list)

    @property
    def arbiter(self) -> ArbiterApp:
        return self.client.app[ARBITER]  # type: ignore[index]

    def head(self) -> int:
        return self.arbiter.head_position()

    async def call(
        self,
        method: str,
        path: str | URL,
        body: object = None,
        *,
        raw: bytes | None = None,
        user: tuple[str, str] | None = ADMIN,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One request; the answer must be an envelope that docs/openapi.yaml describes."""
        data = raw if raw is not None else (None if body is None else orjson.dumps(body))
        sent = CIMultiDict(headers or {})
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        if user is not None:
            sent.setdefault("Authorization", basic(user))
        async with self.client.request(method, path, data=data, headers=sent) as response:
            payload = await response.read()
            assert response.content_type == "application/json", payload[:200]
            reply = Reply(response.status, orjson.loads(payload), response.headers)
        assert_conforms(method, str(path), reply.status, reply.body)
        assert reply.body["status"] == reply.status
        assert reply.headers["X-Trace-Id"] == reply.body["traceId"]
        return reply

    async def signed(
        self,
        method: str,
        path: str,
        body: object,
        *,
        query: Params | None = None,
        date: str | None = None,
        secret: str = ACCESS_KEY[1],
        tamper: object = None,
        ocp_headers: Mapping[str, str] | None = None,
        repeat_lists: bool = False,
    ) -> Reply:
        """A request signed as OCP's clients sign it (tests.api.ocp_client; date "" sends no
        Date); `tamper` replaces the body after signing, with a Content-MD5 to match it."""
        data = b"" if body is None else orjson.dumps(body)
        url, headers = sign_request(
            method,
            path,
            host=f"{self.client.host}:{self.client.port}",
            access_key=(ACCESS_KEY[0], secret),
            params=query,
            body=data,
            date=date,
            ocp_headers={"X-OCP-Origin": "tests"} if ocp_headers is None else ocp_headers,
            repeat_lists=repeat_lists,
        )
        if tamper is not None:
            data = orjson.dumps(tamper)
            headers["Content-MD5"] = md5_base64(data)
        sent = {k: v for k, v in headers.items() if v}
        return await self.call(method, url, raw=data or None, user=None, headers=sent)

    async def upgrade(
        self, service_id: int, rpm_name: str = NEW_RPM, token: str | None = None, **kw: Any
    ) -> Reply:
        body: dict[str, object] = {"rpmName": rpm_name}
        if token is not None:
            body["clientToken"] = token
        return await self.call(
            "POST", f"/api/v2/arbitration/services/{service_id}/upgrade", body, **kw
        )


@pytest.fixture
def settings(store: StoreConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ARBITER_ADMIN_USER", ADMIN[0])
    monkeypatch.setenv("ARBITER_ADMIN_PASSWORD", ADMIN[1])
    users = tmp_path / "users.yaml"
    users.write_text(yaml.safe_dump(_USERS))
    monkeypatch.setenv("ARBITER_USERS_FILE", str(users))
    # No engine workers: these tests look at the API and at tasks exactly as created.
    return Settings(
        data_dir=tmp_path,
        database_url=database_url(store),
        node_address=NODE_ADDRESS,
        engine_workers=0,
    )


@asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[Api]:
    """An arbiter server on a free loopback port, the way `arbiter serve` builds it."""
    users = load_directory(Path(os.environ["ARBITER_USERS_FILE"]), settings.data_dir)
    server = TestServer(init_app(settings, users), host="127.0.0.1")
    async with TestClient(server) as client:
        yield Api(client, settings)


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[Api]:
    async with serving(settings) as running:
        yield running


async def seed(api: Api) -> int:
    """Through the API: a host, the packages, and a RUNNING service on OLD_RPM; its id."""
    host = await api.call(
        "POST",
        "/api/v2/compute/hosts",
        {"ipAddress": "10.1.1.1", "architecture": "x86_64", "agentAddress": "http://10.1.1.1:1"},
    )
    assert host.status == 200, host.body
    for rpm in (OLD_RPM, NEW_RPM, OLDER_RPM, SAME_NUMBERS_OLDER_BUILD, ARM_RPM):
        package = await api.call("POST", "/api/v2/software-packages", {"name": rpm})
        assert package.status == 200, package.body
    service = await api.call(
        "POST",
        "/api/v2/arbitration/services/register",
        {"name": "arb-1", "hostId": host.data["id"], "svrPort": 2882, "rpmName": OLD_RPM},
    )
    assert service.status == 200, service.body
    service_id: int = service.data["id"]
    return service_id


@pytest.fixture
async def service_id(api: Api) -> int:
    return await seed(api)
