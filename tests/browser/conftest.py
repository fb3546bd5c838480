"""One headless Chromium and one `arbiter serve --demo` per browser test module; each test gets
its own browser contexts. Module, not session, scope: Playwright's sync API holds an event loop
as the thread's running loop while it is open, which would break every asyncio test after it.
A failing test leaves a screenshot of every page it opened and says where (its tmp directory)."""

import os
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser.chromium import CHROMIUM, launch
from tests.system.demo_server import Account, DemoServer, demo_server, users_file

VIEWER = Account("watcher", "watcher-secret", "viewer")
PAGES = pytest.StashKey[list[Page]]()
FOLDER = pytest.StashKey[Path]()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def console(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    root = tmp_path_factory.mktemp("console")
    users = users_file(root / "users.yaml", [VIEWER])
    with demo_server(root / "data", {"ARBITER_USERS_FILE": str(users)}) as server:
        yield server


class Pages:
    """Pages in fresh browser contexts (separate cookies: separate users), with the errors
    their consoles reported (a Content-Security-Policy violation among them)."""

    def __init__(self, browser: Browser, pages: list[Page]) -> None:
        self._browser = browser
        self._contexts: list[BrowserContext] = []
        self.pages = pages
        self.errors: list[str] = []

    def open(self) -> Page:
        context = self._browser.new_context(viewport={"width": 1440, "height": 1000})
        self._contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.pages.append(page)
        return page

    def close(self) -> None:
        for context in self._contexts:
            context.close()


@pytest.fixture
def pages(browser: Browser, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pages]:
    request.node.stash[FOLDER] = tmp_path
    opened = Pages(browser, request.node.stash.setdefault(PAGES, []))
    yield opened
    opened.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" and report.failed:
        for number, page in enumerate(item.stash.get(PAGES, [])):
            path = item.stash[FOLDER] / f"screenshot-{number}.png"
            try:
                page.screenshot(path=path, full_page=True)
                shown = f"page {number} ({page.url}): {path}"
            except Exception as error:  # a page already closed has nothing to show
                shown = f"page {number}: none ({error})"
            report.sections.append(("screenshot", shown))
    return report
