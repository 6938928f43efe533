"""Appeals and reopening of a case (复议与重新办理): the writes and the rules they follow.

A refusal (or a later termination) can be appealed by the household, or recorded by a worker on its behalf,
within the procedure's time limit (workflow.yaml `appeal`, counted from the day the decision was made known:
its notification, or the decision itself when none is recorded). Another decider of the case's level or a
higher one (never the one who made the decision) upholds it or reopens the case at a step before the decision,
with a new overall limit. A decider may also reopen a refused case without an appeal, to correct it.
Each write locks the case, checks `expected_version`, appends a CaseEvent and an audit entry (case_services)."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.disclosure.services import HOUSEHOLD_ACTOR
from zhongfu.workdays.selectors import add_working_days

from . import workflow
from .case_services import REASONS_MIN, _enter, _locked, _record, _snapshot, _text
from .duties import can_decide_appeal, require_act
from .models import (
    Appeal,
    AppealAgainst,
    AppealOutcome,
    Application,
    ApplicationStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Channel,
    Step,
)

# The events that decide a case, and what an appeal of each is against (None: nothing to appeal). A
# termination is recorded by enrolment as a case event "terminate"; a reopening starts the case over.
DECISION_ACTIONS = {
    "decide_refuse": AppealAgainst.REFUSAL,
    "terminate": AppealAgainst.TERMINATION,
    "decide_approve": None,
    "reopen": None,
}
APPEAL_OUTCOMES = (AppealOutcome.UPHELD.value, AppealOutcome.REOPENED.value)


class AppealTooLate(InvalidInput):
    pass


class NothingToAppeal(InvalidInput):
    pass


def appealable_decision(case: Case) -> CaseEvent | None:
    """The event of the refusal or termination in force on this case, or None (open, approved, withdrawn)."""
    if case.status in (CaseStatus.OPEN, CaseStatus.WITHDRAWN):
        return None
    last = case.events.filter(action__in=DECISION_ACTIONS).select_related("actor").order_by("-at", "-id").first()
    return last if last is not None and DECISION_ACTIONS[last.action] is not None else None


def _day_of(event: CaseEvent) -> dt.date:
    on = (event.data or {}).get("on")
    return dt.date.fromisoformat(on) if on else timezone.localtime(event.at).date()


def appeal_window(case: Case) -> dict | None:
    """{decision_event, against, decided_on, starts_on, ends_on}: the limit counts from the day the decision
    was made known (a refusal's notification, which closes the case; else the decision itself) to the last
    day to appeal it. None when there is nothing to appeal."""
    decision = appealable_decision(case)
    if decision is None:
        return None
    against = DECISION_ACTIONS[decision.action]
    if against == AppealAgainst.REFUSAL:
        decided_on = case.decided_on
        # A refused case is closed by the notification of its reasons: the day the step closed is that day.
        starts_on = case.step_started_on if case.step == Step.CLOSED else decided_on
    else:
        decided_on = starts_on = _day_of(decision)
    return {
        "decision_event": decision,
        "against": against,
        "decided_on": decided_on,
        "starts_on": starts_on,
        "ends_on": workflow.appeal_due(case.procedure, case.policy_code, starts_on),
    }


def reopen_steps(case: Case) -> list[str]:
    """The steps a case can be reopened at: after acceptance, up to the decision."""
    steps = case.procedure.get("steps", [])
    if Step.DECISION not in steps:
        return []
    return steps[1 : steps.index(Step.DECISION) + 1]


def case_pending_appeal(case: Case) -> Appeal | None:
    return case.appeals.filter(outcome=AppealOutcome.PENDING).select_related("decision_event").first()


@transaction.atomic
def case_appeal_lodge(
    *,
    actor,
    case: Case,
    expected_version: int,
    grounds: str,
    lodged_on: dt.date | None = None,
) -> Case:
    """Lodge an appeal against the case's refusal or termination. `actor` None: the household itself (its
    self-service session); otherwise a worker who records it, with the day it was received (`lodged_on`)."""
    case = _locked(case, expected_version)
    if actor is not None:
        require_act(actor, case)
    window = appeal_window(case)
    if window is None:
        raise NothingToAppeal(_("Only a refused or terminated case can be appealed."))
    if Appeal.objects.filter(decision_event=window["decision_event"]).exists():
        raise InvalidInput(_("This decision was already appealed; see the appeal on the case."))
    today = timezone.localdate()
    lodged_on = lodged_on or today
    if lodged_on > today:
        raise InvalidInput(_("The day the appeal was received cannot be in the future."), field="lodged_on")
    if lodged_on < window["decided_on"]:
        raise InvalidInput(_("The appeal cannot be received before the decision was made."), field="lodged_on")
    if lodged_on > window["ends_on"]:
        raise AppealTooLate(
            _("The time limit to appeal this decision ended on %(date)s; the appeal cannot be lodged."),
            field="lodged_on",
            date=window["ends_on"].isoformat(),
        )
    grounds = _text(grounds, field="grounds", label=_("the grounds of the appeal"), minimum=REASONS_MIN)
    worker = actor if getattr(actor, "pk", None) else None
    appeal = Appeal.objects.create(
        case=case,
        decision_event=window["decision_event"],
        against=window["against"],
        lodged_on=lodged_on,
        channel=Channel.WORKER if worker else Channel.SELF_SERVICE,
        lodged_by=worker,
        grounds=grounds,
    )
    data = {
        "appeal": appeal.pk,
        "against": appeal.against,
        "lodged_on": lodged_on.isoformat(),
        "appeal_ends_on": window["ends_on"].isoformat(),
        "channel": appeal.channel,
    }
    _record(
        actor=worker or HOUSEHOLD_ACTOR,
        case=case,
        before=_snapshot(case),
        step=case.step,
        action="appeal_lodge",
        data=data,
        note=grounds,
    )
    return case


def _require_reviewer(actor, case: Case, decision: CaseEvent) -> None:
    if not getattr(actor, "pk", None):
        raise PermissionDenied(_("You do not have permission to do this."))
    require_act(actor, case)
    if decision.actor_id is not None and actor.pk == decision.actor_id:
        raise PermissionDenied(_("You made the decision appealed against: another decider reviews it."))
    if not can_decide_appeal(actor, case, decision.actor_id):
        raise PermissionDenied(_("This case is decided at another level; you cannot review its decision."))


def _reopen(*, actor, case: Case, step: str, reason: str, appeal: Appeal | None) -> None:
    """Back to `step`, open, with a new overall limit counted from today; the old decision stays in the history."""
    if step not in reopen_steps(case):
        raise InvalidInput(_("Choose the step where the case starts again."), field="reopen_to")
    other = (
        Case.objects.filter(household_id=case.household_id, policy_code=case.policy_code, status=CaseStatus.OPEN)
        .exclude(pk=case.pk)
        .first()
    )
    if other is not None:
        raise InvalidInput(
            _("The household has another open case for this policy (%(number)s); continue there."),
            number=other.number,
        )
    before, today = _snapshot(case), timezone.localdate()
    case.status = CaseStatus.OPEN
    case.decided_on = case.decided_by = None
    case.decision_late = False
    case.refusal_reasons = ""
    case.payment_from = None
    case.notice_starts_on = case.notice_ends_on = None
    case.accepted_on = case.accepted_on or today
    case.due_on = add_working_days(today, case.procedure["overall"])
    case.extended_to, case.extension_reason = None, ""
    _enter(case, step, today)
    data = {"back_to": step, "due_on": case.due_on.isoformat(), "appeal": appeal.pk if appeal else None}
    _record(actor=actor, case=case, before=before, step=step, action="reopen", data=data, note=reason)
    _application_reopen(actor, case)


def _application_reopen(actor, case: Case) -> None:
    """The application has work again: it is open (submitted) until its cases are done, so the household does
    not apply for the same policy a second time meanwhile."""
    application = Application.objects.select_for_update().get(pk=case.application_id)
    if application.status == ApplicationStatus.SUBMITTED:
        return
    before = {"status": application.status}
    application.status = ApplicationStatus.SUBMITTED
    application.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="update",
        object_type="application",
        object_id=application.pk,
        household_id=application.household_id,
        region_code=case.household.region_id,
        before=before,
        after={"number": application.number, "status": application.status, "reopened_case": case.number},
    )


@transaction.atomic
def case_appeal_decide(
    *, actor, case: Case, expected_version: int, outcome: str, reasons: str, reopen_to: str = ""
) -> Case:
    """Decide the pending appeal: `upheld` (the decision stands) or `reopened` (the case starts again at
    `reopen_to`, with a new overall limit). Never by the one who made the decision appealed against."""
    case = _locked(case, expected_version)
    if actor is not None:
        require_act(actor, case)
    appeal = case.appeals.select_for_update().filter(outcome=AppealOutcome.PENDING).first()
    if appeal is None:
        raise InvalidInput(_("No appeal is waiting for a decision on this case."))
    decision = CaseEvent.objects.select_related("actor").get(pk=appeal.decision_event_id)
    _require_reviewer(actor, case, decision)
    if outcome not in APPEAL_OUTCOMES:
        raise InvalidInput(_("Choose the outcome of the appeal."), field="outcome")
    reasons = _text(reasons, field="reasons", label=_("the reasons"), minimum=REASONS_MIN)
    if outcome == AppealOutcome.REOPENED and reopen_to not in reopen_steps(case):
        raise InvalidInput(_("Choose the step where the case starts again."), field="reopen_to")
    today = timezone.localdate()
    appeal.outcome = outcome
    appeal.decided_by = actor
    appeal.decided_on = today
    appeal.reasons = reasons
    appeal.reopen_step = reopen_to if outcome == AppealOutcome.REOPENED else ""
    appeal.save()
    _record(
        actor=actor,
        case=case,
        before=_snapshot(case),
        step=case.step,
        action=f"appeal_{outcome}",
        data={"appeal": appeal.pk, "outcome": outcome, "reopen_to": appeal.reopen_step or None},
        note=reasons,
    )
    if outcome == AppealOutcome.REOPENED:
        _reopen(actor=actor, case=case, step=reopen_to, reason=reasons, appeal=appeal)
    return case


@transaction.atomic
def case_reopen(*, actor, case: Case, expected_version: int, reopen_to: str, reason: str) -> Case:
    """Reopen a refused or terminated case without an appeal (the authority corrects its own decision): by a
    decider other than the one who made it, at a step before the decision, with a new overall limit."""
    case = _locked(case, expected_version)
    decision = appealable_decision(case)
    if decision is None:
        raise NothingToAppeal(_("Only a refused or terminated case can be reopened."))
    if case.appeals.filter(outcome=AppealOutcome.PENDING).exists():
        raise InvalidInput(_("An appeal is waiting: decide the appeal (it can reopen the case)."))
    _require_reviewer(actor, case, decision)
    reason = _text(reason, field="reason", label=_("the reason"), minimum=REASONS_MIN)
    _reopen(actor=actor, case=case, step=reopen_to, reason=reason, appeal=None)
    return case


def case_record_termination(
    *, actor, case: Case, decided_on: dt.date, reason: str, reference: dict | None = None
) -> CaseEvent:
    """Note on the case that its benefit was terminated (for enrolment, in the caller's transaction), so the
    termination can be appealed: its limit counts from `decided_on`, and its actor may not review the appeal."""
    case = Case.objects.select_for_update(of=("self",)).select_related("household").get(pk=case.pk)
    data = {"on": decided_on.isoformat(), **(reference or {})}
    return _record(
        actor=actor, case=case, before=_snapshot(case), step=case.step, action="terminate", data=data, note=reason
    )
