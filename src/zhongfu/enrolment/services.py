"""Writes of enrolment: generating reviews, re-screening and completing one, suspending, resuming, ending an
enrolment (at once or gradually) and recording an amount to recover. Each in one transaction with its audit
entry.

Who may act (casework.duties): a worker in scope, not related to the household (`can_act`), re-screens a
review, completes it unchanged and records a recovery; anything that changes what is paid — a new amount, a
gradual exit, suspension, resumption, termination, writing a recovery off — is a decision (`can_decide`).
The engine advises a review's outcome; a person decides, and gives reasons when departing from the advice.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record, audit_record_many
from zhongfu.casework.appeals import case_record_termination
from zhongfu.casework.duties import can_decide, require_act
from zhongfu.casework.models import Case, CaseStatus
from zhongfu.common.errors import DomainError, InvalidInput, PermissionDenied
from zhongfu.common.money import fen_to_yuan_text
from zhongfu.screening.models import Outcome
from zhongfu.screening.services import household_screen

from . import selectors
from .models import (
    CaseReview,
    ChangeKind,
    EnrolmentChange,
    Recovery,
    RecoveryStatus,
    ReviewClass,
    ReviewOutcome,
    ReviewStatus,
)

REASON_MIN = 4
TEXT_MAX = 2000


class EnrolmentConflict(DomainError):
    """The enrolment is not in a state that allows this change (e.g. resuming one that is not suspended)."""


class ReviewDone(DomainError):
    default_message = _("This review was already completed; reload it — nothing was saved.")


# --- helpers -----------------------------------------------------------------------------------------------


def _reason(text: str, *, field: str = "reason", required: bool = True) -> str:
    text = (text or "").strip()
    if required and len(text) < REASON_MIN:
        raise InvalidInput(_("Give a reason (at least %(n)s characters)."), field=field, n=REASON_MIN)
    if len(text) > TEXT_MAX:
        raise InvalidInput(_("At most %(n)s characters."), field=field, n=TEXT_MAX)
    return text


def _amount(value, *, field: str = "amount_fen") -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(_("Enter the amount in fen as a whole number."), field=field)
    if value <= 0:
        raise InvalidInput(_("The amount must be greater than zero."), field=field)
    return value


def _require_decide(actor, case: Case) -> None:
    require_act(actor, case)
    if not can_decide(actor, case):
        raise PermissionDenied(_("Only someone who may decide this case can change what it pays."))


def _enrolled(case: Case) -> Case:
    """The case row, locked, if it is an enrolment (approved and paying from a month)."""
    locked = Case.objects.select_for_update(of=("self",)).select_related("household").get(pk=case.pk)
    if locked.status != CaseStatus.APPROVED or locked.payment_from is None:
        raise EnrolmentConflict(_("This case is not enrolled: it was not approved for payment."))
    return locked


def _effective(case: Case, month: dt.date | None, latest: EnrolmentChange | None) -> dt.date:
    """The month a change takes effect: the next month by default; never a past month, never before the
    enrolment's latest change (history is not rewritten)."""
    month = selectors.month_start(month) if month else selectors.next_month()
    if month < selectors.month_start(timezone.localdate()):
        raise InvalidInput(_("A change cannot take effect in a past month."), field="effective_month")
    if latest is not None and month < latest.effective_month:
        raise InvalidInput(
            _("A change already takes effect in %(month)s; choose that month or a later one."),
            field="effective_month",
            month=f"{latest.effective_month:%Y-%m}",
        )
    return month


def _audit_case(actor, case: Case, *, object_type: str, object_id, action: str, before=None, after=None, reason=""):
    audit_record(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        household_id=case.household_id,
        region_code=case.household.region_id,
        before=before,
        after=after,
        reason=reason[:500],
    )


