"""Every refused upgrade answers a clear OCP error envelope, never a 500, and records nothing."""

from domain.caller import Caller
from domain.enums import ServiceStatus
from tests.api.conftest import (
    ARM_RPM,
    NEW_RPM,
    OLD_RPM,
    OLDER_RPM,
    SAME_NUMBERS_OLDER_BUILD,
    Api,
)

UNREGISTERED = "oceanbase-4.4.0.0-300000012025010101.el7.x86_64.rpm"


def upgrade_path(service_id: int) -> str:
    return f"/api/v2/arbitration/services/{service_id}/upgrade"


async def refused(
    api: Api, service_id: int, body: object = None, **kw: object
) -> dict[str, object]:
    """The error of an upgrade that must change nothing in the store."""
    head = api.head()
    reply = await api.call("POST", upgrade_path(service_id), body, **kw)  # type: ignore[arg-type]
    assert 400 <= reply.status < 500, reply.body
    assert reply.body["successful"] is False
    assert api.head() == head
    return reply.error | {"status": reply.status}


# One server per table, each case on it in turn: the store must not move for any of them.
RPM_NAMES = [
    ("oceanbase-4.3.4.0.el7.x86_64.rpm", "not a well-formed"),
    ("mysql-8.0.0.0-1.el7.x86_64.rpm", "not a well-formed"),
    ("oceanbase-4.3.4.0-200000022024070119.el7.ppc64le.rpm", "not a well-formed"),
    (UNREGISTERED, "not in the software package registry"),
    (OLD_RPM, "not newer than the current version 4.2.1.0-100000102023092807"),
    (OLDER_RPM, "not newer"),
    (SAME_NUMBERS_OLDER_BUILD, "not newer"),
    (ARM_RPM, "built for aarch64 but host 10.1.1.1 is x86_64"),
]


async def test_rpm_name_problems_say_which(api: Api, service_id: int) -> None:
    for rpm_name, says in RPM_NAMES:
        error = await refused(api, service_id, {"rpmName": rpm_name})

        assert (error["status"], error["code"]) == (400, 10001), rpm_name
        assert says in str(error["message"]), (rpm_name, error)
        assert error["subErrors"] == [
            {
                "object": upgrade_path(service_id),
                "field": "rpmName",
                "rejectedValue": rpm_name,
                "message": error["subErrors"][0]["message"],  # type: ignore[index]
            }
        ]


BODIES = [
    ({}, "rpmName", "is required"),
    ({"rpmName": None}, "rpmName", "is required"),
    ({"rpmName": "   "}, "rpmName", "must not be blank"),
    ({"rpmName": 42}, "rpmName", "must be a string"),
    ({"rpmName": ["x"]}, "rpmName", "must be a string"),
    ({"rpmName": NEW_RPM, "clientToken": 12345678}, "clientToken", "must be a string"),
    ({"rpmName": NEW_RPM, "force": True}, "force", "unknown field"),
]


async def test_body_problems_name_the_field(api: Api, service_id: int) -> None:
    for body, field, says in BODIES:
        error = await refused(api, service_id, body)

        assert (error["status"], error["code"]) == (400, 10001), body
        problems = [(e["field"], e["message"]) for e in error["subErrors"]]  # type: ignore[attr-defined]
        assert problems == [(field, says)], body


RAW_BODIES = [
    (b"", "request body is empty"),
    (b"   \n", "request body is empty"),
    (b'{"rpmName": ', "not valid JSON"),
    (b"\xff\xfe{}", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    (b'"oceanbase"', "must be a JSON object"),
    (b"[" * 5000 + b"]" * 5000, "not valid JSON"),
]


async def test_unreadable_bodies_are_10001(api: Api, service_id: int) -> None:
    for raw, says in RAW_BODIES:
        error = await refused(api, service_id, raw=raw)

        assert (error["status"], error["code"]) == (400, 10001), raw[:20]
        assert says in str(error["message"]), raw[:20]


async def test_a_body_over_the_limit_is_413(api: Api, service_id: int) -> None:
    padding = "x" * (api.settings.max_body_bytes + 1)

    error = await refused(api, service_id, {"rpmName": NEW_RPM, "clientToken": padding})

    assert (error["status"], error["code"]) == (413, 10005)


# Digits of other scripts (fullwidth, superscript, Arabic-Indic) pass str.isdigit().
NON_ASCII_DIGITS = ["\uff11\uff10\uff10\uff14", "\u00b2", "\u0663", "1\uff10"]


async def test_ill_formed_service_id_is_10001(api: Api, service_id: int) -> None:
    for path_id in ["abc", "-1", "1.5", "9" * 30, "+1", *NON_ASCII_DIGITS]:
        head = api.head()
        reply = await api.call("POST", f"/api/v2/arbitration/services/{path_id}/upgrade", {})

        assert (reply.status, reply.error["code"]) == (400, 10001), path_id
        assert reply.error["subErrors"][0]["field"] == "id"
        assert api.head() == head


async def test_ids_are_ascii_digits_on_every_route(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    task_id, subtask_id = task.data["id"], task.data["subtasks"][0]["id"]
    for digits in NON_ASCII_DIGITS:
        for method, path, field in [
            ("GET", f"/api/v2/arbitration/services/{digits}", "id"),
            ("GET", f"/api/v2/tasks/instances/{digits}", "id"),
            ("GET", f"/api/v2/tasks/instances/{task_id}/subtasks/{digits}/log", "sid"),
            ("POST", f"/api/v2/tasks/instances/{digits}/subtasks/{subtask_id}/skip", "id"),
        ]:
            reply = await api.call(method, path)

            assert (reply.status, reply.error["code"]) == (400, 10001), path
            assert reply.error["subErrors"] == [
                {
                    "object": path,
                    "field": field,
                    "rejectedValue": digits,
                    "message": f"{field} must be a positive integer",
                }
            ]


async def test_unknown_service_is_404(api: Api, service_id: int) -> None:
    error = await refused(api, 424242, {"rpmName": NEW_RPM})

    assert (error["status"], error["code"]) == (404, 10002)
    assert error["target"] == "424242"
    assert error["message"] == "arbitration service not found: 424242"


async def test_a_service_that_is_not_running_cannot_be_upgraded(api: Api, service_id: int) -> None:
    arbiter = api.arbiter
    service = arbiter.get_service(service_id)
    service.change_status(ServiceStatus.STOPPED, Caller("test", "0" * 16))
    arbiter.save(service)

    error = await refused(api, service_id, {"rpmName": NEW_RPM})

    assert (error["status"], error["code"]) == (400, 60002)
    assert "STOPPED" in str(error["message"])
    assert "RUNNING" in str(error["message"])


async def test_wrong_method_and_unknown_route_are_envelopes(api: Api, service_id: int) -> None:
    wrong = await api.call("GET", upgrade_path(service_id))
    unknown = await api.call("GET", "/api/v2/no/such/thing")

    assert (wrong.status, wrong.error["code"]) == (405, 10004)
    assert (unknown.status, unknown.error["code"]) == (404, 10002)


async def test_a_refusal_leaves_the_service_free(api: Api, service_id: int) -> None:
    await refused(api, service_id, {"rpmName": UNREGISTERED})
    reply = await api.upgrade(service_id, NEW_RPM)

    assert reply.status == 200, reply.body
    assert api.arbiter.get_service(service_id).active_task_id == reply.data["id"]
