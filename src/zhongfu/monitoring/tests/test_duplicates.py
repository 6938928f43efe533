"""Duplicate-aid candidates: a household paid by two or more distinct units within the window (funds
disbursements and paid payment-roll lines), raised by the monitoring run once, on the household's community's
list, and handled like any other warning."""

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from conftest import OUT_COMMUNITY, member, new_id_number
from zhongfu.accounts.models import Unit
from zhongfu.accounts.roles import Role
from zhongfu.casework.models import Case, CaseStatus, Step
from zhongfu.casework.services import application_submit_all_eligible
from zhongfu.common.errors import NotFound
from zhongfu.funds import services as funds
from zhongfu.monitoring import warning_selectors as selectors
from zhongfu.monitoring.duplicates import duplicate_aid_candidates
from zhongfu.monitoring.models import MonitoringRun, RunStatus, Warning, WarningKind, WarningStatus
from zhongfu.monitoring.runs import COLUMNS, monitoring_run_start
from zhongfu.monitoring.services import risk_model_sync
from zhongfu.monitoring.warning_config import warning_config
from zhongfu.monitoring.warning_services import warning_close
from zhongfu.payments.models import LineStatus, PaymentLine, PaymentRoll
from zhongfu.registry.models import Household

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
CONFIG = warning_config(TODAY)


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


@pytest.fixture
def units(regions):
    return {
        code: Unit.objects.create(code=code, name=name, kind=Unit.Kind.FEDERATION, region=regions["city"])
        for code, name in (
            ("trade-union", "市总工会春风办"),
            ("red-cross", "市红十字会"),
            ("civil-affairs", "市民政局"),
        )
    }


@pytest.fixture
def pay(units, users):
    """pay(unit_code, household, yuan, date): a disbursement from the unit's budget (given and allocated first)."""
    admin = users[Role.CITY_ADMIN]  # keeps any unit's books, and the whole city is in scope
    budgets = {}

    def make(code: str, household, yuan: int, date: dt.date):
        unit = units[code]
        if code not in budgets:
            budgets[code] = funds.fund_account_open(
                actor=admin, unit=unit, kind="budget", code=f"{code}-aid", name=f"{unit.name}救助金", project="AID"
            )
            funds.donation_record_offline(
                actor=admin, unit=unit, amount_fen=10_000_000, channel="transfer", received_on=ago(200)
            )
            funds.allocation_record(
                actor=admin,
                from_account=funds.standard_account(unit, funds.GENERAL),
                to_account=budgets[code],
                amount_fen=10_000_000,
                date=ago(200),
            )
        return funds.disbursement_record(
            actor=admin, account=budgets[code], household=household, amount_fen=yuan * 100, date=date
        )

    return make


def candidates(as_of=TODAY):
    frame = duplicate_aid_candidates(Household.objects.filter(is_active=True), as_of, CONFIG)
    assert frame.columns == COLUMNS
    return {row["household_id"]: row for row in frame.iter_rows(named=True)}


def test_two_units_in_the_window_make_a_candidate(make_household, pay):
    both, one_twice, apart, undone = (make_household() for _ in range(4))
    pay("trade-union", both, 500, ago(30))
    pay("red-cross", both, 800, ago(10))
    pay("trade-union", one_twice, 500, ago(40))
    pay("trade-union", one_twice, 500, ago(5))
    pay("trade-union", apart, 500, ago(CONFIG.duplicate_aid_window_days))  # the day before the window
    pay("red-cross", apart, 800, ago(3))
    reversed_one = pay("trade-union", undone, 500, ago(20))
    pay("red-cross", undone, 800, ago(3))
    funds.entry_reverse(actor=reversed_one.entry.created_by, entry=reversed_one.entry, reason="录入错误")

    found = candidates()
    assert set(found) == {both.pk}
    row = found[both.pk]
    assert row["kind"] == WarningKind.DUPLICATE_AID and row["policy_code"] == "" and row["tier"] == "yellow"
    assert row["source_feeds"] == []
    zh, en = row["explanation_zh"], row["explanation_en"]
    assert zh[0].startswith("近 90 天内（") and "有 2 个单位向本户发放救助，共 1,300.00 元" in zh[0]
    assert zh[1:] == [
        f"市总工会春风办：{ago(30)} 发放 500.00 元（市总工会春风办救助金）",
        f"市红十字会：{ago(10)} 发放 800.00 元（市红十字会救助金）",
    ]
    assert en[0].startswith("2 units paid this household within 90 days") and "1,300.00 yuan in all" in en[0]
    assert en[2] == f"市红十字会: 800.00 yuan on {ago(10)} (市红十字会救助金)"
    # Seen from a later date, the first payment has left the window.
    assert both.pk not in candidates(as_of=ago(10) + dt.timedelta(days=CONFIG.duplicate_aid_window_days - 1 + 20))