# Which changes may follow the enrolment's latest one ("" = enrolled, no change yet).
_ALLOWED_AFTER = {
    ChangeKind.SUSPEND: {"", ChangeKind.RESUME, ChangeKind.AMOUNT_CHANGE},
    ChangeKind.RESUME: {ChangeKind.SUSPEND},
    ChangeKind.GRADUAL_EXIT: {"", ChangeKind.RESUME, ChangeKind.AMOUNT_CHANGE},
    # A household back in need during its gradual exit continues with a new amount.
    ChangeKind.AMOUNT_CHANGE: {"", ChangeKind.RESUME, ChangeKind.AMOUNT_CHANGE, ChangeKind.GRADUAL_EXIT},
    ChangeKind.TERMINATE: {
        "",
        ChangeKind.RESUME,
        ChangeKind.AMOUNT_CHANGE,
        ChangeKind.SUSPEND,
        ChangeKind.GRADUAL_EXIT,
    },
}
_REFUSED = {
    ChangeKind.SUSPEND: _("Only an enrolment that is paying can be suspended."),
    ChangeKind.RESUME: _("Only a suspended enrolment can be resumed."),
    ChangeKind.GRADUAL_EXIT: _("Only an enrolment that is paying can begin a gradual exit."),
    ChangeKind.AMOUNT_CHANGE: _("The amount of a suspended or terminated enrolment cannot be changed."),
    ChangeKind.TERMINATE: _("This enrolment is already terminated."),
}


def _change(
    *,
    actor,
    case: Case,
    kind: str,
    reason: str,
    effective_month: dt.date | None = None,
    amount_fen: int | None = None,
    exit_months: int | None = None,
    review: CaseReview | None = None,
) -> EnrolmentChange:
    """Append one change to a locked enrolment, after checking it may follow the latest one; audited."""
    state = selectors.enrolment_state(case)
    if state.kind not in _ALLOWED_AFTER[kind]:
        raise EnrolmentConflict(_REFUSED[kind], field="action")
    month = _effective(case, effective_month, state.change)
    change = EnrolmentChange.objects.create(
        case=case,
        kind=kind,
        effective_month=month,
        ends_month=selectors.add_months(month, exit_months) if kind == ChangeKind.GRADUAL_EXIT else None,
        amount_fen=amount_fen,
        reason=reason,
        review=review,
        actor=actor,
    )
    if kind == ChangeKind.TERMINATE:
        # A terminated enrolment has nothing left to review.
        CaseReview.objects.filter(case=case, status=ReviewStatus.OPEN).exclude(pk=getattr(review, "pk", None)).update(
            status=ReviewStatus.DONE, outcome=ReviewOutcome.TERMINATE, decided_by=actor, decided_at=timezone.now()
        )
    _audit_case(
        actor,
        case,
        object_type="enrolment_change",
        object_id=change.pk,
        action="create",
        before={"state": state.kind or "enrolled", "amount_fen": state.amount_fen},
        after={
            "case": case.number,
            "kind": kind,
            "effective_month": month.isoformat(),
            "ends_month": change.ends_month.isoformat() if change.ends_month else None,
            "amount_fen": amount_fen,
            "review": getattr(review, "pk", None),
        },
        reason=reason,
    )
    return change


# --- enrolment changes -------------------------------------------------------------------------------------


@transaction.atomic
def enrolment_suspend(*, actor, case: Case, reason: str, effective_month: dt.date | None = None) -> EnrolmentChange:
    """Stop paying from `effective_month` (next month by default) until the enrolment is resumed."""
    case = _enrolled(case)
    _require_decide(actor, case)
    return _change(
        actor=actor, case=case, kind=ChangeKind.SUSPEND, reason=_reason(reason), effective_month=effective_month
    )


@transaction.atomic
def enrolment_resume(*, actor, case: Case, reason: str, effective_month: dt.date | None = None) -> EnrolmentChange:
    case = _enrolled(case)
    _require_decide(actor, case)
    return _change(
        actor=actor, case=case, kind=ChangeKind.RESUME, reason=_reason(reason), effective_month=effective_month
    )


@transaction.atomic
@transaction.atomic
def enrolment_terminate(*, actor, case: Case, reason: str, effective_month: dt.date | None = None) -> EnrolmentChange:
    """End the enrolment: nothing is paid from `effective_month` on. A reason is required. The termination is
    also noted on the case, so the household can appeal it (casework.appeals) within the limit."""
    case = _enrolled(case)
    _require_decide(actor, case)
    change = _change(
        actor=actor, case=case, kind=ChangeKind.TERMINATE, reason=_reason(reason), effective_month=effective_month
    )
    case_record_termination(
        actor=actor, case=case, decided_on=timezone.localdate(), reason=change.reason, reference={"change": change.pk}
    )
    return change


