"""Writes of the payments app: payee accounts, preparing and issuing a roll, reissuing failed lines, closing
a roll, recording a callback. Each runs in one transaction with its audit entries. The bank's results are
imported by `results.py`, the bank batch file is written by `files.py`."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import CHANGE_HOUSEHOLD, Role
from zhongfu.audit.services import audit_record, audit_record_many
from zhongfu.casework.selectors import payable_cases
from zhongfu.common import personal_data as pd
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.registry.models import Household, Membership

from .models import (
    Callback,
    CallbackStatus,
    LineStatus,
    PayeeAccount,
    PaymentLine,
    PaymentRoll,
    Received,
    RollKind,
    RollStatus,
)

# Proposed permission (accounts/roles.py is the lead's): until it exists, the roles named in the brief.
MANAGE_ROLL = "payments.manage_roll"
_MANAGERS = {Role.CITY_ADMIN, Role.DISTRICT_CASEWORKER}


def can_manage_rolls(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.scope_prefix:
        return False
    return user.has_perm(MANAGE_ROLL) or user.role in _MANAGERS


def _require_manage(actor) -> None:
    if not can_manage_rolls(actor):
        raise PermissionDenied(_("Only the city administrator or a district caseworker manages payment rolls."))


def _require_worker(actor) -> None:
    if not actor.has_perm(CHANGE_HOUSEHOLD):
        raise PermissionDenied()


def _roll_audit(roll: PaymentRoll) -> dict:
    return {
        "number": roll.number,
        "month": roll.month.isoformat(),
        "region_prefix": roll.region_prefix,
        "kind": roll.kind,
        "status": roll.status,
        "line_count": roll.line_count,
        "total_fen": roll.total_fen,
    }


# --- payee accounts -------------------------------------------------------------------------------------


@transaction.atomic
def payee_account_record(*, actor, household: Household, payee_id: int, bank_name: str, account_number: str):
    """Record (or correct) the account a household is paid into. The caller fetched the household through
    the registry's scope; the account number is kept encrypted, masked and hashed, never in clear."""
    _require_worker(actor)
    bank_name = (bank_name or "").strip()
    number = "".join((account_number or "").split())
    if not 2 <= len(bank_name) <= 60:
        raise InvalidInput(_("Enter the name of the bank (2 to 60 characters)."), field="bank_name")
    if not (number.isdigit() and 10 <= len(number) <= 30):
        raise InvalidInput(_("An account number is 10 to 30 digits."), field="account_number")
    membership = (
        Membership.objects.filter(household=household, person_id=payee_id, end_date__isnull=True)
        .select_related("person")
        .first()
    )
    if membership is None:
        raise InvalidInput(_("The payee must be a current member of the household."), field="payee_id")
    account = PayeeAccount.objects.select_for_update().filter(household=household).first()
    before = _account_audit(account) if account else None
    if account is None:
        account = PayeeAccount(household=household)
    account.payee = membership.person
    account.bank_name = bank_name
    account.account_number_enc = pd.encrypt(number)
    account.account_number_hash = pd.lookup_hash(number)
    account.account_number_masked = pd.mask_id_number(number)
    account.recorded_by = actor
    account.save()
    audit_record(
        actor=actor,
        action="update" if before else "create",
        object_type="payee_account",
        object_id=account.pk,
        household_id=household.pk,
        region_code=household.region_id,
        before=before,
        after=_account_audit(account),
    )
    return account


def _account_audit(account: PayeeAccount) -> dict:
    return {
        "payee_id": account.payee_id,
        "bank_name": account.bank_name,
        "account_number_masked": account.account_number_masked,
        "account_number_hash": account.account_number_hash,
    }


def _snapshot(line: PaymentLine, account: PayeeAccount | None) -> None:
    if account is None:
        line.payee_name = line.bank_name = line.account_number_enc = ""
        line.account_number_hash = line.account_number_masked = ""
        return
    line.payee_name = account.payee.name
    line.bank_name = account.bank_name
    line.account_number_enc = account.account_number_enc
    line.account_number_hash = account.account_number_hash
    line.account_number_masked = account.account_number_masked


