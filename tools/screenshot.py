"""`make screenshot`: docs/console-task.png, the console's task page after a failed upgrade step,
drawn by the same headless Chromium and the same steps as the browser tests."""

import tempfile
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from api.demo import NEW_RPMS
from tests.browser.chromium import launch
from tests.browser.steps import confirm_upgrade, node, sign_in, task_status, upgrade_choices
from tests.system.demo_server import ADMIN, demo_server

OUT = Path(__file__).resolve().parent.parent / "docs" / "console-task.png"
VIEWPORT = {"width": 1440, "height": 1280}  # the whole seven-step DAG and the replay stepper


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as scratch,
        demo_server(Path(scratch) / "data") as server,
        sync_playwright() as playwright,
    ):
        browser = launch(playwright)
        page = browser.new_page(viewport=VIEWPORT)
        sign_in(page, server.url, ADMIN)
        upgrade_choices(page, server.url, server.service_id)
        confirm_upgrade(page, NEW_RPMS[0])
        task_status(page, "SUCCESSFUL")
        server.fault("stop", "fail")
        upgrade_choices(page, server.url, server.service_id)
        confirm_upgrade(page, NEW_RPMS[1])
        task_status(page, "FAILED")
        page.click(node(page, "Stop arbitration service"))
        expect(page.locator("#subtask-log")).to_contain_text("injected failure")
        page.screenshot(path=OUT)
        browser.close()
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
