"""One worker process of the funds race tests (test_funds_races.py): it sets Django up against the database
named by DATABASE_URL, does one kind of work through the funds services and prints its outcome as one
JSON line. Run as `python funds_worker.py <mode> [args]`; the modes are the functions in MODES.

It is a separate program, not a function forked by multiprocessing, so each worker has its own
connection from a clean start, exactly like a gunicorn worker or a second caseworker's request."""

import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongfu.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.db.models import Count, Q, Sum  # noqa: E402
from django.utils import timezone, translation  # noqa: E402

from zhongfu.accounts.models import Unit, User  # noqa: E402
from zhongfu.accounts.roles import Role  # noqa: E402
from zhongfu.common.errors import DomainError  # noqa: E402
from zhongfu.funds import selectors, services  # noqa: E402
from zhongfu.funds.models import Allocation, Donation, FundAccount, LedgerEntry, Receipt  # noqa: E402
from zhongfu.regions.models import Region  # noqa: E402

KEEPER = "race_keeper"


def _keeper() -> User:
    return User.objects.select_related("unit").get(username=KEEPER)


def _wait_for_go(go_file: str) -> None:
    """Tell the parent this worker is set up, then start with the others: the conflicts are real only
    when the workers hit the account at the same moment, not one after the other as they come up."""
    print("ready", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.01)


def seed(balance: str, gifts: str) -> dict:
    """A charity unit, its bookkeeper, a restricted fund holding `balance` fen and its budget, and
    `gifts` small gifts to the general fund waiting for their receipts."""
    district = Region.objects.get(code="330106")
    unit = Unit.objects.create(code="race-unit", name="并发测试慈善会", kind=Unit.Kind.CHARITY, region=district)
    keeper = User(username=KEEPER, role=Role.CHARITY_STAFF, region=district, unit=unit)
    keeper.set_unusable_password()
    keeper.save()
    fund = services.fund_account_open(
        actor=keeper, unit=unit, kind="restricted", code="race-fund", name="并发基金", project="RACE"
    )
    budget = services.fund_account_open(
        actor=keeper, unit=unit, kind="budget", code="race-budget", name="并发预算", project="RACE", parent=fund
    )
    today = timezone.localdate()
    services.donation_record_offline(
        actor=keeper, unit=unit, amount_fen=int(balance), channel="cash", received_on=today, account=fund
    )
    ids = [
        services.donation_record_offline(
            actor=keeper, unit=unit, amount_fen=100 + i, channel="cash", received_on=today
        ).pk
        for i in range(int(gifts))
    ]
    return {"fund": fund.pk, "budget": budget.pk, "gifts": ids}


def allocate(go_file: str, times: str, amount: str) -> dict:
    """Allocate `amount` fen from the fund to its budget `times` times; count what went through and why
    the rest was refused."""
    keeper = _keeper()
    fund, budget = FundAccount.objects.get(code="race-fund"), FundAccount.objects.get(code="race-budget")
    done, refused = [], []
    _wait_for_go(go_file)
    for _ in range(int(times)):
        try:
            allocation = services.allocation_record(
                actor=keeper,
                from_account=fund,
                to_account=budget,
                amount_fen=int(amount),
                date=timezone.localdate(),
            )
            done.append(allocation.pk)
        except DomainError as e:
            refused.append(str(e))
    return {"done": done, "refused": refused}


def receipts(go_file: str, ids: str) -> dict:
    """Try to issue a receipt for every one of the gifts, in an order of this worker's own."""
    keeper = _keeper()
    gifts = [int(i) for i in ids.split(",")]
    random.shuffle(gifts)
    issued, refused = [], []
    _wait_for_go(go_file)
    for pk in gifts:
        donation = Donation.objects.select_related("unit").get(pk=pk)
        try:
            receipt = services.receipt_issue(actor=keeper, donation=donation)
            issued.append([pk, receipt.number])
        except DomainError as e:
            refused.append(str(e))
    return {"issued": issued, "refused": refused}


def hang_in_gift(seconds: str) -> dict:
    """Record a gift and stay inside its transaction: the parent kills this process with SIGKILL here."""
    keeper = _keeper()
    with transaction.atomic():
        donation = services.donation_record_offline(
            actor=keeper, unit=keeper.unit, amount_fen=777_00, channel="cash", received_on=timezone.localdate()
        )
        print(json.dumps({"inside": donation.pk, "entry": donation.entry_id}), flush=True)
        time.sleep(float(seconds))
    return {"finished": True}


def gift() -> dict:
    """Record one gift in the ordinary way."""
    keeper = _keeper()
    services.donation_record_offline(
        actor=keeper, unit=keeper.unit, amount_fen=5_00, channel="cash", received_on=timezone.localdate()
    )
    return {"donations": Donation.objects.count()}


def online_gift(go_file: str) -> dict:
    """One online gift paid by the provider's callback, at the same moment as the others. About half the
    workers give anonymously, so some transactions write their first audit entry before the unit's bank
    account exists and some after: the order that once deadlocked on a unit's first online gifts."""
    unit = _keeper().unit
    anonymous = os.getpid() % 2 == 0
    order = services.payment_order_create(
        unit=unit, amount_fen=12_00, anonymous=anonymous, donor_name="" if anonymous else "并发捐赠人"
    )
    _wait_for_go(go_file)
    paid, replay = services.donation_record_online(
        provider=order.provider,
        txn_id=f"race-{order.reference}",
        order_id=order.reference,
        amount_fen=order.amount_fen,
        status="paid",
    )
    return {"donation": paid.donation_id, "replay": replay}


def check() -> dict:
    """What the books say now, for the parent's assertions."""
    fund = FundAccount.objects.get(code="race-fund")
    entries = LedgerEntry.objects.annotate(n=Count("lines"), total=Sum("lines__amount_fen"))
    numbers = list(Receipt.objects.order_by("number").values_list("year", "number", "donation_id"))
    return {
        "balance": selectors.account_balance_fen(fund),
        "allocations": sorted(Allocation.objects.values_list("pk", flat=True)),
        "allocated_fen": Allocation.objects.aggregate(s=Sum("amount_fen"))["s"] or 0,
        "allocation_entries_fen": sum(
            line_sum
            for line_sum in LedgerEntry.objects.filter(kind="allocation")
            .annotate(d=Sum("lines__amount_fen", filter=Q(lines__amount_fen__gt=0)))
            .values_list("d", flat=True)
        ),
        "entries": LedgerEntry.objects.count(),
        "unbalanced_entries": entries.exclude(total=0).count(),
        "entries_without_lines": entries.filter(n=0).count(),
        "entries_with_one_line": entries.filter(n=1).count(),
        "donations": Donation.objects.count(),
        "donations_without_entry": Donation.objects.filter(entry__isnull=True).count(),
        "donation_entries_without_donation": LedgerEntry.objects.filter(kind="donation", donation__isnull=True).count(),
        "allocation_entries_without_allocation": LedgerEntry.objects.filter(
            kind="allocation", allocation__isnull=True
        ).count(),
        "receipts": numbers,
    }


MODES = {f.__name__: f for f in (seed, allocate, receipts, hang_in_gift, gift, online_gift, check)}

if __name__ == "__main__":
    mode, *args = sys.argv[1:]
    with translation.override("en"):
        result = MODES[mode](*args)
    print(json.dumps(result, ensure_ascii=False, default=str), flush=True)