def _accounts(household_ids) -> dict[int, PayeeAccount]:
    return {
        a.household_id: a for a in PayeeAccount.objects.filter(household_id__in=household_ids).select_related("payee")
    }


# --- preparing a roll -----------------------------------------------------------------------------------


def _months_between(a: dt.date, b: dt.date) -> int:
    return (b.year - a.year) * 12 + b.month - a.month


def _due_this_month(case, month: dt.date, last_paid_month: dt.date | None) -> bool:
    """Monthly cases every month; a one-off case once (the first roll after approval); a yearly case once
    every twelve months from its first payment. Any other period is treated as monthly."""
    if case.period == "one_off":
        return last_paid_month is None
    if case.period == "yearly":
        return last_paid_month is None or _months_between(last_paid_month, month) >= 12
    return True


def _roll_number(month: dt.date, prefix: str) -> str:
    n = PaymentRoll.objects.filter(month=month, region_prefix=prefix).count() + 1
    return f"PR{month:%Y%m}-{prefix}-{n:02d}"


def check_totals(roll: PaymentRoll) -> None:
    """The stored count and total must equal the lines (the lines a reissue replaced included)."""
    agg = roll.lines.aggregate(n=Count("id"), fen=Sum("amount_fen"))
    if (agg["n"], agg["fen"] or 0) != (roll.line_count, roll.total_fen):
        raise InvalidInput(
            _("The totals of roll %(number)s do not add up: %(n)s lines, %(fen)s fen stored as %(sn)s, %(sfen)s."),
            field="total_fen",
            number=roll.number,
            n=agg["n"],
            fen=agg["fen"] or 0,
            sn=roll.line_count,
            sfen=roll.total_fen,
        )


@transaction.atomic
def roll_prepare(*, actor, month: dt.date) -> PaymentRoll:
    """The roll of `month` for the actor's region: a line for every approved case due a payment that month.
    Preparing the same month again is refused; a case already on another roll of that month (a district's
    roll inside the city's) is left out, and the database refuses a second line for a case and month."""
    _require_manage(actor)
    month = month.replace(day=1)
    prefix = actor.scope_prefix
    existing = PaymentRoll.objects.filter(month=month, region_prefix=prefix, kind=RollKind.REGULAR).first()
    if existing is not None:
        raise InvalidInput(
            _("The roll for %(month)s is already prepared (%(number)s); nothing was changed."),
            field="month",
            month=f"{month:%Y-%m}",
            number=existing.number,
        )
    cases = list(
        payable_cases(month)
        .filter(household__region__code__startswith=prefix, amount_fen__gt=0)
        .select_related("household")
        .order_by("household__region_id", "household__number", "number")
    )
    ids = [c.pk for c in cases]
    on_this_month = set(
        PaymentLine.objects.filter(case_id__in=ids, month=month, reissue_of__isnull=True).values_list(
            "case_id", flat=True
        )
    )
    last_month = dict(
        PaymentLine.objects.filter(case_id__in=ids, reissue_of__isnull=True, month__lt=month)
        .values("case_id")
        .annotate(last=Max("month"))
        .values_list("case_id", "last")
    )
    roll = PaymentRoll.objects.create(
        number=_roll_number(month, prefix), month=month, region_prefix=prefix, prepared_by=actor
    )
    accounts = _accounts({c.household_id for c in cases})
    lines = []
    for case in cases:
        if case.pk in on_this_month or not _due_this_month(case, month, last_month.get(case.pk)):
            continue
        line = PaymentLine(
            roll=roll,
            seq=len(lines) + 1,
            month=month,
            case=case,
            household=case.household,
            region_code=case.household.region_id,
            policy_code=case.policy_code,
            period=case.period,
            unit=case.unit,
            amount_fen=case.amount_fen,
        )
        _snapshot(line, accounts.get(case.household_id))
        lines.append(line)
    try:
        with transaction.atomic():
            PaymentLine.objects.bulk_create(lines)
    except IntegrityError:
        raise InvalidInput(
            _("Another roll for this month was prepared at the same time; nothing was changed."), field="month"
        ) from None
    roll.line_count = len(lines)
    roll.total_fen = sum(line.amount_fen for line in lines)
    roll.save(update_fields=["line_count", "total_fen"])
    audit_record(actor=actor, action="create", object_type="payment_roll", object_id=roll.pk, after=_roll_audit(roll))
    return roll


