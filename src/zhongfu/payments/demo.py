"""Payments for the demo city, so the roll, bank file and callback pages have data: payee accounts for the
households with approved cases, then last month's roll prepared, issued and its (synthetic) bank results
imported, with a few failures, one of them reissued after its account was corrected, and some callbacks done.

Everything goes through the real services with the demo city administrator as the actor, so it is audited
like any other work. Running it again changes nothing once last month's roll exists."""

import csv
import datetime as dt
import io
import random

from django.db import transaction
from django.utils import timezone

from zhongfu.accounts.models import User
from zhongfu.accounts.roles import Role
from zhongfu.casework.selectors import payable_cases
from zhongfu.registry.models import Household, Membership, Relation

from . import results, services
from .models import LineStatus, PayeeAccount, PaymentRoll, Received, RollKind

BANKS = ["中国工商银行杭州分行", "中国农业银行杭州分行", "中国建设银行杭州分行", "杭州银行", "浙江农商银行"]
FAILURES = ["账户已销户", "户名与账号不符", "账户冻结"]


def _previous_month(today: dt.date) -> dt.date:
    first = today.replace(day=1)
    return (first - dt.timedelta(days=1)).replace(day=1)


def _admin() -> User | None:
    admin = User.objects.filter(username="admin", role=Role.CITY_ADMIN, is_active=True).first()
    return admin or User.objects.filter(role=Role.CITY_ADMIN, is_active=True, region__isnull=False).first()


def _account_number(rng: random.Random) -> str:
    return "62" + "".join(str(rng.randrange(10)) for _ in range(17))


def _payee_id(household_id: int) -> int | None:
    members = Membership.objects.filter(household_id=household_id, end_date__isnull=True)
    head = members.filter(relation=Relation.HEAD).first() or members.order_by("pk").first()
    return head.person_id if head else None


def _results_csv(roll: PaymentRoll, failed: dict[str, str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(results.RESULT_COLUMNS)
    for line in roll.lines.order_by("seq"):
        reason = failed.get(line.reference, "")
        writer.writerow([line.reference, line.amount_fen, "失败" if reason else "成功", reason])
    return out.getvalue().encode("utf-8-sig")


@transaction.atomic
def demo_payments_generate(seed: int = 2026, *, today: dt.date | None = None) -> dict:
    """See the module docstring. Returns counts and a one-line `message` for the demo command to print."""
    month = _previous_month(today or timezone.localdate())
    admin = _admin()
    if admin is None:
        return {"message": "demo payments: no city administrator to act; run after the demo logins exist"}
    cases = list(payable_cases(month).filter(amount_fen__gt=0).values_list("household_id", flat=True))
    if not cases:
        return {"message": f"demo payments: no approved case is payable for {month:%Y-%m}; nothing to pay"}
    if PaymentRoll.objects.filter(month=month, region_prefix=admin.scope_prefix, kind=RollKind.REGULAR).exists():
        return {"message": f"demo payments: the roll for {month:%Y-%m} exists already; nothing changed"}

    households = sorted(set(cases))
    have = set(PayeeAccount.objects.filter(household_id__in=households).values_list("household_id", flat=True))
    accounts = 0
    for household_id in households:
        payee = _payee_id(household_id)
        if household_id in have or payee is None:
            continue
        rng = random.Random(seed * 1_000_003 + household_id)
        services.payee_account_record(
            actor=admin,
            household=Household.objects.get(pk=household_id),
            payee_id=payee,
            bank_name=BANKS[rng.randrange(len(BANKS))],
            account_number=_account_number(rng),
        )
        accounts += 1

    roll = services.roll_issue(actor=admin, roll=services.roll_prepare(actor=admin, month=month))
    rng = random.Random(seed)
    lines = list(roll.lines.order_by("seq"))
    # About one line in eight fails, at least one when there are a few lines (the reissue has something to
    # show), never all of them; a roll of one to three lines is paid in full.
    failing = [x for x in lines if rng.random() < 0.125][: max(len(lines) // 4, 1)]
    if len(lines) < 4:
        failing = []
    elif not failing:
        failing = lines[-1:]
    failed = {x.reference: FAILURES[rng.randrange(len(FAILURES))] for x in failing}
    outcome = results.results_import(
        actor=admin, roll=roll, name="bank-results.csv", content=_results_csv(roll, failed)
    )

    supplementary = None
    if failing:
        # The community corrects the first failed household's account; the reissue goes out on a supplementary
        # roll, issued and waiting for the bank.
        first = roll.lines.filter(status=LineStatus.FAILED).select_related("household").order_by("seq").first()
        services.payee_account_record(
            actor=admin,
            household=first.household,
            payee_id=PayeeAccount.objects.get(household_id=first.household_id).payee_id,
            bank_name=BANKS[0],
            account_number=_account_number(rng),
        )
        supplementary, _left = services.roll_reissue(actor=admin, roll=PaymentRoll.objects.get(pk=roll.pk))
        services.roll_issue(actor=admin, roll=supplementary)

    done = 0
    for i, callback in enumerate(outcome.callbacks):
        if i % 2:
            continue  # half still to call
        received = Received.NO if i == 2 else Received.YES
        services.callback_record(
            actor=admin,
            callback=callback,
            reached=True,
            received=received,
            amount_confirmed_fen=None if received == Received.NO else callback.line.amount_fen,
            satisfaction=2 if received == Received.NO else 4 + rng.randrange(2),
            notes="户主称未收到，请核查" if received == Received.NO else "已到账",
        )
        done += 1

    result = {
        "month": f"{month:%Y-%m}",
        "accounts": accounts,
        "roll": roll.number,
        "lines": roll.line_count,
        "paid": outcome.paid,
        "failed": outcome.failed,
        "supplementary": supplementary.number if supplementary else None,
        "callbacks": len(outcome.callbacks),
        "callbacks_done": done,
    }
    result["message"] = (
        f"demo payments: roll {roll.number} for {result['month']}: {roll.line_count} lines, {outcome.paid} paid, "
        f"{outcome.failed} failed{f' (reissued in {supplementary.number})' if supplementary else ''}; "
        f"{accounts} payee accounts; {done} of {len(outcome.callbacks)} callbacks done"
    )
    return result
