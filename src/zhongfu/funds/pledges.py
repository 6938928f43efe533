"""Promises of money: pledges (认捐) and recurring gifts (定期捐赠). Neither is money in the ledger.

A pledge is a donor's promise of an amount to a fund (and a drive), optionally in instalments by dates. Gifts
are recorded as ever (offline or online) and then linked to the pledge: what it has received is the sum of
its linked gifts as they stand (less refunds; nothing of a reversed gift), and instalments are met in order of
their dates, so an instalment is overdue when its date has passed and the gifts so far do not cover it and
every instalment before it. A pledge is cancelled with a reason; its gifts stay recorded.

A recurring gift is a donor's standing instruction: an amount on a day of each month to a fund, from a start
to an optional end. `recurring_charges_make` (run by `zhongfu daily` through `funds_recurring`) makes, for
each active instruction whose day has come this month, one payment order with its online provider — at
most one per instruction and month (a unique constraint, so a re-run or two concurrent runs make no second
order). The gift is recorded only when the provider's signed callback says the order was paid, through the
same path as any online gift (`services.donation_record_online`)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.models import Unit
from zhongfu.common.errors import InvalidInput, NotFound

from . import providers, selectors, services
from .models import (
    AccountKind,
    Donation,
    Donor,
    Drive,
    FundAccount,
    PaymentOrder,
    Pledge,
    PledgeGift,
    PledgeInstalment,
    PledgeStatus,
    RecurringCharge,
    RecurringGift,
    RecurringStatus,
    Refund,
)

_audit = services._audit


# --- pledges ---------------------------------------------------------------------------------------------


@transaction.atomic
def pledge_create(
    *,
    actor,
    unit: Unit,
    donor: Donor,
    amount_fen,
    pledged_on: dt.date,
    account: FundAccount | None = None,
    drive: Drive | None = None,
    instalments=(),
    memo: str = "",
) -> Pledge:
    """Record a donor's promise. `instalments` are (due date, fen) pairs adding up to the amount; none: the
    whole amount, with no date. Nothing is written to the ledger."""
    services._require_books(actor, unit)
    amount_fen = services._fen(amount_fen, field="amount_fen")
    if amount_fen > services.MAX_FEN:
        raise InvalidInput(_("The amount is too large."), field="amount_fen")
    pledged_on = services._date(pledged_on, field="pledged_on")
    if donor is None:
        raise InvalidInput(_("A pledge is made by a donor."), field="donor")
    account = account or services.standard_account(unit, services.GENERAL)
    if account.unit_id != unit.pk or account.kind not in (AccountKind.GENERAL, AccountKind.RESTRICTED):
        raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account")
    if drive is not None and drive.unit_id != unit.pk:
        raise InvalidInput(_("No such drive of this unit."), field="drive")
    parts = []
    for due_on, fen in instalments:
        if not isinstance(due_on, dt.date) or isinstance(due_on, dt.datetime):
            raise InvalidInput(_("Enter a date."), field="instalments")
        if due_on < pledged_on:
            raise InvalidInput(_("An instalment falls due on or after the day of the pledge."), field="instalments")
        parts.append((due_on, services._fen(fen, field="instalments")))
    if parts and sum(fen for _due, fen in parts) != amount_fen:
        raise InvalidInput(_("The instalments add up to the amount promised."), field="instalments")
    pledge = Pledge.objects.create(
        unit=unit,
        donor=donor,
        account=account,
        drive=drive,
        amount_fen=amount_fen,
        pledged_on=pledged_on,
        memo=services._text(memo, field="memo", max_length=200, required=False),
        created_by=actor,
    )
    PledgeInstalment.objects.bulk_create(
        PledgeInstalment(pledge=pledge, due_on=due, amount_fen=fen) for due, fen in sorted(parts)
    )
    _audit(
        actor,
        "create",
        "pledge",
        pledge,
        {"donor": donor.pk, "account": account.code, "amount_fen": amount_fen, "instalments": len(parts)},
    )
    return pledge


def _lock(pledge: Pledge) -> Pledge:
    return Pledge.objects.select_for_update().select_related("unit").get(pk=pledge.pk)


@transaction.atomic
def pledge_link_gift(*, actor, pledge: Pledge, donation: Donation) -> PledgeGift:
    """Count a recorded gift towards a pledge: a gift of the pledge's donor to the pledge's fund, once."""
    services._require_books(actor, pledge.unit)
    pledge = _lock(pledge)
    if pledge.status != PledgeStatus.OPEN:
        raise InvalidInput(_("This pledge is cancelled."), field="pledge")
    if donation.unit_id != pledge.unit_id:
        raise NotFound(field="donation")
    if donation.donor_id != pledge.donor_id:
        raise InvalidInput(_("This gift is not from the pledge's donor."), field="donation")
    if donation.account_id != pledge.account_id:
        raise InvalidInput(_("This gift went to another fund than the pledge's."), field="donation")
    if PledgeGift.objects.filter(donation=donation).exists():
        raise InvalidInput(_("This gift already counts towards a pledge."), field="donation")
    if Donation.objects.filter(pk=donation.pk, entry__reversed_by__isnull=False).exists():
        raise InvalidInput(_("This gift was reversed: it counts towards nothing."), field="donation")
    try:
        with transaction.atomic():
            link = PledgeGift.objects.create(pledge=pledge, donation=donation, linked_by=actor)
    except IntegrityError:
        raise InvalidInput(_("This gift already counts towards a pledge."), field="donation") from None
    _audit(actor, "update", "pledge", pledge, {"linked_gift": donation.pk, "amount_fen": donation.amount_fen})
    return link


@transaction.atomic
def pledge_cancel(*, actor, pledge: Pledge, reason: str) -> Pledge:
    """Cancel an open pledge, with a reason. The gifts it received stay recorded and linked."""
    services._require_books(actor, pledge.unit)
    reason = services._text(reason, field="reason", max_length=200)
    pledge = _lock(pledge)
    if pledge.status != PledgeStatus.OPEN:
        raise InvalidInput(_("This pledge is already cancelled."), field="pledge")
    pledge.status, pledge.cancelled_at, pledge.cancelled_by = PledgeStatus.CANCELLED, timezone.now(), actor
    pledge.cancel_reason = reason
    pledge.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"])
    _audit(actor, "update", "pledge", pledge, {"status": pledge.status}, reason=reason)
    return pledge


def _received(pledge_ids) -> dict[int, int]:
    """Per pledge, what its linked gifts hold as they stand: less their refunds, nothing of a reversed gift."""
    live = Q(donation__entry__reversed_by__isnull=True)
    given = dict(
        PledgeGift.objects.filter(live, pledge_id__in=pledge_ids)
        .values_list("pledge")
        .annotate(s=Sum("donation__amount_fen"))
        .values_list("pledge", "s")
    )
    refunded = dict(
        Refund.objects.filter(
            entry__reversed_by__isnull=True,
            donation__entry__reversed_by__isnull=True,
            donation__pledge_gift__pledge_id__in=pledge_ids,
        )
        .values_list("donation__pledge_gift__pledge")
        .annotate(s=Sum("amount_fen"))
        .values_list("donation__pledge_gift__pledge", "s")
    )
    return {pk: given.get(pk, 0) - refunded.get(pk, 0) for pk in pledge_ids}


def pledge_figures(pledge: Pledge, *, today: dt.date | None = None, received: int | None = None) -> dict:
    """Promised, received and outstanding fen; each instalment with what of it is met and whether it is
    overdue (met in order of dates)."""
    today = today or timezone.localdate()
    if received is None:
        received = _received([pledge.pk])[pledge.pk]
    left = received
    rows, overdue_fen, overdue_count = [], 0, 0
    for inst in pledge.instalments.all():
        met = min(left, inst.amount_fen)
        left -= met
        short = inst.amount_fen - met
        overdue = pledge.status == PledgeStatus.OPEN and short > 0 and inst.due_on < today
        if overdue:
            overdue_fen += short
            overdue_count += 1
        rows.append({"instalment": inst, "met_fen": met, "short_fen": short, "overdue": overdue})
    return {
        "promised_fen": pledge.amount_fen,
        "received_fen": received,
        "outstanding_fen": max(0, pledge.amount_fen - received) if pledge.status == PledgeStatus.OPEN else 0,
        "fulfilled": received >= pledge.amount_fen,
        "instalments": rows,
        "overdue_fen": overdue_fen,
        "overdue_count": overdue_count,
    }


def pledges_of(unit: Unit, *, today: dt.date | None = None) -> list[dict]:
    pledges = list(
        Pledge.objects.filter(unit=unit)
        .select_related("donor", "account", "drive")
        .prefetch_related("instalments")
        .order_by("-pk")
    )
    received = _received([p.pk for p in pledges])
    return [{"pledge": p, **pledge_figures(p, today=today, received=received[p.pk])} for p in pledges]


def pledge_for_books(*, user, pledge_id: int) -> Pledge:
    pledge = (
        Pledge.objects.select_related("unit", "donor", "account", "drive")
        .filter(pk=pledge_id, unit__in=selectors.units_kept_by(user))
        .first()
    )
    if pledge is None:
        raise NotFound()
    return pledge


def pledge_gifts(pledge: Pledge):
    return (
        PledgeGift.objects.filter(pledge=pledge)
        .select_related("donation__account", "donation__entry")
        .order_by("donation__received_on", "pk")
    )


def pledge_candidate_gifts(pledge: Pledge):
    """Gifts that could be linked: the donor's, to the pledge's fund, not yet counted towards a pledge."""
    return Donation.objects.filter(
        unit_id=pledge.unit_id,
        donor_id=pledge.donor_id,
        account_id=pledge.account_id,
        pledge_gift__isnull=True,
        entry__reversed_by__isnull=True,
    ).order_by("-received_on", "-pk")


# --- recurring gifts -------------------------------------------------------------------------------------


@transaction.atomic
def recurring_create(
    *,
    actor,
    unit: Unit,
    amount_fen,
    day_of_month: int,
    starts_on: dt.date,
    ends_on: dt.date | None = None,
    account: FundAccount | None = None,
    donor_name: str = "",
    anonymous: bool = False,
    consent_to_name: bool = False,
    alias: str = "",
    provider: str = "sim",
) -> RecurringGift:
    """Register a donor's standing instruction, as the donor signed it. Nothing is charged until a due date."""
    services._require_books(actor, unit)
    amount_fen = services._fen(amount_fen, field="amount_fen")
    if amount_fen > services.MAX_FEN:
        raise InvalidInput(_("The amount is too large."), field="amount_fen")
    if isinstance(day_of_month, bool) or not isinstance(day_of_month, int) or not 1 <= day_of_month <= 28:
        raise InvalidInput(_("The day of the month is 1 to 28, so that every month has it."), field="day_of_month")
    if not isinstance(starts_on, dt.date) or isinstance(starts_on, dt.datetime):
        raise InvalidInput(_("Enter a date."), field="starts_on")
    if ends_on is not None and (not isinstance(ends_on, dt.date) or ends_on < starts_on):
        raise InvalidInput(_("The end is on or after the start."), field="ends_on")
    if providers.get(provider) is None:
        raise InvalidInput(_("No such payment provider."), field="provider")
    if account is not None and (account.unit_id != unit.pk or account.kind != AccountKind.RESTRICTED):
        raise InvalidInput(_("A gift is credited to a general or restricted fund of the unit."), field="account")
    name = (donor_name or "").strip()
    if anonymous:
        if consent_to_name:
            raise InvalidInput(_("An anonymous donor is never named."), field="consent_to_name")
        name = ""
    elif not 1 <= len(name) <= 100:
        raise InvalidInput(_("Enter the donor's name, or mark the gift anonymous."), field="donor_name")
    instruction = RecurringGift.objects.create(
        unit=unit,
        account=account,
        donor_name=name,
        anonymous=bool(anonymous),
        consent_to_name=bool(consent_to_name),
        alias=services._text(alias, field="alias", max_length=60, required=False),
        amount_fen=amount_fen,
        day_of_month=day_of_month,
        starts_on=starts_on,
        ends_on=ends_on,
        provider=provider,
        created_by=actor,
    )
    _audit(
        actor,
        "create",
        "recurring_gift",
        instruction,
        {"amount_fen": amount_fen, "day": day_of_month, "starts_on": str(starts_on), "ends_on": str(ends_on or "")},
    )
    return instruction


