"""Issue #6 point 12 in a real browser: charity money from the gift to the household, and what the public sees.

1. A donor (no login) opens the trade union's public page, gives 200 yuan online to the Spring Breeze
   education fund through the simulated cashier (which posts the provider's signed callback to the running
   site), gets a numbered receipt and opens the trace link. The union's officer creates the drive, allocates
   from the fund to the project's budget and pays a household from it, through the pages; the donor's trace
   then shows the payment with the recipient masked. The drive's public page and its spreadsheet show the
   figures to the fen.
2. The charity federation's officer records two offline gifts (cash from a new donor, a bank transfer from a
   company to the fund named for it), issues and opens the receipts, allocates within the fund's restriction,
   and is refused (a clear message, nothing written) when allocating beyond the balance or outside the
   restriction. The public unit and project pages show the figures to the fen. The drive, which ended three
   weeks ago, has its final report due: the officer publishes it and the public reads it.

Fund accounts have no page of their own (they are opened by the bookkeeping setup), so `zhongfu shell`
opens them through the funds services, as SETUP shows; everything else happens on the pages.
"""

import datetime as dt
import io
import json
import re
import zoneinfo

import pytest
from playwright.sync_api import expect
from python_calamine import CalamineWorkbook

from .system import login

pytestmark = pytest.mark.browser

# The funds of a unit, opened by its officer through the funds services, and a household of the demo city
# to pay (its head's name in clear, to check that no public page shows it).
SETUP = """
import json
from zhongfu.accounts.models import User
from zhongfu.common.identifiers import uscc_check_char
from zhongfu.funds import services
from zhongfu.funds.models import Donor
from zhongfu.registry.models import Membership
officer = User.objects.get(username="{username}")
unit = officer.unit
spec = json.loads('{spec}')
out = {{"unit_id": unit.pk, "unit_code": unit.code, "accounts": {{}}, "donors": {{}}}}
opened = {{}}
for d in spec.get("donors", []):
    body = d.pop("uscc_body", "")
    donor = services.donor_register(actor=officer, uscc=body + uscc_check_char(body) if body else "", **d)
    out["donors"][d["name"]] = donor.pk
for a in spec["accounts"]:
    if a.get("parent"):
        a["parent"] = opened[a["parent"]]
    if a.get("named_for"):
        a["named_for"] = Donor.objects.get(pk=out["donors"][a["named_for"]])
    opened[a["code"]] = services.fund_account_open(actor=officer, unit=unit, **a)
    out["accounts"][a["code"]] = opened[a["code"]].pk
head = (Membership.objects.filter(relation="head", end_date__isnull=True, household__is_active=True,
        household__region__code__startswith=officer.scope_prefix)
        .select_related("person", "household__region").order_by("-pk").first())
out["household"] = {{"number": head.household.number, "name": head.person.name,
                    "community": head.household.region.name}}
print("SETUP", json.dumps(out, ensure_ascii=False))
"""


def setup_funds(zhongfu, username: str, spec: dict) -> dict:
    out = zhongfu.manage("shell", "-c", SETUP.format(username=username, spec=json.dumps(spec, ensure_ascii=False)))
    line = next(line for line in out.splitlines() if line.startswith("SETUP "))
    return json.loads(line.removeprefix("SETUP "))


def today_in_hangzhou() -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()


