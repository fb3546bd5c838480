"""The client's side of the API: requests signed or authenticated as the environment says, OCP
envelopes unwrapped, and each way of failing told apart (the commands' exit codes follow it)."""

import base64
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from email.utils import formatdate
from http.client import HTTPResponse
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode, urlsplit
from urllib.request import Request, urlopen

import orjson

from api.auth import SCHEME_HMAC, sign, string_to_sign

DEFAULT_URL = "http://127.0.0.1:8080"
TIMEOUT_SECONDS = 60.0  # well above the task stream's 15 s heartbeat
NDJSON = "application/x-ndjson"


class ApiFailure(Exception):
    """The server answered an OCP error."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(f"{code} (HTTP {status}): {message}")
        self.status, self.code, self.message = status, code, message


class Unreachable(Exception):
    """No answer: the server is down, the address is wrong, or the connection broke."""


@dataclass(frozen=True)
class Credentials:
    user: str | None = None
    password: str | None = None
    access_key: str | None = None
    secret_key: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> "Credentials":
        return cls(
            environ.get("ARBITER_USER"),
            environ.get("ARBITER_PASSWORD"),
            environ.get("ARBITER_ACCESS_KEY"),
            environ.get("ARBITER_SECRET_KEY"),
        )

    def headers(
        self, method: str, body: bytes, headers: dict[str, str], path: str, query: dict[str, str]
    ) -> dict[str, str]:
        """The Authorization header: an access key's OCP signature, else Basic, else none."""
        if self.access_key and self.secret_key:
            text = string_to_sign(method, body, headers, path, query)
            return {
                "Authorization": f"{SCHEME_HMAC} {self.access_key}:{sign(self.secret_key, text)}"
            }
        if self.user is not None and self.password is not None:
            pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            return {"Authorization": f"Basic {pair}"}
        return {}


class Client:
    def __init__(self, base_url: str, credentials: Credentials) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Unreachable(f"ARBITER_URL must be an http(s) URL, not {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._host = parts.netloc
        self._prefix = parts.path
        self._credentials = credentials

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "Client":
        return cls(environ.get("ARBITER_URL") or DEFAULT_URL, Credentials.from_env(environ))

    def call(
        self, method: str, path: str, query: Mapping[str, object] | None = None, body: object = None
    ) -> Any:
        """One request; the envelope's `data`."""
        with self._open(method, path, query, body, "application/json") as response:
            envelope = _json(response.read())
        return envelope["data"]

    def lines(self, path: str, query: Mapping[str, object] | None = None) -> Iterator[Any]:
        """An NDJSON answer, one object per line, as it streams."""
        with self._open("GET", path, query, None, NDJSON) as response:
            for line in _reading(response):
                if line.strip():
                    yield _json(line)

    def events(self, path: str) -> Iterator[tuple[str, Any]]:
        """A Server-Sent Events answer: (event name, JSON data) as each event arrives."""
        with self._open("GET", path, None, None, "text/event-stream") as response:
            name, data = "message", list[bytes]()
            for raw in _reading(response):
                line = raw.rstrip(b"\r\n")
                if not line:
                    if data:
                        yield name, _json(b"\n".join(data))
                    name, data = "message", []
                elif line.startswith(b"event:"):
                    name = line[6:].strip().decode()
                elif line.startswith(b"data:"):
                    data.append(line[5:].lstrip())
        raise Unreachable(f"{self.base_url} closed the stream")

    def _open(
        self,
        method: str,
        path: str,
        query: Mapping[str, object] | None,
        body: object,
        accept: str,
    ) -> HTTPResponse:
        params = {k: str(v) for k, v in (query or {}).items() if v is not None}
        data = b"" if body is None else orjson.dumps(body)
        headers = {
            "Accept": accept,
            "Date": formatdate(usegmt=True),
            "Host": self._host,
            "Content-Type": "application/json" if data else "",
        }
        full_path = self._prefix + path
        headers.update(self._credentials.headers(method, data, headers, full_path, params))
        url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
        sent = {k: v for k, v in headers.items() if v}
        request = Request(url, data=data or None, headers=sent, method=method)  # noqa: S310
        try:
            response: HTTPResponse = urlopen(request, timeout=TIMEOUT_SECONDS)  # noqa: S310
        except HTTPError as error:
            raise _failure(error) from None
        except (URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise Unreachable(f"cannot reach {self.base_url}: {reason}") from None
        return response


def _reading(response: HTTPResponse) -> Iterator[bytes]:
    try:
        yield from response
    except OSError as error:  # a timeout too
        raise Unreachable(f"the connection broke: {error}") from None


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ApiFailure(0, 0, f"the server's answer is not JSON: {raw[:200]!r}") from None


def _failure(error: HTTPError) -> ApiFailure:
    try:
        envelope = orjson.loads(error.read())
        detail = envelope["error"]
        return ApiFailure(error.code, int(detail["code"]), str(detail["message"]))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return ApiFailure(error.code, 0, f"HTTP {error.code} {error.reason}")
