"""Visits endpoints of the JSON API. Thin: scope through the selectors, then one call.

GET /visits/due lists the households in your scope on the visit schedule (most overdue first);
POST /households/{id}/visits records a visit (community, street and district workers and the city
administrator); GET /households/{id}/visits lists a household's visits; GET /visits/rates gives the
visit rate per community and street for a month. A household outside your scope is a 404.
Names are masked (`head_name_masked`).
"""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, StringConstraints

from zhongfu.common.errors import PermissionDenied
from zhongfu.common.personal_data import mask_name
from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E

from . import selectors, services
from .models import Visit, VisitKind, VisitOutcome

router = Router(tags=["visits"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
_NO_NUL = r"^[^\x00]*$"


class DueFilters(Schema):
    filter: Literal["overdue", "soon", "all"] = Field("overdue", description="overdue | soon (within 7 days) | all")
    region: Annotated[str, StringConstraints(pattern=r"^\d{0,12}$")] = Field("", description="region code prefix")
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class DueOut(Schema):
    household_id: int
    number: str
    community: str
    head_name_masked: str
    household_class: str
    interval_days: int
    last_visit: dt.date | None
    next_due: dt.date
    days_overdue: int = Field(..., description="negative: days left before the visit falls due")


class DuePage(Schema):
    count: int
    page: int
    items: list[DueOut]


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    visited_on: dt.date
    outcome: VisitOutcome | None = Field(None, description="well | needs_help | not_home | moved_or_deceased")
    kind: VisitKind = VisitKind.HOME
    needs: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] = ""
    notes: Annotated[str, StringConstraints(max_length=2000, pattern=_NO_NUL)] = ""
    follow_up: bool = False


class VisitOut(Schema):
    id: int
    household_id: int
    visitor: str | None
    visited_on: dt.date
    kind: str
    outcome: str
    counts: bool = Field(..., description="false for a visit that found nobody at home")
    needs: str
    notes: str
    follow_up: bool
    created_at: dt.datetime


class RateOut(Schema):
    code: str
    name: str
    due: int
    on_time: int
    overdue: int
    not_yet_due: int
    rate: float | None = Field(..., description="percent, one decimal; null when no household is due")


class RatesOut(Schema):
    month: str
    as_of: dt.date
    total: RateOut
    streets: list[RateOut]
    communities: list[RateOut]


class MonthQuery(Schema):
    month: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}$")] | None = Field(
        None, description="YYYY-MM; the current month by default"
    )


def _visit_out(v: Visit) -> dict:
    return {
        "id": v.pk,
        "household_id": v.household_id,
        "visitor": v.visitor.get_username() if v.visitor_id else None,
        "visited_on": v.visited_on,
        "kind": v.kind,
        "outcome": v.outcome,
        "counts": v.counts,
        "needs": v.needs,
        "notes": v.notes,
        "follow_up": v.follow_up,
        "created_at": v.created_at,
    }


def _rate_out(r: selectors.RateRow) -> dict:
    return {
        "code": r.code,
        "name": r.name,
        "due": r.due,
        "on_time": r.on_time,
        "overdue": r.overdue,
        "not_yet_due": r.not_yet_due,
        "rate": r.rate,
    }


@router.get("/visits/due", response={200: DuePage, frozenset({401, 422}): E}, summary="Households due a visit")
def due(request, filters: Query[DueFilters]):
    qs = selectors.due_list(user=request.auth, filter=filters.filter, region=filters.region)
    start = (filters.page - 1) * filters.limit
    rows = selectors.due_rows(qs[start : start + filters.limit])
    return {
        "count": qs.count(),
        "page": filters.page,
        "items": [
            {
                "household_id": r.household.pk,
                "number": r.household.number,
                "community": r.household.region_id,
                "head_name_masked": mask_name(r.household.head_name or ""),
                "household_class": r.visit_class,
                "interval_days": r.interval_days,
                "last_visit": r.last_visit,
                "next_due": r.next_due,
                "days_overdue": r.days_overdue,
            }
            for r in rows
        ],
    }


@router.post("/households/{household_id}/visits", response={201: VisitOut, WRITE_ERRORS: E}, summary="Record a visit")
def visit_create(request, household_id: Id, payload: VisitIn):
    household, _visits = selectors.household_visits(user=request.auth, household_id=household_id)
    if not services.can_record_visits(request.auth):
        raise PermissionDenied()
    visit = services.visit_record(
        request.auth,
        household,
        visited_on=payload.visited_on,
        outcome=payload.outcome.value if payload.outcome else None,
        kind=payload.kind.value,
        needs=payload.needs,
        notes=payload.notes,
        follow_up=payload.follow_up,
    )
    return Status(201, _visit_out(visit))


@router.get(
    "/households/{household_id}/visits", response={200: list[VisitOut], READ_ERRORS: E}, summary="A household's visits"
)
def visit_list(request, household_id: Id):
    _household, visits = selectors.household_visits(user=request.auth, household_id=household_id)
    return [_visit_out(v) for v in visits[:500]]


@router.get("/visits/rates", response={200: RatesOut, frozenset({401, 422}): E}, summary="Visit rates for a month")
def rates(request, query: Query[MonthQuery]):
    result = selectors.visit_rates(user=request.auth, month=query.month)
    return {
        "month": result.month,
        "as_of": result.as_of,
        "total": _rate_out(result.total),
        "streets": [_rate_out(r) for r in result.streets],
        "communities": [_rate_out(r) for r in result.communities],
    }
