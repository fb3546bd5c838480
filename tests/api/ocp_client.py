"""Requests signed the way OCP's published API clients sign them, written from OCP's
documentation and not from api.auth, so that the server is checked against its clients rather
than against itself.

What such a client does: every request says `Content-Type: application/json`; `Date` is an
RFC 1123 date in GMT; `Host` is host:port; a body goes with `Content-MD5`, the base64 of its MD5
digest, which is also the string to sign's second line; the query is signed with its keys
sorted, a list joined by `,`, and key and value percent-encoded with nothing left safe, and the
URL carries that same encoded query.
"""

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from email.utils import formatdate
from urllib.parse import quote

from yarl import URL

SCHEME = "OCP-ACCESS-KEY-HMACSHA1"
Params = Mapping[str, str | Sequence[str]]


def _joined(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def signed_query(params: Params) -> str:
    return "&".join(
        f"{quote(key, safe='')}={quote(_joined(params[key]), safe='')}" for key in sorted(params)
    )


def wire_query(params: Params, repeat_lists: bool) -> str:
    """What goes on the URL: the signed form, or (as most HTTP libraries send a list) one
    `key=value` pair per item of a list."""
    if not repeat_lists:
        return signed_query(params)
    return "&".join(
        f"{quote(key, safe='')}={quote(item, safe='')}"
        for key in sorted(params)
        for item in ([params[key]] if isinstance(params[key], str) else params[key])
    )


def md5_base64(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324


def signature(secret: str, lines: Sequence[str]) -> str:
    text = "\n".join(lines).encode()
    return base64.b64encode(hmac.new(secret.encode(), text, hashlib.sha1).digest()).decode()


def sign_request(
    method: str,
    path: str,
    *,
    host: str,
    access_key: tuple[str, str],
    params: Params | None = None,
    body: bytes = b"",
    date: str | None = None,
    ocp_headers: Mapping[str, str] | None = None,
    repeat_lists: bool = False,
) -> tuple[URL, dict[str, str]]:
    """The URL (already encoded: send it as it is) and every header of the request."""
    headers = {
        "Content-Type": "application/json",
        "Date": formatdate(usegmt=True) if date is None else date,
        "Host": host,
        **(ocp_headers or {}),
    }
    if body:
        headers["Content-MD5"] = md5_base64(body)
    query = signed_query(params or {})
    ocp_lines = sorted(
        f"{name.lower()}:{value.strip()}"
        for name, value in headers.items()
        if name.lower().startswith("x-ocp-")
    )
    lines = [
        method,
        md5_base64(body) if body else "",
        headers["Content-Type"],
        headers["Date"],
        host,
        *ocp_lines,
        f"{path}?{query}" if query else path,
    ]
    headers["Authorization"] = f"{SCHEME} {access_key[0]}:{signature(access_key[1], lines)}"
    sent = wire_query(params or {}, repeat_lists)
    return URL(f"{path}?{sent}" if sent else path, encoded=True), headers
