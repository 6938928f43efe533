"""The funds services called directly: donors, gifts, balanced entries, allocations within restrictions and
balances, disbursements, refunds, reversals, locked periods; bad input refused with nothing written."""

import datetime as dt
from decimal import Decimal

import pytest

from conftest import OUT_COMMUNITY
from zhongfu.accounts.models import Unit, User
from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.funds import selectors, services
from zhongfu.funds.models import Allocation, Donation, Donor, LedgerEntry, LedgerLine

from .conftest import uscc


def _written():
    return (
        LedgerEntry.objects.count(),
        LedgerLine.objects.count(),
        Donation.objects.count(),
        AuditEntry.objects.count(),
    )


def _give(keeper, unit, amount, today, **kw):
    kw.setdefault("channel", "transfer")
    return services.donation_record_offline(actor=keeper, unit=unit, amount_fen=amount, received_on=today, **kw)


# --- donors ----------------------------------------------------------------------------------------------


def test_an_organisation_is_registered_with_a_checked_code(keeper):
    donor = services.donor_register(actor=keeper, kind="organisation", name="杭州某某有限公司", uscc=uscc().lower())
    assert donor.uscc == uscc()
    with pytest.raises(InvalidInput, match="already registered|is registered") as err:
        services.donor_register(actor=keeper, kind="organisation", name="又一家", uscc=uscc())
    assert err.value.field == "uscc"


@pytest.mark.parametrize(
    ("kind", "code", "message"),
    [
        ("organisation", uscc()[:17] + ("0" if uscc()[17] != "0" else "1"), "check character"),
        ("organisation", "123", "18 characters"),
        ("person", uscc(), "Only an organisation"),
    ],
)
def test_a_bad_code_is_refused(keeper, kind, code, message):
    with pytest.raises(InvalidInput, match=message) as err:
        services.donor_register(actor=keeper, kind=kind, name="某", uscc=code)
    assert err.value.field == "uscc"
    assert not Donor.objects.exists()


def test_an_anonymous_donor_is_never_named(keeper):
    with pytest.raises(InvalidInput) as err:
        services.donor_register(actor=keeper, kind="person", name="王五", anonymous=True, consent_to_name=True)
    assert err.value.field == "consent_to_name"
    named = services.donor_register(actor=keeper, kind="person", name="王五", consent_to_name=True, alias="爱心人士")
    assert named.public_name == "爱心人士"
    assert services.donor_register(actor=keeper, kind="person", name="赵六").public_name == ""


def test_only_bookkeepers_register(users):
    with pytest.raises(PermissionDenied):
        services.donor_register(actor=users[Role.COMMUNITY_WORKER], kind="person", name="王五")


# --- gifts -----------------------------------------------------------------------------------------------


def test_an_offline_gift_is_one_balanced_entry(keeper, unit, today, education):
    fund, _budget = education
    donor = services.donor_register(actor=keeper, kind="person", name="王五")
    donation = _give(keeper, unit, 20000, today, donor=donor, account=fund, bank_reference="B-1")
    lines = {line.account.code: line.amount_fen for line in donation.entry.lines.select_related("account")}
    assert lines == {"bank": 20000, "sb-edu": -20000}
    assert donation.directed and donation.restriction["project"] == "SB-EDU"
    cash = _give(keeper, unit, 500, today, channel="cash")
    assert cash.account.code == "general" and not cash.directed and cash.anonymous
    balances = {b["account"].code: b["balance_fen"] for b in selectors.unit_balances(unit)}
    assert balances == {"bank": 20000, "cash": 500, "general": 500, "sb-edu": 20000, "sb-edu-2026": 0}
    assert selectors.balances_by_unit()[unit.pk] == {"bank_fen": 20500, "funds_fen": 20500}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (0, "more than zero"),
        (-100, "more than zero"),
        (12.5, "floating-point"),
        (100.0, "floating-point"),
        (Decimal("100.5"), "fraction of a fen"),
        ("100", "whole number"),
        (True, "whole number"),
    ],
)
def test_bad_amounts_are_refused_and_nothing_is_written(keeper, unit, today, amount, message):
    before = _written()
    with pytest.raises(InvalidInput, match=message) as err:
        _give(keeper, unit, amount, today)
    assert err.value.field == "amount_fen"
    assert _written() == before


def test_a_gift_needs_an_offline_channel_a_past_date_and_a_fresh_bank_reference(keeper, unit, today):
    with pytest.raises(InvalidInput) as err:
        _give(keeper, unit, 100, today, channel="online")
    assert err.value.field == "channel"
    with pytest.raises(InvalidInput) as err:
        _give(keeper, unit, 100, today + dt.timedelta(days=1))
    assert err.value.field == "received_on"
    _give(keeper, unit, 100, today, bank_reference="B-7")
    before = _written()
    with pytest.raises(InvalidInput, match="already recorded") as err:
        _give(keeper, unit, 100, today, bank_reference="B-7")
    assert err.value.field == "bank_reference"
    assert _written() == before


