"""Requests signed as OCP's published clients sign them (tests.api.ocp_client): awkward query
values, lists joined or repeated, a POST with a body; and what the server must refuse."""

from email.utils import formatdate

import orjson

from tests.api.conftest import ACCESS_KEY, OLD_RPM, Api, Reply
from tests.api.ocp_client import SCHEME, sign_request, signature

SERVICES = "/api/v2/arbitration/services"
TASKS = "/api/v2/tasks/instances"
# Space, comma, colon, slash, plus, percent, ampersand, equals and non-ASCII in one value.
AWKWARD = "arb é/1 + x, y:z %2C & a=b"


async def register(api: Api, name: str) -> Reply:
    host_id = (await api.signed("GET", "/api/v2/compute/hosts", None)).data["contents"][0]["id"]
    body = {"name": name, "hostId": host_id, "svrPort": 2883, "rpmName": OLD_RPM}
    return await api.signed("POST", f"{SERVICES}/register", body)


async def test_a_signed_post_with_a_body(api: Api, service_id: int) -> None:
    reply = await register(api, AWKWARD)

    assert reply.status == 200, reply.body
    assert reply.data["name"] == AWKWARD


async def test_awkward_values_arrive_as_the_client_meant_them(api: Api, service_id: int) -> None:
    created = await register(api, AWKWARD)

    found = await api.signed("GET", SERVICES, None, query={"keyword": AWKWARD, "size": "5"})
    refused = await api.signed("GET", SERVICES, None, query={"sort": AWKWARD})

    assert found.status == 200, found.body
    assert [s["id"] for s in found.data["contents"]] == [created.data["id"]]
    # Signed, then read back to the byte: a 400 that names the value, not a 401.
    assert (refused.status, refused.error["subErrors"][0]["rejectedValue"]) == (400, AWKWARD)


async def test_lists_joined_or_repeated(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    query = {"name": "Upgrade arbitration service", "status": ["RUNNING", "FAILED"]}

    joined = await api.signed("GET", TASKS, None, query=query)
    repeated = await api.signed("GET", TASKS, None, query=query, repeat_lists=True)

    assert joined.status == 200, joined.body
    assert [t["id"] for t in joined.data["contents"]] == [task.data["id"]]
    assert repeated.data == joined.data


async def test_a_time_with_colons_and_a_plus(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)

    as_created = await api.signed(
        "GET", f"{TASKS}/{task.data['id']}", None, query={"asOf": task.data["createTime"]}
    )

    assert as_created.status == 200, as_created.body
    assert as_created.data == task.data


def signed_as(api: Api, resource: str) -> dict[str, str]:
    """Headers of a GET whose string to sign ends with `resource`, exactly as given."""
    date = formatdate(usegmt=True)
    lines = ["GET", "", "application/json", date, f"{api.client.host}:{api.client.port}", resource]
    authorization = f"{SCHEME} {ACCESS_KEY[0]}:{signature(ACCESS_KEY[1], lines)}"
    return {"Authorization": authorization, "Date": date, "Content-Type": "application/json"}


async def test_a_query_changed_after_signing_is_401(api: Api, service_id: int) -> None:
    signed = "/api/v2/compute/hosts?keyword=a"
    headers = signed_as(api, signed)

    as_signed = await api.call("GET", signed, user=None, headers=headers)
    changed = await api.call("GET", signed + "b", user=None, headers=headers)

    assert as_signed.status == 200, as_signed.body
    assert (changed.status, changed.error["code"]) == (401, 30000)


async def test_the_decoded_form_is_not_accepted(api: Api, service_id: int) -> None:
    """Signing decoded values (arbiter's form before OCP's) is ambiguous: refused."""
    headers = signed_as(api, f"{SERVICES}?keyword=a b,c")

    reply = await api.call("GET", f"{SERVICES}?keyword=a%20b%2Cc", user=None, headers=headers)

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert reply.error["message"] == "signature does not match"


async def test_a_content_md5_that_is_not_the_body_is_401(api: Api, service_id: int) -> None:
    body = orjson.dumps({"rpmName": "x"})
    path = f"{SERVICES}/{service_id}/upgrade"
    url, headers = sign_request(
        "POST", path, host=f"{api.client.host}:{api.client.port}", access_key=ACCESS_KEY, body=body
    )

    reply = await api.call(
        "POST", url, raw=body, user=None, headers={**headers, "Content-MD5": "AAAA"}
    )

    assert (reply.status, reply.error["code"]) == (401, 30000)
    assert reply.error["message"] == "Content-MD5 does not match the body"
