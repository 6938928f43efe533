"""Issue #4 point 10 in a real browser: casework for 低保 across the roles that do it.

1. The full journey: the community worker registers a household and applies for it on the apply page
   (consent and the name of who gave it); the street caseworker accepts and records the financial check;
   the community worker records the home survey with a photo, the community review and the public notice
   (the public page shows the name masked); after the notice the district caseworker approves with the
   engine's amount, the notification is recorded, and the case waits for payment from next month. The first
   payment: the district caseworker prepares the roll of that month, issues it, downloads the CSV bank file
   (the clear account number the worker recorded, totals in fen), answers it with the bank's results (every
   line paid) and uploads them; the line is paid, and the household's payee page and benefit list show the
   payment received, dated today.
2. A refusal: the financial check finds an income the household did not declare; the district caseworker
   refuses, first without reasons (a clear message, nothing decided), then with written reasons, which the
   case shows, and the refusal letter is recorded.
3. An objection during the notice: a member of the public (no login) lodges one on the public notice page;
   the community worker records it, the case goes back to the home survey and the notice is taken down;
   after the re-investigation a second notice round runs.

The public notice lasts 7 calendar days and the system has no clock to move (the services read
`timezone.localdate()`), so `notice_elapse` stands in for the passage of those days: it moves the notice's
dates back in the running system's database through `zhongfu shell`, and nothing else.
"""

import csv
import datetime as dt
import io
import re
import struct
import zlib
import zoneinfo
from pathlib import Path

import pytest
from playwright.sync_api import expect

from zhongfu.common.identifiers import make_id_number

from .system import login

pytestmark = pytest.mark.browser

ACCOUNT = "6228480402564890018"  # the household's bank account (synthetic)

# The labels the pages show in Chinese (locale/zh_Hans), for the case's status and step badges.
STATUS = {"open": "办理中", "approved": "已批准", "refused": "不予批准"}
STEP = {
    "financial_check": "家庭经济状况核对",
    "home_survey": "入户调查",
    "community_review": "民主评议",
    "public_notice": "公示",
    "notification": "告知",
    "payment_pending": "待发放",
    "closed": "已办结",
}

# Stands in for the 7 days of the notice: the notice is moved back so that it ended yesterday. Only its two
# dates change (no event, no version): what the pages then allow follows from the dates alone.
NOTICE_ELAPSE = """
import datetime as dt
from django.utils import timezone
from zhongfu.casework.models import Case
case = Case.objects.get(pk={case_id})
shift = case.notice_ends_on - timezone.localdate() + dt.timedelta(days=1)
Case.objects.filter(pk=case.pk).update(
    notice_starts_on=case.notice_starts_on - shift, notice_ends_on=case.notice_ends_on - shift
)
print("NOTICE", case.notice_starts_on - shift, case.notice_ends_on - shift)
"""


def today_in_hangzhou() -> dt.date:
    """The server's date (its time zone is Asia/Shanghai)."""
    return dt.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()


def fen_of(text: str) -> int:
    """The first amount in a text such as "1,300.00 元" → 130000."""
    match = re.search(r"(\d[\d,]*)\.(\d\d)", text)
    assert match, f"no amount in {text!r}"
    return int(match.group(1).replace(",", "")) * 100 + int(match.group(2))