def _lock(roll: PaymentRoll) -> PaymentRoll:
    return PaymentRoll.objects.select_for_update().get(pk=roll.pk)


@transaction.atomic
def roll_issue(*, actor, roll: PaymentRoll) -> PaymentRoll:
    """Freeze the roll for the bank: take each household's current account once more, refuse while any line
    has none, check the totals, then no line changes until the bank's results come back."""
    _require_manage(actor)
    roll = _lock(roll)
    if roll.status != RollStatus.DRAFT:
        raise InvalidInput(_("Roll %(number)s is already issued."), field="status", number=roll.number)
    if roll.line_count == 0:
        raise InvalidInput(_("The roll has no lines: there is nothing to pay."), field="status")
    lines = list(roll.lines.all())
    accounts = _accounts({line.household_id for line in lines})
    for line in lines:
        _snapshot(line, accounts.get(line.household_id))
    missing = sorted({line.household.number for line in lines if not line.account_number_enc})
    if missing:
        raise InvalidInput(
            _("%(n)s households have no payee account (%(numbers)s): record their accounts first."),
            field="payee_account",
            n=len(missing),
            numbers=", ".join(missing[:10]),
        )
    PaymentLine.objects.bulk_update(
        lines, ["payee_name", "bank_name", "account_number_enc", "account_number_hash", "account_number_masked"]
    )
    check_totals(roll)
    before = _roll_audit(roll)
    roll.status = RollStatus.ISSUED
    roll.issued_at = timezone.now()
    roll.save(update_fields=["status", "issued_at"])
    audit_record(
        actor=actor,
        action="issue",
        object_type="payment_roll",
        object_id=roll.pk,
        before=before,
        after=_roll_audit(roll),
    )
    return roll


def _corrected(line: PaymentLine, account: PayeeAccount | None) -> bool:
    """The account was changed, or recorded again (confirmed), after the bank reported the failure."""
    if account is None:
        return False
    return account.account_number_hash != line.account_number_hash or (
        line.result_at is not None and account.updated_at > line.result_at
    )


@transaction.atomic
def roll_reissue(*, actor, roll: PaymentRoll) -> tuple[PaymentRoll, int]:
    """Failed lines whose household has since corrected its payee account go into a new supplementary roll
    of the same month, each linked to the line it replaces (which becomes `reissued`). Lines whose account
    is unchanged stay failed. Returns the new roll and the number of failed lines left behind."""
    _require_manage(actor)
    roll = _lock(roll)
    if roll.status != RollStatus.RESULTS_IMPORTED:
        raise InvalidInput(_("Failed lines are reissued after the bank's results are imported."), field="status")
    failed = list(roll.lines.filter(status=LineStatus.FAILED).select_related("household"))
    accounts = _accounts({line.household_id for line in failed})
    ready = [line for line in failed if _corrected(line, accounts.get(line.household_id))]
    if not ready:
        raise InvalidInput(
            _("No failed line has a corrected payee account: correct the accounts first."), field="payee_account"
        )
    new = PaymentRoll.objects.create(
        number=_roll_number(roll.month, roll.region_prefix),
        month=roll.month,
        region_prefix=roll.region_prefix,
        kind=RollKind.SUPPLEMENTARY,
        prepared_by=actor,
    )
    lines = []
    for old in ready:
        line = PaymentLine(
            roll=new,
            seq=len(lines) + 1,
            month=old.month,
            case_id=old.case_id,
            household_id=old.household_id,
            region_code=old.region_code,
            policy_code=old.policy_code,
            period=old.period,
            unit=old.unit,
            amount_fen=old.amount_fen,
            reissue_of=old,
        )
        _snapshot(line, accounts[old.household_id])
        lines.append(line)
        old.status = LineStatus.REISSUED
    PaymentLine.objects.bulk_update(ready, ["status"])
    PaymentLine.objects.bulk_create(lines)
    new.line_count = len(lines)
    new.total_fen = sum(line.amount_fen for line in lines)
    new.save(update_fields=["line_count", "total_fen"])
    audit_record(
        actor=actor,
        action="create",
        object_type="payment_roll",
        object_id=new.pk,
        after=_roll_audit(new) | {"reissue_of_roll": roll.number},
    )
    audit_record_many(
        actor=actor,
        entries=[
            {
                "action": "update",
                "object_type": "payment_line",
                "object_id": old.pk,
                "household_id": old.household_id,
                "region_code": old.region_code,
                "before": {"status": LineStatus.FAILED},
                "after": {"status": LineStatus.REISSUED, "reissued_in": new.number},
            }
            for old in ready
        ],
    )
    return new, len(failed) - len(ready)


