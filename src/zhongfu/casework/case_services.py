"""Writes of the case workflow: one function per step, each in one transaction, each appending a CaseEvent and
an audit entry and bumping the case's version.

Every write takes the `expected_version` the user saw; if the case changed since, nothing is written and
CaseChanged says who changed it and when. Who may act: `can_act` (a worker in scope, not declared related
to the household) and `can_decide` (also the deciding level's role, and not the one who surveyed the home).
"""

import datetime as dt

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.audit.services import audit_record
from zhongfu.common.errors import DomainError, InvalidInput, PermissionDenied
from zhongfu.workdays.selectors import add_working_days

from . import workflow
from .attachments import MAX_FILES, attachment_check, attachment_storage
from .duties import (  # noqa: F401 (re-exported for the pages)
    COUNTY_ROLES,
    can_act,
    can_decide,
    can_decide_appeal,
    has_surveyed,
    is_related,
    require_act,
)
from .models import (
    Application,
    ApplicationStatus,
    Case,
    CaseAttachment,
    CaseEvent,
    CaseStatus,
    DeclaredRelation,
    Objection,
    Step,
)

# The declared and department figures compared by the financial check (the engine's input names).
CHECK_ITEMS = ("monthly_income", "financial_assets", "vehicles", "company_roles", "homes", "home_floor_area")
REASONS_MIN = 10
TEXT_MAX = 2000


class CaseChanged(DomainError):
    """The case changed after the user loaded it: nothing was saved, the user reloads and tries again."""

    default_message = _("This case was changed by someone else; reload it — nothing was saved.")


class CaseNotAtStep(InvalidInput):
    pass


class ReasonsRequired(InvalidInput):
    pass


# --- the common part of every write ------------------------------------------------------------------


def _locked(case: Case, expected_version: int) -> Case:
    """The case row, locked, if the user saw its current version; otherwise CaseChanged and nothing written."""
    locked = Case.objects.select_for_update(of=("self",)).select_related("household").get(pk=case.pk)
    if locked.version != expected_version:
        last = locked.events.select_related("actor").order_by("-at", "-id").first()
        who = str(last.actor) if last and last.actor else str(_("the system"))
        when = timezone.localtime(last.at).strftime("%H:%M") if last else ""
        raise CaseChanged(
            _("This case was changed by %(who)s at %(time)s; reload it — nothing was saved."), who=who, time=when
        )
    return locked


def _require_step(case: Case, *steps: str) -> None:
    if case.status == CaseStatus.WITHDRAWN or case.step not in steps:
        raise CaseNotAtStep(
            _("This case is at the step “%(step)s”; this action belongs to another step."), step=case.get_step_display()
        )


def _refresh_due(case: Case) -> None:
    """next_due_on: the nearest of the step's limit and the overall limit, while work remains."""
    if case.step in (Step.PAYMENT_PENDING, Step.CLOSED) or case.status == CaseStatus.WITHDRAWN:
        case.next_due_on = None
        return
    dates = [case.step_due_on]
    if case.status == CaseStatus.OPEN:
        dates.append(case.deadline)
    dates = [d for d in dates if d]
    case.next_due_on = min(dates) if dates else None


def _enter(case: Case, step: str, today: dt.date) -> None:
    case.step = step
    case.step_started_on = today
    case.step_due_on = workflow.step_due(case.procedure, step, today) if step != Step.PUBLIC_NOTICE else None
    _refresh_due(case)


def _snapshot(case: Case) -> dict:
    return {
        "step": case.step,
        "status": case.status,
        "version": case.version,
        "due_on": case.due_on.isoformat() if case.due_on else None,
        "extended_to": case.extended_to.isoformat() if case.extended_to else None,
    }


_AUDIT_ACTIONS = {
    "open": "create",
    "decide_approve": "approve",
    "decide_refuse": "reject",
    "withdraw": "withdraw",
    "appeal_lodge": "create",
}


def _record(*, actor, case: Case, before: dict, step: str, action: str, data: dict | None = None, note: str = ""):
    """Save the case with a new version, append its event and the audit entry, all in the caller's transaction."""
    case.version += 1
    case.save()
    event = CaseEvent.objects.create(
        case=case,
        step=step,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        data=data or {},
        note=note,
    )
    audit_record(
        actor=actor,
        action=_AUDIT_ACTIONS.get(action, "update"),
        object_type="case",
        object_id=case.pk,
        household_id=case.household_id,
        region_code=case.household.region_id,
        before=before or None,
        after=_snapshot(case) | {"number": case.number, "event": action, **(data or {})},
        reason=note[:500],
    )
    if case.step in (Step.PAYMENT_PENDING, Step.CLOSED):
        _application_settle(actor, case)
    return event


