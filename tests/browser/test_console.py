"""The console in a real headless Chromium against a real `arbiter serve --demo`: an operator's
journey through an upgrade that succeeds, one that fails and is retried, its replay, the audit
log; a viewer who sees no controls; forged requests refused."""

import re
from typing import Any

import orjson
import pytest
from playwright.sync_api import Page, expect

from api.demo import NEW_RPMS
from tests.browser.conftest import VIEWER, Pages
from tests.browser.steps import confirm_upgrade, node, sign_in, task_status, upgrade_choices
from tests.system.demo_server import ADMIN, DemoServer

pytestmark = pytest.mark.browser

TASKS = "/api/v2/tasks/instances"


def ops(page: Page, selector: str) -> list[str]:
    """The operations of the action buttons under `selector`, in order."""
    buttons = page.locator(f"{selector} button")
    return [str(op) for op in buttons.evaluate_all("bs => bs.map(b => b.dataset.op)")]


def statuses(page: Page) -> list[str]:
    return [
        str(s) for s in page.locator("g.node").evaluate_all("ns => ns.map(n => n.dataset.status)")
    ]


def origin(page: Page) -> str:
    return "/".join(page.url.split("/", 3)[:3])


def post_without_token(page: Page, path: str) -> tuple[int, Any]:
    """A state-changing request with the page's session cookie but no CSRF token."""
    response = page.request.post(origin(page) + path)
    return response.status, orjson.loads(response.body())["error"]


def post_with_token(page: Page, path: str) -> tuple[int, Any]:
    token = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    response = page.request.post(origin(page) + path, headers={"X-CSRF-Token": token})
    return response.status, orjson.loads(response.body())


def test_an_upgrade_watched_failed_retried_replayed_and_audited(
    console: DemoServer, pages: Pages
) -> None:
    base, service = console.url, console.service_id
    page = pages.open()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))

    sign_in(page, base, ADMIN)
    cookie = next(c for c in page.context.cookies() if c["name"] == "arbiter_session")
    assert (cookie["httpOnly"], cookie["sameSite"]) == (True, "Strict")
    expect(page.locator(f'tr[data-service-id="{service}"] td').nth(5)).to_have_text("RUNNING")
    assert ops(page, f'tr[data-service-id="{service}"]') == ["UPGRADE", "STOP", "RESTART", "DELETE"]

    # Upgrade: the dialog offers the registered packages newer than the service's version.
    assert upgrade_choices(page, base, service) == list(NEW_RPMS)
    first = confirm_upgrade(page, NEW_RPMS[0])
    page.evaluate("window.stillThisPage = true")
    task_status(page, "SUCCESSFUL")
    assert statuses(page) == ["SUCCESSFUL"] * 7
    assert page.evaluate("window.stillThisPage")  # no reload: the server pushed every change
    assert f"{base}{TASKS}/{first}" not in requests  # and the page never asked for the task
    assert f"{base}{TASKS}/{first}/stream" in requests

    # The next stop fails; only the newer package remains to choose.
    console.fault("stop", "fail")
    assert upgrade_choices(page, base, service) == [NEW_RPMS[1]]
    second = confirm_upgrade(page, NEW_RPMS[1])
    task_status(page, "FAILED")
    assert statuses(page) == ["SUCCESSFUL", "FAILED", *["PENDING"] * 5]
    assert ops(page, "#task-actions") == ["RETRY", "ROLLBACK"]
    page.click(node(page, "Stop arbitration service"))
    expect(page.locator("#subtask-name")).to_have_text("Stop arbitration service")
    expect(page.locator("#subtask-log")).to_contain_text("injected failure")
    assert page.locator("#subtask-log").inner_text().startswith("############{EXECUTE}")
    assert ops(page, "#subtask-actions") == ["RETRY", "SKIP"]

    # Meanwhile a viewer looks at the same failed task: no controls, and a forged POST is 403.
    viewer = pages.open()
    sign_in(viewer, base, VIEWER.login)
    viewer.goto(f"{base}/tasks/{second}")
    task_status(viewer, "FAILED")
    viewer.click(node(viewer, "Stop arbitration service"))
    expect(viewer.locator("#subtask-log")).to_contain_text("injected failure")
    assert ops(viewer, "#task-actions") == []
    assert ops(viewer, "#subtask-actions") == []
    forged = post_with_token(viewer, f"{TASKS}/{second}/retry")
    assert forged[0] == 403
    assert forged[1]["error"] == {
        "code": 30014,
        "message": "user watcher lacks permission TASK_MANAGER",
    }
    viewer.goto(f"{base}/services")
    expect(viewer.locator(f'tr[data-service-id="{service}"] td').nth(5)).to_have_text("RUNNING")
    assert ops(viewer, f'tr[data-service-id="{service}"]') == []
    assert viewer.locator('nav a[data-nav="audit"]').count() == 0

    # A destructive action asks first; declining changes nothing.
    page.click('#task-actions button[data-op="ROLLBACK"]')
    expect(page.locator("#confirm")).to_be_visible()
    expect(page.locator("#confirm-text")).to_contain_text(f"Roll back task {second}")
    page.click("#confirm-cancel")
    expect(page.locator("#confirm")).to_be_hidden()
    assert page.locator("#task-status").inner_text() == "FAILED"

    # Retry: the task runs again and succeeds; the open log follows the step's second run.
    page.click('#task-actions button[data-op="RETRY"]')
    task_status(page, "SUCCESSFUL")
    expect(page.locator("#subtask-log")).to_contain_text("############{RETRY}")
    assert ops(page, "#task-actions") == []

    # Replay: back to version 1, the task as created; then live again.
    page.focus("#replay-slider")
    page.keyboard.press("Home")
    expect(page.locator("#as-of")).to_be_visible()
    expect(page.locator("#as-of-version")).to_have_text("1")
    task_status(page, "RUNNING")
    assert statuses(page) == ["READY", *["PENDING"] * 6]
    assert ops(page, "#task-actions") == []
    expect(page.locator('#timeline tr.current[data-version="1"]')).to_contain_text(
        f"admin created task {second}"
    )
    page.click("#step-forward")
    expect(page.locator("#as-of-version")).to_have_text("2")
    assert statuses(page)[0] == "RUNNING"
    expect(page.locator('#timeline tr[data-version="2"] td').nth(4)).to_have_text(
        re.compile(r"#[0-9a-f]{8}$")
    )  # the node that started the step
    page.click("#back-to-live")
    expect(page.locator("#as-of")).to_be_hidden()
    task_status(page, "SUCCESSFUL")

    # A POST with the session cookie but without the CSRF token is refused.
    assert post_without_token(page, f"{TASKS}/{second}/retry") == (
        403,
        {"code": 30014, "message": "the console's CSRF token is missing or wrong"},
    )
    with_token = post_with_token(page, f"{TASKS}/{second}/retry")
    assert (with_token[0], with_token[1]["error"]["code"]) == (400, 20003)  # past the guard

    # Tasks, newest first, filtered; the audit log of the failed task, and its download.
    page.goto(f"{base}/tasks")
    rows = page.locator("#tasks tbody tr")
    expect(rows.first).to_have_attribute("data-task-id", str(second))
    expect(rows.nth(1)).to_have_attribute("data-task-id", str(first))
    page.goto(f"{base}/tasks?status=FAILED")
    expect(page.locator("#tasks tbody")).to_have_text("No tasks match.")
    page.goto(f"{base}/audit?taskId={second}")
    expect(page.locator("#audit tbody tr").first).to_contain_text(f"admin created task {second}")
    with page.expect_download() as download:
        page.click("#download")
    lines = download.value.path().read_text().splitlines()
    events = [orjson.loads(line) for line in lines]
    assert {e["taskId"] for e in events} == {second}
    assert page.locator("#audit tbody tr").count() == len(events)

    # Signing out ends the session: its cookie no longer opens the API.
    page.click(".sign-out button")
    expect(page).to_have_url(f"{base}/sign-in")
    assert page.request.get(f"{base}/api/v2/console/me").status == 401
    assert pages.errors == []


