"""The summing rule of tracing, as it was before the running totals (migration 0006): each gift placed by
summing every earlier live gift of its fund, each allocation by summing the earlier ones. Slow on a large
ledger, plainly right: kept as the oracle the running totals are checked against (test_running_totals.py)."""

from django.db.models import Q, Sum

from zhongfu.funds import selectors
from zhongfu.funds.models import Allocation, Disbursement, Donation, Refund

_LIVE = Q(entry__reversed_by__isnull=True)


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
                    "recipient": selectors._recipient(disbursement.household),
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
