"""Drives and their disclosure: creating a drive (the plan registered 10 days ahead), the honor wall (rules as
data, thresholds, consent, alias, refunds and reversals left out), the drive's figures against the ledger,
the quarterly report adding up, the spreadsheet read back, correction notes that never change, and the
public pages naming nobody without consent."""

import datetime as dt
import io

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client
from python_calamine import CalamineWorkbook

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.funds import drives, selectors, services
from zhongfu.funds.models import AppendOnly, DisclosureNote, HonorRule

from .conftest import uscc

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 1, 1), dt.date(2025, 12, 31)


@pytest.fixture
def drive(keeper, unit, education):
    """The Spring Breeze education drive of 2025: its code is the project code of the education funds."""
    return drives.drive_create(
        actor=keeper,
        unit=unit,
        code="SB-EDU",
        name="2025春风行动助学",
        starts_on=START,
        ends_on=END,
        plan_registered_on=START - dt.timedelta(days=10),
    )


def _donor(keeper, name, kind="person", consent=True, alias="", code=""):
    return services.donor_register(actor=keeper, kind=kind, name=name, consent_to_name=consent, alias=alias, uscc=code)


def _give(keeper, unit, fen, day, account, donor=None):
    return services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=fen, channel="transfer", received_on=day, account=account, donor=donor
    )


def _client() -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


# --- creating a drive ------------------------------------------------------------------------------------


def test_a_drive_is_created_with_its_plan_registered_ten_days_ahead(keeper, unit, drive):
    assert drive.code == "SB-EDU" and drive.unit == unit
    assert AuditEntry.objects.filter(object_type="drive", object_id=str(drive.pk)).exists()
    assert drives.reports_quarterly(drive)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"plan_registered_on": START - dt.timedelta(days=9)}, "plan_registered_on"),
        ({"ends_on": START - dt.timedelta(days=1)}, "ends_on"),
        ({"code": "SB-EDU"}, "code"),
        ({"starts_on": "2025-01-01"}, "starts_on"),
    ],
)
def test_a_bad_drive_is_refused_naming_the_field(keeper, unit, drive, kw, field):
    args = {
        "code": "SB-2",
        "name": "另一次",
        "starts_on": START,
        "ends_on": END,
        "plan_registered_on": START - dt.timedelta(days=10),
        **kw,
    }
    with pytest.raises(InvalidInput) as error:
        drives.drive_create(actor=keeper, unit=unit, **args)
    assert error.value.field == field
    assert drives.drives_of(unit).count() == 1


def test_only_the_units_staff_create_a_drive(users, unit):
    with pytest.raises(PermissionDenied):
        drives.drive_create(
            actor=users[Role.COMMUNITY_WORKER],
            unit=unit,
            code="X1",
            name="某次",
            starts_on=START,
            ends_on=END,
            plan_registered_on=START - dt.timedelta(days=30),
        )


def test_six_months_or_less_has_no_quarterly_report(keeper, unit):
    short = drives.drive_create(
        actor=keeper,
        unit=unit,
        code="SHORT",
        name="短期",
        starts_on=START,
        ends_on=dt.date(2025, 7, 1),
        plan_registered_on=START - dt.timedelta(days=10),
    )
    assert not drives.reports_quarterly(short)
    assert drives.drive_disclosure(short)["quarters"] == []


# --- the honor wall --------------------------------------------------------------------------------------


def test_the_honor_wall_rules_are_data_from_domain_rules():
    rules = {r.kind: r.threshold_fen for r in HonorRule.objects.all()}
    assert rules == {"organisation": 500_000_00, "person": 10_000_00}
    assert all("DOMAIN_RULES" in r.source for r in HonorRule.objects.all())


