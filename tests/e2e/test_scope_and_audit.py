"""Scope and accountability in the browser: a community worker cannot open another community's
household, and the auditor can verify the audit log's hash chain."""

import re

import pytest
from playwright.sync_api import expect

from .system import first_int, login

pytestmark = pytest.mark.browser


def test_community_worker_cannot_open_a_household_outside_their_community(zhongfu, new_page, shot):
    admin = new_page()
    login(admin, "admin")
    link = admin.locator("#results tbody tr a").first
    outside_number = link.inner_text().strip()
    outside_url = link.get_attribute("href")
    assert admin.goto(outside_url).status == 200

    page = new_page()
    login(page, "community")
    page.goto("/regions/")
    own = page.locator("h1 small").inner_text().strip()
    assert re.fullmatch(r"\d{12}", own), own
    assert not outside_number.startswith(own)

    response = page.goto(outside_url)
    assert response.status == 404
    shot(page, "community-01-outside-404")
    page.goto("/registry/households/")
    page.locator("#q").fill(outside_number)
    page.locator("#q").press("Enter")
    expect(page).to_have_url(re.compile(rf"[?&]q={outside_number}"))
    expect(page.locator("#results tbody a")).to_have_count(0)
    zhongfu.assert_running()


def test_auditor_verifies_the_hash_chain(zhongfu, page, shot):
    login(page, "auditor")
    page.goto("/audit/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    latest = page.locator("table tbody tr").first.locator("td").first  # newest entry first: its sequence number
    expect(latest).to_have_text(re.compile(r"^\d+$"))
    entries = int(latest.inner_text())
    page.locator("button[hx-post$='/audit/verify/']").click()
    result = page.locator("[data-testid=verify-result]")
    expect(result).to_be_visible(timeout=30_000)  # the check may run in the background worker
    expect(result).to_have_class(re.compile(r"\btext-success\b"))
    assert first_int(result.inner_text()) == entries, "the whole chain is verified"
    shot(page, "auditor-01-verified")
    zhongfu.assert_running()