@transaction.atomic
def roll_close(*, actor, roll: PaymentRoll) -> PaymentRoll:
    _require_manage(actor)
    roll = _lock(roll)
    if roll.status != RollStatus.RESULTS_IMPORTED:
        raise InvalidInput(_("A roll is closed after the bank's results are imported."), field="status")
    check_totals(roll)
    before = _roll_audit(roll)
    roll.status = RollStatus.CLOSED
    roll.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="update",
        object_type="payment_roll",
        object_id=roll.pk,
        before=before,
        after=_roll_audit(roll),
    )
    return roll


# --- callbacks (回访) -----------------------------------------------------------------------------------


@transaction.atomic
def callback_record(
    *,
    actor,
    callback: Callback,
    reached: bool,
    received: str = "",
    amount_confirmed_fen: int | None = None,
    satisfaction: int | None = None,
    notes: str = "",
) -> Callback:
    """Record a call. Nobody answering keeps the task open (call again); an answer closes it. The caller
    fetched the callback through the scoped selector."""
    _require_worker(actor)
    callback = Callback.objects.select_for_update().select_related("line").get(pk=callback.pk)
    if callback.status == CallbackStatus.DONE:
        raise InvalidInput(_("This callback is already recorded."), field="status")
    notes = (notes or "").strip()
    if len(notes) > 2000:
        raise InvalidInput(_("Notes are at most 2000 characters."), field="notes")
    if reached:
        if received not in Received.values:
            raise InvalidInput(_("Say whether the household received the money."), field="received")
        if satisfaction is None or not 1 <= satisfaction <= 5:
            raise InvalidInput(_("Satisfaction is from 1 to 5."), field="satisfaction")
        if amount_confirmed_fen is not None and not 0 <= amount_confirmed_fen <= 10**12:
            raise InvalidInput(_("Enter a valid amount."), field="amount_confirmed_fen")
    else:
        received, amount_confirmed_fen, satisfaction = "", None, None
    callback.reached = reached
    callback.received = received
    callback.amount_confirmed_fen = amount_confirmed_fen
    callback.satisfaction = satisfaction
    callback.notes = notes
    callback.done_by = actor
    callback.done_at = timezone.now()
    callback.status = CallbackStatus.DONE if reached else CallbackStatus.OPEN
    callback.save()
    audit_record(
        actor=actor,
        action="update",
        object_type="callback",
        object_id=callback.pk,
        household_id=callback.household_id,
        region_code=callback.line.region_code,
        after={
            "line": callback.line.reference,
            "reached": reached,
            "received": received,
            "amount_confirmed_fen": amount_confirmed_fen,
            "satisfaction": satisfaction,
            "status": callback.status,
        },
    )
    return callback


def flagged_callbacks_q() -> Q:
    """A household that said the money did not arrive (or not all of it)."""
    return Q(received__in=[Received.NO, Received.PARTLY])