_MOVES = {
    "pause": (RecurringStatus.ACTIVE,),
    "resume": (RecurringStatus.PAUSED,),
    "stop": (RecurringStatus.ACTIVE, RecurringStatus.PAUSED),
}
_TARGET = {"pause": RecurringStatus.PAUSED, "resume": RecurringStatus.ACTIVE, "stop": RecurringStatus.STOPPED}


@transaction.atomic
def recurring_set_status(*, actor, instruction: RecurringGift, action: str, reason: str = "") -> RecurringGift:
    """Pause, resume or stop a standing instruction. A stopped one stays stopped (a new one is registered).
    Orders already made stay as they are: the donor may still pay them."""
    services._require_books(actor, instruction.unit)
    if action not in _MOVES:
        raise InvalidInput(_("Pause, resume or stop."), field="action")
    instruction = RecurringGift.objects.select_for_update().get(pk=instruction.pk)
    if instruction.status not in _MOVES[action]:
        raise InvalidInput(
            _("The instruction is %(status)s: it cannot be changed so."),
            field="action",
            status=instruction.get_status_display(),
        )
    instruction.status = _TARGET[action]
    instruction.save(update_fields=["status"])
    reason = services._text(reason, field="reason", max_length=200, required=False)
    _audit(actor, "update", "recurring_gift", instruction, {"status": instruction.status}, reason=reason)
    return instruction


