"""Reads of the funds app: balances (always the sum of the ledger lines, never a stored total) and the trace
of a gift to the allocations and disbursements it funded.

The tracing rule (docs/funds.md): within a fund, gifts are spent first in, first out. The fund's live gifts
(not reversed, less their live refunds) are laid end to end in the order they were recorded, and so are its
live allocations: the n-th fen allocated is the n-th fen given. Each allocation is in turn laid end to end
with the other allocations into its budget, against that budget's live disbursements, the same way. An
entry that was reversed, and its reversal, take no part, as if neither had happened."""

from collections import defaultdict

from django.db.models import F, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from zhongfu.accounts.models import Unit
from zhongfu.accounts.roles import Role
from zhongfu.common.errors import NotFound
from zhongfu.common.personal_data import mask_name
from zhongfu.registry.models import Household, Membership

from .models import (
    AccountKind,
    Allocation,
    Disbursement,
    Donation,
    Donor,
    FundAccount,
    LedgerEntry,
    LedgerLine,
    Receipt,
    Refund,
)

_LIVE = Q(entry__reversed_by__isnull=True)


def account_balance_fen(account: FundAccount) -> int:
    """What the account holds: debits less credits for a bank or cash account, credits less debits for a
    fund (general, restricted, budget)."""
    total = LedgerLine.objects.filter(account=account).aggregate(s=Sum("amount_fen"))["s"] or 0
    return total if account.kind == AccountKind.BANK else -total


def unit_balances(unit) -> list[dict]:
    """Every account of a unit with its balance."""
    sums = dict(
        LedgerLine.objects.filter(account__unit=unit)
        .values_list("account")
        .annotate(s=Sum("amount_fen"))
        .values_list("account", "s")
    )
    out = []
    for account in FundAccount.objects.filter(unit=unit).order_by("code"):
        total = sums.get(account.pk, 0)
        out.append({"account": account, "balance_fen": total if account.kind == AccountKind.BANK else -total})
    return out


def balances_by_unit(units=None) -> dict[int, dict]:
    """Per unit: what its bank and cash accounts hold, and what its funds hold (the two are equal while
    every movement is balanced)."""
    lines = LedgerLine.objects.all()
    if units is not None:
        lines = lines.filter(account__unit__in=units)
    out: dict[int, dict] = defaultdict(lambda: {"bank_fen": 0, "funds_fen": 0})
    for unit_id, kind, total in (
        lines.values_list("account__unit", "account__kind")
        .annotate(s=Sum("amount_fen"))
        .values_list("account__unit", "account__kind", "s")
    ):
        if kind == AccountKind.BANK:
            out[unit_id]["bank_fen"] += total
        else:
            out[unit_id]["funds_fen"] -= total
    return dict(out)


def _refunded(donation_ids) -> dict[int, int]:
    return dict(
        Refund.objects.filter(_LIVE, donation_id__in=donation_ids)
        .values_list("donation")
        .annotate(s=Sum("amount_fen"))
        .values_list("donation", "s")
    )


def _reversed_entry_ids() -> set[int]:
    """The ids of every entry that was reversed: few (a correction is rare), read through the unique index
    on `reverses`."""
    return set(LedgerEntry.objects.filter(reverses__isnull=False).values_list("reverses_id", flat=True))


def _fund_removals(account_id: int, reversed_ids: set[int]) -> list[tuple[int, int, int]]:
    """What was taken out of a fund's gifts where they lie, as (gift's running total, fen, gift id): whole
    gifts that were reversed, and live refunds."""
    removals = list(
        Donation.objects.filter(account_id=account_id, entry_id__in=reversed_ids).values_list(
            "cum_before_fen", "amount_fen", "pk"
        )
    )
    removals += (
        Refund.objects.filter(donation__account_id=account_id)
        .exclude(entry_id__in=reversed_ids)
        .values_list("donation__cum_before_fen", "amount_fen", "donation_id")
    )
    return removals


def _gift_span(donation: Donation, reversed_ids: set[int] | None = None) -> tuple[int, int]:
    """Where the gift lies among its fund's live gifts laid end to end: [start, end) in fen. Its running
    total, less what was removed before it (reversed gifts, live refunds of earlier gifts)."""
    reversed_ids = _reversed_entry_ids() if reversed_ids is None else reversed_ids
    if donation.entry_id in reversed_ids:
        return 0, 0
    removed_before, own_refunds = 0, 0
    for cum, fen, gift_id in _fund_removals(donation.account_id, reversed_ids):
        if gift_id == donation.pk:
            own_refunds += fen
        elif cum < donation.cum_before_fen:
            removed_before += fen
    start = donation.cum_before_fen - removed_before
    return start, start + donation.amount_fen - own_refunds


def _live_total_out(account_id: int, reversed_ids: set[int]) -> int:
    """What live allocations took out of a fund: its running total less the reversed allocations."""
    total = FundAccount.objects.filter(pk=account_id).values_list("outflow_fen", flat=True).first() or 0
    reversed_out = Allocation.objects.filter(from_account_id=account_id, entry_id__in=reversed_ids).aggregate(
        s=Sum("amount_fen")
    )["s"]
    return total - (reversed_out or 0)