def enrolment_act(*, actor, case: Case, action: str, reason: str, effective_month: dt.date | None = None):
    """One entry point for the page and the API: suspend, resume or terminate."""
    services = {"suspend": enrolment_suspend, "resume": enrolment_resume, "terminate": enrolment_terminate}
    if action not in services:
        raise InvalidInput(_("Unknown action."), field="action")
    return services[action](actor=actor, case=case, reason=reason, effective_month=effective_month)


# --- reviews -----------------------------------------------------------------------------------------------


@transaction.atomic
def reviews_generate(*, today: dt.date | None = None, actor=None) -> int:
    """Create the reviews falling due within REVIEW_LEAD_DAYS. Idempotent: a case has at most one open review,
    and one review per due date (constraints), so running it twice, or in two processes, adds nothing."""
    today = today or timezone.localdate()
    rows = selectors.reviews_to_generate(today)
    if not rows:
        return 0
    try:
        with transaction.atomic():
            # Both databases return the new keys (RETURNING), which the audit entries name.
            created = CaseReview.objects.bulk_create([CaseReview(**row) for row in rows])
    except IntegrityError:
        # Another run created some of these since they were read; the constraints kept one of each.
        raise InvalidInput(_("Reviews were being generated at the same time; run it again.")) from None
    cases = {c.pk: c for c in Case.objects.filter(pk__in=[r["case_id"] for r in rows]).select_related("household")}
    for review in created:
        review.case = cases[review.case_id]
    entries = [
        {
            "action": "create",
            "object_type": "case_review",
            "object_id": review.pk,
            "household_id": review.case.household_id,
            "region_code": review.case.household.region_id,
            "after": {
                "case": review.case.number,
                "due_on": review.due_on.isoformat(),
                "interval_months": review.interval_months,
                "review_class": review.review_class,
            },
        }
        for review in created
    ]
    audit_record_many(actor=actor, entries=entries)
    return len(entries)


def _advise(case: Case, review: CaseReview, determination, current_fen: int) -> str:
    """The engine's advice from the new determination; empty when it lacks information to advise."""
    if determination is None or determination.outcome == Outcome.NEEDS_INFORMATION:
        return ""
    if determination.outcome == Outcome.ELIGIBLE:
        if determination.amount_fen == current_fen:
            return ReviewOutcome.CONTINUE
        return ReviewOutcome.AMOUNT_CHANGED
    rule = selectors.rule_for(case.policy_code, review.review_class)
    # Gradual exit (渐退) is for a household that lost eligibility by earning: one able to work.
    if rule and rule.gradual_exit_months and review.review_class == ReviewClass.ABLE_TO_WORK:
        return ReviewOutcome.GRADUAL_EXIT
    return ReviewOutcome.TERMINATE


def _locked_review(review: CaseReview) -> CaseReview:
    locked = CaseReview.objects.select_for_update(of=("self",)).select_related("case__household").get(pk=review.pk)
    if locked.status != ReviewStatus.OPEN:
        raise ReviewDone()
    return locked


def _rescreen(actor, review: CaseReview) -> CaseReview:
    case = review.case
    screening = household_screen(actor=actor, household=case.household)
    determination = screening.determinations.filter(policy_code=case.policy_code).first()
    current = selectors.enrolment_state(case).amount_fen
    review.screening = screening
    review.determination = determination
    # The class as the household is now: the advice and the gradual exit rule follow current data.
    review.review_class = selectors.review_class_of(case)
    review.advised_outcome = _advise(case, review, determination, current)
    review.save(update_fields=["screening", "determination", "review_class", "advised_outcome"])
    _audit_case(
        actor,
        case,
        object_type="case_review",
        object_id=review.pk,
        action="update",
        after={
            "case": case.number,
            "screening": screening.pk,
            "outcome": determination.outcome if determination else None,
            "amount_fen": determination.amount_fen if determination else None,
            "advised": review.advised_outcome,
        },
    )
    return review