def yuan_text(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


TOTALS = ("raised", "allocated", "spent", "balance")


def expect_totals(page, raised: int, allocated: int, spent: int, balance: int) -> None:
    """The four public figures of a page, to the fen."""
    for key, fen in zip(TOTALS, (raised, allocated, spent, balance), strict=True):
        expect(page.locator(f"[data-testid=total-{key}]")).to_have_text(yuan_text(fen))


def unit_totals(page, unit_code: str) -> tuple[int, int, int, int]:
    """The unit's public figures in fen before the test acts: the demo city's books are already there."""
    page.goto(f"/funds/public/{unit_code}/")
    texts = [page.locator(f"[data-testid=total-{key}]").inner_text() for key in TOTALS]
    return tuple(int(text.strip().replace(",", "").replace(".", "")) for text in texts)


def plus(before: tuple, *delta: int) -> tuple:
    return tuple(b + d for b, d in zip(before, delta, strict=True))


def allocate(page, unit_id: int, *, source: int, budget: int, yuan: str):
    page.goto(f"/funds/units/{unit_id}/allocate/")
    form = page.locator("[data-testid=allocation-form]")
    form.locator("#id_from_account").select_option(str(source))
    form.locator("#id_to_account").select_option(str(budget))
    form.locator("#id_amount").fill(yuan)
    form.locator("#id_memo").fill("春风行动拨付")
    submit(page, page.locator("[data-testid=save-allocation]"))


def balances(page, unit_id: int) -> dict[str, int]:
    page.goto(f"/funds/units/{unit_id}/")
    rows = page.locator("[data-testid=accounts] tbody tr[data-testid^=account-]")
    return {
        row.get_attribute("data-testid").removeprefix("account-"): int(
            row.locator("td[data-fen]").get_attribute("data-fen")
        )
        for row in rows.all()
    }


def create_drive(page, unit_id: int, *, code: str, name: str, starts_on: dt.date, ends_on: dt.date) -> None:
    page.goto(f"/funds/units/{unit_id}/drives/")
    form = page.locator("[data-testid=drive-form]")
    form.locator("#id_code").fill(code)
    form.locator("#id_name").fill(name)
    form.locator("#id_starts_on").fill(starts_on.isoformat())
    form.locator("#id_ends_on").fill(ends_on.isoformat())
    form.locator("#id_plan_registered_on").fill((starts_on - dt.timedelta(days=15)).isoformat())
    submit(page, page.locator("[data-testid=save-drive]"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"[data-testid=drive-{code}]")).to_contain_text(name)


def test_a_donor_gives_online_and_follows_the_gift_to_a_household(zhongfu, new_page, shot):
    funds = setup_funds(
        zhongfu,
        "union",
        {
            "accounts": [
                {"kind": "restricted", "code": "sb-edu", "name": "春风助学基金", "project": "SB-EDU"},
                {
                    "kind": "budget",
                    "code": "sb-edu-2026",
                    "name": "2026春风助学金",
                    "project": "SB-EDU",
                    "parent": "sb-edu",
                },
            ]
        },
    )
    unit_code, unit_id = funds["unit_code"], funds["unit_id"]
    fund, budget = funds["accounts"]["sb-edu"], funds["accounts"]["sb-edu-2026"]
    household = funds["household"]
    public_before = unit_totals(new_page(), unit_code)

    # The donor, without logging in: the unit's public page, "give online", 200 yuan to the education fund.
    donor = new_page()
    donor.goto(f"/funds/public/{unit_code}/")
    submit(donor, donor.locator("[data-testid=give-online]"))
    form = donor.locator("[data-testid=give-form]")
    form.locator("#id_amount").fill("200")
    form.locator("#id_account").select_option(str(fund))
    form.locator("#id_donor_name").fill("林晓燕")
    shot(donor, "funds-01-give")
    submit(donor, donor.locator("[data-testid=give]"))
    expect(donor).to_have_url(re.compile(r"/funds/pay/sim/[^/]+/$"))
    expect(donor.locator("[data-testid=pay-amount]")).to_have_attribute("data-fen", "20000")
    submit(donor, donor.locator("[data-testid=pay]"))
    expect(donor).to_have_url(re.compile(r"/funds/orders/[^/]+/$"))
    expect(donor.locator("[data-testid=order-paid]")).to_be_visible()
    receipt = donor.locator("[data-testid=receipt-number]").inner_text()
    assert re.fullmatch(rf"{today_in_hangzhou().year}-\d{{6}}", receipt), receipt
    shot(donor, "funds-02-receipt")
    submit(donor, donor.locator("[data-testid=trace-link]"))
    expect(donor).to_have_url(re.compile(r"/funds/trace/[^/]+/$"))
    trace_url = donor.url
    expect(donor.locator("[data-testid=trace-head]")).to_contain_text("200.00")
    expect(donor.locator("[data-testid=unallocated]")).to_have_text("200.00")
    expect(donor.locator("[data-testid=trace-disbursements] tbody tr")).to_have_count(1)  # "none yet"

    # The union's officer: the drive, an allocation to the project's budget, a payment to a household.
    officer = new_page()
    login(officer, "union")
    today = today_in_hangzhou()
    create_drive(
        officer,
        unit_id,
        code="SB-EDU",
        name="春风行动·助学",
        starts_on=today - dt.timedelta(days=60),
        ends_on=today + dt.timedelta(days=240),
    )
    allocate(officer, unit_id, source=fund, budget=budget, yuan="150")
    expect(officer.locator(".alert-success")).to_be_visible()
    officer.goto(f"/funds/units/{unit_id}/disburse/")
    form = officer.locator("[data-testid=disbursement-form]")
    form.locator("#id_account").select_option(str(budget))
    form.locator("#id_household").fill(household["number"])
    form.locator("#id_amount").fill("120")
    form.locator("#id_memo").fill("助学金")
    submit(officer, officer.locator("[data-testid=save-disbursement]"))
    expect(officer.locator(".alert-success")).to_be_visible()
    accounts = balances(officer, unit_id)
    assert (accounts["sb-edu"], accounts["sb-edu-2026"]) == (5_000, 3_000), accounts
    shot(officer, "funds-03-accounts")

    # The donor's trace now shows the payment, its recipient masked.
    donor.goto(trace_url)
    expect(donor.locator("[data-testid=disbursed]")).to_have_text("120.00")
    expect(donor.locator("[data-testid=unallocated]")).to_have_text("50.00")
    paid = donor.locator("[data-testid=trace-disbursements] tbody tr")
    expect(paid).to_have_count(1)
    expect(paid.first).to_contain_text("120.00")
    expect(paid.first).to_contain_text(household["community"])
    expect(paid.first).to_contain_text(household["name"][0] + "*")
    expect(donor.locator("main")).not_to_contain_text(household["name"])
    expect(donor.locator("main")).not_to_contain_text(household["number"])
    shot(donor, "funds-04-trace")

    # The public drive page, to the fen, and the same figures in its spreadsheet.
    public = new_page()
    public.goto(f"/funds/public/{unit_code}/")
    expect_totals(public, *plus(public_before, 20_000, 15_000, 12_000, 8_000))
    submit(public, public.locator("[data-testid=drives] a", has_text="春风行动·助学"))
    expect_totals(public, 20_000, 15_000, 12_000, 8_000)
    expect(public.locator("[data-testid=final-report-section]")).to_have_attribute("data-state", "running")
    with public.expect_download() as download:
        public.locator("[data-testid=drive-xlsx]").click()
    book = CalamineWorkbook.from_filelike(io.BytesIO(download.value.path().read_bytes()))
    totals = book.get_sheet_by_index(0).to_python()
    assert totals[1][0].startswith("SB-EDU")
    assert [round(v * 100) for v in totals[1][1:5]] == [20_000, 15_000, 12_000, 8_000], totals
    shot(public, "funds-05-drive")
    zhongfu.assert_running()


def test_an_officer_records_offline_gifts_and_allocates_within_the_restriction(zhongfu, new_page, shot):
    company = "杭州春晖实业有限公司"
    funds = setup_funds(
        zhongfu,
        "charity",
        {
            "donors": [
                {"kind": "organisation", "name": company, "consent_to_name": True, "uscc_body": "91330106MA2CH0001"},
            ],
            "accounts": [
                {"kind": "restricted", "code": "cf-edu", "name": "助学基金", "project": "CF-EDU"},
                {
                    "kind": "budget",
                    "code": "cf-edu-2026",
                    "name": "2026助学项目",
                    "project": "CF-EDU",
                    "parent": "cf-edu",
                },
                {
                    "kind": "restricted",
                    "code": "cf-chunhui",
                    "name": "春晖安居冠名基金",
                    "project": "CF-HOME",
                    "named_for": company,
                },
                {"kind": "budget", "code": "cf-home-2026", "name": "2026安居项目", "project": "CF-HOME"},
            ],
        },
    )
    unit_code, unit_id = funds["unit_code"], funds["unit_id"]
    acc = funds["accounts"]
    public_before = unit_totals(new_page(), unit_code)
    officer = new_page()
    login(officer, "charity")
    today = today_in_hangzhou()
    # The education drive ended three weeks ago: its final report is due within 3 months of its end.
    create_drive(
        officer,
        unit_id,
        code="CF-EDU",
        name="金秋助学",
        starts_on=today - dt.timedelta(days=110),
        ends_on=today - dt.timedelta(days=21),
    )
    expect(officer.locator("[data-testid=drive-CF-EDU] [data-testid=final-state]")).to_have_attribute(
        "data-state", "due"
    )

    # A cash gift from a new donor who agrees to be named by an alias, to the education fund.
    officer.goto(f"/funds/units/{unit_id}/donations/new/")
    form = officer.locator("[data-testid=gift-form]")
    form.locator("#id_donor_kind").select_option("person")
    form.locator("#id_donor_name").fill("周建国")
    form.locator("#id_donor_consent_to_name").check()
    form.locator("#id_donor_alias").fill("一位老党员")
    form.locator("#id_amount").fill("1,000.50")
    form.locator("#id_channel").select_option("cash")
    form.locator("#id_account").select_option(str(acc["cf-edu"]))
    submit(officer, officer.locator("[data-testid=save-gift]"))
    expect(officer).to_have_url(re.compile(r"/funds/donations/\d+/$"))
    expect(officer.locator(".alert-success")).to_be_visible()
    submit(officer, officer.locator("[data-testid=issue-receipt]"))
    submit(officer, officer.locator("[data-testid=receipts] a").first)
    expect(officer).to_have_url(re.compile(r"/funds/receipts/\d+/$"))
    expect(officer.locator("[data-testid=receipt-number]")).to_have_text(re.compile(rf"{today.year}-\d{{6}}"))
    expect(officer.locator("[data-testid=receipt-donor]")).to_have_text("周建国")
    expect(officer.locator("[data-testid=receipt-amount]")).to_have_text("1,000.50")
    shot(officer, "funds-06-receipt")

    # A bank transfer from the company, to the fund named for it (restricted to the housing project).
    officer.goto(f"/funds/units/{unit_id}/donations/new/")
    form = officer.locator("[data-testid=gift-form]")
    form.locator("#id_donor").select_option(str(funds["donors"][company]))
    form.locator("#id_amount").fill("50000")
    form.locator("#id_channel").select_option("transfer")
    form.locator("#id_account").select_option(str(acc["cf-chunhui"]))
    form.locator("#id_bank_reference").fill("ICBC20261123-0042")
    submit(officer, officer.locator("[data-testid=save-gift]"))
    expect(officer.locator(".alert-success")).to_be_visible()
    submit(officer, officer.locator("[data-testid=issue-receipt]"))
    expect(officer.locator("[data-testid=receipts] a")).to_have_count(1)
    submit(officer, officer.locator("[data-testid=receipts] a").first)
    expect(officer.locator("[data-testid=receipt-donor]")).to_have_text(company)
    expect(officer.locator("[data-testid=receipt-amount]")).to_have_text("50,000.00")

    # Within the restriction: 800 yuan of the education fund to the education budget.
    allocate(officer, unit_id, source=acc["cf-edu"], budget=acc["cf-edu-2026"], yuan="800")
    expect(officer.locator(".alert-success")).to_be_visible()
    before = balances(officer, unit_id)
    assert before["cf-edu"] == 20_050 and before["cf-edu-2026"] == 80_000, before

    # Beyond the balance: refused, the balance stated in yuan, nothing written.
    allocate(officer, unit_id, source=acc["cf-edu"], budget=acc["cf-edu-2026"], yuan="300")
    error = officer.locator("[data-testid=error-amount]")
    expect(error).to_be_visible()
    expect(error).to_contain_text("200.50")
    expect(officer.locator("#id_amount")).to_have_value("300")
    shot(officer, "funds-07-refused-balance")
    # Outside the restriction: the company's housing fund cannot pay the education project.
    allocate(officer, unit_id, source=acc["cf-chunhui"], budget=acc["cf-edu-2026"], yuan="10000")
    expect(officer.locator("[data-testid=error-to_account]")).to_contain_text("限定")
    shot(officer, "funds-08-refused-restriction")
    assert balances(officer, unit_id) == before
    # The same fund within its restriction: the housing budget.
    allocate(officer, unit_id, source=acc["cf-chunhui"], budget=acc["cf-home-2026"], yuan="20000")
    expect(officer.locator(".alert-success")).to_be_visible()

    # The public pages, to the fen: the unit, the project, the donors who agreed to be named.
    public = new_page()
    public.goto(f"/funds/public/{unit_code}/")
    expect_totals(public, *plus(public_before, 5_100_050, 2_080_000, 0, 5_100_050))
    named = public.locator("[data-testid=named-donors]")
    expect(named).to_contain_text("一位老党员")
    expect(named).to_contain_text(company)
    expect(public.locator("main")).not_to_contain_text("周建国")
    submit(public, public.locator("[data-testid=project-link]", has_text="CF-EDU").first)
    expect(public).to_have_url(re.compile(r"/projects/CF-EDU/$"))
    expect_totals(public, 100_050, 80_000, 0, 100_050)
    shot(public, "funds-09-project")

    # The drive has ended: the officer publishes its final report, and the public reads it.
    officer.goto(f"/funds/units/{unit_id}/drives/")
    submit(officer, officer.locator("[data-testid=drive-CF-EDU] [data-testid=final-open]"))
    expect(officer.locator("[data-testid=final-state]")).to_have_attribute("data-state", "due")
    expect(officer.locator("[data-testid=final-raised]")).to_have_text("1,000.50")
    submit(officer, officer.locator("[data-testid=final-publish]"))
    expect(officer).to_have_url(re.compile(r"/funds/public/[^/]+/drives/CF-EDU/final/$"))
    expect(officer.locator("[data-testid=final-raised]")).to_have_text("1,000.50")
    expect(officer.locator("[data-testid=final-allocated]")).to_have_text("800.00")
    expect(officer.locator("[data-testid=channel-cash]")).to_contain_text("1,000.50")
    expect(officer.locator("[data-testid=final-named]")).to_contain_text("一位老党员")
    officer.goto(f"/funds/units/{unit_id}/drives/")
    expect(officer.locator("[data-testid=drive-CF-EDU] [data-testid=final-state]")).to_have_attribute(
        "data-state", "published"
    )
    public.goto(f"/funds/public/{unit_code}/drives/CF-EDU/")
    submit(public, public.locator("[data-testid=final-report-link]"))
    expect(public.locator("[data-testid=final-balance]")).to_have_text("1,000.50")
    expect(public.locator("main")).not_to_contain_text("周建国")
    shot(public, "funds-10-final-report")
    zhongfu.assert_running()
