"""Issue #5 point 9 in a real browser: the city administrator loads a medical-insurance file with a fault
(refused with its row report, nothing loaded), loads it again corrected, and runs the monitoring; the
community worker then finds the household with high out-of-pocket costs among the warnings, takes the
visit and closes the warning with an outcome.

The file is built here from people of the running system: the ID numbers in clear can only be read there
(the pages show them masked), so `zhongfu shell` gives them (see PEOPLE). The shipped risk model is
approved with `zhongfu monitoring_sync`, as `make db` does before `make run`.
"""

import csv
import datetime as dt
import io
import json
import re

import pytest
from playwright.sync_api import expect

from .system import first_int, login

pytestmark = pytest.mark.browser

RUN_SECONDS = 120  # bound on the whole run of the demo city by the worker (a few seconds in practice)
OUT_OF_POCKET_YUAN = 38_000  # above the model's 30,000 yuan: 30 points, a yellow warning
HEADERS = ["身份证号", "姓名", "结算日期", "医疗总费用(元)", "个人自付(元)", "重特大疾病", "病种"]

# The demo city of the e2e system (400 households) has none in the community worker's community, so the
# household with the high costs is registered there through the registry's service, as a worker would; the
# second person is a demo person of another district (a small settlement), read from the registry, and the
# third an ID number nobody in the registry has (an unmatched row).
PEOPLE = """
import datetime as dt, json
from zhongfu.accounts.models import User
from zhongfu.common.identifiers import make_id_number
from zhongfu.common.personal_data import decrypt, lookup_hash
from zhongfu.registry.models import Membership, Person
from zhongfu.registry.services import MemberInput, household_register
community = User.objects.get(username="community").region_id
target = make_id_number(community[:6], dt.date(1962, 8, 14), 381, "M")
head = MemberInput(name="{name}", id_number=target, relation="head", serious_illness=False)
h = household_register(actor=None, region_code=community, address="文一西路 88 号 2 幢 402 室", area_type="urban",
    hukou_type="registered", start=dt.date(2024, 1, 1), members=[head])
other = Membership.objects.filter(end_date__isnull=True, person__deceased_on__isnull=True, household__is_active=True
    ).exclude(household__region__code__startswith=community[:6]).select_related("person").order_by("pk").first()
sequence = 990
unknown = lambda: make_id_number("330106", dt.date(1950, 6, 1), sequence, "M")
while Person.objects.filter(id_number_hash=lookup_hash(unknown())).exists():
    sequence -= 1
print("PEOPLE", json.dumps({{
    "household_id": h.pk, "household": h.number, "target": target,
    "other": [decrypt(other.person.id_number_enc), other.person.name],
    "unknown": unknown(),
}}, ensure_ascii=False))
"""
NAME = "钱国强"


def demo_people(zhongfu) -> dict:
    out = zhongfu.manage("shell", "-c", PEOPLE.format(name=NAME))
    line = next(line for line in out.splitlines() if line.startswith("PEOPLE "))
    return json.loads(line.removeprefix("PEOPLE "))


def feed_csv(rows: list[list[str]]) -> bytes:
    """UTF-8 with the byte-order mark, as Excel saves "CSV UTF-8" (amounts with thousands separators quoted)."""
    out = io.StringIO()
    csv.writer(out).writerows([HEADERS, *rows])
    return ("\ufeff" + out.getvalue()).encode()


def upload(page, name: str, content: bytes) -> None:
    page.goto("/feeds/upload/")
    page.locator("#id_feed").select_option("medical_insurance")
    page.locator("#id_file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": content})
    with page.expect_navigation():
        page.locator("[data-testid=feed-upload-form] button[type=submit]").click()


