"""clientToken replays and one unfinished task per service, in turn and 50 calls at once."""

import asyncio

import pytest

from tests.api.conftest import OLD_RPM, OLDER_RPM, Api
from tests.api.test_upgrade_events import task_count

TOKEN = "tok-0123_ABC"


async def test_same_token_same_body_answers_the_same_task_and_records_nothing(
    api: Api, service_id: int
) -> None:
    first = await api.upgrade(service_id, token=TOKEN)
    head = api.head()

    again = await api.upgrade(service_id, token=TOKEN)

    assert (first.status, again.status) == (200, 200)
    assert again.data == first.data
    assert api.head() == head
    assert task_count(api) == 1


async def test_same_token_with_another_body_is_a_conflict(api: Api, service_id: int) -> None:
    await api.upgrade(service_id, token=TOKEN)
    head = api.head()

    reply = await api.upgrade(service_id, OLDER_RPM, token=TOKEN)

    assert reply.status == 409
    assert reply.error["code"] == 10008
    assert TOKEN in reply.error["message"]
    assert api.head() == head


async def test_same_token_on_another_service_is_a_conflict(api: Api, service_id: int) -> None:
    other = await seed_second_service(api)
    await api.upgrade(service_id, token=TOKEN)
    head = api.head()

    reply = await api.upgrade(other, token=TOKEN)

    assert reply.status == 409
    assert reply.error["code"] == 10008
    assert api.head() == head


async def test_malformed_token_is_10001_naming_client_token(api: Api, service_id: int) -> None:
    # "token-ok\n": a `$` that is not fullmatch lets a trailing newline through.
    for token in [
        "a" * 7,
        "b" * 65,
        "has space1",
        "semi;colon",
        "\u00fcn\u00efcode-1",
        "",
        "token-ok\n",
    ]:
        head = api.head()

        reply = await api.upgrade(service_id, token=token)

        assert (reply.status, reply.error["code"]) == (400, 10001), token
        assert [e["field"] for e in reply.error["subErrors"]] == ["clientToken"]
        assert reply.error["subErrors"][0]["rejectedValue"] == token
        assert api.head() == head


@pytest.mark.parametrize("token", ["a" * 8, "Z" * 64, "a-b_c-D9"])
async def test_token_bounds_are_accepted(api: Api, service_id: int, token: str) -> None:
    reply = await api.upgrade(service_id, token=token)

    assert reply.status == 200, reply.body


async def test_fifty_concurrent_requests_with_one_token_make_one_task(
    api: Api, service_id: int
) -> None:
    replies = await asyncio.gather(*(api.upgrade(service_id, token=TOKEN) for _ in range(50)))

    assert [r.status for r in replies] == [200] * 50, {r.status: r.body for r in replies}
    assert len({r.data["id"] for r in replies}) == 1
    assert task_count(api) == 1


async def test_second_upgrade_while_one_is_unfinished_names_the_task(
    api: Api, service_id: int
) -> None:
    first = await api.upgrade(service_id)
    head = api.head()

    second = await api.upgrade(service_id, token="another-token")

    assert second.status == 409
    assert second.error["code"] == 60001
    assert str(first.data["id"]) in second.error["message"]
    assert api.head() == head


async def test_fifty_concurrent_upgrades_with_different_tokens_make_one_task(
    api: Api, service_id: int
) -> None:
    replies = await asyncio.gather(
        *(api.upgrade(service_id, token=f"token-{n:04d}") for n in range(50))
    )

    statuses = sorted(r.status for r in replies)
    assert statuses == [200] + [409] * 49, {r.status: r.body for r in replies}
    winner = next(r for r in replies if r.status == 200).data["id"]
    assert {r.error["code"] for r in replies if r.status == 409} == {60001}
    assert all(str(winner) in r.error["message"] for r in replies if r.status == 409)
    assert task_count(api) == 1


async def test_services_are_independent(api: Api, service_id: int) -> None:
    other = await seed_second_service(api)

    replies = await asyncio.gather(api.upgrade(service_id), api.upgrade(other))

    assert [r.status for r in replies] == [200, 200]
    assert task_count(api) == 2


async def seed_second_service(api: Api) -> int:
    host_id = (await api.call("GET", "/api/v2/compute/hosts")).data["contents"][0]["id"]
    reply = await api.call(
        "POST",
        "/api/v2/arbitration/services/register",
        {
            "name": "arb-2",
            "hostId": host_id,
            "svrPort": 2883,
            "rpmName": OLD_RPM,
        },
    )
    assert reply.status == 200, reply.body
    service_id: int = reply.data["id"]
    return service_id