def _application_settle(actor, case: Case) -> None:
    """When none of an application's cases has work left, the application is closed (withdrawn if every case
    was), so the household may apply again."""
    application = Application.objects.select_for_update().get(pk=case.application_id)
    if application.status != ApplicationStatus.SUBMITTED:
        return
    cases = list(Case.objects.filter(application=application).values_list("step", "status"))
    if any(step not in (Step.PAYMENT_PENDING, Step.CLOSED) for step, _status in cases):
        return
    withdrawn = all(status == CaseStatus.WITHDRAWN for _step, status in cases)
    application.status = ApplicationStatus.WITHDRAWN if withdrawn else ApplicationStatus.CLOSED
    application.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="update",
        object_type="application",
        object_id=application.pk,
        household_id=application.household_id,
        region_code=case.household.region_id,
        before={"status": ApplicationStatus.SUBMITTED.value},
        after={"number": application.number, "status": application.status},
    )


def _text(value: str, *, field: str, label, required: bool = True, minimum: int = 1) -> str:
    value = (value or "").strip()
    if required and len(value) < minimum:
        raise InvalidInput(_("Enter %(what)s."), field=field, what=label)
    if len(value) > TEXT_MAX:
        raise InvalidInput(_("At most %(n)s characters."), field=field, n=TEXT_MAX)
    return value


# --- opening cases (from the application service) ----------------------------------------------------


def cases_open_for(*, actor, application, lines) -> list[Case]:
    """One case per application line, in the caller's transaction (application_submit_all_eligible)."""
    today = timezone.localdate()
    related = DeclaredRelation.objects.filter(application=application).exists()
    cases = []
    for i, line in enumerate(lines, start=1):
        procedure = workflow.procedure_for(line.policy_code, today)
        case = Case(
            number=f"AJ{application.number[2:]}{i:02d}",
            application=application,
            line=line,
            household=application.household,
            policy_code=line.policy_code,
            unit=line.unit,
            deciding_level=line.deciding_level,
            amount_fen=line.amount_fen,
            period=line.period,
            procedure=procedure,
            opened_on=today,
            county_visit_required=related,
        )
        _enter(case, Step.ACCEPTANCE, today)
        case.version = 0
        _record(
            actor=actor,
            case=case,
            before={},
            step=Step.ACCEPTANCE,
            action="open",
            data={"policy": line.policy_code, "procedure": procedure["version"], "amount_fen": line.amount_fen},
        )
        cases.append(case)
    return cases


# --- the steps ---------------------------------------------------------------------------------------


def _advance(case: Case, today: dt.date) -> None:
    _enter(case, workflow.next_step(case.procedure, case.step), today)


