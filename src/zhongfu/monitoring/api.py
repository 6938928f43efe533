"""Monitoring endpoints of the JSON API. Thin: scope through the registry's selectors, then one call.

GET /households/{household_id}/risk scores the household now with the approved risk model (a read;
nothing stored): score, tier, the signals that fired with their points and the explanation in the
language of the request. The score only advises: a person decides (docs/monitoring.md).

Warnings (GET /warnings, GET /warnings/{id}, POST /warnings/{id}/close, POST /warnings/discoveries: a worker's
discovery report) are scoped by the region-code prefix like households; monitoring runs (POST /monitoring/runs,
GET /monitoring/runs/{id}) are city-wide and need the batch screening permission.
A second run while one is queued or running is 409.
"""

import datetime as dt
from typing import Annotated, Literal

from django.core.paginator import Paginator
from django.utils.translation import get_language
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E
from zhongfu.registry.selectors import household_get_for_user

from . import runs, warning_selectors, warning_services
from .scoring import household_risk

router = Router(tags=["monitoring"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class SignalOut(Schema):
    signal: str
    label: str
    points: int
    text: str = Field(..., description="the explanation line: the data behind the signal and its points")


class RiskOut(Schema):
    household_id: int
    as_of: dt.date
    model_code: str
    model_hash: str = Field(..., description="SHA-256 of the approved model file that gave this score")
    score: int
    tier: str | None = Field(..., description="red | orange | yellow, or null below every threshold")
    tier_label: str | None
    signals: list[SignalOut]
    advisory: bool = Field(True, description="always true: the score only advises; a person decides")


def language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


@router.get(
    "/households/{household_id}/risk",
    response={200: RiskOut, READ_ERRORS: E},
    summary="A household's risk score",
)
def household_risk_read(request, household_id: Id):
    """The household's score under the approved risk model, with one explanation line per signal.
    404 also when no risk model is approved yet (the detail says so)."""
    household = household_get_for_user(user=request.auth, household_id=household_id)
    risk = household_risk(household)
    lang = language()
    return {
        "household_id": risk.household_id,
        "as_of": risk.as_of,
        "model_code": risk.model_code,
        "model_hash": risk.model_hash,
        "score": risk.score,
        "tier": risk.tier,
        "tier_label": risk.tier_label.get(lang) or risk.tier_label.get("zh") if risk.tier else None,
        "signals": [
            {"signal": line.signal, "label": line.label, "points": line.points, "text": line.text}
            for line in risk.explanation[lang]
        ],
        "advisory": True,
    }


# ---- warnings ----


class WarningOut(Schema):
    id: int
    household_id: int | None = Field(..., description="null for a discovery report of someone not yet registered")
    address: str = Field(..., description="discovery report without a household: where the person lives")
    kind: str = Field(
        ..., description="at_risk | eligible_not_enrolled | no_longer_qualifying | duplicate_aid | discovery"
    )
    tier: str = Field(..., description="red | orange | yellow")
    policy_code: str = Field(..., description="the policy of the warning; empty for at_risk")
    score: int
    explanation: list[str] = Field(..., description="why, in the request's language, as stored when raised")
    source_feeds: list[str]
    status: str = Field(..., description="open | visiting | closed")
    region: str = Field(..., description="the household's community code")
    assignee_id: int | None
    raised_on: dt.date
    due_on: dt.date
    escalated_on: dt.date | None
    outcome: str = Field(..., description="helped | not_needed | data_wrong, or empty while not closed")
    application_id: int | None
    outcome_note: str
    feedback_feed: str
    closed_at: dt.datetime | None


class WarningPage(Schema):
    count: int
    page: int
    limit: int
    items: list[WarningOut]


KindName = Literal["at_risk", "eligible_not_enrolled", "no_longer_qualifying", "duplicate_aid", "discovery"]


class WarningFilters(Schema):
    kind: KindName | None = None
    tier: Literal["red", "orange", "yellow"] | None = None
    status: Literal["open", "visiting", "closed"] | None = Field(None, description="omitted: every warning not closed")
    due: Literal["overdue", "due"] | None = Field(None, description="overdue: past due; due: due today or earlier")
    page: int = Field(1, ge=1, le=100_000)
    limit: int = Field(25, ge=1, le=100)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WarningCloseIn(Input):
    outcome: Literal["helped", "not_needed", "data_wrong"]
    application_id: int | None = Field(None, ge=1, le=MAX_ID, description="helped: the application it led to")
    note: str = Field("", max_length=500, description="helped: the referral; data_wrong: what is wrong (required)")
    feedback_feed: str = Field("", max_length=32, description="data_wrong: the feed to tell (default: the source)")


def _warning(warning) -> dict:
    lang = language()
    return {
        "id": warning.pk,
        "household_id": warning.household_id,
        "address": warning.address,
        "kind": warning.kind,
        "tier": warning.tier,
        "policy_code": warning.policy_code,
        "score": warning.score,
        "explanation": warning.explanation.get(lang) or warning.explanation.get("zh") or [],
        "source_feeds": warning.source_feeds,
        "status": warning.status,
        "region": warning.region_id,
        "assignee_id": warning.assignee_id,
        "raised_on": warning.raised_on,
        "due_on": warning.due_on,
        "escalated_on": warning.escalated_on,
        "outcome": warning.outcome,
        "application_id": warning.application_id,
        "outcome_note": warning.outcome_note,
        "feedback_feed": warning.feedback_feed,
        "closed_at": warning.closed_at,
    }


@router.get("/warnings", response={200: WarningPage, frozenset({401, 422}): E}, summary="Warnings in your scope")
def warning_list(request, filters: Query[WarningFilters]):
    """The warnings of the communities in your scope, the earliest due first."""
    qs = warning_selectors.warnings_for_user(
        user=request.auth,
        kind=filters.kind or "",
        tier=filters.tier or "",
        status=filters.status or "",
        due=filters.due or "",
    )
    paginator = Paginator(qs, filters.limit)
    page = paginator.get_page(filters.page)
    items = [_warning(w) for w in page.object_list]
    return {"count": paginator.count, "page": page.number, "limit": filters.limit, "items": items}


# Before /warnings/{warning_id}: the first pattern that matches a path answers it, whatever the method.
class DiscoveryIn(Input):
    household_id: int | None = Field(None, ge=1, le=MAX_ID, description="the household, if it is in the registry")
    address: str = Field("", max_length=200, description="without a household: where the person lives (required)")
    community: str = Field("", max_length=12, description="without a household: the community code (required)")
    seen: str = Field(..., min_length=1, max_length=1000, description="what was seen: who needs help and why")
    tier: Literal["red", "orange", "yellow"] = Field(
        ..., description="urgency: red within days, orange within a week or two, yellow within a month"
    )


@router.post("/warnings/discoveries", response={201: WarningOut, WRITE_ERRORS: E}, summary="Report a household in need")
def discovery_report(request, body: DiscoveryIn):
    """A grid worker's or volunteer's discovery report: a warning of kind `discovery` on the community's list, due
    by its tier (a volunteer's is assigned to the community's worker). 403 without the right to report, or a
    volunteer naming a household (volunteers write the address); 404 for a household outside your scope; 422
    without what was seen, a tier, or (no household) an address and a community in your region, or when the
    household or address already has an open discovery report."""
    warning = warning_services.discovery_report(
        actor=request.auth,
        tier=body.tier,
        seen=body.seen,
        household_id=body.household_id,
        address=body.address,
        community=body.community,
    )
    return Status(201, _warning(warning))


@router.get("/warnings/{warning_id}", response={200: WarningOut, READ_ERRORS: E}, summary="A warning")
def warning_detail(request, warning_id: Id):
    """404 for a warning outside your scope, exactly as for a missing one."""
    return _warning(warning_selectors.warning_get_for_user(user=request.auth, warning_id=warning_id))


@router.post("/warnings/{warning_id}/close", response={200: WarningOut, WRITE_ERRORS: E}, summary="Close a warning")
def warning_close(request, warning_id: Id, body: WarningCloseIn):
    """Close after the visit with an outcome. 403 without the right to work cases; 404 out of scope; 422 when
    the outcome lacks what it needs (helped: an application of the household or a referral note; data_wrong:
    a note) or the warning is already closed."""
    warning = warning_services.warning_close(
        actor=request.auth,
        warning_id=warning_id,
        outcome=body.outcome,
        application_id=body.application_id,
        note=body.note,
        feedback_feed=body.feedback_feed,
    )
    return _warning(warning)


# ---- runs ----


class MonitoringRunOut(Schema):
    id: int
    as_of: dt.date
    status: str = Field(..., description="queued | running | done | failed")
    progress: int = Field(..., description="0–100")
    stage: str
    households: int
    summary: dict = Field(..., description="{kind: {found, raised}}: raised = new warnings, the rest were open")
    model_hash: str
    catalogue_hash: str
    error: str


@router.post(
    "/monitoring/runs", response={202: MonitoringRunOut, WRITE_ERRORS | {409}: E}, summary="Start a monitoring run"
)
def monitoring_run_start(request):
    """Queue a run over every household (city administrator). 409 while another run is queued or running."""
    try:
        run = runs.monitoring_run_start(actor=request.auth)
    except runs.RunInProgress as e:
        return Status(409, {"detail": str(e), "field": e.field})
    return Status(202, run)


@router.get(
    "/monitoring/runs/{run_id}", response={200: MonitoringRunOut, READ_ERRORS | {403}: E}, summary="A monitoring run"
)
def monitoring_run_get(request, run_id: Id):
    """Progress and, when done, the summary. 403 without the run permission."""
    return warning_selectors.monitoring_run_get(user=request.auth, run_id=run_id)
