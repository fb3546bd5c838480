"""GET /api/v2/tasks/instances, .../{id}/events and ?asOf over a real server."""

from urllib.parse import quote

from tests.api.conftest import Api

TASKS = "/api/v2/tasks/instances"


async def test_a_task_is_listed_right_after_it_was_created(api: Api, service_id: int) -> None:
    """Read-your-writes: no wait, no retry between the write and the read."""
    task = await api.upgrade(service_id)

    listed = await api.call("GET", TASKS)

    assert listed.data["page"] == {"totalElements": 1, "totalPages": 1, "number": 1, "size": 10}
    item = listed.data["contents"][0]
    full = task.data
    assert item == {
        **{k: v for k, v in full.items() if k != "subtasks"},
        "serviceId": service_id,
        "hostId": item["hostId"],
    }
    assert isinstance(item["hostId"], int)


async def test_filters_sort_and_bad_parameters(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    host_id = (await api.call("GET", TASKS)).data["contents"][0]["hostId"]

    running = await api.call("GET", f"{TASKS}?status=RUNNING&name=upgrade&hostId={host_id}")
    failed = await api.call("GET", f"{TASKS}?status=FAILED")
    literal = await api.call("GET", f"{TASKS}?name=Upgrade_arbitration")  # _ is no wildcard
    wildcard = await api.call("GET", f"{TASKS}?name=%25")
    other_host = await api.call("GET", f"{TASKS}?hostId={host_id + 1000}")
    sorted_desc = await api.call("GET", f"{TASKS}?sort=createTime,desc&type=MANUAL")
    bad_status = await api.call("GET", f"{TASKS}?status=DONE")
    bad_size = await api.call("GET", f"{TASKS}?size=2001")
    bad_sort = await api.call("GET", f"{TASKS}?sort=creator")

    assert [t["id"] for t in running.data["contents"]] == [task.data["id"]]
    assert failed.data["contents"] == []
    assert literal.data["contents"] == []
    assert wildcard.data["contents"] == []
    assert other_host.data["contents"] == []
    assert [t["id"] for t in sorted_desc.data["contents"]] == [task.data["id"]]
    for bad, field in ((bad_status, "status"), (bad_size, "size"), (bad_sort, "sort")):
        assert bad.status == 400
        assert bad.error["subErrors"][0]["field"] == field


async def test_task_events_and_as_of(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    task_id = task.data["id"]

    events = await api.call("GET", f"{TASKS}/{task_id}/events")
    first = await api.call("GET", f"{TASKS}/{task_id}?asOf=1")
    printed = quote(events.data["contents"][0]["time"])  # as the API printed it, to the ms
    at_time = await api.call("GET", f"{TASKS}/{task_id}?asOf={printed}")
    too_far = await api.call("GET", f"{TASKS}/{task_id}?asOf=2")
    garbled = await api.call("GET", f"{TASKS}/{task_id}?asOf=soon")
    missing = await api.call("GET", f"{TASKS}/999999/events")

    assert [e["operation"] for e in events.data["contents"]] == ["TaskCreated", "ServiceTaskBound"]
    assert first.data == task.data
    assert at_time.data == task.data
    assert (too_far.status, too_far.error["code"]) == (400, 10001)
    assert (garbled.status, garbled.error["subErrors"][0]["field"]) == (400, "asOf")
    assert (missing.status, missing.error["code"]) == (404, 20000)


async def test_the_service_list_sees_a_new_service_at_once(api: Api, service_id: int) -> None:
    listed = await api.call("GET", "/api/v2/arbitration/services?keyword=ARB&statusList=RUNNING")
    one = await api.call("GET", f"/api/v2/arbitration/services/{service_id}")

    assert listed.data["contents"] == [one.data]


async def test_integer_parameters_take_ascii_digits_only(api: Api, service_id: int) -> None:
    task = await api.upgrade(service_id)
    for query, field in [
        ("page=%EF%BC%91", "page"),  # fullwidth 1
        ("size=%C2%B2", "size"),  # superscript 2: isdigit() says yes, int() says no
        ("hostId=%D9%A3", "hostId"),  # Arabic-Indic 3
        ("page=--5", "page"),
    ]:
        reply = await api.call("GET", f"{TASKS}?{query}")

        assert (reply.status, reply.error["code"]) == (400, 10001), query
        assert reply.error["subErrors"][0]["field"] == field
    as_of = await api.call("GET", f"{TASKS}/{task.data['id']}?asOf=%C2%B2")
    assert (as_of.status, as_of.error["subErrors"][0]["field"]) == (400, "asOf")


async def test_a_single_valued_parameter_given_twice_is_refused(api: Api, service_id: int) -> None:
    """The signed form cannot tell `name=a&name=b` from `name=a,b` (docs/api.md)."""
    await api.upgrade(service_id)

    twice = await api.call("GET", f"{TASKS}?name=a&name=b")
    list_twice = await api.call("GET", f"{TASKS}?status=FAILED&status=RUNNING")
    list_joined = await api.call("GET", f"{TASKS}?status=FAILED,RUNNING")

    assert (twice.status, twice.error["code"]) == (400, 10001)
    assert twice.error["subErrors"] == [
        {
            "object": TASKS,
            "field": "name",
            "rejectedValue": ["a", "b"],
            "message": "must be given at most once",
        }
    ]
    assert list_twice.data == list_joined.data
    assert list_joined.data["page"]["totalElements"] == 1