def test_feed_upload_run_and_warning_closed(zhongfu, new_page, shot):
    zhongfu.manage("monitoring_sync")
    people = demo_people(zhongfu)
    target_id, target_name = people["target"], NAME
    other_id, other_name = people["other"]
    wrong_digit = next(c for c in "0123456789X" if c != other_id[17])
    settled = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    good_rows = [
        [target_id, target_name, settled, "52,000.00", f"{OUT_OF_POCKET_YUAN:,}.00", "否", "慢性肾病"],
        [other_id, other_name, settled, "3,100", "1200.50", "否", "肺炎"],
        [people["unknown"], "王某", settled, "800", "300", "否", "骨折"],
    ]
    bad_rows = [good_rows[0], [other_id[:17] + wrong_digit, *good_rows[1][1:]], good_rows[2]]

    # The administrator loads a file whose second data row (spreadsheet row 3) has a wrong check digit.
    admin = new_page()
    login(admin, "admin")
    upload(admin, "医保结算-有误.csv", feed_csv(bad_rows))
    expect(admin.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(admin.locator("[data-testid=feed-rejected]")).to_contain_text("医保结算-有误.csv")
    errors = admin.locator("[data-testid=feed-error-table] tbody tr")
    expect(errors).to_have_count(1)
    cells = errors.first.locator("td")
    expect(cells.nth(0)).to_have_text("3")
    expect(cells.nth(1)).to_have_text("身份证号")
    expect(cells.nth(2)).not_to_be_empty()
    shot(admin, "monitoring-01-feed-rejected")
    # Nothing was loaded: the feed has no batch.
    admin.goto("/feeds/medical_insurance/")
    expect(admin.locator("[data-testid=batch-table] tbody tr")).to_have_count(1)
    expect(admin.locator("[data-testid=batch-table] tbody td[colspan]")).to_be_visible()

    # Corrected, the same file loads as version 1; two of its three people are in the registry.
    upload(admin, "医保结算.csv", feed_csv(good_rows))
    expect(admin).to_have_url(re.compile(r"/feeds/batches/\d+/$"))
    expect(admin.locator(".alert-success")).to_contain_text("医保结算.csv")
    counts = admin.locator("[data-testid=batch-counts]").inner_text()
    assert [int(n) for n in re.findall(r"\d+", counts)] == [3, 2, 1], counts
    unmatched = admin.locator("[data-testid=batch-unmatched] tbody tr")
    expect(unmatched).to_have_count(1)
    expect(unmatched.first).to_contain_text(people["unknown"][:6] + "*" * 8 + people["unknown"][-4:])
    expect(admin.locator("[data-testid=batch-districts]")).to_contain_text("西湖区")
    shot(admin, "monitoring-02-batch-loaded")

    # The administrator runs the monitoring and watches its progress until it is done.
    admin.goto("/monitoring/runs/")
    with admin.expect_navigation():
        admin.locator("[data-testid=start-monitoring-run]").click()
    expect(admin).to_have_url(re.compile(r"/monitoring/runs/\d+/$"))
    status = admin.locator("[data-testid=run-status]")
    expect(status).to_have_attribute("data-status", re.compile("done|failed"), timeout=RUN_SECONDS * 1000)
    expect(status).to_have_attribute("data-status", "done")
    expect(admin.locator("[data-testid=run-progress]")).to_have_attribute("aria-valuenow", "100")
    assert first_int(admin.locator("[data-testid=summary-at_risk] td").nth(1).inner_text()) >= 1
    shot(admin, "monitoring-03-run-done")

    # The community worker finds the household among the warnings: at risk, because of the medical costs.
    worker = new_page()
    login(worker, "community")
    worker.goto("/monitoring/warnings/?kind=at_risk")
    item = worker.locator("[data-testid=warning-list] a[data-kind=at_risk]", has_text=people["household"])
    expect(item).to_have_count(1)
    expect(item).to_contain_text("医保自付")
    shot(worker, "monitoring-04-warning-list")
    with worker.expect_navigation():
        item.click()
    expect(worker).to_have_url(re.compile(r"/monitoring/warnings/\d+/$"))
    warning_url = worker.url
    warning_id = int(re.search(r"/warnings/(\d+)/$", warning_url).group(1))
    facts = worker.locator("[data-testid=warning-facts]")
    expect(facts).to_have_attribute("data-status", "open")
    expect(facts).to_contain_text(people["household"])
    explanation = worker.locator("[data-testid=warning-explanation]")
    expect(explanation).to_contain_text("医保自付")
    expect(explanation).to_contain_text(f"{OUT_OF_POCKET_YUAN:,}")
    # Masked, as everywhere: the head's name and ID number are not on the page.
    expect(worker.locator("main")).not_to_contain_text(target_id)
    expect(worker.locator("main")).not_to_contain_text(NAME)

    with worker.expect_navigation():
        worker.locator("[data-testid=assign-me]").click()
    expect(worker.locator(".alert-success")).to_contain_text("分配给您走访")
    expect(facts).to_have_attribute("data-status", "visiting")
    expect(worker.locator("[data-testid=assign-me]")).to_have_count(0)

    # The outcome must be chosen: the browser does not send the form without one.
    assert worker.locator("[data-testid=close-form]").evaluate("form => form.checkValidity()") is False

    note = "已入户核实，医疗费用已由大病保险报销，暂不需要救助"
    worker.locator("input[name=outcome][value=not_needed]").check()
    worker.locator("#id_note").fill(note)
    shot(worker, "monitoring-05-close-form")
    with worker.expect_navigation():
        worker.locator("[data-testid=close-warning]").click()
    expect(worker).to_have_url(re.compile(r"/monitoring/warnings/$"))
    expect(worker.locator(".alert-success")).to_contain_text("预警已办结")
    # The list of warnings not closed no longer holds it; its page shows it closed with the outcome and note.
    expect(worker.locator(f"[data-testid=warning-{warning_id}]")).to_have_count(0)
    worker.goto(warning_url)
    expect(facts).to_have_attribute("data-status", "closed")
    outcome = worker.locator("[data-testid=warning-outcome]")
    expect(outcome).to_contain_text("无需帮扶")
    expect(outcome).to_contain_text(note)
    expect(worker.locator("[data-testid=close-form]")).to_have_count(0)
    shot(worker, "monitoring-06-warning-closed")
    zhongfu.assert_running()
