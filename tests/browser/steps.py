"""What an operator does in the console, as steps the browser tests and `make screenshot` share."""

import re

from playwright.sync_api import Page, expect

FINISH_SECONDS = 30


def sign_in(page: Page, base: str, login: tuple[str, str]) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=(%2F|/)services$"))
    page.fill("#name", login[0])
    page.fill("#password", login[1])
    page.click("#sign-in")
    expect(page).to_have_url(f"{base}/services")


def upgrade_choices(page: Page, base: str, service_id: int) -> list[str]:
    """Open the service's upgrade dialog; the packages it offers."""
    page.goto(f"{base}/services")
    page.click(f'tr[data-service-id="{service_id}"] button[data-op="UPGRADE"]')
    expect(page.locator("#upgrade")).to_be_visible()
    return page.locator("#upgrade-rpm option").evaluate_all("options => options.map(o => o.value)")


def confirm_upgrade(page: Page, rpm: str) -> int:
    """Choose `rpm` in the open dialog and confirm; the id of the task the console lands on."""
    page.select_option("#upgrade-rpm", rpm)
    page.click("#upgrade-ok")
    page.wait_for_url(re.compile(r"/tasks/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def task_status(page: Page, status: str) -> None:
    expect(page.locator("#task-status")).to_have_text(status, timeout=FINISH_SECONDS * 1000)


def node(page: Page, name: str) -> str:
    """The selector of the DAG node of the subtask called `name`."""
    return f'g.node[aria-label^="{name}:"]'