def test_a_gift_goes_to_a_fund_of_the_unit(keeper, unit, today, education):
    _fund, budget = education
    with pytest.raises(InvalidInput) as err:
        _give(keeper, unit, 100, today, account=budget)
    assert err.value.field == "account"


# --- allocations and disbursements -----------------------------------------------------------------------


def test_an_allocation_beyond_the_balance_is_refused_and_nothing_written(keeper, unit, today, education):
    fund, budget = education
    _give(keeper, unit, 10000, today, account=fund)
    before = _written()
    with pytest.raises(InvalidInput, match="holds 100.00 yuan: it cannot allocate 100.01 yuan") as err:
        services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=10001, date=today)
    assert err.value.field == "amount_fen"
    assert _written() == before and not Allocation.objects.exists()
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=10000, date=today)
    assert selectors.account_balance_fen(fund) == 0
    assert selectors.account_balance_fen(budget) == 10000


def test_an_allocation_outside_the_restriction_is_refused(keeper, unit, today, education):
    fund, _budget = education
    elsewhere = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="medical", name="大病", project="MED"
    )
    _give(keeper, unit, 10000, today, account=fund)
    before = _written()
    with pytest.raises(InvalidInput, match="outside the fund's restriction") as err:
        services.allocation_record(actor=keeper, from_account=fund, to_account=elsewhere, amount_fen=100, date=today)
    assert err.value.field == "to_account"
    assert _written() == before
    # General money may go to any budget.
    _give(keeper, unit, 300, today)
    general = services.standard_account(unit, services.GENERAL)
    services.allocation_record(actor=keeper, from_account=general, to_account=elsewhere, amount_fen=300, date=today)


def test_a_region_restriction_narrows_but_never_widens(keeper, unit, today):
    district = services.fund_account_open(
        actor=keeper, unit=unit, kind="restricted", code="xh", name="西湖", region_prefix="330106"
    )
    street = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="xh-st", name="街道", project="P", region_prefix="330106002"
    )
    city = services.fund_account_open(actor=keeper, unit=unit, kind="budget", code="city", name="全市", project="P")
    _give(keeper, unit, 1000, today, account=district)
    services.allocation_record(actor=keeper, from_account=district, to_account=street, amount_fen=600, date=today)
    with pytest.raises(InvalidInput):
        services.allocation_record(actor=keeper, from_account=district, to_account=city, amount_fen=100, date=today)
    with pytest.raises(InvalidInput) as err:
        services.fund_account_open(
            actor=keeper,
            unit=unit,
            kind="budget",
            code="xh-out",
            name="越界",
            project="P",
            region_prefix="330109",
            parent=district,
        )
    assert err.value.field == "parent"


def test_a_disbursement_pays_a_household_within_the_budget(keeper, unit, today, education, make_household):
    fund, budget = education
    _give(keeper, unit, 5000, today, account=fund)
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=5000, date=today)
    household = make_household()
    paid = services.disbursement_record(
        actor=keeper, account=budget, household=household, amount_fen=3000, date=today, source="case:1"
    )
    lines = {line.account.code: line.amount_fen for line in paid.entry.lines.select_related("account")}
    assert lines == {"sb-edu-2026": 3000, "bank": -3000}
    before = _written()
    with pytest.raises(InvalidInput, match="holds 20.00 yuan: it cannot pay 20.01 yuan"):
        services.disbursement_record(actor=keeper, account=budget, household=household, amount_fen=2001, date=today)
    with pytest.raises(InvalidInput) as err:
        services.disbursement_record(actor=keeper, account=fund, household=household, amount_fen=1, date=today)
    assert err.value.field == "account"
    with pytest.raises(NotFound):
        services.disbursement_record(
            actor=keeper, account=budget, household=make_household(community=OUT_COMMUNITY), amount_fen=1, date=today
        )
    assert _written()[:3] == before[:3]


def test_a_group_budget_pays_only_its_group(keeper, unit, today, make_household):
    general = services.standard_account(unit, services.GENERAL)
    budget = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="students", name="学生", project="P", group="student"
    )
    _give(keeper, unit, 100, today)
    services.allocation_record(actor=keeper, from_account=general, to_account=budget, amount_fen=100, date=today)
    with pytest.raises(InvalidInput) as err:
        services.disbursement_record(
            actor=keeper, account=budget, household=make_household(), amount_fen=50, date=today
        )
    assert err.value.field == "group"
    services.disbursement_record(
        actor=keeper, account=budget, household=make_household(), amount_fen=50, date=today, group="student"
    )


# --- refunds and reversals -------------------------------------------------------------------------------


