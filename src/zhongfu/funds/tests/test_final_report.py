"""A drive's final report once it has ended (DOMAIN_RULES.md: disclosed in full within 3 months of its end):
its figures against the ledger (totals, gifts by channel and kind of donor, donors named only with consent,
payments per budget with recipients masked, counts), the due date and its state, publication freezing the
figures (code and database), corrections after publication as notes, the pages and the spreadsheet; and the
officers' page that pays a household from a budget."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from python_calamine import CalamineWorkbook

from conftest import member
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput
from zhongfu.funds import drives, services
from zhongfu.funds.models import AppendOnly, Disbursement, DriveFinalReport

from .conftest import uscc

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def _drive(keeper, unit, *, code="SB-EDU", starts_on=START, ends_on=END):
    return drives.drive_create(
        actor=keeper,
        unit=unit,
        code=code,
        name="2025春风行动助学",
        starts_on=starts_on,
        ends_on=ends_on,
        plan_registered_on=starts_on - dt.timedelta(days=10),
    )


@pytest.fixture
def drive(keeper, unit, education):
    return _drive(keeper, unit)


def _client(user=None) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if user is not None:
        client.force_login(user)
    return client


def _give(keeper, unit, fen, day, account, donor=None, channel="transfer"):
    return services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=fen, channel=channel, received_on=day, account=account, donor=donor
    )


@pytest.fixture
def activity(keeper, unit, education, make_household):
    """Three kinds of donor, two channels, a refund, a reversed gift, an allocation, and payments to two
    households (one paid twice); and money outside the drive (the general fund)."""
    fund, budget = education
    person = services.donor_register(actor=keeper, kind="person", name="王小明", consent_to_name=True, alias="春风使者")
    shy = services.donor_register(actor=keeper, kind="person", name="赵不露", consent_to_name=False)
    company = services.donor_register(
        actor=keeper, kind="organisation", name="杭州某某科技有限公司", consent_to_name=True, uscc=uscc()
    )
    first = _give(keeper, unit, 300_000, dt.date(2025, 1, 15), fund, person, channel="cash")
    _give(keeper, unit, 120_025, dt.date(2025, 3, 2), fund, shy)
    _give(keeper, unit, 500_000, dt.date(2025, 4, 20), fund, company)
    _give(keeper, unit, 8_800, dt.date(2025, 5, 1), fund, None, channel="cash")
    wrong = _give(keeper, unit, 99_900, dt.date(2025, 8, 2), fund, company)
    services.entry_reverse(actor=keeper, entry=wrong.entry, reason="重复录入", date=dt.date(2025, 8, 3))
    services.refund_record(actor=keeper, donation=first, amount_fen=10_000, reason="退回", date=dt.date(2025, 9, 9))
    services.allocation_record(
        actor=keeper, from_account=fund, to_account=budget, amount_fen=600_000, date=dt.date(2025, 6, 1)
    )
    one = make_household(members=[member(name="李春花")])
    two = make_household(members=[member(name="陈大年")])
    for household, fen, day in ((one, 200_000, dt.date(2025, 7, 1)), (two, 150_050, dt.date(2025, 7, 2))):
        services.disbursement_record(actor=keeper, account=budget, household=household, amount_fen=fen, date=day)
    services.disbursement_record(
        actor=keeper, account=budget, household=one, amount_fen=50_000, date=dt.date(2025, 11, 30)
    )
    _give(keeper, unit, 777_700, dt.date(2025, 3, 3), services.standard_account(unit, services.GENERAL))
    return {"one": one, "two": two}


RAISED = 300_000 - 10_000 + 120_025 + 500_000 + 8_800
SPENT = 200_000 + 150_050 + 50_000


def test_the_report_adds_up_to_the_ledger(drive, activity):
    report = drives.drive_final_report(drive)
    live = drives.drive_disclosure(drive)
    assert report["totals"] == {k: live[k] for k in ("raised_fen", "allocated_fen", "spent_fen", "balance_fen")}
    assert report["totals"]["raised_fen"] == RAISED
    assert report["totals"]["allocated_fen"] == 600_000 and report["totals"]["spent_fen"] == SPENT
    assert report["totals"]["balance_fen"] == RAISED - SPENT
    channels = {row["channel"]: (row["count"], row["fen"]) for row in report["by_channel"]}
    assert channels == {"cash": (2, 300_000 - 10_000 + 8_800), "transfer": (2, 620_025), "online": (0, 0)}
    kinds = {row["kind"]: (row["count"], row["fen"]) for row in report["by_kind"]}
    assert kinds == {"person": (2, 410_025), "organisation": (1, 500_000), "anonymous": (1, 8_800)}
    assert sum(row["fen"] for row in report["by_kind"]) == RAISED
    # Named only with consent, by alias when there is one; the shy donor and the anonymous gift are not.
    assert report["named_donors"] == [
        {"name": "杭州某某科技有限公司", "fen": 500_000},
        {"name": "春风使者", "fen": 290_000},
    ]
    [budget] = report["budgets"]
    assert (budget["allocated_fen"], budget["spent_fen"], budget["balance_fen"]) == (600_000, SPENT, 600_000 - SPENT)
    assert [(p["date"], p["amount_fen"]) for p in budget["payments"]] == [
        ("2025-07-01", 200_000),
        ("2025-07-02", 150_050),
        ("2025-11-30", 50_000),
    ]
    assert {p["name_masked"] for p in budget["payments"]} == {"李**", "陈**"}
    assert report["counts"] == {"gifts": 4, "donors": 3, "payments": 3, "households": 2}


def test_the_due_date_and_its_state(keeper, unit, education, today):
    drive = _drive(keeper, unit)
    due = drives.final_report_due_on(drive)
    assert due == dt.date(2026, 3, 31)
    assert drives.final_report_state(drive, today=END) == "running"
    assert drives.final_report_state(drive, today=END + dt.timedelta(days=1)) == "due"
    assert drives.final_report_state(drive, today=due) == "due"
    assert drives.final_report_state(drive, today=due + dt.timedelta(days=1)) == "overdue"
    # A drive ending on 30 November is due on the last day of February.
    short = _drive(keeper, unit, code="SB-2", starts_on=dt.date(2024, 9, 1), ends_on=dt.date(2024, 11, 30))
    assert drives.final_report_due_on(short) == dt.date(2025, 2, 28)

    ended = _drive(keeper, unit, code="SB-3", starts_on=today - dt.timedelta(days=40), ends_on=today - dt.timedelta(1))
    later = _drive(keeper, unit, code="SB-4", starts_on=today, ends_on=today + dt.timedelta(days=30))
    rows = {row["drive"].code: row for row in drives.drives_with_final_report_state(unit)}
    assert {code: row["state"] for code, row in rows.items()} == {
        "SB-EDU": "overdue",
        "SB-2": "overdue",
        "SB-3": "due",
        "SB-4": "running",
    }
    assert rows["SB-3"]["due_on"] == drives.final_report_due_on(ended)
    page = _client(keeper).get(f"/funds/units/{unit.pk}/drives/").content.decode()
    assert 'data-state="overdue"' in page and 'data-state="due"' in page and 'data-state="running"' in page
    assert drives.final_report_due_on(later).isoformat() in page
    with pytest.raises(InvalidInput) as error:
        drives.final_report_publish(actor=keeper, drive=later)
    assert "ended" in str(error.value)
    assert not DriveFinalReport.objects.exists()


def test_publication_freezes_the_figures_and_corrections_are_notes(keeper, unit, drive, activity, education, users):
    fund, _budget = education
    officer = _client(keeper)
    url = f"/funds/units/{unit.pk}/drives/{drive.pk}/final/"
    preview = officer.get(url)
    assert preview.status_code == 200 and 'data-state="overdue"' in preview.content.decode()
    assert _client(users[Role.COMMUNITY_WORKER]).post(url).status_code == 403
    assert _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/final/").status_code == 404

    response = officer.post(url)
    assert response.status_code == 302
    report = DriveFinalReport.objects.get(drive=drive)
    assert report.published_by == keeper and report.due_on == dt.date(2026, 3, 31)
    assert report.figures == drives.drive_final_report(drive)
    assert AuditEntry.objects.filter(object_type="drive_final_report", object_id=str(report.pk)).exists()
    assert drives.final_report_state(drive) == "published"

    # Once only: a second publication is refused, with the way to correct it.
    again = officer.post(url)
    assert again.status_code == 400 and "correction note" in again.content.decode()
    assert DriveFinalReport.objects.count() == 1

    # The ledger changes afterwards: a late gift. The published figures stay; the live ones move.
    frozen = dict(report.figures)
    _give(keeper, unit, 33_300, dt.date(2026, 1, 5), fund)
    report = DriveFinalReport.objects.get(pk=report.pk)
    assert report.figures == frozen
    public = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/final/").content.decode()
    assert f"{RAISED // 100:,}.{RAISED % 100:02d}" in public
    live = RAISED + 33_300
    assert f"{live // 100:,}.{live % 100:02d}" not in public
    drive_page = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/").content.decode()
    assert f"{live // 100:,}.{live % 100:02d}" in drive_page and "final-report-link" in drive_page
    rows = officer.get(f"/funds/units/{unit.pk}/drives/").content.decode()
    assert 'data-state="published"' in rows and 'data-testid="final-changed"' in rows

    # The snapshot is never changed or removed, by the code or by SQL.
    report.figures = {"totals": {}}
    with pytest.raises(AppendOnly):
        report.save()
    with pytest.raises(AppendOnly):
        report.delete()
    with pytest.raises(AppendOnly):
        DriveFinalReport.objects.filter(pk=report.pk).update(due_on=dt.date(2030, 1, 1))
    for sql in ("UPDATE funds_drivefinalreport SET due_on = '2030-01-01'", "DELETE FROM funds_drivefinalreport"):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert DriveFinalReport.objects.get(pk=report.pk).figures == frozen

    # The correction is a note, shown with the final report.
    drives.disclosure_note_publish(
        actor=keeper,
        drive=drive,
        text="2026年1月5日补记捐赠333.00元，募得总额应加此数。",
        reference="final report raised",
    )
    public = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/final/").content.decode()
    assert "final report raised" in public and "333.00" in public


def test_the_spreadsheet_holds_the_final_report_once_published(keeper, unit, drive, activity):
    url = f"/funds/public/{unit.code}/drives/{drive.code}/report.xlsx"
    before = CalamineWorkbook.from_filelike(io.BytesIO(_client().get(url).content))
    assert "Final report" not in before.sheet_names
    drives.final_report_publish(actor=keeper, drive=drive)
    book = CalamineWorkbook.from_filelike(io.BytesIO(_client().get(url).content))
    rows = book.get_sheet_by_name("Final report").to_python()
    assert [(row[0], round(row[1] * 100)) for row in rows[1:5]] == [
        ("raised", RAISED),
        ("allocated", 600_000),
        ("spent", SPENT),
        ("balance", RAISED - SPENT),
    ]
    flat = [cell for row in rows for cell in row]
    assert "春风使者" in flat and "王小明" not in flat and "赵不露" not in flat
    payments = book.get_sheet_by_name("Payments").to_python()[1:]
    assert [(row[1], row[2], round(row[4] * 100)) for row in payments] == [
        ("2025-07-01", "李**", 200_000),
        ("2025-07-02", "陈**", 150_050),
        ("2025-11-30", "李**", 50_000),
    ]


def test_an_officer_pays_a_household_from_a_budget_through_the_page(keeper, unit, education, make_household, today):
    fund, budget = education
    household = make_household()
    _give(keeper, unit, 100_000, today, fund)
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=60_000, date=today)
    client = _client(keeper)
    url = f"/funds/units/{unit.pk}/disburse/"
    form = {"account": budget.pk, "household": household.number, "date": today.isoformat(), "memo": "助学金"}
    too_much = client.post(url, {**form, "amount": "600.01"})
    assert too_much.status_code == 400 and "cannot pay" in too_much.content.decode()
    unknown = client.post(url, {**form, "household": "NO-SUCH", "amount": "10"})
    assert unknown.status_code == 400 and "No household" in unknown.content.decode()
    assert not Disbursement.objects.exists()
    assert client.post(url, {**form, "amount": "600.00"}).status_code == 302
    paid = Disbursement.objects.get()
    assert (paid.household, paid.amount_fen, paid.account) == (household, 60_000, budget)


def test_date_inputs_keep_their_preset_date_in_chinese(keeper, unit, today):
    """A browser's date input takes only ISO dates: in Chinese, Django's default format ("2026/11/23") left
    the preset date of the allocation and gift forms empty, and the officer was told the date is required."""
    client = _client(keeper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    pages = ("allocate/", "donations/new/", "disburse/")
    for url in (f"/funds/units/{unit.pk}/{page}" for page in pages):
        html = client.get(url).content.decode()
        assert f'value="{today.isoformat()}"' in html, url