@transaction.atomic
def review_rescreen(*, actor, review: CaseReview) -> CaseReview:
    """Screen the household again with today's data and store the engine's advice on the review."""
    review = _locked_review(review)
    require_act(actor, review.case)
    return _rescreen(actor, review)


@transaction.atomic
def review_complete(
    *,
    actor,
    review: CaseReview,
    outcome: str,
    notes: str = "",
    amount_fen: int | None = None,
    exit_months: int | None = None,
    effective_month: dt.date | None = None,
    rescreen: bool = False,
) -> CaseReview:
    """Decide a review. Re-screens first if the review has no screening yet (or `rescreen`). Continuing
    unchanged needs a worker; a new amount, a gradual exit or a termination needs someone who may decide.
    Departing from the engine's advice, and terminating, need notes that say why."""
    review = _locked_review(review)
    case = _enrolled(review.case)
    review.case = case
    require_act(actor, case)
    if outcome not in ReviewOutcome.values:
        raise InvalidInput(_("Choose the outcome of the review."), field="outcome")
    if review.screening_id is None or rescreen:
        _rescreen(actor, review)
    overriding = review.advised_outcome and outcome != review.advised_outcome
    notes = _reason(notes, field="notes", required=bool(overriding) or outcome == ReviewOutcome.TERMINATE)
    if outcome != ReviewOutcome.CONTINUE:
        _require_decide(actor, case)
    current = selectors.enrolment_state(case).amount_fen
    change_args = {"actor": actor, "case": case, "reason": notes or str(_("periodic review")), "review": review}
    change_args["effective_month"] = effective_month
    if outcome == ReviewOutcome.AMOUNT_CHANGED:
        engine_fen = review.determination.amount_fen if review.determination else None
        new = _amount(amount_fen if amount_fen is not None else engine_fen)
        _change(kind=ChangeKind.AMOUNT_CHANGE, amount_fen=new, **change_args)
        review.amount_fen = new
    elif outcome == ReviewOutcome.GRADUAL_EXIT:
        rule = selectors.rule_for(case.policy_code, review.review_class)
        allowed = rule.gradual_exit_months if rule else 0
        if not allowed:
            raise InvalidInput(_("This policy has no gradual exit: terminate instead."), field="outcome")
        months = allowed if exit_months is None else exit_months
        if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= allowed:
            raise InvalidInput(_("A gradual exit lasts 1 to %(n)s months."), field="exit_months", n=allowed)
        paid = _amount(amount_fen if amount_fen is not None else current)
        if paid > current:
            raise InvalidInput(_("During a gradual exit the amount cannot go up."), field="amount_fen")
        _change(kind=ChangeKind.GRADUAL_EXIT, amount_fen=paid, exit_months=months, **change_args)
        review.amount_fen = paid
    elif outcome == ReviewOutcome.TERMINATE:
        _change(kind=ChangeKind.TERMINATE, **change_args)
    before = {"status": review.status, "advised": review.advised_outcome}
    review.status = ReviewStatus.DONE
    review.outcome = outcome
    review.notes = notes
    review.decided_by = actor
    review.decided_at = timezone.now()
    review.save()
    _audit_case(
        actor,
        case,
        object_type="case_review",
        object_id=review.pk,
        action="update",
        before=before,
        after={"case": case.number, "status": review.status, "outcome": outcome, "amount_fen": review.amount_fen},
        reason=notes,
    )
    return review


# --- recoveries --------------------------------------------------------------------------------------------