def test_a_refund_gives_back_only_what_is_not_allocated(keeper, unit, today, education):
    fund, budget = education
    gift = _give(keeper, unit, 1000, today, account=fund)
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=700, date=today)
    with pytest.raises(InvalidInput, match="Only 300 fen") as err:
        services.refund_record(actor=keeper, donation=gift, amount_fen=301, reason="捐赠人要求", date=today)
    assert err.value.field == "amount_fen"
    refund = services.refund_record(actor=keeper, donation=gift, amount_fen=300, reason="捐赠人要求", date=today)
    assert {line.account.code: line.amount_fen for line in refund.entry.lines.select_related("account")} == {
        "sb-edu": 300,
        "bank": -300,
    }
    assert selectors.account_balance_fen(fund) == 0


def test_a_reversal_negates_every_line_once(keeper, unit, today):
    gift = _give(keeper, unit, 800, today)
    reversal = services.entry_reverse(actor=keeper, entry=gift.entry, reason="录入错误")
    assert reversal.reverses_id == gift.entry_id
    assert sorted(line.amount_fen for line in reversal.lines.all()) == [-800, 800]
    assert selectors.balances_by_unit()[unit.pk] == {"bank_fen": 0, "funds_fen": 0}
    with pytest.raises(InvalidInput, match="already reversed"):
        services.entry_reverse(actor=keeper, entry=gift.entry, reason="again")
    with pytest.raises(InvalidInput, match="not reversed"):
        services.entry_reverse(actor=keeper, entry=reversal, reason="again")
    with pytest.raises(InvalidInput) as err:
        services.entry_reverse(actor=keeper, entry=_give(keeper, unit, 1, today).entry, reason="")
    assert err.value.field == "reason"


def test_a_reversal_never_leaves_a_fund_below_zero(keeper, unit, today, education, make_household):
    fund, budget = education
    gift = _give(keeper, unit, 1000, today, account=fund)
    allocation = services.allocation_record(
        actor=keeper, from_account=fund, to_account=budget, amount_fen=1000, date=today
    )
    services.disbursement_record(actor=keeper, account=budget, household=make_household(), amount_fen=400, date=today)
    before = _written()
    with pytest.raises(InvalidInput, match="already allocated"):
        services.entry_reverse(actor=keeper, entry=gift.entry, reason="录入错误")
    with pytest.raises(InvalidInput, match="below zero"):
        services.entry_reverse(actor=keeper, entry=allocation.entry, reason="拨错了")
    assert _written() == before


def test_a_gift_with_a_receipt_is_reversed_after_the_receipt_is_withdrawn(keeper, unit, today):
    gift = _give(keeper, unit, 100, today)
    receipt = services.receipt_issue(actor=keeper, donation=gift)
    with pytest.raises(InvalidInput, match="receipt first"):
        services.entry_reverse(actor=keeper, entry=gift.entry, reason="录入错误")
    services.receipt_withdraw(actor=keeper, receipt=receipt, reason="金额有误")
    services.entry_reverse(actor=keeper, entry=gift.entry, reason="录入错误")
    with pytest.raises(InvalidInput, match="reversed"):
        services.receipt_issue(actor=keeper, donation=gift)


# --- periods ---------------------------------------------------------------------------------------------


def test_a_locked_period_takes_no_entry_but_a_correction_goes_in_an_open_one(keeper, unit, today):
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    gift = _give(keeper, unit, 100, last_month)
    services.period_lock(actor=keeper, unit=unit, month=last_month)
    before = _written()
    with pytest.raises(InvalidInput, match="is locked") as err:
        _give(keeper, unit, 100, last_month)
    assert err.value.field == "date"
    assert _written() == before
    with pytest.raises(InvalidInput, match="already locked"):
        services.period_lock(actor=keeper, unit=unit, month=last_month)
    reversal = services.entry_reverse(actor=keeper, entry=gift.entry, reason="退回")
    assert reversal.date == today and reversal.period.month == today.replace(day=1)


def test_a_unit_keeps_only_its_own_books(keeper, unit, today, regions):
    other_unit = Unit.objects.create(
        code="union-xh", name="西湖区总工会", kind=Unit.Kind.FEDERATION, region=regions["district"]
    )
    other = User.objects.create(username="t_other", role=Role.UNIT_STAFF, region=regions["district"], unit=other_unit)
    before = _written()
    with pytest.raises(PermissionDenied):
        _give(other, unit, 100, today)
    gift = _give(keeper, unit, 100, today)
    with pytest.raises(PermissionDenied):
        services.receipt_issue(actor=other, donation=gift)
    with pytest.raises(PermissionDenied):
        services.entry_reverse(actor=other, entry=gift.entry, reason="越权")
    assert _written()[0] == before[0] + 1
