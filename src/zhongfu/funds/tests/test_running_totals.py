"""The running totals (migration 0006, docs/funds.md "Tracing a gift") give the very traces of the summing rule
they replace (trace_oracle.py) on random histories of gifts, allocations, payments, refunds and reversals;
the accounts' counters and the rows' totals follow one another without gaps; the migration's backfill
writes the totals the services write."""

import importlib
from types import SimpleNamespace

from django.db import connection
from django.db.models import Count, Max, Sum
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, run_state_machine_as_test

from zhongfu.funds import selectors, services
from zhongfu.funds.models import Allocation, Disbursement, Donation, FundAccount, LedgerEntry

from . import trace_oracle
from .test_invariants import LedgerMachine

backfill = importlib.import_module("zhongfu.funds.migrations.0006_running_totals").backfill


def _contiguous(rows) -> bool:
    """Rows as (running total before, amount) of one account: laid end to end from 0 without gap or overlap."""
    position = 0
    for before, amount in sorted(rows):
        if before != position:
            return False
        position += amount
    return True


def totals_hold(accounts) -> None:
    for account in FundAccount.objects.filter(pk__in=[a.pk for a in accounts]):
        gifts = list(Donation.objects.filter(account=account).values_list("cum_before_fen", "amount_fen"))
        ins = list(Allocation.objects.filter(to_account=account).values_list("in_cum_before_fen", "amount_fen"))
        outs = list(Allocation.objects.filter(from_account=account).values_list("out_cum_before_fen", "amount_fen"))
        paid = list(Disbursement.objects.filter(account=account).values_list("cum_before_fen", "amount_fen"))
        assert _contiguous(gifts) and _contiguous(ins) and _contiguous(outs) and _contiguous(paid)
        assert account.inflow_fen == sum(a for _b, a in gifts + ins)
        assert account.outflow_fen == sum(a for _b, a in outs + paid)


class OracleMachine(LedgerMachine):
    """The ledger machine's random steps, checking after each one every gift's trace against the oracle."""

    checked_at = None

    @invariant()
    def traces_are_the_summing_rules(self):
        # Traces are a function of the books, and every movement of money is a ledger entry: after a step
        # that wrote none (a refusal, a receipt) they are what they were, so the oracle's slow queries are
        # not run again for them.
        books = LedgerEntry.objects.filter(unit=self.unit).aggregate(n=Count("id"), last=Max("id"))
        if books == self.checked_at:
            return
        self.checked_at = books
        for donation in Donation.objects.filter(unit=self.unit).select_related("account"):
            assert selectors.trace_donation(donation) == trace_oracle.trace_donation(donation)
            assert selectors.donation_unallocated_fen(donation) == trace_oracle.donation_unallocated_fen(donation)

    @invariant()
    def running_totals_hold(self):
        totals_hold([*self.funds, *self.budgets])


def test_running_totals_trace_as_the_summing_rule(keeper, unit, today, education, make_household):
    fund, budget = education
    district = services.fund_account_open(
        actor=keeper, unit=unit, kind="restricted", code="xh", name="西湖", region_prefix="330106"
    )
    street = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="xh-st", name="街道", project="P", region_prefix="330106002"
    )
    OracleMachine.ctx = {
        "keeper": keeper,
        "unit": unit,
        "today": today,
        "funds": [services.standard_account(unit, services.GENERAL), fund, district],
        "budgets": [budget, street],
        "households": [make_household(), make_household()],
    }
    run_state_machine_as_test(
        OracleMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


def test_a_reversed_gift_leaves_its_place_to_the_next(keeper, unit, today, education, make_household):
    """A reversed gift drops out of its fund's order: the gifts after it move up, as under the summing rule."""
    fund, budget = education
    gifts = [
        services.donation_record_offline(
            actor=keeper, unit=unit, amount_fen=fen, channel="transfer", received_on=today, account=fund
        )
        for fen in (300, 500, 200)
    ]
    services.entry_reverse(actor=keeper, entry=gifts[0].entry, reason="更正")
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=600, date=today)
    services.disbursement_record(actor=keeper, account=budget, household=make_household(), amount_fen=550, date=today)
    traces = [selectors.trace_donation(Donation.objects.get(pk=g.pk)) for g in gifts]
    assert [t["in_force_fen"] for t in traces] == [0, 500, 200]
    assert [sum(a["amount_fen"] for a in t["allocations"]) for t in traces] == [0, 500, 100]
    assert [t["disbursed_fen"] for t in traces] == [0, 500, 50]
    for gift, trace in zip(gifts, traces, strict=True):
        assert trace == trace_oracle.trace_donation(Donation.objects.get(pk=gift.pk))


def test_the_backfill_writes_what_the_services_write(keeper, unit, today, education, make_household):
    fund, budget = education
    general = services.standard_account(unit, services.GENERAL)
    for fen, account in [(700, fund), (300, general), (900, fund), (400, fund)]:
        services.donation_record_offline(
            actor=keeper, unit=unit, amount_fen=fen, channel="cash", received_on=today, account=account
        )
    first = services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=800, date=today)
    services.allocation_record(actor=keeper, from_account=fund, to_account=budget, amount_fen=500, date=today)
    services.entry_reverse(actor=keeper, entry=first.entry, reason="更正")
    services.disbursement_record(actor=keeper, account=budget, household=make_household(), amount_fen=450, date=today)
    tables = {
        Donation: ["cum_before_fen"],
        Allocation: ["out_cum_before_fen", "in_cum_before_fen"],
        Disbursement: ["cum_before_fen"],
        FundAccount: ["inflow_fen", "outflow_fen"],
    }
    written = {model: sorted(model.objects.values_list("pk", *fields)) for model, fields in tables.items()}
    with connection.cursor() as cur:  # as an existing ledger has them before the migration
        for model, fields in tables.items():
            cur.execute(f"UPDATE {model._meta.db_table} SET {', '.join(f'{f} = 0' for f in fields)}")  # noqa: S608
    backfill(None, SimpleNamespace(connection=connection))
    assert {model: sorted(model.objects.values_list("pk", *fields)) for model, fields in tables.items()} == written
    assert FundAccount.objects.get(pk=fund.pk).inflow_fen == 2000
    assert Donation.objects.filter(account=fund).aggregate(s=Sum("amount_fen"))["s"] == 2000