@transaction.atomic
def recovery_record(
    *, actor, case: Case, amount_fen: int, reason: str, months_from: dt.date, months_to: dt.date
) -> Recovery:
    """Record an amount paid that should not have been (追缴), for the months it covers. It can be no more
    than the bank confirmed paid on the case in those months, less what is already being recovered for
    months within them, nor push all the case's recoveries beyond all it was paid."""
    from zhongfu.payments.selectors import paid_fen  # payments builds on casework and enrolment, not the reverse

    # Locked, so that two recoveries recorded at once cannot both fit under what was paid.
    case = Case.objects.select_for_update(of=("self",)).select_related("household").get(pk=case.pk)
    require_act(actor, case)
    if actor is None:
        raise PermissionDenied()
    amount = _amount(amount_fen)
    reason = _reason(reason)
    if not isinstance(months_from, dt.date) or not isinstance(months_to, dt.date):
        raise InvalidInput(_("Enter the months the amount covers."), field="months_from")
    first, last = selectors.month_start(months_from), selectors.month_start(months_to)
    if last < first:
        raise InvalidInput(_("The last month comes before the first."), field="months_to")
    if last > selectors.month_start(timezone.localdate()):
        raise InvalidInput(_("An amount cannot be recovered for a month still to come."), field="months_to")
    if case.payment_from is None or first < selectors.month_start(case.payment_from):
        raise InvalidInput(
            _("Nothing was paid on this case before %(month)s."),
            field="months_from",
            month=(f"{case.payment_from:%Y-%m}" if case.payment_from else "—"),
        )
    recovering = Recovery.objects.filter(case=case)
    within = recovering.filter(months_from__gte=first, months_to__lte=last).aggregate(t=Sum("amount_fen"))["t"] or 0
    paid = paid_fen(case, first, last)
    if amount > paid - within:
        raise InvalidInput(
            _(
                "The bank confirmed %(paid)s yuan paid on this case in those months, %(within)s yuan of it already "
                "being recovered: at most %(left)s yuan can be recovered for them."
            ),
            field="amount_fen",
            paid=fen_to_yuan_text(paid),
            within=fen_to_yuan_text(within),
            left=fen_to_yuan_text(max(paid - within, 0)),
        )
    all_recovering = recovering.aggregate(t=Sum("amount_fen"))["t"] or 0
    all_paid = paid_fen(case)
    if all_recovering + amount > all_paid:
        raise InvalidInput(
            _(
                "With this amount the recoveries on this case (%(total)s yuan) would exceed all it was paid "
                "(%(paid)s yuan)."
            ),
            field="amount_fen",
            total=fen_to_yuan_text(all_recovering + amount),
            paid=fen_to_yuan_text(all_paid),
        )
    recovery = Recovery.objects.create(
        case=case,
        household=case.household,
        amount_fen=amount,
        reason=reason,
        months_from=first,
        months_to=last,
        recorded_by=actor,
    )
    _audit_case(
        actor,
        case,
        object_type="recovery",
        object_id=recovery.pk,
        action="create",
        after={
            "case": case.number,
            "amount_fen": amount,
            "months_from": first.isoformat(),
            "months_to": last.isoformat(),
            "status": recovery.status,
        },
        reason=reason,
    )
    return recovery


@transaction.atomic
def recovery_settle(*, actor, recovery: Recovery, status: str, note: str = "") -> Recovery:
    """Mark a recorded recovery repaid (a worker) or written off (someone who may decide, with a reason)."""
    recovery = Recovery.objects.select_for_update(of=("self",)).select_related("case__household").get(pk=recovery.pk)
    case = recovery.case
    require_act(actor, case)
    if status not in (RecoveryStatus.REPAID, RecoveryStatus.WRITTEN_OFF):
        raise InvalidInput(_("Choose repaid or written off."), field="status")
    if recovery.status != RecoveryStatus.RECORDED:
        raise EnrolmentConflict(_("This recovery is already settled."), field="status")
    if status == RecoveryStatus.WRITTEN_OFF:
        _require_decide(actor, case)
    note = _reason(note, field="note", required=status == RecoveryStatus.WRITTEN_OFF)
    before = {"status": recovery.status}
    recovery.status = status
    recovery.settled_by = actor
    recovery.settled_at = timezone.now()
    recovery.settle_note = note
    recovery.save(update_fields=["status", "settled_by", "settled_at", "settle_note"])
    _audit_case(
        actor,
        case,
        object_type="recovery",
        object_id=recovery.pk,
        action="update",
        before=before,
        after={"case": case.number, "status": status, "amount_fen": recovery.amount_fen},
        reason=note,
    )
    return recovery
