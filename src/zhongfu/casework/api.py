"""Casework endpoints of the JSON API: one application for every eligible policy (一件事), and its cases.

Cases are scoped through their household: a case outside the user's scope is 404, like a missing one.
POST /cases/{id}/steps runs one action with the case version the client last saw; if the case changed
since, the answer is 409 with who changed it and when, and nothing is saved. Money is integer fen.
Home-survey attachments are uploaded on the case page (multipart), not through this JSON API.
"""

import datetime as dt
from typing import Annotated, Literal

from django.core.paginator import Paginator
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, services
from .appeals import appeal_window

router = Router(tags=["casework"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class ApplicationPolicyOut(Schema):
    policy_code: str
    amount_fen: int
    period: str
    unit: str
    deciding_level: str


class ApplicationOut(Schema):
    id: int
    number: str
    household_id: int
    channel: str
    status: str
    submitted_at: dt.datetime
    screening_id: int
    policies: list[ApplicationPolicyOut]

    @staticmethod
    def resolve_policies(obj):
        return list(obj.policies.all())


@router.post("/households/{household_id}/applications", response={201: ApplicationOut, WRITE_ERRORS: E})
def apply_all(request, household_id: Id):
    """Screen the household now and apply for every policy it is eligible for, in one application."""
    household = household_get_for_user(user=request.auth, household_id=household_id)
    return Status(201, services.application_submit_all_eligible(actor=request.auth, household=household))


@router.get("/applications/{application_id}", response={200: ApplicationOut, READ_ERRORS: E})
def application_get(request, application_id: Id):
    return selectors.application_get_for_user(user=request.auth, application_id=application_id)


# --- cases ---------------------------------------------------------------------------------------------


class CaseOut(Schema):
    id: int
    number: str
    application_id: int
    household_id: int
    policy_code: str
    unit: str
    deciding_level: str
    amount_fen: int
    period: str
    step: str
    status: str = Field(..., description="open | approved | refused | withdrawn")
    procedure_version: str
    steps: list[str]
    opened_on: dt.date
    accepted_on: dt.date | None
    step_due_on: dt.date | None
    due_on: dt.date | None = Field(None, description="the overall limit, counted in working days from acceptance")
    extended_to: dt.date | None
    extension_reason: str
    next_due_on: dt.date | None
    working_days_left: int | None
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    decided_on: dt.date | None
    decided_by: str | None
    decision_late: bool
    refusal_reasons: str
    payment_from: dt.date | None
    county_visit_required: bool
    version: int

    @staticmethod
    def resolve_procedure_version(obj):
        return obj.procedure.get("version", "")

    @staticmethod
    def resolve_steps(obj):
        return obj.procedure.get("steps", [])

    @staticmethod
    def resolve_working_days_left(obj):
        return selectors.working_days_left(obj.next_due_on)

    @staticmethod
    def resolve_decided_by(obj):
        return str(obj.decided_by) if obj.decided_by_id else None


class EventOut(Schema):
    step: str
    action: str
    actor: str | None
    at: dt.datetime
    data: dict
    note: str

    @staticmethod
    def resolve_actor(obj):
        return str(obj.actor) if obj.actor_id else None


class CriterionOut(Schema):
    passed: bool | None
    text: str


class AppealOut(Schema):
    id: int
    against: str = Field(..., description="refusal | termination")
    lodged_on: dt.date
    channel: str = Field(..., description="self_service (the household) | worker")
    grounds: str
    outcome: str = Field(..., description="pending | upheld | reopened")
    reopen_step: str
    decided_on: dt.date | None
    decided_by: str | None
    reasons: str

    @staticmethod
    def resolve_decided_by(obj):
        return str(obj.decided_by) if obj.decided_by_id else None


class CaseDetailOut(CaseOut):
    events: list[EventOut]
    explanation: list[CriterionOut]
    appeals: list[AppealOut]
    appeal_ends_on: dt.date | None = Field(
        None, description="the last day to appeal the refusal or termination in force; null when there is none"
    )

    @staticmethod
    def resolve_appeals(obj):
        return list(selectors.case_appeals(obj))

    @staticmethod
    def resolve_appeal_ends_on(obj):
        window = appeal_window(obj)
        return window["ends_on"] if window else None

    @staticmethod
    def resolve_events(obj):
        return list(selectors.case_history(obj))

    @staticmethod
    def resolve_explanation(obj):
        return selectors.case_explanation(obj)


class CasePage(Schema):
    count: int
    page: int
    limit: int
    items: list[CaseOut]


class CaseFilters(Schema):
    due: Literal["today", "overdue", "week", "open"] = Field("open", description="which of the worker's lists")
    status: Literal["open", "approved", "refused", "withdrawn"] | None = Field(
        None, description="every case of this status instead of a due list (refused: where appeals start)"
    )
    appeal: Literal["pending"] | None = Field(None, description="pending: cases with an appeal waiting")
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


@router.get("/cases", response={200: CasePage, frozenset({401, 422}): E})
def case_list(request, filters: Query[CaseFilters]):
    """The cases in the user's scope that have something due: today, overdue, this week (to Sunday), or all
    open; or, with `status` or `appeal`, every case of that status or with an appeal waiting."""
    if filters.status or filters.appeal:
        qs = selectors.case_search(user=request.auth, status=filters.status, appeal=filters.appeal)
    else:
        qs = selectors.case_worklist(user=request.auth, due=filters.due)
    qs = qs.select_related("decided_by")
    paginator = Paginator(qs, filters.limit)
    page = paginator.get_page(filters.page)
    return {"count": paginator.count, "page": page.number, "limit": filters.limit, "items": list(page.object_list)}


@router.get("/cases/{case_id}", response={200: CaseDetailOut, READ_ERRORS: E})
def case_get(request, case_id: Id):
    """A case with its history and the determination's explanation."""
    return selectors.case_get_for_user(user=request.auth, case_id=case_id)


Text = Annotated[str, Field(max_length=2000)]


class Department(BaseModel):
    """Figures from department data; leave an item out (or null) where no department holds it."""

    model_config = ConfigDict(extra="forbid")
    monthly_income: int | None = Field(None, ge=0, le=10**12, description="fen a month")
    financial_assets: int | None = Field(None, ge=0, le=10**14, description="fen")
    vehicles: int | None = Field(None, ge=0, le=99)
    company_roles: int | None = Field(None, ge=0, le=99)
    homes: int | None = Field(None, ge=0, le=99)
    home_floor_area: int | None = Field(None, ge=0, le=100_000, description="m²")


class StepIn(BaseModel):
    """One action on a case. Which fields count depends on the action (see docs/casework.md)."""

    model_config = ConfigDict(extra="forbid")
    action: Literal[
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
    ]
    expected_version: int = Field(..., ge=0, le=2**31 - 1, description="the version the client last saw")
    note: Text = ""
    department: Department | None = None
    sources: Annotated[str, Field(max_length=200)] = ""
    living_conditions: Text = ""
    notes: Text = ""
    outcome: Literal["agreed", "disagreed", "upheld", "reopened"] | None = Field(
        None, description="review: agreed | disagreed; appeal_decide: upheld | reopened"
    )
    minutes: Text = ""
    text: Text = ""
    objection_id: int | None = Field(None, ge=1, le=MAX_ID)
    decision: Literal["approve", "refuse"] | None = None
    reasons: Text = ""
    method: Annotated[str, Field(max_length=100)] = ""
    reason: Annotated[str, Field(max_length=500)] = ""
    grounds: Text = ""
    lodged_on: dt.date | None = Field(None, description="appeal_lodge: the day the appeal was received (today)")
    reopen_to: Literal["financial_check", "home_survey", "community_review", "public_notice", "decision", ""] = Field(
        "", description="appeal_decide (reopened) and reopen: the step where the case starts again"
    )


@router.post("/cases/{case_id}/steps", response={200: CaseOut, 409: E, WRITE_ERRORS: E})
def case_step(request, case_id: Id, body: StepIn):
    """Run one action on the case. 409 when the case changed since `expected_version` (nothing saved)."""
    case = selectors.case_get_for_user(user=request.auth, case_id=case_id)
    fields = body.model_dump()
    fields["department"] = body.department.model_dump() if body.department else {}
    try:
        return services.case_step(
            actor=request.auth,
            case=case,
            action=body.action,
            expected_version=body.expected_version,
            fields=fields,
        )
    except services.CaseChanged as e:
        return Status(409, {"detail": str(e), "field": "expected_version"})


@router.get("/applications/{application_id}/cases", response={200: list[CaseOut], READ_ERRORS: E})
def application_cases(request, application_id: Id):
    """The cases of one application, one per policy."""
    application = selectors.application_get_for_user(user=request.auth, application_id=application_id)
    return list(selectors.cases_of_application(application).select_related("decided_by"))
