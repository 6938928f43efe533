"""Issue #3 point 11 in a real browser against the running system, as one journey.

A street caseworker registers a household whose income lies just above the 低保 standard in force
(so it is not eligible), then:

1. maker-checker and simulation: `admin` raises the standard by 200 yuan from today; the proposal is
   pending, the value in force and the household's screening are unchanged, and `admin` cannot approve
   it (no button; the server refuses a forged approval). `admin2` follows "simulate the impact" from the
   approvals queue, watches the background run finish, reads how many households newly qualify (at
   least this one, in its district) with a chart, and approves; the new value is in force;
2. caseworker screening: the household is now eligible for 低保; the explanation names its income, the
   new standard and its start date; "apply for all eligible" makes one application listing 低保;
3. household code: the household opens its code's link on a phone, gets a verification code by text
   message (read from the outbox by `admin`) and sees its benefit list with names masked; a link with
   one character of the token changed shows "invalid code" and nothing of the household.
"""

import datetime as dt
import re
import zoneinfo

import pytest
from playwright.sync_api import expect

from zhongfu.common.identifiers import make_id_number

from .system import login

pytestmark = pytest.mark.browser

KEY = "dibao.standard"
RAISE_YUAN = 200
RUN_TIMEOUT = 60_000  # ms: a simulation evaluates the whole demo city twice in the background worker
HEAD_NAME = "周桂兰"
HEAD_PHONE = "13957121234"
ADDRESS = "丰潭路 88 号 2 幢 301 室"


def yuan_text(fen: int) -> str:
    """Money as the pages print it: 150000 → "1,500.00"."""
    return f"{fen // 100:,}.{fen % 100:02d}"


def fen_of(text: str) -> int:
    """The first amount in a text such as "1,300.00 元（2024-01-01 起）" → 130000."""
    match = re.search(r"(\d[\d,]*)\.(\d\d)", text)
    assert match, f"no amount in {text!r}"
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2))


