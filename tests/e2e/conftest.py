"""Browser tests against the running system: one server (gunicorn + worker on a fresh database) per
session, one Chromium per session, a fresh browser context (cookies, language) per test.

pytest-django is active for the whole run, but nothing here touches the ORM in this process: the
system under test lives in subprocesses and is reached over HTTP only."""

import pytest

from .system import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, running_system


@pytest.fixture(scope="session")
def zhongfu(tmp_path_factory):
    """The running system (see system.running_system); .url is its base address."""
    with running_system(tmp_path_factory.mktemp("zhongfu-e2e")) as system:
        yield system


@pytest.fixture(scope="package")
def browser():
    """Package-scoped, not session-scoped: while sync Playwright runs, its event loop counts as running
    in this thread, and Django refuses ORM calls there (SynchronousOnlyOperation). Closing the browser
    after the last browser test keeps the database tests that follow unaffected."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture
def new_page(browser, zhongfu, request):
    """Opens pages in fresh contexts as a Chinese-speaking user would (Accept-Language zh-CN); a page
    of a failed test is kept as a screenshot in test-artifacts/."""
    contexts = []

    def open_page():
        context = browser.new_context(
            base_url=zhongfu.url, viewport={"width": 1280, "height": 800}, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for i, context in enumerate(contexts):
        if getattr(request.node, "e2e_failed", False):
            for j, page in enumerate(context.pages):
                page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}-{i}-{j}.png", full_page=True)
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


@pytest.fixture
def shot():
    """shot(page, name): a full-page screenshot kept as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
