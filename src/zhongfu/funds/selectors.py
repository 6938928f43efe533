"""Reads of the funds app: balances (always the sum of the ledger lines, never a stored total) and the trace
of a gift to the allocations and disbursements it funded.

The tracing rule (docs/funds.md): within a fund, gifts are spent first in, first out. The fund's live gifts
(not reversed, less their live refunds) are laid end to end in the order they were recorded, and so are its
live allocations: the n-th fen allocated is the n-th fen given. Each allocation is in turn laid end to end
with the other allocations into its budget, against that budget's live disbursements, the same way. An
entry that was reversed, and its reversal, take no part, as if neither had happened."""

from collections import defaultdict

from django.db.models import F, Q, Sum

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


def _gift_span(donation: Donation) -> tuple[int, int]:
    """Where the gift lies among its fund's live gifts laid end to end: [start, end) in fen."""
    if Donation.objects.filter(pk=donation.pk, entry__reversed_by__isnull=False).exists():
        return 0, 0
    earlier = Donation.objects.filter(_LIVE, account_id=donation.account_id, entry_id__lt=donation.entry_id)
    given = earlier.aggregate(s=Sum("amount_fen"))["s"] or 0
    refunded = Refund.objects.filter(_LIVE, donation__in=earlier.values("pk")).aggregate(s=Sum("amount_fen"))["s"] or 0
    start = given - refunded
    return start, start + donation.amount_fen - _refunded([donation.pk]).get(donation.pk, 0)


def _allocated_out(account_id: int) -> int:
    return Allocation.objects.filter(_LIVE, from_account_id=account_id).aggregate(s=Sum("amount_fen"))["s"] or 0


def donation_unallocated_fen(donation: Donation) -> int:
    """What of the gift is still in its fund, not yet allocated under first in, first out."""
    start, end = _gift_span(donation)
    return max(0, end - max(start, _allocated_out(donation.account_id)))


def _overlaps(span: tuple[int, int], pieces):
    """Yield (piece, lo, hi) for each piece (laid end to end, as (obj, amount)) overlapping span."""
    lo, hi = span
    position = 0
    for obj, amount in pieces:
        if position >= hi:
            break
        a, b = max(lo, position), min(hi, position + amount)
        if a < b:
            yield obj, a - position, b - position
        position += amount


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
    start, end = _gift_span(donation)
    allocations = Allocation.objects.filter(_LIVE, from_account_id=donation.account_id).order_by("entry_id")
    funded = list(_overlaps((start, end), ((a, a.amount_fen) for a in allocations.iterator())))
    out_allocations, out_disbursements = [], []
    for allocation, lo, hi in funded:
        out_allocations.append(
            {
                "allocation_id": allocation.pk,
                "to_account": allocation.to_account.code,
                "date": allocation.entry.date,
                "amount_fen": hi - lo,
            }
        )
        # Where this allocation lies in its budget, and so which fen of the budget this gift paid for.
        before = (
            Allocation.objects.filter(
                _LIVE, to_account_id=allocation.to_account_id, entry_id__lt=allocation.entry_id
            ).aggregate(s=Sum("amount_fen"))["s"]
            or 0
        )
        paid = (
            Disbursement.objects.filter(_LIVE, account_id=allocation.to_account_id)
            .select_related("household__region", "entry")
            .order_by("entry_id")
        )
        for disbursement, a, b in _overlaps((before + lo, before + hi), ((d, d.amount_fen) for d in paid)):
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