def donation_unallocated_fen(donation: Donation) -> int:
    """What of the gift is still in its fund, not yet allocated under first in, first out."""
    reversed_ids = _reversed_entry_ids()
    start, end = _gift_span(donation, reversed_ids)
    return max(0, end - max(start, _live_total_out(donation.account_id, reversed_ids)))


def _correction(reversed_rows: list[tuple[int, int]], cum: int) -> int:
    """Fen of reversed rows lying before running total `cum` in the same sequence."""
    return sum(fen for at, fen in reversed_rows if at < cum)


def _laid(rows, cum_field: str, span: tuple[int, int], reversed_ids: set[int]):
    """Yield (row, lo, hi) for each live row of a sequence (an account's allocations or payments, in the order
    of their running total `cum_field`) overlapping the live span [start, end); lo and hi are offsets inside
    the row, as in the summing rule. A live position is the running total less the reversed rows before it;
    the rows looked at are found by a range scan of the (account, running total) index."""
    start, end = span
    if start >= end:
        return
    reversed_rows = sorted(rows.filter(entry_id__in=reversed_ids).values_list(cum_field, "amount_fen"))
    # The row holding raw position `start` (live positions never exceed raw ones), and every later row up to
    # the end of the span shifted by all the reversed fen.
    first = Coalesce(
        Subquery(rows.filter(**{f"{cum_field}__lte": start}).order_by(f"-{cum_field}").values(cum_field)[:1]),
        Value(0),
    )
    bound = end + sum(fen for _at, fen in reversed_rows)
    candidates = rows.filter(**{f"{cum_field}__gte": first, f"{cum_field}__lt": bound}).order_by(cum_field)
    for row in candidates:
        if row.entry_id in reversed_ids:
            continue
        cum = getattr(row, cum_field)
        position = cum - _correction(reversed_rows, cum)
        if position >= end:
            break
        a, b = max(start, position), min(end, position + row.amount_fen)
        if a < b:
            yield row, a - position, b - position


def _recipient(household) -> dict:
    head = (
        Membership.objects.filter(household=household, relation="head", end_date__isnull=True)
        .select_related("person")
        .first()
    )
    return {
        "household_id": household.pk,
        "name_masked": mask_name(head.person.name) if head else "",
        "community": household.region.name,
    }


def trace_donation(donation: Donation) -> dict:
    """The allocations and disbursements a gift funded, in fen, recipients masked (see the module's rule)."""
    reversed_ids = _reversed_entry_ids()
    start, end = _gift_span(donation, reversed_ids)
    allocations = Allocation.objects.filter(from_account_id=donation.account_id).select_related("to_account", "entry")
    out_allocations, out_disbursements = [], []
    budgets: dict[int, list] = {}  # budget → its reversed allocations in, (running total, fen)
    for allocation, lo, hi in _laid(allocations, "out_cum_before_fen", (start, end), reversed_ids):
        out_allocations.append(
            {
                "allocation_id": allocation.pk,
                "to_account": allocation.to_account.code,
                "date": allocation.entry.date,
                "amount_fen": hi - lo,
            }
        )
        # Where this allocation lies in its budget, and so which fen of the budget this gift paid for.
        budget = allocation.to_account_id
        if budget not in budgets:
            budgets[budget] = sorted(
                Allocation.objects.filter(to_account_id=budget, entry_id__in=reversed_ids).values_list(
                    "in_cum_before_fen", "amount_fen"
                )
            )
        before = allocation.in_cum_before_fen - _correction(budgets[budget], allocation.in_cum_before_fen)
        paid = Disbursement.objects.filter(account_id=budget).select_related("household__region", "entry")
        for disbursement, a, b in _laid(paid, "cum_before_fen", (before + lo, before + hi), reversed_ids):
            out_disbursements.append(
                {
                    "disbursement_id": disbursement.pk,
                    "allocation_id": allocation.pk,
                    "date": disbursement.entry.date,
                    "amount_fen": b - a,
                    "recipient": _recipient(disbursement.household),
                }
            )
    allocated = sum(a["amount_fen"] for a in out_allocations)
    return {
        "donation_id": donation.pk,
        "amount_fen": donation.amount_fen,
        "in_force_fen": end - start,
        "refunded_fen": _refunded([donation.pk]).get(donation.pk, 0),
        "allocations": out_allocations,
        "disbursements": out_disbursements,
        "unallocated_fen": end - start - allocated,
        "disbursed_fen": sum(d["amount_fen"] for d in out_disbursements),
    }


# --- what a bookkeeper may see (pages and API) -----------------------------------------------------------
# Another unit's books are "not found", like a record outside the region scope: nothing leaks.


def units_kept_by(user):
    """The units whose books the user keeps: the city administrator's, every unit; staff, their own."""
    if user.role == Role.CITY_ADMIN:
        return Unit.objects.order_by("code")
    return Unit.objects.filter(pk=user.unit_id)


