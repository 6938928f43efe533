"""Enrolment endpoints of the JSON API: the worker's reviews, completing one, suspending, resuming or
terminating an enrolment, and recoveries. Scoped through the case's household: out of scope is 404, like
missing. Money is integer fen; months are the first day of the month (any day is taken as its month).
"""

import datetime as dt
from typing import Annotated, Literal

from django.core.paginator import Paginator
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from zhongfu.casework.selectors import case_get_for_user
from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E

from . import selectors, services

router = Router(tags=["enrolment"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Field(max_length=2000)]
Fen = Annotated[int, Field(ge=-(10**12), le=10**12, description="fen")]


class ReviewOut(Schema):
    id: int
    case_id: int
    case_number: str
    household_id: int
    policy_code: str
    due_on: dt.date
    interval_months: int
    review_class: str
    status: str = Field(..., description="open | done")
    screening_id: int | None
    advised_outcome: str = Field(
        ..., description="the engine's advice: continue | amount_changed | gradual_exit | terminate, or empty"
    )
    outcome: str
    amount_fen: int | None
    decided_by: str | None
    decided_at: dt.datetime | None
    notes: str

    @staticmethod
    def resolve_case_number(obj):
        return obj.case.number

    @staticmethod
    def resolve_household_id(obj):
        return obj.case.household_id

    @staticmethod
    def resolve_policy_code(obj):
        return obj.case.policy_code

    @staticmethod
    def resolve_decided_by(obj):
        return str(obj.decided_by) if obj.decided_by_id else None


class CriterionOut(Schema):
    passed: bool | None
    text: str


class ReviewDetailOut(ReviewOut):
    determination_outcome: int | None = Field(None, description="1 eligible, 0 not eligible, -1 needs information")
    determination_amount_fen: int | None
    current_amount_fen: int
    explanation: list[CriterionOut]

    @staticmethod
    def resolve_determination_outcome(obj):
        return obj.determination.outcome if obj.determination_id else None

    @staticmethod
    def resolve_determination_amount_fen(obj):
        return obj.determination.amount_fen if obj.determination_id else None

    @staticmethod
    def resolve_current_amount_fen(obj):
        return selectors.enrolment_state(obj.case).amount_fen

    @staticmethod
    def resolve_explanation(obj):
        return selectors.review_explanation(obj)


class ReviewPage(Schema):
    count: int
    page: int
    limit: int
    items: list[ReviewOut]


class ReviewFilters(Schema):
    due: Literal["open", "overdue", "upcoming"] = Field("open", description="all open, overdue, or due today or later")
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


@router.get("/reviews", response={200: ReviewPage, frozenset({401, 422}): E})
def review_list(request, filters: Query[ReviewFilters]):
    """The open reviews in the user's scope, by due date."""
    paginator = Paginator(selectors.review_list(user=request.auth, due=filters.due), filters.limit)
    page = paginator.get_page(filters.page)
    return {"count": paginator.count, "page": page.number, "limit": filters.limit, "items": list(page.object_list)}


@router.get("/reviews/{review_id}", response={200: ReviewDetailOut, READ_ERRORS: E})
def review_get(request, review_id: Id):
    """A review with its re-screening's result and explanation (empty until re-screened)."""
    return selectors.review_get_for_user(user=request.auth, review_id=review_id)


@router.post("/reviews/{review_id}/rescreen", response={200: ReviewDetailOut, 409: E, WRITE_ERRORS: E})
def review_rescreen(request, review_id: Id):
    """Screen the household again with today's data; the engine's advice is in `advised_outcome`."""
    review = selectors.review_get_for_user(user=request.auth, review_id=review_id)
    try:
        services.review_rescreen(actor=request.auth, review=review)
    except services.ReviewDone as e:
        return Status(409, {"detail": str(e), "field": "status"})
    return selectors.review_get_for_user(user=request.auth, review_id=review_id)


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["continue", "amount_changed", "gradual_exit", "terminate"]
    notes: Text = ""
    amount_fen: Fen | None = Field(None, description="the new amount, or the amount during a gradual exit")
    exit_months: int | None = Field(None, ge=-100, le=100)
    effective_month: dt.date | None = Field(None, description="next month by default")
    rescreen: bool = Field(False, description="screen again even if the review was screened already")


@router.post("/reviews/{review_id}", response={200: ReviewDetailOut, 409: E, WRITE_ERRORS: E})
def review_complete(request, review_id: Id, body: ReviewIn):
    """Complete a review (re-screening first if it was not). 409 if it was completed already, or if the
    enrolment's state does not allow the outcome."""
    review = selectors.review_get_for_user(user=request.auth, review_id=review_id)
    try:
        services.review_complete(actor=request.auth, review=review, **body.model_dump())
    except services.ReviewDone as e:
        return Status(409, {"detail": str(e), "field": "status"})
    except services.EnrolmentConflict as e:
        return Status(409, {"detail": str(e), "field": e.field or "outcome"})
    return selectors.review_get_for_user(user=request.auth, review_id=review_id)


class ChangeOut(Schema):
    id: int
    case_id: int
    kind: str
    effective_month: dt.date
    ends_month: dt.date | None
    amount_fen: int | None
    reason: str
    review_id: int | None
    actor: str
    created_at: dt.datetime

    @staticmethod
    def resolve_actor(obj):
        return str(obj.actor)


class EnrolmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["suspend", "resume", "terminate"]
    reason: Text
    effective_month: dt.date | None = Field(None, description="next month by default")


@router.post("/cases/{case_id}/enrolment", response={200: ChangeOut, 409: E, WRITE_ERRORS: E})
def enrolment_change(request, case_id: Id, body: EnrolmentIn):
    """Suspend, resume or terminate an enrolment from a month. 409 when the enrolment's state does not
    allow it (resuming one that is not suspended, terminating one already terminated)."""
    case = case_get_for_user(user=request.auth, case_id=case_id)
    try:
        return services.enrolment_act(actor=request.auth, case=case, **body.model_dump())
    except services.EnrolmentConflict as e:
        return Status(409, {"detail": str(e), "field": e.field or "action"})


class RecoveryOut(Schema):
    id: int
    case_id: int
    household_id: int
    amount_fen: int
    reason: str
    months_from: dt.date
    months_to: dt.date
    status: str = Field(..., description="recorded | repaid | written_off")
    recorded_by: str
    recorded_at: dt.datetime
    settled_by: str | None
    settled_at: dt.datetime | None
    settle_note: str

    @staticmethod
    def resolve_recorded_by(obj):
        return str(obj.recorded_by)

    @staticmethod
    def resolve_settled_by(obj):
        return str(obj.settled_by) if obj.settled_by_id else None


class RecoveryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount_fen: Fen
    reason: Text
    months_from: dt.date
    months_to: dt.date


@router.post("/cases/{case_id}/recoveries", response={201: RecoveryOut, WRITE_ERRORS: E})
def recovery_record(request, case_id: Id, body: RecoveryIn):
    """Record an overpaid amount to recover, for the months it covers."""
    case = case_get_for_user(user=request.auth, case_id=case_id)
    return Status(201, services.recovery_record(actor=request.auth, case=case, **body.model_dump()))


class RecoveryFilters(Schema):
    status: Literal["", "recorded", "repaid", "written_off"] = ""
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class RecoveryPage(Schema):
    count: int
    page: int
    limit: int
    items: list[RecoveryOut]


@router.get("/recoveries", response={200: RecoveryPage, frozenset({401, 422}): E})
def recovery_list(request, filters: Query[RecoveryFilters]):
    paginator = Paginator(selectors.recovery_list(user=request.auth, status=filters.status), filters.limit)
    page = paginator.get_page(filters.page)
    return {"count": paginator.count, "page": page.number, "limit": filters.limit, "items": list(page.object_list)}


class SettleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["repaid", "written_off"]
    note: Text = ""


@router.post("/recoveries/{recovery_id}", response={200: RecoveryOut, 409: E, WRITE_ERRORS: E})
def recovery_settle(request, recovery_id: Id, body: SettleIn):
    """Mark a recovery repaid, or written off (with a reason, by someone who may decide)."""
    recovery = selectors.recovery_get_for_user(user=request.auth, recovery_id=recovery_id)
    try:
        return services.recovery_settle(actor=request.auth, recovery=recovery, **body.model_dump())
    except services.EnrolmentConflict as e:
        return Status(409, {"detail": str(e), "field": e.field})
