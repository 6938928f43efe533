"""The ledger's own rules: append-only in the code and in the database, locked periods in the database,
receipts numbered without gaps and never edited, and the trace of a gift (first in, first out)."""

import datetime as dt

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from zhongfu.common.errors import InvalidInput
from zhongfu.funds import selectors, services
from zhongfu.funds.models import AppendOnly, LedgerEntry, LedgerLine, Period, Receipt


def _give(keeper, unit, amount, day, **kw):
    kw.setdefault("channel", "transfer")
    return services.donation_record_offline(actor=keeper, unit=unit, amount_fen=amount, received_on=day, **kw)


def _refused_by_database(sql, params=()):
    """Run raw SQL that the database must refuse; the savepoint keeps the test's transaction usable."""
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic(), connection.cursor() as cur:
        cur.execute(sql, params)


# --- append-only -----------------------------------------------------------------------------------------


def test_the_code_refuses_to_change_or_remove_entries_and_lines(keeper, unit, today):
    gift = _give(keeper, unit, 100, today)
    entry, line = gift.entry, gift.entry.lines.first()
    entry.memo = "changed"
    for attempt in (
        entry.save,
        entry.delete,
        line.delete,
        lambda: LedgerLine.objects.filter(pk=line.pk).update(amount_fen=1),
        lambda: LedgerEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(AppendOnly, match="append-only"):
            attempt()
    assert LedgerEntry.objects.get(pk=entry.pk).memo == ""


def test_the_database_refuses_to_change_or_remove_entries_and_lines(keeper, unit, today):
    gift = _give(keeper, unit, 100, today)
    line = gift.entry.lines.first()
    _refused_by_database("UPDATE funds_ledgerline SET amount_fen = 1 WHERE id = %s", [line.pk])
    _refused_by_database("DELETE FROM funds_ledgerline WHERE id = %s", [line.pk])
    _refused_by_database("UPDATE funds_ledgerentry SET memo = 'x' WHERE id = %s", [gift.entry_id])
    _refused_by_database("DELETE FROM funds_ledgerentry WHERE id = %s", [gift.entry_id])
    assert LedgerLine.objects.get(pk=line.pk).amount_fen == line.amount_fen


def test_the_database_refuses_an_entry_in_a_locked_period_and_an_unlock(keeper, unit, today):
    gift = _give(keeper, unit, 100, today)
    period = services.period_lock(actor=keeper, unit=unit, month=today)
    _refused_by_database(
        "INSERT INTO funds_ledgerentry (unit_id, date, period_id, kind, memo, created_by_id, created_at)"
        " VALUES (%s, %s, %s, 'donation', '', %s, %s)",
        [unit.pk, today, period.pk, keeper.pk, gift.entry.created_at],
    )
    _refused_by_database("UPDATE funds_period SET locked = false WHERE id = %s", [period.pk])
    assert Period.objects.get(pk=period.pk).locked


def test_an_unbalanced_entry_is_refused(keeper, unit, today):
    gift = _give(keeper, unit, 100, today)
    bank = services.standard_account(unit, services.BANK)
    before = LedgerEntry.objects.count()
    with pytest.raises(InvalidInput, match="must balance"):
        services._post(
            actor=keeper, unit=unit, date=today, kind="donation", memo="", lines=[(bank, 100), (gift.account, -99)]
        )
    assert LedgerEntry.objects.count() == before
    if connection.vendor == "postgresql":
        # PostgreSQL checks it again when the transaction commits (a deferred constraint trigger);
        # `SET CONSTRAINTS ... IMMEDIATE` runs that check now, inside the test's transaction.
        with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
            LedgerLine.objects.bulk_create([LedgerLine(entry=gift.entry, account=gift.account, amount_fen=-1)])
            with connection.cursor() as cur:
                cur.execute("SET CONSTRAINTS funds_line_balanced IMMEDIATE")
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS funds_line_balanced IMMEDIATE")  # the balanced entries pass


# --- receipts --------------------------------------------------------------------------------------------


def test_receipts_are_numbered_without_gaps_per_unit_and_year(keeper, unit, today):
    gifts = [_give(keeper, unit, 100 * (i + 1), today) for i in range(4)]
    first = services.receipt_issue(actor=keeper, donation=gifts[0])
    second = services.receipt_issue(actor=keeper, donation=gifts[1])
    services.receipt_withdraw(actor=keeper, receipt=second, reason="抬头错误")
    reissued = services.receipt_issue(actor=keeper, donation=gifts[1])
    last_year = services.receipt_issue(actor=keeper, donation=gifts[2], issued_on=dt.date(today.year - 1, 12, 31))
    assert [first.number, second.number, reissued.number] == [1, 2, 3]
    assert (last_year.year, last_year.number) == (today.year - 1, 1)
    assert reissued.code == f"{today.year}-000003"
    with pytest.raises(InvalidInput, match="already has a receipt"):
        services.receipt_issue(actor=keeper, donation=gifts[0])
    numbers = sorted(Receipt.objects.filter(unit=unit, year=today.year).values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))


