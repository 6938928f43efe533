"""Monitoring endpoints of the JSON API. Thin: scope through the registry's selectors, then one call.

GET /households/{household_id}/risk scores the household now with the approved risk model (a read;
nothing stored): score, tier, the signals that fired with their points and the explanation in the
language of the request. The score only advises: a person decides (docs/monitoring.md).
"""

import datetime as dt
from typing import Annotated

from django.utils.translation import get_language
from ninja import Field, Path, Router, Schema

from zhongfu.registry.api import READ_ERRORS
from zhongfu.registry.api import ErrorOut as E
from zhongfu.registry.selectors import household_get_for_user

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
