"""The street caseworker's day, in a real browser against the running system: log in, search, open a
household, see identifiers masked, reveal one with a reason, register a new household (after a typo
in the ID number), and switch the interface to English and back."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from zhongfu.common.identifiers import make_id_number

from .system import first_int, login

pytestmark = pytest.mark.browser

MASKED_ID = re.compile(r"^\d{6}\*{8}[\dX]{4}$")
CLEAR_ID = re.compile(r"^\d{17}[\dX]$")
DETAIL_URL = re.compile(r"/registry/households/\d+/$")


def masked(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


def submit(page) -> None:
    """Press the page's main form button and wait for the next page."""
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def test_street_caseworker_journey(zhongfu, page, shot):
    html = page.locator("html")

    # --- log in: the interface is Chinese by default -------------------------------------------------
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(html).to_have_attribute("lang", "zh-hans")
    shot(page, "street-01-login")
    login(page, "street")
    expect(page).to_have_url(re.compile(r"/registry/households/$"))
    expect(page.locator("[data-testid=whoami]")).to_be_visible()
    rows = page.locator("#results tbody tr")
    households_before = first_int(page.locator("[data-testid=result-count]").inner_text())
    assert households_before >= 1, "the demo city has no household in the street caseworker's scope"
    number = rows.first.locator("a").inner_text().strip()
    surname = rows.first.locator("td").nth(1).inner_text().strip()[0]  # names are masked: 张* → 张
    for text in page.locator("#results td.masked").all_inner_texts():
        assert MASKED_ID.match(text.strip()), text
    shot(page, "street-02-household-list")

    # --- search (htmx swaps the results and pushes the query into the address bar) ------------------
    search = page.locator("#q")
    search.fill(surname)
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=%"))
    expect(page.locator("#results tbody a", has_text=number)).to_have_count(1)
    search.fill(number)
    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={number}"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator("a")).to_have_text(number)
    shot(page, "street-03-search")

    # --- open the household: every ID number masked -------------------------------------------------
    rows.first.locator("a").click()
    expect(page).to_have_url(DETAIL_URL)
    expect(page.locator("[data-testid=household-number]")).to_have_text(number)
    ids = page.locator("[data-testid=id-masked]")
    expect(ids.first).to_be_visible()
    for text in ids.all_inner_texts():
        assert MASKED_ID.match(text.strip()), text
    shot(page, "street-04-household")

    # --- reveal one ID number: a reason is asked, the clear number shown, the reason logged ----------
    first_masked = ids.first.inner_text().strip()
    control = page.locator("details[id^='unmask-id_number-']").first
    control.locator("summary").click()
    reason = "核对低保申请材料"
    control.locator("input[name=reason]").fill(reason)
    control.locator("button").click()
    clear = page.locator("[data-testid=unmasked]")
    expect(clear).to_have_text(CLEAR_ID)
    clear_id = clear.inner_text().strip()
    assert masked(clear_id) == first_masked
    shot(page, "street-05-unmasked")
    page.reload()
    expect(page.locator("[data-testid=history]")).to_contain_text(reason)
    assert clear_id not in page.content(), "the clear ID number must not stay on the page after a reload"

    # --- find a community of the street to register into ---------------------------------------------
    page.goto("/regions/")
    street_code = page.locator("h1 small").inner_text().strip()
    assert re.fullmatch(r"\d{9}", street_code), street_code
    community = page.locator("table tbody td.masked").first.inner_text().strip()
    assert re.fullmatch(r"\d{12}", community) and community.startswith(street_code), community

    # --- register a household: first with a wrong check digit, which is refused next to the field -----
    id_number = make_id_number(community[:6], dt.date(1968, 11, 23), 731, "F")
    wrong = id_number[:17] + next(c for c in "0123456789X" if c != id_number[17])
    name = "林晓梅"
    page.goto("/registry/households/new/")
    page.locator("#id_region").fill(community)
    page.locator("#id_address").fill("文三路 99 号 3 单元 201 室")
    page.locator("#id_area_type").select_option("urban")
    page.locator("#id_hukou_type").select_option("registered")
    page.locator("#id_members-0-name").fill(name)
    page.locator("#id_members-0-id_number").fill(wrong)
    page.locator("#id_members-0-relation").select_option("head")
    page.locator("#id_members-0-labour_capacity").select_option("partial")
    page.locator("#id_members-0-wage").fill("1200")
    submit(page)
    expect(page).to_have_url(re.compile(r"/registry/households/new/$"))
    id_field = page.locator("#id_members-0-id_number")
    error = id_field.locator("xpath=..").locator(".errorlist")
    expect(error).to_be_visible()
    expect(error).to_contain_text(id_number[17])  # the message names the expected check digit
    expect(id_field).to_have_value(wrong)
    expect(page.locator("#id_members-0-name")).to_have_value(name)
    shot(page, "street-06-register-wrong-check-digit")

    id_field.fill(id_number)
    submit(page)
    expect(page).to_have_url(DETAIL_URL)
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-testid=household-number]")).to_have_text(re.compile(rf"^{community}\d+$"))
    new_number = page.locator("[data-testid=household-number]").inner_text().strip()
    expect(page.locator("[data-testid=id-masked]")).to_have_text([masked(id_number)])
    assert id_number not in page.content()
    shot(page, "street-07-registered")
    detail_url = page.url

    # the refused attempt saved nothing: exactly one household more, found by the new ID number
    page.goto("/registry/households/")
    assert first_int(page.locator("[data-testid=result-count]").inner_text()) == households_before + 1
    search = page.locator("#q")
    search.fill(id_number)
    search.press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={id_number}"))
    expect(rows).to_have_count(1)
    expect(rows.first.locator("a")).to_have_text(new_number)
    expect(rows.first.locator("td.masked")).to_have_text(masked(id_number))

    # --- switch the interface to English and back --------------------------------------------------
    page.goto(detail_url)
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("en")
    expect(html).to_have_attribute("lang", "en")
    expect(page).to_have_url(detail_url)
    expect(page.locator("nav a[href='/registry/households/']")).to_have_text("Households")
    expect(page.locator("[data-testid=id-masked]")).to_have_text([masked(id_number)])
    shot(page, "street-08-english")
    with page.expect_navigation():
        page.locator("select[name=language]").select_option("zh-hans")
    expect(html).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_url(detail_url)

    zhongfu.assert_running()
