"""Reads of the screening app: one household evaluated live, stored determinations, batch runs.

Evaluating is a read: the page and the API compute the answer from the registry and the approved
catalogue without writing anything (the engine takes about a millisecond). Storing a screening — so
it can be explained and replayed later — is `services.household_screen`.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import NotFound
from zhongfu.policies import selectors as policy_selectors
from zhongfu.registry.models import Household

from .inputs import engine_frames, household_records
from .models import Determination, Outcome, Screening, ScreeningRun

# What a household is asked for when an input is unknown ("needs information: …").
INPUT_LABELS = {
    "monthly_income": _("members' monthly income"),
    "home_floor_area": _("floor area of the home"),
    "size": _("household members"),
    "annual_medical_expenses": _("medical expenses of last year"),
    "annual_education_expenses": _("education expenses of last year"),
    "financial_assets": _("deposits and securities"),
}

LANGUAGES = ("zh-hans", "en")


def input_label(name: str) -> str:
    return str(INPUT_LABELS.get(name, name))


def page_language() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh-hans"


@dataclass
class PolicyLine:
    """One policy's answer for one household, ready to show."""

    code: str
    name: str
    aid_type: str
    unit: str
    deciding_level: str
    period: str
    outcome: int
    amount_fen: int
    version_hash: str
    # [{"variable", "label", "passed", "text": {"zh-hans": …, "en": …}, "inputs", "parameters"}]
    criteria: list[dict] = field(default_factory=list)
    missing_inputs: list[str] = field(default_factory=list)
    displaced_by: list[str] = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    # The names of the policies in displaced_by, for the page.
    displaced_names: list[str] = field(default_factory=list)

    @property
    def outcome_label(self) -> str:
        return str(Outcome(self.outcome).label)

    @property
    def eligible(self) -> bool:
        return self.outcome == Outcome.ELIGIBLE

    @property
    def missing_labels(self) -> list[str]:
        return [input_label(n) for n in self.missing_inputs]

    def reasons(self, language: str | None = None) -> list[str]:
        language = language or page_language()
        return [criterion_text(c["text"], language) for c in self.criteria]

    @property
    def criterion_lines(self) -> list[dict]:
        """[{"passed": True | False | None, "text": …}] in the page's language."""
        language = page_language()
        return [{"passed": c["passed"], "text": criterion_text(c["text"], language)} for c in self.criteria]

    def why_not(self, language: str | None = None) -> str:
        if self.outcome != Outcome.NOT_ELIGIBLE:
            return ""
        language = language or page_language()
        failed = [criterion_text(c["text"], language) for c in self.criteria if c["passed"] is False]
        return failed[0] if failed else ""


@dataclass
class HouseholdEvaluation:
    household: Household
    as_of: dt.date
    catalogue_hash: str
    policy_versions: dict
    parameters: dict
    inputs: dict
    lines: list[PolicyLine]

    @property
    def eligible(self) -> list[PolicyLine]:
        return [line for line in self.lines if line.eligible]


def _localized(names: dict) -> str:
    language = page_language()
    return names.get("en" if language == "en" else "zh") or names.get("zh") or ""


def _criteria(plan, row: dict, code: str, languages) -> tuple[list[dict], list[str], list[str]]:
    """The explanation of one policy in the given languages, as JSON-safe data."""
    explained = {language: plan.explain(row, code, language=language) for language in languages}
    first = explained[languages[0]]
    criteria = []
    for i, line in enumerate(first.criteria):
        criteria.append(
            {
                "variable": line.variable,
                "label": line.label,
                "passed": line.passed,
                "text": {language: explained[language].criteria[i].text for language in languages},
                # Already JSON-safe: engine values (numbers, text, true/false, null) and ISO dates.
                "inputs": line.inputs,
                "parameters": line.parameters,
            }
        )
    return criteria, list(first.missing_inputs), list(first.displaced_by)


def criterion_text(texts: dict, language: str) -> str:
    return texts.get(language) or texts.get("zh-hans") or next(iter(texts.values()), "")


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def evaluate_households(households: QuerySet[Household], as_of: dt.date, overrides: dict | None = None):
    """(input frame, member frame, result frame, plan) for a set of households: the batch path."""
    plan = policy_selectors.plan_for(as_of, overrides=overrides)
    frame, members = engine_frames(households, as_of)
    result = plan.evaluate(frame.lazy(), members.lazy()).collect()
    return frame, members, result, plan