def _due_date(instruction: RecurringGift, month: dt.date) -> dt.date | None:
    """The instruction's due date in `month` (its first day), or None when the month is outside its span."""
    due = month.replace(day=instruction.day_of_month)
    if due < instruction.starts_on or (instruction.ends_on and due > instruction.ends_on):
        return None
    return due


def recurring_charges_make(*, today: dt.date | None = None) -> list[RecurringCharge]:
    """Make this month's payment order of every active instruction whose day has come (and not yet made).
    Each in its own transaction; safe to run again the same day, or twice at once."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    made = []
    due = (
        RecurringGift.objects.filter(status=RecurringStatus.ACTIVE, starts_on__lte=today, day_of_month__lte=today.day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=month))
        .exclude(charges__month=month)
        .select_related("unit", "account")
        .order_by("pk")
    )
    for instruction in due:
        due_on = _due_date(instruction, month)
        if due_on is None or due_on > today:
            continue
        try:
            with transaction.atomic():
                locked = RecurringGift.objects.select_for_update().get(pk=instruction.pk)
                if locked.status != RecurringStatus.ACTIVE or locked.charges.filter(month=month).exists():
                    continue
                order = services.payment_order_create(
                    unit=instruction.unit,
                    amount_fen=instruction.amount_fen,
                    account=instruction.account,
                    donor_name=instruction.donor_name,
                    anonymous=instruction.anonymous,
                    consent_to_name=instruction.consent_to_name,
                    alias=instruction.alias,
                    provider=instruction.provider,
                )
                charge = RecurringCharge.objects.create(instruction=locked, month=month, due_on=due_on, order=order)
                _audit(
                    services.online_actor(),
                    "create",
                    "recurring_gift",
                    locked,
                    {"month": f"{month:%Y-%m}", "order": order.reference, "amount_fen": order.amount_fen},
                )
        except IntegrityError:
            continue  # another run made this month's order meanwhile
        made.append(charge)
    return made


def recurring_of(unit: Unit):
    return RecurringGift.objects.filter(unit=unit).select_related("account").order_by("-pk")


def recurring_for_books(*, user, instruction_id: int) -> RecurringGift:
    instruction = (
        RecurringGift.objects.select_related("unit", "account")
        .filter(pk=instruction_id, unit__in=selectors.units_kept_by(user))
        .first()
    )
    if instruction is None:
        raise NotFound()
    return instruction


def recurring_charges(instruction: RecurringGift):
    return RecurringCharge.objects.filter(instruction=instruction).select_related("order__donation").order_by("-month")


def order_is_recurring(order: PaymentOrder) -> bool:
    return RecurringCharge.objects.filter(order=order).exists()
