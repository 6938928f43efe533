"""Screening endpoints of the JSON API. Thin: scope through the registry's selectors, then one call.

GET /households/{id}/screening evaluates every policy now (a read; nothing stored); POST
/households/{id}/screenings stores the determinations so they can be explained and replayed. Money
is integer fen in fields ending in `_fen`. Batch runs and simulations are for the city administrator.
"""

import datetime as dt
from typing import Annotated

from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Router, Schema, Status
from pydantic import BaseModel, ConfigDict

from zhongfu.accounts.roles import RUN_SCREENING
from zhongfu.common.errors import PermissionDenied
from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E
from zhongfu.registry.selectors import household_get_for_user

from . import selectors, services

router = Router(tags=["screening"])

MAX_ID = 2**63 - 1
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class Criterion(Schema):
    variable: str
    passed: bool | None
    text: str


class PolicyResult(Schema):
    code: str
    name: str
    outcome: str = Field(..., description="eligible | not_eligible | needs_information")
    amount_fen: int
    period: str
    unit: str
    deciding_level: str
    criteria: list[Criterion]
    missing_inputs: list[str]


class ScreeningOut(Schema):
    household_id: int
    as_of: dt.date
    catalogue_hash: str
    policies: list[PolicyResult]
    screening_id: int | None = None


_OUTCOME = {1: "eligible", 0: "not_eligible", -1: "needs_information"}


def _shape(evaluation, screening_id=None) -> dict:
    language = selectors.page_language()
    return {
        "household_id": evaluation.household.pk,
        "as_of": evaluation.as_of,
        "catalogue_hash": evaluation.catalogue_hash,
        "screening_id": screening_id,
        "policies": [
            {
                "code": line.code,
                "name": line.name,
                "outcome": _OUTCOME[line.outcome],
                "amount_fen": line.amount_fen,
                "period": line.period,
                "unit": line.unit,
                "deciding_level": line.deciding_level,
                "criteria": [
                    {"variable": c["variable"], "passed": c["passed"], "text": c["text"].get(language, "")}
                    for c in line.criteria
                ],
                "missing_inputs": line.missing_inputs,
            }
            for line in evaluation.lines
        ],
    }


@router.get("/households/{household_id}/screening", response={200: ScreeningOut, READ_ERRORS: E})
def household_screening(request, household_id: Id):
    """Every policy for the household, evaluated now, with the reason for each criterion."""
    household = household_get_for_user(user=request.auth, household_id=household_id)
    return _shape(selectors.household_evaluate(household))


@router.post("/households/{household_id}/screenings", response={201: ScreeningOut, WRITE_ERRORS: E})
def household_screen(request, household_id: Id):
    """Store the household's determinations (result, amount, policy version, parameters, inputs)."""
    household = household_get_for_user(user=request.auth, household_id=household_id)
    screening = services.household_screen(actor=request.auth, household=household)
    evaluation = selectors.household_evaluate(household, screening.as_of)
    return Status(201, _shape(evaluation, screening.pk))


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunOut(Schema):
    id: int
    kind: str
    as_of: dt.date
    status: str
    progress: int
    households: int
    summary: dict
    overrides: dict


class SimulationIn(Input):
    overrides: dict[str, int | float] = Field(
        ..., min_length=1, max_length=20, description="parameter key → value (money in fen, ratios as decimals)"
    )
    as_of: dt.date | None = None
    note: str = Field("", max_length=200)


def _require_runs(user) -> None:
    if not user.has_perm(RUN_SCREENING):
        raise PermissionDenied(_("You do not have permission to do this."))


@router.post("/screening-runs", response={202: RunOut, WRITE_ERRORS: E})
def run_start(request):
    """Queue a batch screening of every household (city administrator)."""
    _require_runs(request.auth)
    return Status(202, services.screening_run_start(actor=request.auth))


@router.post("/simulations", response={202: RunOut, WRITE_ERRORS: E})
def simulation_start(request, body: SimulationIn):
    """Queue a simulation: every household with the values in force and with `overrides`."""
    _require_runs(request.auth)
    # Money and counts arrive as integers; only ratios are decimals (the service checks per unit).
    overrides = dict(body.overrides)
    return Status(
        202, services.simulation_start(actor=request.auth, overrides=overrides, as_of=body.as_of, note=body.note)
    )


@router.get("/screening-runs/{run_id}", response={200: RunOut, READ_ERRORS | {403}: E})
def run_get(request, run_id: Id):
    _require_runs(request.auth)
    return selectors.run_get(run_id)