def submit(page, button) -> None:
    """Click a button that posts a form and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()


def register_household(page, *, wage_fen: int) -> None:
    """As the street caseworker: one person, urban, income = wage_fen a month, with a phone."""
    page.goto("/regions/")
    community = page.locator("table tbody td.masked").first.inner_text().strip()
    assert re.fullmatch(r"\d{12}", community), community
    page.goto("/registry/households/new/")
    page.locator("#id_region").fill(community)
    page.locator("#id_address").fill(ADDRESS)
    page.locator("#id_area_type").select_option("urban")
    page.locator("#id_hukou_type").select_option("registered")
    page.locator("#id_members-0-name").fill(HEAD_NAME)
    page.locator("#id_members-0-id_number").fill(make_id_number(community[:6], dt.date(1971, 5, 9), 624, "F"))
    page.locator("#id_members-0-relation").select_option("head")
    page.locator("#id_members-0-phone").fill(HEAD_PHONE)
    page.locator("#id_members-0-labour_capacity").select_option("partial")
    page.locator("#id_members-0-wage").fill(yuan_text(wage_fen).replace(",", ""))
    submit(page, page.locator("main form button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/registry/households/\d+/$"))
    expect(page.locator(".alert-success")).to_be_visible()


def test_standard_raised_screened_and_disclosed(zhongfu, new_page, shot):
    today = dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date().isoformat()  # the server's time zone

    # === the standard in force, as admin reads it under 政策 → 参数 =================================
    maker = new_page()
    login(maker, "admin")
    maker.goto("/policies/")
    maker.locator("ul.nav-tabs a[href='/policies/parameters/']").click()
    expect(maker).to_have_url(re.compile(r"/policies/parameters/$"))
    maker.locator("[data-testid=parameter-table] a", has_text=re.compile(rf"^{re.escape(KEY)}$")).click()
    expect(maker).to_have_url(re.compile(rf"/policies/parameters/{re.escape(KEY)}/$"))
    in_force = maker.locator("[data-testid=value-in-force]")
    old_text = in_force.inner_text().strip()
    old_fen = fen_of(old_text)
    assert old_fen > 0, old_text
    assert today not in old_text, f"a value already starts today: {old_text}"
    new_fen = old_fen + RAISE_YUAN * 100
    wage_fen = old_fen + RAISE_YUAN * 100 // 2  # above the standard in force, below the proposed one
    shot(maker, "policies-01-parameter")

    # === a household just above the standard: not eligible for 低保 =================================
    street = new_page()
    login(street, "street")
    register_household(street, wage_fen=wage_fen)
    household_url = street.url
    number = street.locator("[data-testid=household-number]").inner_text().strip()
    regions_of_household = [t.strip() for t in street.locator("nav .breadcrumb-item a").all_inner_texts()]
    shot(street, "policies-02-household")
    street.locator("[data-testid=open-screening]").click()
    expect(street).to_have_url(re.compile(r"/screening/households/\d+/$"))
    screening_url = street.url
    dibao = street.locator("[data-testid=policy-dibao]")
    expect(dibao).to_have_attribute("data-outcome", "0")
    expect(dibao.locator("[data-testid=reason]").filter(has_text=yuan_text(wage_fen))).to_contain_text(
        yuan_text(old_fen)
    )
    shot(street, "policies-03-screening-before")

    # === 1. maker: admin proposes the raise =========================================================
    maker.locator("[data-testid=propose-value]").click()
    expect(maker).to_have_url(re.compile(rf"/policies/parameters/{re.escape(KEY)}/propose/$"))
    maker.locator("#id_start_date").fill(today)
    maker.locator("#id_value").fill(str(new_fen // 100))
    reference = "浙民救〔2026〕E2E 号：低保标准调整（浏览器测试）"
    maker.locator("#id_reference").fill(reference)
    maker.locator("#id_note").fill("按城镇居民人均消费支出挂钩机制调整")
    shot(maker, "policies-04-propose")
    submit(maker, maker.locator("main form button[type=submit]"))

    # pending: the value in force is unchanged, the proposal is in the history, no approve button
    expect(maker).to_have_url(re.compile(rf"/policies/parameters/{re.escape(KEY)}/$"))
    expect(maker.locator(".alert-success")).to_be_visible()
    expect(in_force).to_have_text(old_text)
    proposal = maker.locator("[data-testid=value-history] tbody tr").filter(has_text=reference)
    expect(proposal).to_have_count(1)
    expect(proposal).to_contain_text(today)
    expect(proposal).to_contain_text(yuan_text(new_fen))
    decide = proposal.locator("[data-testid^=decide-value-]")
    expect(decide).to_have_count(1)
    value_id = int(decide.get_attribute("data-testid").rsplit("-", 1)[1])
    expect(maker.locator("[data-testid=approve]")).to_have_count(0)
    shot(maker, "policies-05-pending")

    # the approvals queue lists it, without an approve button for its maker either
    maker.goto("/policies/approvals/")
    own = maker.locator(f"[data-testid=decide-value-{value_id}]")
    expect(own).to_be_visible()
    expect(own.locator("[data-testid=approve]")).to_have_count(0)

    # the server refuses a self-approval posted without the button
    csrf = next(c["value"] for c in maker.context.cookies() if c["name"] == "csrftoken")
    forged = maker.request.post(
        f"/policies/approvals/values/{value_id}/approve/",
        form={"csrfmiddlewaretoken": csrf, "next": "/policies/approvals/"},
        headers={"Referer": f"{zhongfu.url}/policies/approvals/"},
    )
    assert forged.ok and forged.url.endswith("/policies/approvals/"), (forged.status, forged.url)  # not a CSRF 403
    # refused with an error message (rendered as alert-error today: base.html has no MESSAGE_TAGS mapping)
    assert re.search(r'class="alert alert-(danger|error)"', forged.text()), "a self-approval must be refused"
    maker.goto(f"/policies/parameters/{KEY}/")
    expect(in_force).to_have_text(old_text)
    expect(maker.locator(f"[data-testid=decide-value-{value_id}]")).to_be_visible()  # still proposed

    # a proposal changes nothing for the caseworker
    street.goto(screening_url)
    expect(dibao).to_have_attribute("data-outcome", "0")

    # === 1b. checker: admin2 simulates the impact ===================================================
    checker = new_page()
    login(checker, "admin2")
    checker.goto(f"/policies/parameters/{KEY}/")
    checker.locator("[data-testid=approvals-tab]").click()
    expect(checker).to_have_url(re.compile(r"/policies/approvals/$"))
    row = checker.locator("[data-testid=pending-values] tbody tr").filter(
        has=checker.locator(f"[data-testid=decide-value-{value_id}]")
    )
    expect(row).to_have_count(1)
    expect(row.locator("[data-testid=approve]")).to_be_visible()
    shot(checker, "policies-06-approvals")

    row.locator("a[data-testid=simulate]").click()
    expect(checker).to_have_url(re.compile(r"/screening/simulate/\?"))
    expect(checker.locator("#id_parameter")).to_have_value(KEY)
    assert fen_of(checker.locator("#id_value").input_value()) == new_fen
    expect(checker.locator("#id_as_of")).to_have_value(today)
    shot(checker, "policies-07-simulate-form")
    submit(checker, checker.locator("main form button[data-testid=simulate]"))

    expect(checker).to_have_url(re.compile(r"/screening/runs/\d+/$"))
    expect(checker.locator("[data-testid=run-progress]")).to_be_visible()
    expect(checker.locator("[data-testid=run-status]")).to_have_attribute("data-status", "done", timeout=RUN_TIMEOUT)
    expect(checker.locator("[data-testid=run-progress] .progress-bar")).to_have_text("100%")
    totals = checker.locator("[data-testid=simulation-totals-dibao]")
    expect(totals).to_be_visible()
    districts = {
        cells[0].strip(): int(cells[3].replace(",", ""))  # district → newly eligible
        for cells in (
            r.locator("td").all_inner_texts() for r in checker.locator("[data-testid=simulation-dibao] tbody tr").all()
        )
    }
    newly = sum(districts.values())
    assert newly >= 1, f"raising the standard by {RAISE_YUAN} yuan made no household newly eligible"
    assert re.search(rf"(?<!\d){newly}(?!\d)", totals.inner_text()), (newly, totals.inner_text())
    own_district = [name for name in regions_of_household if name in districts]
    assert len(own_district) == 1, (regions_of_household, list(districts))
    assert districts[own_district[0]] >= 1, f"the registered household is not newly eligible in {own_district[0]}"
    monthly_delta = totals.locator("strong").first.inner_text().strip()
    assert not monthly_delta.startswith("-") and fen_of(monthly_delta) > 0, monthly_delta
    expect(checker.locator("#chart-dibao canvas").first).to_be_attached()
    shot(checker, "policies-08-simulation")

    # === 1c. checker approves: the new value is in force ============================================
    checker.goto("/policies/approvals/")
    decide = checker.locator(f"[data-testid=decide-value-{value_id}]")
    decide.locator("input[name=note]").first.fill("测算后同意")
    submit(checker, decide.locator("[data-testid=approve]"))
    expect(checker.locator(".alert-success")).to_be_visible()
    expect(checker.locator(f"[data-testid=decide-value-{value_id}]")).to_have_count(0)
    checker.goto(f"/policies/parameters/{KEY}/")
    in_force_now = checker.locator("[data-testid=value-in-force]")
    expect(in_force_now).to_contain_text(yuan_text(new_fen))
    expect(in_force_now).to_contain_text(today)
    shot(checker, "policies-09-approved")

    # === 2. caseworker: the household is now eligible, and the screening says why ==================
    street.goto(household_url)
    street.locator("[data-testid=open-screening]").click()
    expect(street).to_have_url(screening_url)
    expect(dibao).to_have_attribute("data-outcome", "1")
    income_line = dibao.locator("[data-testid=reason]").filter(has_text=yuan_text(wage_fen))
    expect(income_line).to_have_count(1)
    line = income_line.inner_text()
    assert "元" in line and "起" in line, line
    assert yuan_text(new_fen) in line and today in line, f"the new standard and its start date are not in {line!r}"
    shot(street, "policies-10-screening-after")

    submit(street, street.locator("[data-testid=apply-all]"))
    expect(street).to_have_url(re.compile(r"/casework/applications/\d+/$"))
    expect(street.locator("[data-testid=application-policy-dibao]")).to_contain_text("低保")
    shot(street, "policies-11-application")

    # === 3. household code: the household opens its benefit list ===================================
    street.goto(household_url)
    street.locator("[data-testid=household-code-link]").click()
    expect(street).to_have_url(re.compile(r"/code/households/\d+/$"))
    if street.locator("[data-testid=no-code]").count():
        submit(street, street.locator("[data-testid=issue-code]"))
    code_url = street.locator("[data-testid=code-url]").inner_text().strip()
    assert code_url.startswith(f"{zhongfu.url}/code/"), code_url
    expect(street.locator("[data-testid=qr] svg")).to_be_visible()
    shot(street, "policies-12-code")

    phone = new_page()  # the household's phone: nobody logged in
    phone.goto(code_url)
    expect(phone.locator("[data-testid=send-code]")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(HEAD_PHONE[-4:])
    assert HEAD_PHONE not in phone.content(), "the head's phone number must be masked"
    submit(phone, phone.locator("[data-testid=send-code]"))
    expect(phone.locator("[data-testid=digits]")).to_be_visible()
    shot(phone, "policies-13-verify")

    maker.goto("/code/outbox/")
    message = maker.locator("[data-testid=outbox-row]").filter(has_text=number).first  # newest first
    expect(message).to_be_visible()
    digits = re.findall(r"(?<!\d)\d{6}(?!\d)", message.locator("[data-testid=outbox-text]").inner_text())
    assert len(digits) == 1, message.inner_text()
    shot(maker, "policies-14-outbox")

    phone.locator("[data-testid=digits]").fill(digits[0])
    submit(phone, phone.locator("[data-testid=verify]"))
    expect(phone.locator("[data-testid=benefit-list]")).to_be_visible()
    expect(phone.locator("[data-testid=benefit-dibao]")).to_be_visible()
    expect(phone.locator("main")).to_contain_text(HEAD_NAME[0] + "*" * (len(HEAD_NAME) - 1))
    assert HEAD_NAME not in phone.content(), "names must be masked on the household's benefit list"
    assert HEAD_PHONE not in phone.content()
    shot(phone, "policies-15-benefit-list")

    # a link with one character of the token changed: invalid code, nothing of the household, even in
    # the browser that has just been let in
    base, token = code_url.rsplit("/", 1)
    i = len(token) // 4  # inside the token id, before the signature
    tampered = f"{base}/{token[:i]}{'B' if token[i] == 'A' else 'A'}{token[i + 1 :]}"
    for url in (tampered, f"{tampered}/list/"):
        response = phone.goto(url)
        assert response.status == 404, (url, response.status)
        expect(phone).to_have_url(url)
        expect(phone.locator("[data-testid=invalid-code]")).to_be_visible()
        expect(phone.locator("[data-testid=benefit-list]")).to_have_count(0)
        content = phone.content()
        for leak in (number, HEAD_NAME, HEAD_NAME[0] + "*", ADDRESS.split()[0], "低保"):
            assert leak not in content, f"the invalid-code page shows {leak!r}"
    shot(phone, "policies-16-tampered")

    zhongfu.assert_running()
