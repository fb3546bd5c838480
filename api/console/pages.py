"""The console's pages, sign-in and sign-out. Pages are HTML shells rendered here; their
JavaScript (static/) fills them from the /api/v2 endpoints with the session cookie."""

import asyncio
import functools
import hmac
import secrets
from html import escape
from pathlib import Path
from string import Template
from urllib.parse import urlencode

from aiohttp import web

from api.auth import USER
from api.body import path_id
from api.console.guard import CSRF_FIELD, SESSION, SESSION_TOKEN
from api.console.sessions import COOKIE, SESSION_SECONDS, SESSIONS
from api.keys import USERS
from api.users import AUDIT_VIEW

routes = web.RouteTableDef()
TEMPLATES = Path(__file__).resolve().parent / "templates"
SIGN_IN_COOKIE = "arbiter_sign_in"  # the sign-in form's own CSRF token (double submit)
HOME = "/services"


@functools.cache
def _template(name: str) -> Template:
    return Template((TEMPLATES / f"{name}.html").read_text())


def _html(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def _see_other(location: str) -> web.Response:
    """A redirect as a plain response, so that it can set and clear cookies."""
    return web.Response(status=303, headers={"Location": location})


def _safe_next(target: str | None) -> str:
    """Only a path of this site: a sign-in link must not send the browser elsewhere (nor put
    a line break into the Location header)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return HOME
    return target


def _page(request: web.Request, name: str, title: str) -> web.Response:
    if SESSION not in request:
        raise web.HTTPSeeOther(f"/sign-in?{urlencode({'next': request.path_qs})}")
    user = request[USER]
    audit = AUDIT_VIEW in request.app[USERS].permissions(user)
    body = _template(name).substitute()
    return _html(
        _template("layout").substitute(
            title=escape(title),
            page=name,
            user=escape(user.name),
            csrf=escape(request[SESSION].csrf),
            audit_link='<a href="/audit" data-nav="audit">Audit</a>' if audit else "",
            body=body,
        )
    )


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(HOME)


@routes.get("/services")
async def services(request: web.Request) -> web.StreamResponse:
    return _page(request, "services", "Services")


@routes.get("/tasks")
async def tasks(request: web.Request) -> web.StreamResponse:
    return _page(request, "tasks", "Tasks")


@routes.get("/tasks/{id}")
async def task(request: web.Request) -> web.StreamResponse:
    return _page(request, "task", f"Task {path_id(request, 'id')}")


@routes.get("/audit")
async def audit(request: web.Request) -> web.StreamResponse:
    return _page(request, "audit", "Audit")


def _sign_in_form(target: str, message: str = "", status: int = 200) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = _html(
        _template("sign-in").substitute(
            csrf=token,
            next=escape(target),
            message=escape(message),
            hidden="" if message else "hidden",
        ),
        status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE, token, max_age=3600, path="/sign-in", httponly=True, samesite="Strict"
    )
    return response


@routes.get("/sign-in")
async def sign_in_form(request: web.Request) -> web.StreamResponse:
    target = _safe_next(request.query.get("next"))
    if SESSION in request:
        raise web.HTTPSeeOther(target)
    return _sign_in_form(target)


@routes.post("/sign-in")
async def sign_in(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    target = _safe_next(fields.get("next"))
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(
        fields.get(CSRF_FIELD, "").encode(), expected.encode()
    ):
        return _sign_in_form(target, "The sign-in form had expired; please sign in again.", 403)
    name = fields.get("name", "").strip()
    # Password hashing is slow on purpose: keep it off the event loop.
    user = await asyncio.to_thread(
        request.app[USERS].check_password, name, fields.get("password", "")
    )
    if user is None:
        return _sign_in_form(target, "Wrong user name or password.", 401)
    response = _see_other(target)
    response.set_cookie(
        COOKIE,
        request.app[SESSIONS].open(user.name),
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=request.secure,
    )
    response.del_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@routes.post("/sign-out")
async def sign_out(request: web.Request) -> web.StreamResponse:
    """The guard has checked the form's CSRF token against the session."""
    if SESSION_TOKEN in request:
        request.app[SESSIONS].close(request[SESSION_TOKEN])
    response = _see_other("/sign-in")
    response.del_cookie(COOKIE, path="/")
    return response