def test_the_honor_wall_counts_consented_gifts_at_the_threshold(keeper, unit, drive, education, today):
    fund = education[0]
    at = _donor(keeper, "张三", alias="春风使者")
    below = _donor(keeper, "李四")
    silent = _donor(keeper, "王五", consent=False)
    refunded = _donor(keeper, "赵六")
    reversed_ = _donor(keeper, "钱七")
    company = _donor(keeper, "杭州某某有限公司", kind="organisation", code=uscc())
    small_company = _donor(keeper, "杭州另一公司", kind="organisation", code=uscc("91330106MA2AB9876"))
    elsewhere = _donor(keeper, "孙八")
    day = dt.date(2025, 3, 1)
    _give(keeper, unit, 600_000, day, fund, at)
    _give(keeper, unit, 400_000, dt.date(2025, 4, 1), fund, at)  # two gifts add up to exactly 10,000 yuan
    _give(keeper, unit, 999_999, day, fund, below)
    _give(keeper, unit, 5_000_000, day, fund, silent)
    gift = _give(keeper, unit, 1_500_000, day, fund, refunded)
    services.refund_record(actor=keeper, donation=gift, amount_fen=600_000, reason="捐赠人要求退回", date=today)
    gift = _give(keeper, unit, 2_000_000, day, fund, reversed_)
    services.entry_reverse(actor=keeper, entry=gift.entry, reason="录入错误", date=today)
    _give(keeper, unit, 50_000_000, day, fund, company)
    _give(keeper, unit, 49_999_999, day, fund, small_company)
    # A gift to the general fund is not the drive's.
    _give(keeper, unit, 3_000_000, day, services.standard_account(unit, services.GENERAL), elsewhere)

    wall = drives.honor_wall(drive)
    assert [(row["name"], row["given_fen"]) for row in wall] == [
        ("杭州某某有限公司", 50_000_000),
        ("春风使者", 1_000_000),
    ]
    # A newer rule in force when the drive starts lowers the bar for people; the data decides, not the code.
    HonorRule.objects.create(kind="person", threshold_fen=900_000, valid_from=dt.date(2024, 6, 1))
    names = [row["name"] for row in drives.honor_wall(drive)]
    assert "李四" in names and "赵六" in names and "王五" not in names and "钱七" not in names
    # A rule that starts after the drive did does not apply to it.
    HonorRule.objects.create(kind="organisation", threshold_fen=1, valid_from=dt.date(2025, 6, 1))
    assert "杭州另一公司" not in [row["name"] for row in drives.honor_wall(drive)]


def test_the_public_honor_page_names_nobody_without_consent(keeper, unit, drive, education):
    fund = education[0]
    _give(keeper, unit, 2_000_000, dt.date(2025, 3, 1), fund, _donor(keeper, "张三", alias="春风使者"))
    _give(keeper, unit, 2_000_000, dt.date(2025, 3, 1), fund, _donor(keeper, "王五", consent=False))
    anonymous = services.donor_register(actor=keeper, kind="person", name="周九", anonymous=True)
    _give(keeper, unit, 2_000_000, dt.date(2025, 3, 1), fund, anonymous)
    page = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/honor/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "春风使者" in text and "张三" not in text and "王五" not in text and "周九" not in text
    drive_page = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/").content.decode()
    assert "张三" not in drive_page and "王五" not in drive_page and "周九" not in drive_page
    assert _client().get(f"/funds/public/{unit.code}/drives/NOPE/honor/").status_code == 404


# --- the drive's figures ---------------------------------------------------------------------------------


def _activity(keeper, unit, education, make_household, today):
    fund, budget = education
    household = make_household()
    first = _give(keeper, unit, 300_000, dt.date(2025, 1, 15), fund)
    _give(keeper, unit, 200_050, dt.date(2025, 5, 20), fund)
    wrong = _give(keeper, unit, 99_900, dt.date(2025, 8, 2), fund)
    services.entry_reverse(actor=keeper, entry=wrong.entry, reason="重复录入", date=dt.date(2025, 8, 3))
    services.refund_record(actor=keeper, donation=first, amount_fen=10_000, reason="退回", date=dt.date(2025, 9, 9))
    services.allocation_record(
        actor=keeper, from_account=fund, to_account=budget, amount_fen=250_000, date=dt.date(2025, 6, 1)
    )
    services.disbursement_record(
        actor=keeper, account=budget, household=household, amount_fen=120_000, date=dt.date(2025, 11, 30)
    )
    # Money outside the drive: the general fund's.
    _give(keeper, unit, 777_700, dt.date(2025, 3, 3), services.standard_account(unit, services.GENERAL))


def test_drive_totals_equal_the_ledger_and_quarters_add_up(keeper, unit, drive, education, make_household, today):
    _activity(keeper, unit, education, make_household, today)
    report = drives.drive_disclosure(drive)
    assert report["raised_fen"] == 300_000 + 200_050 - 10_000
    assert report["allocated_fen"] == 250_000 and report["spent_fen"] == 120_000
    fund, budget = education
    ledger = selectors.account_balance_fen(fund) + selectors.account_balance_fen(budget)
    assert report["balance_fen"] == ledger == report["raised_fen"] - report["spent_fen"]
    quarters = report["quarters"]
    assert [(q["year"], q["quarter"]) for q in quarters] == [(2025, 1), (2025, 2), (2025, 3), (2025, 4)]
    for key in ("raised_fen", "allocated_fen", "spent_fen"):
        assert sum(q[key] for q in quarters) == report[key]
    assert quarters[2]["raised_fen"] == -10_000  # the refund falls in its own quarter