def test_a_long_list_is_cut_and_counted(make_household, pay):
    household = make_household()
    for n in range(CONFIG.duplicate_aid_max_lines + 2):
        pay("trade-union" if n % 2 else "red-cross", household, 100, ago(n + 1))
    zh = candidates()[household.pk]["explanation_zh"]
    assert len(zh) == 1 + CONFIG.duplicate_aid_max_lines + 1 and zh[-1] == "另有 2 笔未列出"


def _enrol_and_pay(household, users, amount_fen=130_000, month=None):
    """An approved 低保 case (where an approval leaves it) and a paid line of this month's roll."""
    application = application_submit_all_eligible(actor=users[Role.CITY_ADMIN], household=household, consent_by="户主")
    case = application.cases.get(policy_code="dibao")
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.APPROVED, step=Step.PAYMENT_PENDING, next_due_on=None)
    month = month or TODAY.replace(day=1)
    roll, _ = PaymentRoll.objects.get_or_create(
        month=month,
        region_prefix="3301",
        defaults={"number": f"R{month:%Y%m}", "prepared_by": users[Role.CITY_ADMIN], "status": "closed"},
    )
    return PaymentLine.objects.create(
        roll=roll,
        seq=PaymentLine.objects.filter(roll=roll).count() + 1,
        month=month,
        case=case,
        household=household,
        region_code=household.region_id,
        policy_code="dibao",
        period="monthly",
        unit=case.unit,
        amount_fen=amount_fen,
        status=LineStatus.PAID,
    )


def poor(make_household):
    ids = [new_id_number(), new_id_number()]
    return make_household(
        members=[member("head", incomes={"wage": 20000}, id_number=ids[0]), member("child", id_number=ids[1])]
    )


def test_a_benefit_paid_by_a_roll_and_a_fund_from_another_unit(make_household, pay, users):
    other_unit, same_unit, failed, rolls_only = (poor(make_household) for _ in range(4))
    line = _enrol_and_pay(other_unit, users)
    assert line.unit == "civil_affairs"
    pay("trade-union", other_unit, 500, TODAY)
    # Civil affairs paying 低保 and disbursing from its own fund is one unit, not two.
    _enrol_and_pay(same_unit, users)
    pay("civil-affairs", same_unit, 500, TODAY)
    # A line the bank did not pay is not aid.
    PaymentLine.objects.filter(pk=_enrol_and_pay(failed, users).pk).update(status=LineStatus.FAILED)
    pay("red-cross", failed, 500, TODAY)
    # Benefits on the rolls alone combine as the catalogue says (低保 and a disability allowance: two units by
    # design), never a candidate.
    first = _enrol_and_pay(rolls_only, users)
    last_month = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    roll = PaymentRoll.objects.create(
        number="R-prev", month=last_month, region_prefix="3301", prepared_by=first.roll.prepared_by
    )
    PaymentLine.objects.create(
        roll=roll,
        seq=1,
        month=last_month,
        case=first.case,
        household=rolls_only,
        region_code=rolls_only.region_id,
        policy_code="disability_living_allowance",
        period="monthly",
        unit="disabled_federation",
        amount_fen=50_000,
        status=LineStatus.PAID,
    )

    found = candidates()
    assert set(found) == {other_unit.pk}
    zh = found[other_unit.pk]["explanation_zh"]
    assert any(text.endswith(f"{TODAY.replace(day=1)} 发放 1,300.00 元（最低生活保障（低保））") for text in zh), zh