def yuan_text(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def tiny_png() -> bytes:
    """A real 2×2 grey PNG (the server checks a file's first bytes, not only its name)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + b"\x80" * 2 for _ in range(2))  # filter byte + two grey pixels per row
    header = struct.pack(">IIBBBBB", 2, 2, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")


def submit(page, button) -> None:
    """Click a button that posts a form and wait for the page it leads to."""
    with page.expect_navigation():
        button.click()


def community_code(zhongfu) -> str:
    """The community of the demo login `community`, from `zhongfu demo_logins`."""
    out = zhongfu.manage("demo_logins")
    match = re.search(r"^\s*community\s.*\((\d{12})\)\s*$", out, re.M)
    assert match, out
    return match.group(1)


def register_household(
    page, *, community: str, name: str, address: str, wage_yuan: int, sequence: int
) -> tuple[int, str]:
    """One person of working age with partial labour capacity (so not 特困) and a wage below the 低保
    standard; returns the household's id and number."""
    page.goto("/registry/households/new/")
    page.locator("#id_region").fill(community)
    page.locator("#id_address").fill(address)
    page.locator("#id_area_type").select_option("urban")
    page.locator("#id_hukou_type").select_option("registered")
    page.locator("#id_members-0-name").fill(name)
    page.locator("#id_members-0-id_number").fill(make_id_number(community[:6], dt.date(1971, 4, 12), sequence, "F"))
    page.locator("#id_members-0-relation").select_option("head")
    page.locator("#id_members-0-labour_capacity").select_option("partial")
    page.locator("#id_members-0-wage").fill(str(wage_yuan))
    submit(page, page.locator("main form button[type=submit]"))
    expect(page).to_have_url(re.compile(r"/registry/households/\d+/$"))
    number = page.locator("[data-testid=household-number]").inner_text().strip()
    return int(re.search(r"/households/(\d+)/$", page.url).group(1)), number


def apply_with_consent(page, *, household_id: int, consent_by: str) -> tuple[int, int]:
    """From the household's screening page, the apply page with consent; returns (dibao case id, amount)."""
    page.goto(f"/screening/households/{household_id}/")
    expect(page.locator("[data-testid=policy-dibao]")).to_have_attribute("data-outcome", "1")
    page.locator(f"a[href='/casework/households/{household_id}/apply/']").click()
    expect(page.locator("[data-testid=apply-form]")).to_be_visible()
    page.locator("#id_consent-consent").check()
    page.locator("#id_consent-consent_by").fill(consent_by)
    submit(page, page.locator("[data-testid=apply-submit]"))
    expect(page).to_have_url(re.compile(r"/casework/applications/\d+/$"))
    expect(page.locator("[data-testid=consent]")).to_contain_text(consent_by)
    line = page.locator("[data-testid=application-policy-dibao]")
    expect(line).to_contain_text("低保")
    amount = fen_of(line.locator("td").nth(1).inner_text())
    link = page.locator("[data-testid=case-link-dibao]")
    case_id = int(re.search(r"/cases/(\d+)/$", link.get_attribute("href")).group(1))
    return case_id, amount


def act(page, action: str, fields: dict[str, str] | None = None, *, select: dict[str, str] | None = None):
    """Fill and post the form of one step on the case page; returns its card (for a page shown again)."""
    card = page.locator(f"[data-testid=form-{action}]")
    expect(card).to_be_visible()
    for name, value in (fields or {}).items():
        card.locator(f"[name={name}]").fill(value)
    for name, value in (select or {}).items():
        field = card.locator(f"[name={name}]")
        if field.first.get_attribute("type") == "radio":
            card.locator(f"input[name={name}][value={value}]").check()
        else:
            field.select_option(value)
    submit(page, card.locator("button").last)
    return card


def expect_saved(page, case_id: int, step: str) -> None:
    expect(page).to_have_url(re.compile(rf"/casework/cases/{case_id}/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("[data-testid=case-step]")).to_have_text(STEP[step])


def accept_and_check(page, case_id: int, *, income_yuan: str) -> None:
    """As the street caseworker: accept, then the financial check with the department's income figure."""
    page.goto(f"/casework/cases/{case_id}/")
    act(page, "accept", {"note": "材料齐全，予以受理"})
    expect_saved(page, case_id, "financial_check")
    expect(page.locator("[data-testid=case-due]")).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2}"))
    act(page, "financial_check", {"monthly_income": income_yuan, "sources": "人社 2026-10，公积金中心"})
    expect_saved(page, case_id, "home_survey")


def survey_review_and_publish(page, case_id: int, *, photo: bytes | None = None) -> None:
    """As the community worker: the home survey (with a photo), the community review and the notice."""
    page.goto(f"/casework/cases/{case_id}/")
    card = page.locator("[data-testid=form-home_survey]")
    if photo is not None:
        card.locator("input[name=attachments]").set_input_files(
            files=[{"name": "入户照片.png", "mimeType": "image/png", "buffer": photo}]
        )
    act(page, "home_survey", {"living_conditions": "租住老旧小区一室户，家具简陋，无大件家电", "notes": "本人在家"})
    expect_saved(page, case_id, "community_review")
    act(page, "review", {"minutes": "评议小组 7 人到会，一致同意"}, select={"outcome": "agreed"})
    expect_saved(page, case_id, "public_notice")
    act(page, "publish_notice")
    expect_saved(page, case_id, "public_notice")
    expect(page.locator("[data-testid=event-publish_notice]").first).to_contain_text(
        (today_in_hangzhou() + dt.timedelta(days=7)).isoformat()
    )


def first_payment(page, shot, *, household_number: str, amount: int, month: dt.date) -> None:
    """As the district caseworker (who manages the rolls): prepare the roll of `month`, issue it, download the
    CSV bank file, answer it with a results file where every line is paid, and upload that."""
    page.goto("/payments/")
    page.locator("[data-testid=prepare-form] input[name=month]").fill(f"{month:%Y-%m}")
    submit(page, page.locator("[data-testid=prepare]"))
    expect(page).to_have_url(re.compile(r"/payments/rolls/\d+/$"))
    roll_number = page.locator("[data-testid=roll-number]").inner_text().strip()
    line = page.locator("[data-testid=lines] tbody tr").filter(has_text=household_number)
    expect(line).to_have_count(1)
    expect(line).to_contain_text("低保")
    expect(line).to_contain_text(yuan_text(amount))
    expect(line).to_contain_text(ACCOUNT[-4:])
    expect(page.locator("[data-testid=totals-check].text-success")).to_be_visible()
    shot(page, "casework-06a-roll-prepared")

    submit(page, page.locator("[data-testid=issue]"))
    expect(page.locator("[data-testid=issue]")).to_have_count(0)
    with page.expect_download() as download:
        page.locator("[data-testid=file-csv]").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0][:2] == ["文件标识", "批次号"] and rows[1][:2] == ["ZFPAY", roll_number], rows[:2]
    columns = rows[2]
    lines = rows[3:-1]
    trailer = rows[-1]
    ours = [r for r in lines if r[columns.index("户编号")] == household_number]
    assert len(ours) == 1, lines
    assert ours[0][columns.index("账号")] == ACCOUNT  # the bank needs the clear number
    assert ours[0][columns.index("金额（分）")] == str(amount)
    assert ours[0][columns.index("发放月份")] == f"{month:%Y-%m}"
    total = sum(int(r[columns.index("金额（分）")]) for r in lines)
    assert trailer[:3] == ["合计", str(len(lines)), str(total)], trailer
    assert rows[1][3:5] == [str(len(lines)), str(total)], rows[1]

    # the bank's answer: every line paid
    results = io.StringIO()
    writer = csv.writer(results, lineterminator="\r\n")
    writer.writerow(["明细编号", "金额（分）", "结果", "失败原因"])
    for r in lines:
        writer.writerow([r[columns.index("明细编号")], r[columns.index("金额（分）")], "成功", ""])
    form = page.locator("[data-testid=results-form]")
    form.locator("input[type=file]").set_input_files(
        files=[{"name": f"{roll_number}-results.csv", "mimeType": "text/csv", "buffer": results.getvalue().encode()}]
    )
    submit(page, form.locator("[data-testid=upload]"))
    expect(page.locator(".alert-success")).to_be_visible()
    line = page.locator("[data-testid=lines] tbody tr").filter(has_text=household_number)
    expect(line.locator(".badge.bg-success")).to_have_text("已发放")
    shot(page, "casework-06b-roll-paid")


def notice_elapse(zhongfu, case_id: int) -> None:
    """The 7 days of the notice pass (see NOTICE_ELAPSE): the notice ended yesterday."""
    out = zhongfu.manage("shell", "-c", NOTICE_ELAPSE.format(case_id=case_id))
    assert "NOTICE" in out, out


def test_dibao_from_application_to_first_payment(zhongfu, new_page, shot):
    community = community_code(zhongfu)
    name, address, wage_yuan = "吴秀英", "文三路 77 号 5 幢 402 室", 300
    today = today_in_hangzhou()

    # === the community worker registers the household and applies on its behalf, with its consent ====
    worker = new_page()
    login(worker, "community")
    household_id, household_number = register_household(
        worker, community=community, name=name, address=address, wage_yuan=wage_yuan, sequence=731
    )
    worker.goto("/policies/parameters/dibao.standard/")
    standard = fen_of(worker.locator("[data-testid=value-in-force]").inner_text())
    case_id, amount = apply_with_consent(worker, household_id=household_id, consent_by=name)
    # the engine's amount: the standard less the household's income (one person, no top-up)
    assert amount == standard - wage_yuan * 100, (amount, standard)
    shot(worker, "casework-01-application")
    worker.locator("[data-testid=case-link-dibao]").click()
    expect(worker.locator("[data-testid=case-step]")).to_have_text("受理")
    expect(worker.locator("[data-testid=case-amount]")).to_contain_text(yuan_text(amount))
    expect(worker.locator("[data-testid=event-open]")).to_have_count(1)

    # the bank account the household is paid into, recorded with the application (shown masked)
    worker.goto(f"/payments/households/{household_id}/payee-account/")
    expect(worker.locator("[data-testid=no-account]")).to_be_visible()
    worker.locator("#id_bank_name").fill("中国农业银行杭州文三路支行")
    worker.locator("#id_account_number").fill(ACCOUNT)
    submit(worker, worker.locator("[data-testid=save-account]"))
    expect(worker.locator("[data-testid=account-masked]")).to_have_text(
        f"{ACCOUNT[:6]}{'*' * (len(ACCOUNT) - 10)}{ACCOUNT[-4:]}"
    )
    assert ACCOUNT not in worker.content(), "the account number must be shown masked"

    # === the street caseworker accepts and checks income and assets with the departments ===========
    street = new_page()
    login(street, "street")
    accept_and_check(street, case_id, income_yuan=str(wage_yuan))
    check = street.locator("[data-testid=event-financial_check]")
    expect(check.locator(".text-success")).to_be_visible()  # “no differences”: the department agrees
    expect(check.locator(".text-danger")).to_have_count(0)
    shot(street, "casework-02-financial-check")

    # === the community worker: home survey with a photo, community review, public notice ==============
    photo = tiny_png()
    survey_review_and_publish(worker, case_id, photo=photo)
    attachment = worker.locator("[data-testid=event-home_survey] [data-testid^=attachment-]")
    expect(attachment).to_have_text("入户照片.png")
    with worker.expect_download() as download:
        attachment.click()
    assert Path(download.value.path()).read_bytes() == photo, "the stored photo differs from the one uploaded"
    shot(worker, "casework-03-notice-published")

    # the public notice, read by anyone without logging in: the name masked, nothing else of the household
    public = new_page()
    public.goto("/casework/notices/")
    notice = public.locator(f"[data-testid=notice-{case_id}]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(name[0] + "*" * (len(name) - 1))
    expect(notice).to_contain_text(yuan_text(amount))
    expect(notice).to_contain_text((today + dt.timedelta(days=7)).isoformat())
    content = public.content()
    for leak in (name, address.split()[0], community[:6] + "19710412"):
        assert leak not in content, f"the public notice shows {leak!r}"
    shot(public, "casework-04-public-notice")

    # while the notice runs nobody decides
    district = new_page()
    login(district, "district")
    district.goto(f"/casework/cases/{case_id}/")
    expect(district.locator("[data-testid=case-step]")).to_have_text(STEP["public_notice"])
    expect(district.locator("[data-testid=form-decide]")).to_have_count(0)

    # === seven days later: the district caseworker approves with the engine's amount ====================
    notice_elapse(zhongfu, case_id)
    public.goto("/casework/notices/")
    expect(public.locator(f"[data-testid=notice-{case_id}]")).to_have_count(0)  # the notice is down
    # 低保 is decided by the district: the street caseworker sees no decision form
    street.goto(f"/casework/cases/{case_id}/")
    expect(street.locator("[data-testid=form-objection]")).to_have_count(0)
    expect(street.locator("[data-testid=form-decide]")).to_have_count(0)
    district.goto(f"/casework/cases/{case_id}/")
    decide = district.locator("[data-testid=form-decide]")
    expect(decide).to_contain_text(yuan_text(amount))
    shot(district, "casework-05-decide")
    act(district, "decide", select={"decision": "approve"})
    expect_saved(district, case_id, "notification")
    expect(district.locator("[data-testid=case-status]")).to_have_text(STATUS["approved"])
    expect(district.locator("[data-testid=event-decide_approve]")).to_have_count(1)
    expect(district.locator("[data-testid=refusal-reasons]")).to_have_count(0)

    # === the notification, then payment from the month after the decision =========================
    act(district, "notify", {"method": "书面送达《最低生活保障确认通知书》", "note": "本人签收"})
    expect_saved(district, case_id, "payment_pending")
    expect(district.locator("[data-testid=case-status]")).to_have_text(STATUS["approved"])
    next_month = (today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    facts = district.locator("[data-testid=case-facts]")
    expect(facts.locator("dt:has-text('发放起始') + dd")).to_have_text(f"{next_month:%Y-%m}")
    expect(facts.locator("dt:has-text('决定日期') + dd")).to_contain_text(today.isoformat())  # decided today
    expect(district.locator("[data-testid=case-amount]")).to_contain_text(yuan_text(amount))
    for action in (
        "open",
        "accept",
        "financial_check",
        "home_survey",
        "review",
        "publish_notice",
        "decide_approve",
        "notify",
    ):
        expect(district.locator(f"[data-testid=event-{action}]")).to_have_count(1)
    expect(district.locator("[data-testid^=form-]")).to_have_count(0)  # nothing left to do on the case
    shot(district, "casework-06-payment-pending")

    # === the first payment: the roll of next month, the bank file, the bank's results ==================
    first_payment(district, shot, household_number=household_number, amount=amount, month=next_month)
    worker.goto(f"/payments/households/{household_id}/payee-account/")
    received = worker.locator("[data-testid=payments-received] tr").filter(has_text=f"{next_month:%Y-%m}")
    expect(received).to_have_count(1)
    expect(received).to_contain_text("低保")
    expect(received).to_contain_text(yuan_text(amount))
    expect(received).to_contain_text(today.isoformat())  # paid today, when the results came back
    shot(worker, "casework-06c-payment-received")
    # the household's benefit list (the page its code opens; staff print the same) lists the payment received
    worker.goto(f"/code/households/{household_id}/benefits/")
    paid = worker.locator("[data-testid=received] .zf-benefit")
    expect(paid).to_have_count(1)
    expect(paid).to_contain_text("低保")
    expect(paid).to_contain_text(yuan_text(amount))
    expect(paid).to_contain_text(today.isoformat())
    expect(worker.locator("main")).not_to_contain_text(name)  # masked there too
    shot(worker, "casework-06d-benefit-list")
    zhongfu.assert_running()


def test_dibao_refused_with_written_reasons(zhongfu, new_page, shot):
    community = community_code(zhongfu)
    name, wage_yuan = "郑建国", 400

    worker = new_page()
    login(worker, "community")
    household_id, _number = register_household(
        worker, community=community, name=name, address="莫干山路 9 号 1 幢 203 室", wage_yuan=wage_yuan, sequence=743
    )
    case_id, _amount = apply_with_consent(worker, household_id=household_id, consent_by=name)

    # the department holds a wage well above what the household declared: the difference is listed
    street = new_page()
    login(street, "street")
    accept_and_check(street, case_id, income_yuan="2600")
    difference = street.locator("[data-testid=event-financial_check] .text-danger")
    expect(difference).to_contain_text("2,600.00")
    expect(difference).to_contain_text(yuan_text(wage_yuan * 100))

    survey_review_and_publish(worker, case_id)
    notice_elapse(zhongfu, case_id)

    district = new_page()
    login(district, "district")
    district.goto(f"/casework/cases/{case_id}/")
    # a refusal without reasons: a clear message at the reasons, nothing decided
    card = act(district, "decide", select={"decision": "refuse"})
    expect(district).to_have_url(re.compile(rf"/casework/cases/{case_id}/decide/$"))
    expect(card.locator(".text-danger")).to_contain_text("不予批准须书面说明理由（至少 10 个字）")
    expect(card.locator("input[name=decision][value=refuse]")).to_be_checked()  # what was chosen is kept
    expect(district.locator("[data-testid=case-status]")).to_have_text(STATUS["open"])
    expect(district.locator("[data-testid=event-decide_refuse]")).to_have_count(0)
    shot(district, "casework-07-refusal-without-reasons")

    reasons = "经家庭经济状况核对，申请人工资性收入每月 2600 元，家庭月人均收入高于本市低保标准，不符合低保条件。"
    card.locator("[name=reasons]").fill(reasons)
    submit(district, card.locator("button").last)
    expect_saved(district, case_id, "notification")
    expect(district.locator("[data-testid=case-status]")).to_have_text(STATUS["refused"])
    expect(district.locator("[data-testid=refusal-reasons]")).to_have_text(reasons)
    expect(district.locator("[data-testid=event-decide_refuse]")).to_contain_text(reasons)

    # the refusal letter, with its reasons, is delivered and recorded: the case is closed, nothing to pay
    act(district, "notify", {"method": "书面送达《不予批准通知书》（附理由）", "note": "本人签收"})
    expect_saved(district, case_id, "closed")
    expect(district.locator("[data-testid=case-status]")).to_have_text(STATUS["refused"])
    expect(district.locator("[data-testid=refusal-reasons]")).to_have_text(reasons)
    expect(district.locator("[data-testid=case-facts]")).not_to_contain_text("发放起始")
    shot(district, "casework-08-refused")

    # the worker who made the application reads the same reasons
    worker.goto(f"/casework/cases/{case_id}/")
    expect(worker.locator("[data-testid=refusal-reasons]")).to_have_text(reasons)
    zhongfu.assert_running()


def test_objection_during_the_notice_sends_the_case_back(zhongfu, new_page, shot):
    community = community_code(zhongfu)
    name = "冯丽华"

    worker = new_page()
    login(worker, "community")
    household_id, _number = register_household(
        worker, community=community, name=name, address="登云路 31 号 3 幢 105 室", wage_yuan=500, sequence=755
    )
    case_id, _amount = apply_with_consent(worker, household_id=household_id, consent_by=name)
    street = new_page()
    login(street, "street")
    accept_and_check(street, case_id, income_yuan="500")
    survey_review_and_publish(worker, case_id)

    # === a member of the public objects on the notice page, without logging in ======================
    public = new_page()
    public.goto("/casework/notices/")
    notice = public.locator(f"[data-testid=notice-{case_id}]")
    expect(notice).to_contain_text(name[0] + "**")
    notice.locator("summary").click()
    # too short: refused next to the field, nothing lodged
    notice.locator("[name$=contact]").fill("13800000000")
    notice.locator("[name$=text]").fill("有车")
    submit(public, notice.locator("form button"))
    expect(notice.locator(".text-danger")).to_be_visible()
    expect(notice.locator("details")).to_have_attribute("open", "")
    objection = "该户家中有一辆小汽车，且户主在个体餐馆打工，收入不止申报的数额。"
    notice.locator("[name$=text]").fill(objection)
    submit(public, notice.locator("form button"))
    expect(public).to_have_url(re.compile(r"/casework/notices/$"))
    expect(public.locator(".alert-success")).to_contain_text("您的异议已收到")
    shot(public, "casework-09-objection-lodged")

    # === the community worker sees it waiting and records it: back to re-investigation ===============
    worker.goto(f"/casework/cases/{case_id}/")
    waiting = worker.locator("[data-testid=pending-objections]")
    expect(waiting).to_contain_text(objection)
    expect(waiting).to_contain_text("13800000000")
    expect(worker.locator("[data-testid=event-objection_received]")).to_have_count(1)
    shot(worker, "casework-10-objection-waiting")
    card = worker.locator("[data-testid=form-objection]")
    card.locator("[name=text]").fill("群众反映该户有车、有打工收入，退回重新入户调查")
    submit(worker, card.locator("button[name=objection_id]"))
    expect_saved(worker, case_id, "home_survey")
    expect(worker.locator("[data-testid=pending-objections]")).to_have_count(0)
    expect(worker.locator("[data-testid=event-objection]")).to_contain_text("退回重新入户调查")
    public.goto("/casework/notices/")
    expect(public.locator(f"[data-testid=notice-{case_id}]")).to_have_count(0)  # the notice is taken down

    # === re-investigation, review again, and a second notice of the full length ===================
    survey_review_and_publish(worker, case_id)
    expect(worker.locator("[data-testid=event-publish_notice]")).to_have_count(2)
    expect(worker.locator("[data-testid=event-home_survey]")).to_have_count(2)
    public.goto("/casework/notices/")
    again = public.locator(f"[data-testid=notice-{case_id}]")
    expect(again).to_be_visible()
    expect(again).to_contain_text((today_in_hangzhou() + dt.timedelta(days=7)).isoformat())
    shot(worker, "casework-11-second-notice")
    zhongfu.assert_running()
