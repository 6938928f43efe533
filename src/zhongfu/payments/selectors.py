"""Reads of the payments app. A roll covers a region (the city or a district); a user sees the rolls that
overlap their scope, and within a roll only the lines of households in their scope (through the registry's
`households_visible_to`). Callbacks are scoped the same way."""

import datetime as dt

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from zhongfu.common.errors import InvalidInput, NotFound
from zhongfu.registry.models import Household
from zhongfu.registry.selectors import households_visible_to

from .models import Callback, CallbackStatus, LineStatus, PayeeAccount, PaymentLine, PaymentRoll
from .services import check_totals, flagged_callbacks_q


def _prefixes(prefix: str) -> list[str]:
    return [prefix[:n] for n in (4, 6, 9, 12) if n <= len(prefix)]


def rolls_visible_to(user) -> QuerySet[PaymentRoll]:
    prefix = getattr(user, "scope_prefix", None) if getattr(user, "is_authenticated", False) else None
    if not prefix or not user.has_perm("registry.view_household"):
        return PaymentRoll.objects.none()
    return PaymentRoll.objects.filter(Q(region_prefix__startswith=prefix) | Q(region_prefix__in=_prefixes(prefix)))


def roll_get_for_user(*, user, roll_id: int) -> PaymentRoll:
    roll = rolls_visible_to(user).filter(pk=roll_id).first()
    if roll is None:
        raise NotFound()
    return roll


def roll_lines_for_user(*, user, roll: PaymentRoll) -> QuerySet[PaymentLine]:
    return (
        roll.lines.filter(household__in=households_visible_to(user))
        .select_related("household", "roll", "reissue_of__roll")
        .order_by("seq")
    )


def roll_related(*, user, roll: PaymentRoll) -> QuerySet[PaymentRoll]:
    """The other rolls of the same month and region: the regular roll and its supplementary rolls (reissues)."""
    return (
        rolls_visible_to(user)
        .filter(month=roll.month, region_prefix=roll.region_prefix)
        .exclude(pk=roll.pk)
        .order_by("number")
    )


def roll_totals_problem(roll: PaymentRoll) -> str:
    """ "" when the stored count and total equal the lines (in fen), else the message saying how they differ."""
    try:
        check_totals(roll)
    except InvalidInput as e:
        return str(e)
    return ""


def roll_summary(*, user, roll: PaymentRoll) -> dict:
    """Count and fen per line status within the user's scope, and the roll's stored totals (whole roll)."""
    lines = roll_lines_for_user(user=user, roll=roll)
    by_status = {s: {"count": 0, "fen": 0} for s in LineStatus.values}
    for row in lines.order_by().values("status").annotate(n=Count("id"), fen=Sum("amount_fen")):
        by_status[row["status"]] = {"count": row["n"], "fen": row["fen"] or 0}
    return {
        "in_scope_count": sum(v["count"] for v in by_status.values()),
        "in_scope_fen": sum(v["fen"] for v in by_status.values()),
        "by_status": by_status,
        "roll_count": roll.line_count,
        "roll_fen": roll.total_fen,
    }


def callbacks_visible_to(user) -> QuerySet[Callback]:
    return Callback.objects.filter(household__in=households_visible_to(user)).select_related(
        "line", "roll", "household", "household__region"
    )


def callbacks_for_user(*, user, status: str | None = CallbackStatus.OPEN) -> QuerySet[Callback]:
    qs = callbacks_visible_to(user)
    if status in CallbackStatus.values:
        qs = qs.filter(status=status)
    return qs.order_by("-roll__month", "roll__number", "line__seq")


def callback_get_for_user(*, user, callback_id: int) -> Callback:
    callback = callbacks_visible_to(user).filter(pk=callback_id).first()
    if callback is None:
        raise NotFound()
    return callback


def roll_callbacks_for_user(*, user, roll: PaymentRoll) -> QuerySet[Callback]:
    return callbacks_visible_to(user).filter(roll=roll).order_by("line__seq")


def roll_flagged_callbacks(*, user, roll: PaymentRoll) -> QuerySet[Callback]:
    """Households in scope that said on the callback that the money did not arrive, or not all of it."""
    return roll_callbacks_for_user(user=user, roll=roll).filter(flagged_callbacks_q())


def payee_account_of(household: Household) -> PayeeAccount | None:
    return PayeeAccount.objects.select_related("payee").filter(household=household).first()


def benefits_received(household: Household) -> list[dict]:
    """What the bank paid the household, newest first: one row per paid line (month, policy, amount in fen,
    date paid, paying unit). The shape `disclosure.selectors.benefits_received` and its page expect."""
    from zhongfu.policies.selectors import policy_names

    names = policy_names()
    lines = PaymentLine.objects.filter(household=household, status=LineStatus.PAID).order_by("-month", "-result_at")
    return [
        {
            "month": line.month,
            "policy_code": line.policy_code,
            "policy_name": names.get(line.policy_code, line.policy_code),
            "amount_fen": line.amount_fen,
            "paid_on": timezone.localdate(line.result_at) if line.result_at else None,  # the day in Hangzhou, not UTC
            "unit": line.unit,
        }
        for line in lines
    ]


def paid_fen(case, first_month: dt.date | None = None, last_month: dt.date | None = None) -> int:
    """What the bank confirmed paid on `case` (lines marked paid), in the months from `first_month` to
    `last_month` inclusive (first days), or in every month. A failed line and its reissue count once: only
    one line per case and month can be paid."""
    lines = PaymentLine.objects.filter(case=case, status=LineStatus.PAID)
    if first_month is not None:
        lines = lines.filter(month__gte=first_month)
    if last_month is not None:
        lines = lines.filter(month__lte=last_month)
    return lines.aggregate(total=Sum("amount_fen"))["total"] or 0