@pytest.fixture
def run_monitoring(users, run_tasks, django_capture_on_commit_callbacks):
    assert risk_model_sync()

    def run() -> MonitoringRun:
        with django_capture_on_commit_callbacks(execute=True):
            started = monitoring_run_start(actor=users[Role.CITY_ADMIN])
        assert run_tasks() == 1
        started.refresh_from_db()
        assert started.status == RunStatus.DONE, started.error
        return started

    return run


def test_the_run_raises_it_once_on_the_households_community(make_household, pay, users, run_monitoring):
    near, far = (
        make_household(),
        make_household(community=OUT_COMMUNITY, members=[member(id_number=new_id_number("330109"))]),
    )
    for household in (near, far):
        pay("trade-union", household, 500, ago(20))
        pay("red-cross", household, 300, ago(2))

    first = run_monitoring()
    assert first.summary[WarningKind.DUPLICATE_AID] == {"found": 2, "raised": 2}
    warning = Warning.objects.get(household=near, kind=WarningKind.DUPLICATE_AID)
    assert warning.region_id == near.region_id and warning.status == WarningStatus.OPEN and warning.run_id == first.pk
    assert warning.explanation["zh"][1].startswith("市总工会春风办：")

    second = run_monitoring()
    assert second.summary[WarningKind.DUPLICATE_AID] == {"found": 2, "raised": 0}
    assert Warning.objects.filter(kind=WarningKind.DUPLICATE_AID).count() == 2

    # Scope: the community worker has the near one, never the far one; the city has both.
    worker = users[Role.COMMUNITY_WORKER]
    mine = selectors.warnings_for_user(user=worker, kind=WarningKind.DUPLICATE_AID)
    assert [w.household_id for w in mine] == [near.pk]
    far_warning = Warning.objects.get(household=far, kind=WarningKind.DUPLICATE_AID)
    assert far_warning.region_id == OUT_COMMUNITY
    with pytest.raises(NotFound):
        selectors.warning_get_for_user(user=worker, warning_id=far_warning.pk)
    assert selectors.warnings_for_user(user=users[Role.CITY_ADMIN], kind=WarningKind.DUPLICATE_AID).count() == 2

    # The same lifecycle: closed with an outcome, the next run may raise it again while the data say so.
    warning_close(actor=worker, warning_id=warning.pk, outcome="data_wrong", note="红十字会的发放是代发，同一笔救助")
    run_monitoring()
    assert Warning.objects.filter(household=near, kind=WarningKind.DUPLICATE_AID).count() == 2


def test_the_warning_page_shows_the_kind_and_every_payment(client, make_household, pay, users, run_monitoring):
    household = make_household()
    pay("trade-union", household, 500, ago(20))
    pay("red-cross", household, 300, ago(2))
    run_monitoring()
    warning = Warning.objects.get(household=household, kind=WarningKind.DUPLICATE_AID)
    client.force_login(users[Role.COMMUNITY_WORKER])
    body = client.get(f"/monitoring/warnings/{warning.pk}/").content.decode()  # Chinese by default
    assert f"市红十字会：{ago(2)} 发放 300.00 元" in body
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get(f"/monitoring/warnings/{warning.pk}/").content.decode()
    assert "possible duplicate aid" in body and f"市红十字会: 300.00 yuan on {ago(2)}" in body
    listed = client.get("/monitoring/warnings/", {"kind": WarningKind.DUPLICATE_AID}).content.decode()
    assert f'data-testid="warning-{warning.pk}" data-kind="duplicate_aid"' in listed
    dashboard = client.get("/monitoring/dashboard/").content.decode()
    assert 'data-testid="kind-duplicate_aid">1<' in dashboard
