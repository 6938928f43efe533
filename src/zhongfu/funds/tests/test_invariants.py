"""A hypothesis state machine over random gifts, allocations, disbursements, refunds, reversals and receipts.
After every step: every entry balances, no fund is below zero, each account holds what a plain model of
the same steps says, every disbursed and allocated fen is traced to gifts, and receipts have no gaps.

Each example runs inside a savepoint of the test's transaction, rolled back at its end (the project's tests
never use transaction=True: the append-only triggers refuse the flush)."""

from django.db import transaction
from django.db.models import Q, Sum
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from zhongfu.common.errors import InvalidInput
from zhongfu.funds import selectors, services
from zhongfu.funds.models import Allocation, Disbursement, Donation, LedgerEntry, LedgerLine, Receipt

gifts = st.integers(min_value=1, max_value=5000)
# Money out is drawn as a share of what the account holds (in percent), so most steps go through; above 100
# the step asks for more than the balance and must be refused.
shares = st.integers(min_value=1, max_value=115)
picks = st.integers(min_value=0, max_value=10_000)


class LedgerMachine(RuleBasedStateMachine):
    ctx: dict = {}

    def __init__(self):
        super().__init__()
        self.savepoint = transaction.savepoint()
        c = self.ctx
        self.keeper, self.unit, self.today = c["keeper"], c["unit"], c["today"]
        self.funds, self.budgets, self.households = c["funds"], c["budgets"], c["households"]
        self.expected = {a.pk: 0 for a in [*self.funds, *self.budgets]}
        self.effects: dict[int, dict[int, int]] = {}  # entry → what it did to the fund accounts
        self.live: list[LedgerEntry] = []
        self.donations: list[Donation] = []

    def teardown(self):
        try:
            self._check_traces()
        finally:
            transaction.savepoint_rollback(self.savepoint)

    def _done(self, entry, effect: dict[int, int]):
        self.effects[entry.pk] = effect
        self.live.append(entry)
        for account_id, delta in effect.items():
            self.expected[account_id] += delta

    def _refused(self, call) -> bool:
        before = LedgerEntry.objects.count()
        try:
            call()
        except InvalidInput:
            assert LedgerEntry.objects.count() == before, "a refused step wrote an entry"
            return True
        return False

    @initialize(amounts=st.lists(gifts, min_size=3, max_size=3))
    def a_gift_in_every_fund(self, amounts):
        for fund, amount in enumerate(amounts):
            self.give(fund, amount, cash=False)

    # One rule picks the step, so every kind of step is equally likely in every run (separate rules would
    # let hypothesis leave some out of a run altogether).
    @rule(
        step=st.sampled_from(["give", "allocate", "disburse", "refund", "reverse", "issue_receipt"]),
        a=picks,
        b=picks,
        share=shares,
        amount=gifts,
        kind=st.sampled_from(["donation", "allocation", "disbursement", "refund"]),
    )
    def act(self, step, a, b, share, amount, kind):
        if step == "give":
            self.give(a, amount, cash=b % 2 == 0)
        elif step == "allocate":
            self.allocate(a, b, share)
        elif step == "disburse":
            self.disburse(a, b, share)
        elif step == "refund":
            self.refund(a, share)
        elif step == "reverse":
            self.reverse(kind, a)
        else:
            self.issue_receipt(a)

    def give(self, fund, amount, cash):
        account = self.funds[fund % len(self.funds)]
        donation = services.donation_record_offline(
            actor=self.keeper,
            unit=self.unit,
            amount_fen=amount,
            channel="cash" if cash else "transfer",
            received_on=self.today,
            account=account,
        )
        self.donations.append(donation)
        self._done(donation.entry, {account.pk: amount})

    def allocate(self, fund, budget, share):
        source, target = self.funds[fund % len(self.funds)], self.budgets[budget % len(self.budgets)]
        amount = max(1, self.expected[source.pk] * share // 100)
        allowed = services._within(target, source) and amount <= self.expected[source.pk]
        result = []
        refused = self._refused(
            lambda: result.append(
                services.allocation_record(
                    actor=self.keeper, from_account=source, to_account=target, amount_fen=amount, date=self.today
                )
            )
        )
        assert refused != allowed
        event(f"allocate: {'refused' if refused else 'done'}")
        if result:
            self._done(result[0].entry, {source.pk: -amount, target.pk: amount})

    def disburse(self, budget, household, share):
        account = self.budgets[budget % len(self.budgets)]
        amount = max(1, self.expected[account.pk] * share // 100)
        result = []
        refused = self._refused(
            lambda: result.append(
                services.disbursement_record(
                    actor=self.keeper,
                    account=account,
                    household=self.households[household % len(self.households)],
                    amount_fen=amount,
                    date=self.today,
                )
            )
        )
        assert refused == (amount > self.expected[account.pk])
        event(f"disburse: {'refused' if refused else 'done'}")
        if result:
            self._done(result[0].entry, {account.pk: -amount})

    def refund(self, pick, share):
        if not self.donations:
            return
        donation = self.donations[pick % len(self.donations)]
        amount = max(1, donation.amount_fen * share // 200)
        result = []
        self._refused(
            lambda: result.append(
                services.refund_record(
                    actor=self.keeper, donation=donation, amount_fen=amount, reason="捐赠人要求", date=self.today
                )
            )
        )
        event(f"refund: {'done' if result else 'refused'}")
        if result:
            self._done(result[0].entry, {donation.account_id: -amount})

    def reverse(self, kind, pick):
        candidates = [e for e in self.live if e.kind == kind]
        if not candidates:
            return
        entry = candidates[pick % len(candidates)]
        result = []
        self._refused(lambda: result.append(services.entry_reverse(actor=self.keeper, entry=entry, reason="更正")))
        event(f"reverse {entry.kind}: {'done' if result else 'refused'}")
        if result:
            self.live.remove(entry)
            for account_id, delta in self.effects[entry.pk].items():
                self.expected[account_id] -= delta

    def issue_receipt(self, pick):
        if self.donations:
            self._refused(
                lambda: services.receipt_issue(actor=self.keeper, donation=self.donations[pick % len(self.donations)])
            )

    @invariant()
    def every_entry_balances(self):
        unbalanced = LedgerLine.objects.values("entry").annotate(s=Sum("amount_fen")).filter(~Q(s=0))
        assert not unbalanced.exists()

    @invariant()
    def balances_are_the_model_and_never_below_zero(self):
        for account in [*self.funds, *self.budgets]:
            balance = selectors.account_balance_fen(account)
            assert balance == self.expected[account.pk] >= 0

    @invariant()
    def every_fen_out_is_traced_to_gifts(self):
        # Tracing every gift is the costly check: after every third step, and at the end of each run.
        self.steps = getattr(self, "steps", 0) + 1
        if self.steps % 3 == 0:
            self._check_traces()

    def _check_traces(self):
        traces = [selectors.trace_donation(d) for d in Donation.objects.filter(unit=self.unit)]
        live = Q(entry__reversed_by__isnull=True)
        allocated = Allocation.objects.filter(live, to_account__in=self.budgets).aggregate(s=Sum("amount_fen"))["s"]
        disbursed = Disbursement.objects.filter(live, account__in=self.budgets).aggregate(s=Sum("amount_fen"))["s"]
        assert sum(t["disbursed_fen"] for t in traces) == (disbursed or 0)
        assert sum(sum(a["amount_fen"] for a in t["allocations"]) for t in traces) == (allocated or 0)
        for t in traces:
            assert t["disbursed_fen"] <= t["in_force_fen"] - t["unallocated_fen"]

    @invariant()
    def receipts_have_no_gaps(self):
        numbers = list(Receipt.objects.filter(unit=self.unit).order_by("number").values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))


def test_the_ledger_keeps_its_invariants(keeper, unit, today, education, make_household):
    fund, budget = education
    district = services.fund_account_open(
        actor=keeper, unit=unit, kind="restricted", code="xh", name="西湖", region_prefix="330106"
    )
    street = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="xh-st", name="街道", project="P", region_prefix="330106002"
    )
    LedgerMachine.ctx = {
        "keeper": keeper,
        "unit": unit,
        "today": today,
        "funds": [services.standard_account(unit, services.GENERAL), fund, district],
        "budgets": [budget, street],
        "households": [make_household(), make_household()],
    }
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
