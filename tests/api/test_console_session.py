"""The console's sign-in over a real server: the session cookie's attributes, the CSRF guard on
every state-changing request made with it, sign-out, and the security headers."""

import re
from typing import Any

import orjson
from aiohttp import ClientResponse

from api.console.headers import CONTENT_SECURITY_POLICY
from tests.api.conftest import ADMIN, NEW_RPM, VIEWER, Api, basic

UPGRADE = "/api/v2/arbitration/services/{}/upgrade"


async def sign_in_form(api: Api, next_path: str = "/services") -> str:
    """Open the sign-in page (its cookie lands in the client's jar); the form's token."""
    async with api.client.get("/sign-in", params={"next": next_path}) as page:
        html = await page.text()
        assert page.status == 200
        assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    return token[1]


async def sign_in(
    api: Api, user: tuple[str, str], next_path: str = "/services", token: str | None = None
) -> ClientResponse:
    form = {
        "name": user[0],
        "password": user[1],
        "next": next_path,
        "csrf": token if token is not None else await sign_in_form(api, next_path),
    }
    async with api.client.post("/sign-in", data=form, allow_redirects=False) as response:
        await response.read()
        return response


def page_csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert found is not None
    return found[1]


async def console_page(api: Api, path: str) -> tuple[int, str]:
    async with api.client.get(path, allow_redirects=False) as page:
        return page.status, await page.text()


async def post(api: Api, path: str, body: object, **headers: str) -> tuple[int, dict[str, Any]]:
    """A JSON POST with whatever cookies the client holds, and no Authorization."""
    sent = {"Content-Type": "application/json", **headers}
    async with api.client.post(path, data=orjson.dumps(body), headers=sent) as response:
        return response.status, orjson.loads(await response.read())


async def test_sign_in_sets_a_strict_http_only_session_cookie(api: Api) -> None:
    response = await sign_in(api, ADMIN, "/tasks/5")

    assert (response.status, response.headers["Location"]) == (303, "/tasks/5")
    cookie = response.cookies["arbiter_session"]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Strict", "/")
    assert cookie["max-age"] == str(8 * 3600)
    status, html = await console_page(api, "/tasks/5")
    assert status == 200
    assert '<span class="who" id="who">admin</span>' in html
    me = await api.call("GET", "/api/v2/console/me", user=None)  # the cookie alone
    assert (me.status, me.data["name"]) == (200, "admin")


async def test_sign_in_refuses_wrong_passwords_stale_forms_and_foreign_next(api: Api) -> None:
    wrong = await sign_in(api, (ADMIN[0], "not-the-password"))
    api.client.session.cookie_jar.clear()
    stale = await sign_in(api, ADMIN, token="a-token-this-browser-was-never-given")
    foreign = await sign_in(api, ADMIN, "//elsewhere.example/steal")
    api.client.session.cookie_jar.clear()
    split = await sign_in(api, ADMIN, "/tasks\r\nSet-Cookie: planted=1")

    assert wrong.status == 401
    assert "arbiter_session" not in wrong.cookies
    assert stale.status == 403
    assert "arbiter_session" not in stale.cookies
    assert (foreign.status, foreign.headers["Location"]) == (303, "/services")
    assert (split.status, split.headers["Location"]) == (303, "/services")
    assert "planted" not in split.cookies


async def test_pages_send_a_visitor_without_a_session_to_sign_in(api: Api) -> None:
    for path in ("/services", "/tasks", "/tasks/12", "/audit"):
        async with api.client.get(path, allow_redirects=False) as page:
            assert page.status == 303, path
            assert page.headers["Location"].startswith("/sign-in?next=")
    async with api.client.get("/", allow_redirects=False) as root:
        assert (root.status, root.headers["Location"]) == (303, "/services")
    async with api.client.get("/static/common.js") as script:
        assert script.status == 200
        assert script.content_type in ("text/javascript", "application/javascript")
        assert script.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


async def test_a_cookie_request_that_changes_state_needs_the_csrf_token(
    api: Api, service_id: int
) -> None:
    await sign_in(api, ADMIN)
    _, html = await console_page(api, "/services")
    token = page_csrf(html)
    head = api.head()

    missing = await post(api, UPGRADE.format(service_id), {"rpmName": NEW_RPM})
    wrong = await post(
        api, UPGRADE.format(service_id), {"rpmName": NEW_RPM}, **{"X-CSRF-Token": "x"}
    )
    unchanged = api.head()
    right = await post(
        api, UPGRADE.format(service_id), {"rpmName": NEW_RPM}, **{"X-CSRF-Token": token}
    )

    refusal = {"code": 30014, "message": "the console's CSRF token is missing or wrong"}
    assert (missing[0], missing[1]["error"]) == (403, refusal)
    assert (wrong[0], wrong[1]["error"]) == (403, refusal)
    assert unchanged == head
    assert (right[0], right[1]["data"]["creator"]) == (200, "admin")


async def test_a_viewers_session_has_the_viewers_permissions(api: Api, service_id: int) -> None:
    await sign_in(api, VIEWER)
    status, html = await console_page(api, "/services")
    head = api.head()

    forged = await post(
        api, UPGRADE.format(service_id), {"rpmName": NEW_RPM}, **{"X-CSRF-Token": page_csrf(html)}
    )

    assert status == 200
    assert 'data-nav="audit"' not in html  # no AUDIT:VIEW, no link to the audit page
    assert (forged[0], forged[1]["error"]["code"]) == (403, 30014)
    assert forged[1]["error"]["message"] == "user watcher lacks permission ARBITRATION:UPDATE"
    assert api.head() == head


async def test_credentials_in_authorization_win_over_the_cookie(api: Api, service_id: int) -> None:
    await sign_in(api, ADMIN)

    as_viewer = await post(
        api, UPGRADE.format(service_id), {"rpmName": NEW_RPM}, Authorization=basic(VIEWER)
    )

    assert as_viewer[1]["error"]["message"] == "user watcher lacks permission ARBITRATION:UPDATE"


async def test_sign_out_needs_the_token_and_ends_the_session(api: Api) -> None:
    await sign_in(api, ADMIN)
    _, html = await console_page(api, "/services")

    async with api.client.post("/sign-out", data={}, allow_redirects=False) as refused:
        refused_status = refused.status
    async with api.client.post(
        "/sign-out", data={"csrf": page_csrf(html)}, allow_redirects=False
    ) as out:
        out_status, location = out.status, out.headers["Location"]
    after = await api.call("GET", "/api/v2/console/me", user=None)
    page_after, _ = await console_page(api, "/services")

    assert refused_status == 403
    assert (out_status, location) == (303, "/sign-in")
    assert (after.status, after.error["code"]) == (401, 30000)
    assert page_after == 303