@transaction.atomic
def case_accept(*, actor, case: Case, expected_version: int, note: str = "") -> Case:
    """Accept the application for this policy: the overall limit starts today."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.ACCEPTANCE)
    before, today = _snapshot(case), timezone.localdate()
    case.accepted_on = today
    case.due_on = add_working_days(today, case.procedure["overall"])
    _advance(case, today)
    _record(actor=actor, case=case, before=before, step=Step.ACCEPTANCE, action="accept", note=note[:TEXT_MAX])
    return case


def declared_figures(case: Case) -> dict:
    """What the household declared, as the engine saw it when it applied (the determination's stored inputs)."""
    inputs = case.line.determination.screening.inputs.get("household", {})
    return {item: inputs.get(item) for item in CHECK_ITEMS}


def financial_differences(declared: dict, department: dict) -> list[dict]:
    """One row per item where a department figure exists and differs from the declared one."""
    rows = []
    for item in CHECK_ITEMS:
        found = department.get(item)
        if found is None:
            continue
        said = declared.get(item)
        if said != found:
            rows.append({"item": item, "declared": said, "department": found, "difference": found - (said or 0)})
    return rows


@transaction.atomic
def case_record_financial_check(
    *, actor, case: Case, expected_version: int, department: dict, sources: str = "", note: str = ""
) -> Case:
    """Declared income and assets against department figures the worker enters (None: no department data)."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.FINANCIAL_CHECK)
    if case.application.consent_at is None:
        raise InvalidInput(
            _("The household has not consented to the check of its income and assets: record its consent first."),
            field="consent",
        )
    figures = {}
    for item in CHECK_ITEMS:
        value = department.get(item)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise InvalidInput(_("Enter a whole number, zero or more."), field=item)
        figures[item] = value
    declared = declared_figures(case)
    differences = financial_differences(declared, figures)
    before, today = _snapshot(case), timezone.localdate()
    _advance(case, today)
    data = {"declared": declared, "department": figures, "differences": differences, "sources": sources[:200]}
    _record(
        actor=actor,
        case=case,
        before=before,
        step=Step.FINANCIAL_CHECK,
        action="financial_check",
        data=data,
        note=note[:TEXT_MAX],
    )
    return case


@transaction.atomic
def case_record_home_survey(
    *, actor, case: Case, expected_version: int, living_conditions: str, notes: str = "", files=()
) -> Case:
    """The home survey: the form and its attachments (JPG, PNG or PDF, 5 MB each, checked by content).
    Every file is checked before anything is stored, so a refused file leaves nothing behind."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.HOME_SURVEY)
    if case.county_visit_required and actor is not None and actor.role not in COUNTY_ROLES:
        raise PermissionDenied(
            _("The household declared a relationship to staff: the county (district) visits the home itself.")
        )
    living_conditions = _text(living_conditions, field="living_conditions", label=_("the living conditions"))
    notes = _text(notes, field="notes", label=_("notes"), required=False)
    files = list(files)
    if len(files) > MAX_FILES:
        raise InvalidInput(_("At most %(n)s files."), field="attachments", n=MAX_FILES)
    checked = [attachment_check(f) for f in files]
    before, today = _snapshot(case), timezone.localdate()
    case.surveyed_by = actor if getattr(actor, "pk", None) else None
    _advance(case, today)
    data = {"living_conditions": living_conditions, "files": [c.name for c in checked]}
    event = _record(
        actor=actor, case=case, before=before, step=Step.HOME_SURVEY, action="home_survey", data=data, note=notes
    )
    saved = []
    try:
        for c in checked:
            stored = attachment_storage.save(
                f"casework/{today:%Y/%m}/{case.number}-{c.sha256[:16]}", ContentFile(c.content)
            )
            saved.append(stored)
            CaseAttachment.objects.create(
                case=case,
                event=event,
                file=stored,
                original_name=c.name,
                content_type=c.content_type,
                size=c.size,
                sha256=c.sha256,
                uploaded_by=actor,
            )
    except Exception:
        # The rows roll back with the transaction; the files are removed here so nothing is left behind.
        for stored in saved:
            attachment_storage.delete(stored)
        raise
    return case


REVIEW_OUTCOMES = ("agreed", "disagreed")


@transaction.atomic
def case_record_review(*, actor, case: Case, expected_version: int, outcome: str, minutes: str) -> Case:
    """The community's democratic review: its outcome and minutes."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.COMMUNITY_REVIEW)
    if outcome not in REVIEW_OUTCOMES:
        raise InvalidInput(_("Choose the outcome of the review."), field="outcome")
    minutes = _text(minutes, field="minutes", label=_("the minutes"))
    before, today = _snapshot(case), timezone.localdate()
    _advance(case, today)
    _record(
        actor=actor,
        case=case,
        before=before,
        step=Step.COMMUNITY_REVIEW,
        action="review",
        data={"outcome": outcome},
        note=minutes,
    )
    return case


def notice_running(case: Case, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return (
        case.status == CaseStatus.OPEN
        and case.step == Step.PUBLIC_NOTICE
        and case.notice_starts_on is not None
        and case.notice_starts_on <= today <= case.notice_ends_on
    )


def notice_ended(case: Case, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return case.step == Step.PUBLIC_NOTICE and case.notice_ends_on is not None and today > case.notice_ends_on


@transaction.atomic
def case_publish_notice(*, actor, case: Case, expected_version: int) -> Case:
    """Publish the masked notice from today; it ends the configured number of days later."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.PUBLIC_NOTICE)
    if case.notice_starts_on is not None:
        raise InvalidInput(_("The notice is already published."))
    before, today = _snapshot(case), timezone.localdate()
    case.notice_round += 1
    case.notice_starts_on = today
    case.notice_ends_on = workflow.step_due(case.procedure, Step.PUBLIC_NOTICE, today)
    # What the worker must do next is decide, once the notice has ended.
    case.step_due_on = workflow.step_due(case.procedure, Step.DECISION, case.notice_ends_on) or case.notice_ends_on
    _refresh_due(case)
    _record(
        actor=actor,
        case=case,
        before=before,
        step=Step.PUBLIC_NOTICE,
        action="publish_notice",
        data={"round": case.notice_round, "starts_on": today.isoformat(), "ends_on": case.notice_ends_on.isoformat()},
    )
    return case


@transaction.atomic
def case_record_objection(
    *, actor, case: Case, expected_version: int, text: str, objection_id: int | None = None
) -> Case:
    """An objection during the notice (taken by a worker, or one lodged on the public page): the case goes
    back to re-investigation, and a new notice of the full length follows."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.PUBLIC_NOTICE)
    pending = case.objections.filter(notice_round=case.notice_round, handled=False)
    if not notice_running(case) and not pending.exists():
        raise InvalidInput(_("Objections are recorded while the notice runs."))
    text = _text(text, field="text", label=_("the objection"))
    if objection_id is not None:
        objection = pending.filter(pk=objection_id).first()
        if objection is None:
            raise InvalidInput(_("This objection was already handled."), field="objection_id")
    else:
        objection = Objection.objects.create(
            case=case, notice_round=case.notice_round, contact="", text=text, recorded_by=actor
        )
    pending.update(handled=True)
    before, today = _snapshot(case), timezone.localdate()
    case.notice_starts_on = case.notice_ends_on = None
    _enter(case, case.procedure["on_objection"], today)
    _record(
        actor=actor,
        case=case,
        before=before,
        step=Step.PUBLIC_NOTICE,
        action="objection",
        data={"objection": objection.pk, "round": case.notice_round, "back_to": case.step},
        note=text,
    )
    return case


def _first_of_next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


@transaction.atomic
def case_decide(*, actor, case: Case, expected_version: int, approve: bool, reasons: str = "") -> Case:
    """Approve with the engine's amount, or refuse with written reasons. After the limit it is still allowed,
    and flagged late."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    if actor is not None and has_surveyed(actor, case):
        raise PermissionDenied(_("You recorded the home survey of this case: someone else decides it."))
    if actor is not None and not can_decide(actor, case):
        raise PermissionDenied(_("This case is decided at another level; you cannot decide it."))
    ready = case.step == Step.DECISION or notice_ended(case)
    if case.status != CaseStatus.OPEN or not ready:
        if case.step == Step.PUBLIC_NOTICE:
            raise CaseNotAtStep(_("The public notice has not ended yet; decide after it ends."))
        _require_step(case, Step.DECISION)
    if case.objections.filter(notice_round=case.notice_round, handled=False).exists():
        raise InvalidInput(
            _("An objection to the notice is waiting: record it first (the case goes back to re-investigation).")
        )
    reasons = (reasons or "").strip()
    if not approve and len(reasons) < REASONS_MIN:
        raise ReasonsRequired(
            _("A refusal needs its reasons in writing (at least %(n)s characters)."), field="reasons", n=REASONS_MIN
        )
    if len(reasons) > TEXT_MAX:
        raise InvalidInput(_("At most %(n)s characters."), field="reasons", n=TEXT_MAX)
    before, today = _snapshot(case), timezone.localdate()
    case.status = CaseStatus.APPROVED if approve else CaseStatus.REFUSED
    case.decided_on = today
    case.decided_by = actor if getattr(actor, "pk", None) else None
    case.decision_late = case.deadline is not None and today > case.deadline
    case.refusal_reasons = "" if approve else reasons
    if approve and workflow.has_step(case.procedure, Step.PAYMENT_PENDING):
        case.payment_from = _first_of_next_month(today)
    case.step = Step.DECISION
    _advance(case, today)
    data = {"approve": approve, "amount_fen": case.amount_fen if approve else 0, "late": case.decision_late}
    _record(
        actor=actor,
        case=case,
        before=before,
        step=Step.DECISION,
        action="decide_approve" if approve else "decide_refuse",
        data=data,
        note=reasons,
    )
    return case


@transaction.atomic
def case_record_notification(*, actor, case: Case, expected_version: int, method: str, note: str = "") -> Case:
    """The decision was notified in writing (for a refusal: with its reasons, within the limit)."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    _require_step(case, Step.NOTIFICATION)
    method = _text(method, field="method", label=_("how it was notified"))[:100]
    before, today = _snapshot(case), timezone.localdate()
    late = case.step_due_on is not None and today > case.step_due_on
    if case.status == CaseStatus.REFUSED:
        _enter(case, Step.CLOSED, today)
    else:
        _advance(case, today)
    _record(
        actor=actor,
        case=case,
        before=before,
        step=Step.NOTIFICATION,
        action="notify",
        data={"method": method, "late": late},
        note=note[:TEXT_MAX],
    )
    return case


@transaction.atomic
def case_extend(*, actor, case: Case, expected_version: int, reason: str) -> Case:
    """Extend the overall limit once, to the configured maximum (45 working days from acceptance)."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    if case.status != CaseStatus.OPEN or case.due_on is None:
        raise InvalidInput(_("Only an accepted case that is not decided yet can be extended."))
    if case.extended_to is not None:
        raise InvalidInput(_("This case was already extended once."))
    reason = _text(reason, field="reason", label=_("the reason for the extension"), minimum=REASONS_MIN)
    before = _snapshot(case)
    case.extended_to = add_working_days(case.accepted_on, case.procedure["extension"])
    case.extension_reason = reason[:500]
    _refresh_due(case)
    _record(
        actor=actor,
        case=case,
        before=before,
        step=case.step,
        action="extend",
        data={"extended_to": case.extended_to.isoformat()},
        note=reason,
    )
    return case


@transaction.atomic
def case_withdraw(*, actor, case: Case, expected_version: int, reason: str) -> Case:
    """The household withdraws this policy's application before it is decided."""
    case = _locked(case, expected_version)
    require_act(actor, case)
    if case.status != CaseStatus.OPEN:
        raise InvalidInput(_("A decided or withdrawn case cannot be withdrawn."))
    reason = _text(reason, field="reason", label=_("the reason"))
    before, step = _snapshot(case), case.step
    case.status = CaseStatus.WITHDRAWN
    case.step = Step.CLOSED
    _refresh_due(case)
    _record(actor=actor, case=case, before=before, step=step, action="withdraw", note=reason)
    return case


# --- one entry point for pages and the API --------------------------------------------------------------

STEP_ACTIONS = (
    "accept",
    "financial_check",
    "home_survey",
    "review",
    "publish_notice",
    "objection",
    "decide",
    "notify",
    "extend",
    "withdraw",
    "appeal_lodge",
    "appeal_decide",
    "reopen",
)


def case_step(*, actor, case: Case, action: str, expected_version: int, fields: dict, files=()) -> Case:
    """Run one action on a case with its fields (already parsed: money in fen). Pages and the API both
    come through here, so they cannot differ."""
    f = fields
    common = {"actor": actor, "case": case, "expected_version": expected_version}
    if action == "accept":
        return case_accept(**common, note=f.get("note") or "")
    if action == "financial_check":
        return case_record_financial_check(
            **common, department=f.get("department") or {}, sources=f.get("sources") or "", note=f.get("note") or ""
        )
    if action == "home_survey":
        return case_record_home_survey(
            **common, living_conditions=f.get("living_conditions") or "", notes=f.get("notes") or "", files=files
        )
    if action == "review":
        return case_record_review(**common, outcome=f.get("outcome") or "", minutes=f.get("minutes") or "")
    if action == "publish_notice":
        return case_publish_notice(**common)
    if action == "objection":
        return case_record_objection(**common, text=f.get("text") or "", objection_id=f.get("objection_id"))
    if action == "decide":
        return case_decide(**common, approve=f.get("decision") == "approve", reasons=f.get("reasons") or "")
    if action == "notify":
        return case_record_notification(**common, method=f.get("method") or "", note=f.get("note") or "")
    if action == "extend":
        return case_extend(**common, reason=f.get("reason") or "")
    if action == "withdraw":
        return case_withdraw(**common, reason=f.get("reason") or "")
    if action in ("appeal_lodge", "appeal_decide", "reopen"):
        # appeals.py builds on this module's writes, so it is imported when used.
        from . import appeals

        if action == "appeal_lodge":
            return appeals.case_appeal_lodge(**common, grounds=f.get("grounds") or "", lodged_on=f.get("lodged_on"))
        if action == "appeal_decide":
            return appeals.case_appeal_decide(
                **common,
                outcome=f.get("outcome") or "",
                reasons=f.get("reasons") or "",
                reopen_to=f.get("reopen_to") or "",
            )
        return appeals.case_reopen(**common, reopen_to=f.get("reopen_to") or "", reason=f.get("reason") or "")
    raise InvalidInput(_("Unknown action."), field="action")