def unit_public(*, unit_code: str) -> Unit:
    """A unit as the public pages name it, by its code (no login, no scope: what they show is public)."""
    unit = Unit.objects.filter(code=unit_code).first()
    if unit is None:
        raise NotFound()
    return unit


def unit_for_books(*, user, unit_id: int) -> Unit:
    unit = units_kept_by(user).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    return unit


def account_for_books(*, user, account_id: int) -> FundAccount:
    account = FundAccount.objects.select_related("unit").filter(pk=account_id, unit__in=units_kept_by(user)).first()
    if account is None:
        raise NotFound()
    return account


def donation_for_books(*, user, donation_id: int) -> Donation:
    donation = (
        Donation.objects.select_related("unit", "donor", "account", "entry")
        .filter(pk=donation_id, unit__in=units_kept_by(user))
        .first()
    )
    if donation is None:
        raise NotFound()
    return donation


def receipt_for_books(*, user, receipt_id: int) -> Receipt:
    receipt = (
        Receipt.objects.select_related("unit", "donation", "handler")
        .filter(pk=receipt_id, unit__in=units_kept_by(user))
        .first()
    )
    if receipt is None:
        raise NotFound()
    return receipt


def entry_for_books(*, user, entry_id: int) -> LedgerEntry:
    entry = LedgerEntry.objects.filter(pk=entry_id, unit__in=units_kept_by(user)).first()
    if entry is None:
        raise NotFound()
    return entry


def donors_for_unit(unit):
    """The donors a unit's officers pick from: those who gave to it and those its staff registered."""
    return Donor.objects.filter(Q(donations__unit=unit) | Q(created_by__unit=unit)).distinct().order_by("name")


def donation_list(unit):
    return (
        Donation.objects.filter(unit=unit)
        .select_related("donor", "account", "entry__reversed_by")
        .prefetch_related("receipts")
        .order_by("-entry_id")
    )


def ledger_entries(unit):
    """The unit's entries, newest first, with their lines and whether they were reversed."""
    return (
        LedgerEntry.objects.filter(unit=unit)
        .select_related("created_by", "reverses")
        .prefetch_related("lines__account")
        .annotate(reversed_id=F("reversed_by__id"))
        .order_by("-pk")
    )


def gift_accounts(unit):
    """The funds a gift may be credited to: the general fund (the default) and the restricted ones."""
    return FundAccount.objects.filter(unit=unit, kind__in=[AccountKind.GENERAL, AccountKind.RESTRICTED]).order_by(
        "code"
    )


# --- public disclosure -----------------------------------------------------------------------------------


def _sums(qs, key: str) -> dict[int, int]:
    return dict(qs.values_list(key).annotate(s=Sum("amount_fen")).values_list(key, "s"))


def unit_disclosure(unit) -> dict:
    """What a unit discloses, per fund, to the fen: raised (live gifts less live refunds), allocated (out of
    a fund; into a budget), spent (paid to households from a budget) and the balance. Donors appear only
    when they consented to be named, by alias when they have one; the totals count every gift."""
    raised = _sums(Donation.objects.filter(_LIVE, unit=unit), "account")
    for account_id, fen in _sums(Refund.objects.filter(_LIVE, donation__unit=unit), "donation__account").items():
        raised[account_id] = raised.get(account_id, 0) - fen
    allocated_out = _sums(Allocation.objects.filter(_LIVE, from_account__unit=unit), "from_account")
    allocated_in = _sums(Allocation.objects.filter(_LIVE, to_account__unit=unit), "to_account")
    spent = _sums(Disbursement.objects.filter(_LIVE, account__unit=unit), "account")
    funds = []
    for row in unit_balances(unit):
        account = row["account"]
        if not account.is_fund:
            continue
        pk = account.pk
        funds.append(
            {
                "account": account,
                "raised_fen": raised.get(pk, 0),
                "allocated_fen": allocated_in.get(pk, 0)
                if account.kind == AccountKind.BUDGET
                else allocated_out.get(pk, 0),
                "spent_fen": spent.get(pk, 0),
                "balance_fen": row["balance_fen"],
            }
        )
    named = {}
    for donation in Donation.objects.filter(_LIVE, unit=unit, donor__isnull=False).select_related("donor"):
        name = donation.donor.public_name
        if name:
            named[name] = named.get(name, 0) + donation.amount_fen
    return {
        "unit": unit,
        "funds": funds,
        "raised_fen": sum(f["raised_fen"] for f in funds),
        "allocated_fen": sum(allocated_out.values()),
        "spent_fen": sum(spent.values()),
        "balance_fen": sum(f["balance_fen"] for f in funds),
        "named_donors": sorted(named.items(), key=lambda item: (-item[1], item[0])),
    }


def unit_accounts(unit):
    return FundAccount.objects.filter(unit=unit).order_by("code")


def household_for_payment(*, user, number: str):
    """The household a bookkeeper pays, by its number, within the user's region scope (outside it: not found)."""
    scope = getattr(user, "scope_prefix", None)
    household = Household.objects.filter(number=(number or "").strip(), is_active=True).first()
    if household is None or not scope or not household.region_id.startswith(scope):
        raise NotFound()
    return household