def test_a_failed_issue_gives_its_number_back(keeper, unit, today):
    declined = _give(keeper, unit, 100, today, receipt_declined=True)
    with pytest.raises(InvalidInput, match="declined"):
        services.receipt_issue(actor=keeper, donation=declined)
    assert services.receipt_issue(actor=keeper, donation=_give(keeper, unit, 100, today)).number == 1


def test_an_issued_receipt_is_never_edited(keeper, unit, today):
    receipt = services.receipt_issue(actor=keeper, donation=_give(keeper, unit, 100, today))
    receipt.amount_fen = 1
    with pytest.raises(AppendOnly, match="cannot be changed"):
        receipt.save()
    with pytest.raises(AppendOnly):
        receipt.delete()
    with pytest.raises(AppendOnly):
        Receipt.objects.filter(pk=receipt.pk).update(number=9)
    _refused_by_database("UPDATE funds_receipt SET number = 9 WHERE id = %s", [receipt.pk])
    _refused_by_database("UPDATE funds_receipt SET amount_fen = 1 WHERE id = %s", [receipt.pk])
    _refused_by_database("DELETE FROM funds_receipt WHERE id = %s", [receipt.pk])
    with pytest.raises(InvalidInput) as err:
        services.receipt_withdraw(actor=keeper, receipt=receipt, reason=" ")
    assert err.value.field == "reason"
    services.receipt_withdraw(actor=keeper, receipt=receipt, reason="重复开具")
    with pytest.raises(InvalidInput, match="already withdrawn"):
        services.receipt_withdraw(actor=keeper, receipt=receipt, reason="again")
    _refused_by_database("UPDATE funds_receipt SET withdrawn_reason = 'x' WHERE id = %s", [receipt.pk])
    assert Receipt.objects.get(pk=receipt.pk).amount_fen == 100


# --- tracing ---------------------------------------------------------------------------------------------


def test_a_directed_gift_is_traced_first_in_first_out(keeper, unit, today, education, make_household):
    """The worked example of docs/funds.md."""
    fund, budget = education
    a = _give(keeper, unit, 20000, today, account=fund)
    b = _give(keeper, unit, 30000, today, account=fund)
    _give(keeper, unit, 99999, today)  # undirected: never mixed into the education fund
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=35000, date=today)
    households = [make_household() for _ in range(3)]
    for household in households:
        services.disbursement_record(actor=keeper, account=budget, household=household, amount_fen=10000, date=today)
    trace_a, trace_b = selectors.trace_donation(a), selectors.trace_donation(b)
    assert [x["amount_fen"] for x in trace_a["allocations"]] == [20000]
    assert [x["amount_fen"] for x in trace_a["disbursements"]] == [10000, 10000]
    assert [x["amount_fen"] for x in trace_b["allocations"]] == [15000]
    assert [x["amount_fen"] for x in trace_b["disbursements"]] == [10000]
    assert trace_b["unallocated_fen"] == 15000
    assert trace_b["disbursements"][0]["recipient"] == {
        "household_id": households[2].pk,
        "name_masked": "张*",
        "community": households[2].region.name,
    }
    # A reversed disbursement takes no part, as if it never happened: the later payments move up.
    first = LedgerEntry.objects.filter(kind="disbursement").order_by("pk").first()
    services.entry_reverse(actor=keeper, entry=first, reason="退回")
    assert [x["recipient"]["household_id"] for x in selectors.trace_donation(a)["disbursements"]] == [
        households[1].pk,
        households[2].pk,
    ]
    assert selectors.trace_donation(b)["disbursements"] == []


def test_a_reversed_allocation_takes_no_part_in_its_budget(keeper, unit, today, education, make_household):
    fund, budget = education
    a = _give(keeper, unit, 1000, today, account=fund)
    b = _give(keeper, unit, 1000, today, account=fund)
    wrong = services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=600, date=today)
    services.entry_reverse(actor=keeper, entry=wrong.entry, reason="拨错了")
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=1500, date=today)
    services.disbursement_record(actor=keeper, account=budget, household=make_household(), amount_fen=1200, date=today)
    trace_a, trace_b = selectors.trace_donation(a), selectors.trace_donation(b)
    assert (trace_a["disbursed_fen"], trace_b["disbursed_fen"]) == (1000, 200)
    assert (trace_a["unallocated_fen"], trace_b["unallocated_fen"]) == (0, 500)
    services.refund_record(actor=keeper, donation=b, amount_fen=500, reason="捐赠人要求", date=today)
    assert selectors.trace_donation(b)["in_force_fen"] == 500