def household_evaluate(
    household: Household, as_of: dt.date | None = None, *, for_storage: bool = False
) -> HouseholdEvaluation:
    """Every policy for one household, with explanations. The caller has already checked scope.

    For the page: explanations in the page's language only. `for_storage`: both languages, and the
    parameters and inputs a stored determination keeps for replay."""
    languages = LANGUAGES if for_storage else (page_language(),)
    as_of = as_of or timezone.localdate()
    catalogue = policy_selectors.current_catalogue()
    params = policy_selectors.parameter_set(as_of) if for_storage else None
    plan = policy_selectors.plan_for(as_of)
    # One household: its records and the plan run on them (frames would spend most of the time planning).
    record, members = household_records(household, as_of)
    row = {**record, **plan.rows.evaluate(record, members)}
    lines = []
    for code, policy in catalogue.policies.items():
        criteria, missing, displaced = _criteria(plan, row, code, languages)
        lines.append(
            PolicyLine(
                code=code,
                name=_localized(policy.name),
                aid_type=policy.aid_type,
                unit=policy.unit,
                deciding_level=policy.deciding_level,
                period=policy.period,
                outcome=int(row[f"{code}.outcome"]),
                amount_fen=int(row[f"{code}.amount"] or 0),
                version_hash=policy.version_hash,
                criteria=criteria,
                missing_inputs=missing,
                displaced_by=displaced,
                parameters=_json_safe(plan.parameters_used(code)) if for_storage else {},
                displaced_names=[_localized(catalogue.policies[c].name) for c in displaced if c in catalogue.policies],
            )
        )
    # Eligible first, then what needs information, then the rest; each in catalogue order.
    order = {Outcome.ELIGIBLE: 0, Outcome.NEEDS_INFORMATION: 1, Outcome.NOT_ELIGIBLE: 2}
    lines.sort(key=lambda line: order[line.outcome])
    return HouseholdEvaluation(
        household=household,
        as_of=as_of,
        catalogue_hash=catalogue.version_hash,
        policy_versions={code: p.version_hash for code, p in catalogue.policies.items()},
        parameters=_json_safe(params.as_json()) if for_storage else {},
        inputs=_json_safe({"household": record, "members": members}) if for_storage else {},
        lines=lines,
    )


# --- stored determinations -------------------------------------------------------------------------


def screenings_of(household: Household) -> QuerySet[Screening]:
    return Screening.objects.filter(household=household).select_related("created_by")


def latest_screening(household: Household) -> Screening | None:
    return screenings_of(household).first()


def screening_determinations(screening: Screening) -> QuerySet[Determination]:
    return screening.determinations.all()


def screening_get_for_user(*, user, screening_id: int) -> Screening:
    """A stored screening, scoped through its household exactly like the household page."""
    from zhongfu.registry.selectors import households_visible_to

    screening = (
        Screening.objects.filter(pk=screening_id, household__in=households_visible_to(user))
        .select_related("household", "created_by")
        .first()
    )
    if screening is None:
        raise NotFound()
    return screening


def run_get(run_id: int) -> ScreeningRun:
    """A batch run; runs are city-wide, so the caller checks the run permission, not a region."""
    run = ScreeningRun.objects.filter(pk=run_id).select_related("started_by").first()
    if run is None:
        raise NotFound()
    return run


def runs_recent(limit: int = 20) -> QuerySet[ScreeningRun]:
    return ScreeningRun.objects.select_related("started_by")[:limit]


# --- the benefit list (幸福清单) ---------------------------------------------------------------------


@dataclass
class BenefitLine:
    policy_code: str
    policy_name: str
    aid_type: str
    unit: str
    outcome: int
    amount_fen: int
    period: str
    reasons: list[str]
    missing: list[str]
    # For a policy that does not apply: the first condition not met, in words ("" otherwise).
    why_not: str = ""


@dataclass
class BenefitList:
    household: Household
    as_of: dt.date
    entitled: list[BenefitLine]
    needs_information: list[BenefitLine]
    not_eligible: list[BenefitLine]
    # Benefits paid out; casework's payment roll fills this once payments exist.
    received: list = field(default_factory=list)


def benefit_list(household: Household, *, actor=None, as_of: dt.date | None = None) -> BenefitList:
    """What the household is entitled to today, in words it understands. Evaluated live from the
    approved catalogue so the list is never stale; the caller has checked scope or verification."""
    evaluation = household_evaluate(household, as_of)
    groups: dict[int, list[BenefitLine]] = {o.value: [] for o in Outcome}
    for line in evaluation.lines:
        groups[line.outcome].append(
            BenefitLine(
                policy_code=line.code,
                policy_name=line.name,
                aid_type=line.aid_type,
                unit=line.unit,
                outcome=line.outcome,
                amount_fen=line.amount_fen,
                period=line.period,
                reasons=line.reasons(),
                missing=line.missing_labels,
                why_not=line.why_not(),
            )
        )
    return BenefitList(
        household=household,
        as_of=evaluation.as_of,
        entitled=groups[Outcome.ELIGIBLE],
        needs_information=groups[Outcome.NEEDS_INFORMATION],
        not_eligible=groups[Outcome.NOT_ELIGIBLE],
    )