def test_the_dag_is_drawn_from_upstreams_and_downstreams_for_any_shape(
    console: DemoServer, pages: Pages
) -> None:
    page = pages.open()
    page.goto(f"{console.url}/sign-in")

    drawn = page.evaluate(
        """async () => {
          const { layers, draw } = await import('/static/dag.js');
          const s = (id, upstreams, downstreams) => ({
            id, upstreams, downstreams, name: `step ${id}`, status: 'PENDING',
            operation: 'EXECUTE', runTime: 1, timeout: 60, executor: null,
            startTime: null, finishTime: null,
          });
          const shapes = {
            diamond: [s(1, [], [2, 3]), s(2, [1], [4]), s(3, [1], [4]), s(4, [2, 3], [])],
            skipLink: [s(1, [], [2, 3]), s(2, [1], [3]), s(3, [1, 2], [])],
            forest: [s(5, [], []), s(6, [], [7]), s(7, [6], [])],
            namedByOneEnd: [s(1, [], [2]), s(2, [], []), s(3, [2], [])],
          };
          const result = {};
          for (const [name, subtasks] of Object.entries(shapes)) {
            const target = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
            draw(target, subtasks);
            result[name] = {
              layers: layers(subtasks).map((layer) => layer.map((x) => x.id)),
              nodes: target.querySelectorAll('g.node').length,
              edges: [...target.querySelectorAll('path.edge')].map((e) => e.dataset.edge),
            };
          }
          return result;
        }"""
    )

    assert drawn == {
        "diamond": {
            "layers": [[1], [2, 3], [4]],
            "nodes": 4,
            "edges": ["1>2", "1>3", "2>4", "3>4"],
        },
        "skipLink": {"layers": [[1], [2], [3]], "nodes": 3, "edges": ["1>2", "1>3", "2>3"]},
        "forest": {"layers": [[5, 6], [7]], "nodes": 3, "edges": ["6>7"]},
        "namedByOneEnd": {"layers": [[1], [2], [3]], "nodes": 3, "edges": ["1>2", "2>3"]},
    }
    assert pages.errors == []