def test_the_drive_page_and_its_spreadsheet_show_the_same_figures(
    keeper, unit, drive, education, make_household, today
):
    _activity(keeper, unit, education, make_household, today)
    page = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "4,900.50" in text or "4900.50" in text
    assert 'data-testid="quarter-2025-4"' in text
    assert (
        f"/funds/public/{unit.code}/drives/{drive.code}/"
        in _client().get(f"/funds/public/{unit.code}/").content.decode()
    )

    response = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/report.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = CalamineWorkbook.from_filelike(io.BytesIO(response.content))
    totals = book.get_sheet_by_index(0).to_python()
    report = drives.drive_disclosure(drive)
    assert [round(v * 100) for v in totals[1][1:5]] == [
        report["raised_fen"],
        report["allocated_fen"],
        report["spent_fen"],
        report["balance_fen"],
    ]
    quarters = book.get_sheet_by_index(1).to_python()[1:]
    assert [row[0] for row in quarters] == ["2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]
    assert sum(round(row[1] * 100) for row in quarters) == report["raised_fen"]


# --- correction notes ------------------------------------------------------------------------------------


def test_a_correction_note_is_published_and_never_changed(keeper, unit, drive):
    note = drives.disclosure_note_publish(
        actor=keeper,
        drive=drive,
        text="第二季度拨付额应为2,500.00元，原公示2,050.00元有误。",
        reference="2025 Q2 allocated",
    )
    assert AuditEntry.objects.filter(object_type="disclosure_note", object_id=str(note.pk)).exists()
    note.text = "悄悄改掉"
    with pytest.raises(AppendOnly):
        note.save()
    with pytest.raises(AppendOnly):
        note.delete()
    with pytest.raises(AppendOnly):
        DisclosureNote.objects.filter(pk=note.pk).update(text="x")
    with pytest.raises(AppendOnly):
        DisclosureNote.objects.filter(pk=note.pk).delete()
    for sql in ("UPDATE funds_disclosurenote SET text = 'x'", "DELETE FROM funds_disclosurenote"):
        with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert DisclosureNote.objects.get(pk=note.pk).text.startswith("第二季度")
    page = _client().get(f"/funds/public/{unit.code}/drives/{drive.code}/").content.decode()
    assert "2025 Q2 allocated" in page and "第二季度拨付额" in page


def test_a_note_needs_text_and_a_reference(keeper, drive):
    with pytest.raises(InvalidInput) as error:
        drives.disclosure_note_publish(actor=keeper, drive=drive, text="更正内容", reference="")
    assert error.value.field == "reference"
    assert not DisclosureNote.objects.exists()


# --- officers' pages -------------------------------------------------------------------------------------


def _officer(user) -> Client:
    client = _client()
    client.force_login(user)
    return client


def test_an_officer_creates_a_drive_and_publishes_a_note_through_the_pages(keeper, unit, users):
    client = _officer(keeper)
    url = f"/funds/units/{unit.pk}/drives/"
    form = {"code": "SB-2025", "name": "2025春风行动", "starts_on": "2025-01-01", "ends_on": "2025-12-31"}
    late = client.post(url, {**form, "plan_registered_on": "2024-12-25"})
    assert late.status_code == 400 and "10 days" in late.content.decode()
    assert not drives.drives_of(unit).exists()
    assert client.post(url, {**form, "plan_registered_on": "2024-12-20"}).status_code == 302
    drive = drives.drives_of(unit).get()
    assert "2025春风行动" in client.get(url).content.decode()

    note_url = f"/funds/units/{unit.pk}/drives/{drive.pk}/notes/new/"
    assert client.post(note_url, {"reference": "", "text": "更正"}).status_code == 400
    response = client.post(note_url, {"reference": "entry 12", "text": "第一季度募得额更正为300.00元。"})
    assert response.status_code == 302
    assert "entry 12" in _client().get(f"/funds/public/{unit.code}/drives/SB-2025/").content.decode()

    assert _officer(users[Role.COMMUNITY_WORKER]).get(url).status_code == 403
    assert _officer(users[Role.COMMUNITY_WORKER]).post(note_url, {"reference": "x1", "text": "改改"}).status_code == 403
    assert DisclosureNote.objects.count() == 1


def test_the_project_page_shows_the_projects_figures(keeper, unit, education, make_household, today):
    _activity(keeper, unit, education, make_household, today)
    report = drives.project_disclosure(unit_code=unit.code, project="SB-EDU")
    assert (report["raised_fen"], report["allocated_fen"], report["spent_fen"]) == (490_050, 250_000, 120_000)
    assert report["balance_fen"] == sum(selectors.account_balance_fen(a) for a in education) == 370_050
    unit_page = _client().get(f"/funds/public/{unit.code}/").content.decode()
    assert f"/funds/public/{unit.code}/projects/SB-EDU/" in unit_page
    page = _client().get(f"/funds/public/{unit.code}/projects/SB-EDU/")
    assert page.status_code == 200 and "3,700.50" in page.content.decode()
    assert _client().get(f"/funds/public/{unit.code}/projects/NOPE/").status_code == 404
    assert _client().get("/funds/public/no-such-unit/projects/SB-EDU/").status_code == 404
