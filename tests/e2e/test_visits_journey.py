"""Issue #4 point 8 in a real browser: a community worker on a phone opens the visits due, records a
visit to an overdue household and sees it leave the overdue list (and come up again in a week).

The household is set up through the registry's service in the running system (it must have existed
long enough to be overdue, which the registration page cannot backdate); the demo city's past visits
are loaded with the `visits_demo` command.
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from .system import ARTIFACTS, first_int, login

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
NAME = "孙桂芳"

SETUP = """
import datetime as dt
from zhongfu.accounts.models import User
from zhongfu.common.identifiers import make_id_number
from zhongfu.registry.services import MemberInput, household_register
community = User.objects.get(username="community").region.code
head = MemberInput(name="{name}", id_number=make_id_number(community[:6], dt.date(1941, 3, 2), 517, "F"),
    relation="head", elderly_living_alone=True)
h = household_register(actor=None, region_code=community, address="古墩路 12 号 3 幢 101 室", area_type="urban",
    hukou_type="registered", start=dt.date(2025, 1, 1), members=[head])
print("HOUSEHOLD", h.pk, h.number)
"""


@pytest.fixture
def phone(browser, zhongfu, request):
    context = browser.new_context(
        base_url=zhongfu.url,
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "e2e_failed", False):
        page.screenshot(path=ARTIFACTS / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()


def test_community_worker_records_a_visit_on_a_phone(zhongfu, phone, shot):
    zhongfu.manage("visits_demo")
    out = zhongfu.manage("shell", "-c", SETUP.format(name=NAME))
    _, household_id, number = next(line for line in out.splitlines() if line.startswith("HOUSEHOLD")).split()
    page = phone

    login(page, "community")
    page.goto("/visits/?filter=overdue")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    card = page.locator(f"[data-testid=due-card][data-household='{household_id}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text(number)
    expect(card).to_contain_text("孙**")
    expect(card).not_to_contain_text(NAME)
    overdue_before = first_int(page.locator("[data-testid=count-overdue]").inner_text())
    assert overdue_before >= 1
    # Made for a phone: nothing wider than the screen, a button big enough for a thumb.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    button = card.locator("[data-testid=record-visit]")
    box = button.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 250, box
    shot(page, "visits-01-due-list-phone")

    button.tap()
    expect(page).to_have_url(re.compile(rf"/visits/households/{household_id}/new"))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    today = page.locator("#id_visited_on").input_value()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", today), today
    # Saving without an outcome is refused next to the outcome; nothing is recorded.
    with page.expect_navigation():
        page.locator("[data-testid=save-visit]").tap()
    expect(page.locator("[data-testid=outcome-error]")).to_be_visible()
    page.locator("[data-testid=outcome-well]").tap()
    expect(page.locator("input[name=outcome][value=well]")).to_be_checked()
    page.locator("#id_needs").fill("希望社区提供助餐服务")
    shot(page, "visits-02-visit-form-phone")
    with page.expect_navigation():
        page.locator("[data-testid=save-visit]").tap()

    expect(page).to_have_url(re.compile(r"/visits/\?filter=overdue$"))
    expect(page.locator(".alert-success")).to_contain_text(number)
    expect(page.locator(f"[data-testid=due-card][data-household='{household_id}']")).to_have_count(0)
    assert first_int(page.locator("[data-testid=count-overdue]").inner_text()) == overdue_before - 1
    shot(page, "visits-03-after-visit-phone")

    # Living alone, so visited weekly: it is due again within 7 days.
    page.locator("[data-testid=filter-soon]").tap()
    soon = page.locator(f"[data-testid=due-card][data-household='{household_id}']")
    expect(soon).to_be_visible()
    due = (dt.date.fromisoformat(today) + dt.timedelta(days=7)).isoformat()
    expect(soon.locator("[data-testid=next-due]")).to_have_text(due)
    zhongfu.assert_running()
