"""Writes of the screening app: storing a household's determinations, replaying one, batch runs.

A stored Screening keeps the policy versions, every parameter in force and the household's inputs,
so `determination_replay` rebuilds the same plan and must reach the same outcome and amount.
"""

import datetime as dt
import logging
import math
from fractions import Fraction

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import RUN_SCREENING, SCREEN_HOUSEHOLD
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, PermissionDenied
from zhongfu.policies import selectors as policy_selectors
from zhongfu.policies.engine import Catalogue, ParameterSet, load_policy
from zhongfu.regions.models import Region
from zhongfu.registry.models import Household

from . import selectors
from .models import Determination, Outcome, RunKind, RunStatus, Screening, ScreeningResult, ScreeningRun

log = logging.getLogger(__name__)

# Results are written in chunks so the progress bar moves and memory stays flat.
RESULT_CHUNK = 20_000


def _require(actor, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise PermissionDenied(_("You do not have permission to do this."))


@transaction.atomic
def household_screen(*, actor, household: Household, as_of: dt.date | None = None) -> Screening:
    """Evaluate every policy for one household and store the determinations with their explanations.

    `actor` None means the system (for example the household viewing its own benefit list)."""
    _require(actor, SCREEN_HOUSEHOLD)
    evaluation = selectors.household_evaluate(household, as_of, for_storage=True)
    screening = Screening.objects.create(
        household=household,
        as_of=evaluation.as_of,
        catalogue_hash=evaluation.catalogue_hash,
        policy_versions=evaluation.policy_versions,
        parameters=evaluation.parameters,
        inputs=evaluation.inputs,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    Determination.objects.bulk_create(
        Determination(
            screening=screening,
            household=household,
            policy_code=line.code,
            policy_version_hash=line.version_hash,
            outcome=line.outcome,
            amount_fen=line.amount_fen,
            period=line.period,
            parameters=line.parameters,
            explanation={"criteria": line.criteria, "displaced_by": line.displaced_by},
            missing_inputs=line.missing_inputs,
        )
        for line in evaluation.lines
    )
    audit_record(
        actor=actor,
        action="screen",
        object_type="screening",
        object_id=screening.pk,
        household_id=household.pk,
        region_code=household.region_id,
        after={
            "as_of": evaluation.as_of.isoformat(),
            "eligible": sorted(line.code for line in evaluation.eligible),
            "catalogue": evaluation.catalogue_hash,
        },
    )
    return screening


def determination_replay(determination: Determination) -> tuple[int, int]:
    """Recompute a stored determination from what was stored with it: (outcome, amount_fen).

    Uses the policy texts of the stored version hashes and the stored parameters and inputs — not
    today's catalogue or registry — so a decision can be re-checked years later."""
    screening = determination.screening
    texts = policy_selectors.policy_version_texts(screening.policy_versions.values())
    catalogue = Catalogue([load_policy(text) for text in texts.values()])
    params = ParameterSet.from_json(screening.parameters)
    plan = catalogue.plan(params)
    household = dict(screening.inputs["household"])
    members = [dict(m) for m in screening.inputs["members"]]
    row = plan.rows.evaluate(household, members)
    code = determination.policy_code
    return int(row[f"{code}.outcome"]), int(row[f"{code}.amount"] or 0)


# --- batch runs ------------------------------------------------------------------------------------


def _run_start(*, actor, kind: str, as_of: dt.date, overrides: dict | None = None, note: str = "") -> ScreeningRun:
    from .tasks import screening_run_task

    _require(actor, RUN_SCREENING)
    in_progress = _("A run of this kind is already in progress; wait for it to finish.")
    if ScreeningRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], kind=kind).exists():
        raise InvalidInput(in_progress)
    try:
        with transaction.atomic():  # a start at the same moment elsewhere meets the unique constraint
            run = ScreeningRun.objects.create(
                kind=kind, as_of=as_of, overrides=overrides or {}, note=note, started_by=actor, stage=str(_("queued"))
            )
    except IntegrityError:
        raise InvalidInput(in_progress) from None
    audit_record(
        actor=actor,
        action="run",
        object_type="screening_run",  # kind in `after`
        object_id=run.pk,
        after={"kind": kind, "as_of": as_of.isoformat(), "overrides": overrides or {}},
    )
    transaction.on_commit(lambda: screening_run_task.enqueue(run.pk))
    return run


@transaction.atomic
def screening_run_start(*, actor, as_of: dt.date | None = None) -> ScreeningRun:
    """Queue a batch screening of every active household; the worker runs it."""
    return _run_start(actor=actor, kind=RunKind.SCREENING, as_of=as_of or timezone.localdate())


def _validated_overrides(overrides: dict, as_of: dt.date) -> dict:
    specs = policy_selectors.parameter_specs()
    clean = {}
    for key, value in overrides.items():
        spec = specs.get(key)
        if spec is None:
            raise InvalidInput(_("Unknown parameter “%(key)s”.") % {"key": key}, field="parameter")
        if spec.unit == "ratio":
            value = float(value)
        else:
            if isinstance(value, float) and not value.is_integer():
                raise InvalidInput(_("This parameter takes a whole number."), field="value")
            value = int(value)
        if value <= 0:
            raise InvalidInput(_("The value must be greater than zero."), field="value")
        clean[key] = value
    if not clean:
        raise InvalidInput(_("Enter at least one changed value."), field="value")
    # Fails with a readable PolicyError if the catalogue cannot use the value.
    policy_selectors.plan_for(as_of, overrides=clean)
    return clean


@transaction.atomic
def simulation_start(*, actor, overrides: dict, as_of: dt.date | None = None, note: str = "") -> ScreeningRun:
    """Queue a simulation: every household evaluated with today's parameters and with `overrides`."""
    as_of = as_of or timezone.localdate()
    clean = _validated_overrides(overrides, as_of)
    return _run_start(actor=actor, kind=RunKind.SIMULATION, as_of=as_of, overrides=clean, note=note)


def _progress(run: ScreeningRun, progress: int, stage) -> None:
    run.progress = progress
    run.stage = str(stage)
    ScreeningRun.objects.filter(pk=run.pk).update(progress=progress, stage=run.stage)


def _district_of(households) -> pl.DataFrame:
    """household_id → district code (the community code's first six digits), for the households run."""
    rows = households.values_list("id", "region_id")
    regions = pl.DataFrame(list(rows), schema={"household_id": pl.Int64, "region": pl.Utf8}, orient="row")
    return regions.with_columns(district=pl.col("region").str.slice(0, 6)).select("household_id", "district")


def _summary(result: pl.DataFrame, codes: list[str]) -> dict:
    summary = {}
    for code in codes:
        outcome = result.get_column(f"{code}.outcome")
        summary[code] = {
            "eligible": int((outcome == Outcome.ELIGIBLE).sum()),
            "not_eligible": int((outcome == Outcome.NOT_ELIGIBLE).sum()),
            "needs_information": int((outcome == Outcome.NEEDS_INFORMATION).sum()),
            "amount_fen": int(result.get_column(f"{code}.amount").sum() or 0),
        }
    return summary


def run_execute(run_id: int) -> None:
    """The worker's side of a run: load inputs, evaluate, store (screening) or compare (simulation)."""
    # Claim the run atomically: a second worker (or `zhongfu screen --now`) finds it taken and stops.
    claimed = ScreeningRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return
    run = ScreeningRun.objects.get(pk=run_id)
    try:
        households = Household.objects.filter(is_active=True)
        _progress(run, 5, _("loading households"))
        catalogue = policy_selectors.current_catalogue()
        codes = list(catalogue.policies)
        frame, members, result, plan = selectors.evaluate_households(households, run.as_of)
        _progress(run, 50, _("evaluating every policy"))
        if run.kind == RunKind.SIMULATION:
            proposed = policy_selectors.plan_for(run.as_of, overrides=run.overrides)
            after = proposed.evaluate(frame.lazy(), members.lazy()).collect()
            _progress(run, 80, _("comparing"))
            summary = simulation_summary(result, after, codes, _district_of(households), catalogue, run.overrides)
        else:
            summary = _summary(result, codes)
            _store_results(run, result, codes)
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DONE,
            progress=100,
            stage=str(_("done")),
            households=frame.height,
            summary=summary,
            catalogue_hash=catalogue.version_hash,
            parameters=policy_selectors.parameter_set(run.as_of).as_json(),
            finished_at=timezone.now(),
        )
    except Exception as exc:  # the run's page must say it failed, whatever the cause
        log.exception("screening run %s failed", run_id)
        ScreeningRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


def _store_results(run: ScreeningRun, result: pl.DataFrame, codes: list[str]) -> None:
    """Write one row per household and policy. A city run writes millions, so this bypasses the ORM:
    COPY on PostgreSQL, executemany on SQLite, in chunks that each commit and move the progress bar."""
    long = pl.concat(
        [
            result.select(
                pl.lit(run.pk, dtype=pl.Int64).alias("run_id"),
                pl.col("household_id"),
                pl.lit(code).alias("policy_code"),
                pl.col(f"{code}.outcome").cast(pl.Int64).alias("outcome"),
                pl.col(f"{code}.amount").fill_null(0).cast(pl.Int64).alias("amount_fen"),
            )
            for code in codes
        ]
    )
    table = ScreeningResult._meta.db_table
    columns = "run_id, household_id, policy_code, outcome, amount_fen"
    total = long.height
    for start in range(0, total, RESULT_CHUNK):
        rows = long.slice(start, RESULT_CHUNK).rows()
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s, %s)", rows)
        done = min(total, start + RESULT_CHUNK)
        _progress(run, 50 + int(49 * done / max(total, 1)), _("storing results"))


def simulation_summary(
    before: pl.DataFrame, after: pl.DataFrame, codes, districts: pl.DataFrame, catalogue, overrides: dict
) -> dict:
    """Per policy and district: newly eligible, no longer eligible, monthly and yearly cost change."""
    names = dict(
        Region.objects.filter(code__in=districts.get_column("district").unique().to_list()).values_list("code", "name")
    )
    joined = (
        before.select(
            "household_id",
            *[pl.col(f"{c}.outcome").alias(f"{c}.b") for c in codes],
            *[pl.col(f"{c}.amount").fill_null(0).alias(f"{c}.ba") for c in codes],
        )
        .join(
            after.select(
                "household_id",
                *[pl.col(f"{c}.outcome").alias(f"{c}.a") for c in codes],
                *[pl.col(f"{c}.amount").fill_null(0).alias(f"{c}.aa") for c in codes],
            ),
            on="household_id",
        )
        .join(districts, on="household_id", how="left")
    )
    policies = []
    for code in codes:
        period = catalogue.policies[code].period
        per_district = (
            joined.group_by("district")
            .agg(
                before=(pl.col(f"{code}.b") == 1).sum(),
                after=(pl.col(f"{code}.a") == 1).sum(),
                newly=((pl.col(f"{code}.a") == 1) & (pl.col(f"{code}.b") != 1)).sum(),
                lost=((pl.col(f"{code}.b") == 1) & (pl.col(f"{code}.a") != 1)).sum(),
                before_fen=pl.col(f"{code}.ba").sum(),
                after_fen=pl.col(f"{code}.aa").sum(),
            )
            .sort("district")
        )
        rows = []
        for r in per_district.iter_rows(named=True):
            delta = int(r["after_fen"] - r["before_fen"])
            rows.append(
                {
                    "district": r["district"],
                    "name": names.get(r["district"], r["district"]),
                    "before": int(r["before"]),
                    "after": int(r["after"]),
                    "newly": int(r["newly"]),
                    "lost": int(r["lost"]),
                    "monthly_delta_fen": delta if period == "monthly" else 0,
                    "yearly_delta_fen": delta * 12 if period == "monthly" else delta,
                }
            )
        totals = {
            k: sum(r[k] for r in rows)
            for k in ("before", "after", "newly", "lost", "monthly_delta_fen", "yearly_delta_fen")
        }
        if totals["newly"] or totals["lost"] or totals["yearly_delta_fen"]:
            policies.append(
                {
                    "code": code,
                    "name": catalogue.policies[code].name,
                    "period": period,
                    "districts": rows,
                    "totals": totals,
                }
            )
    # The policy the parameter belongs to first (dibao.standard → dibao), then the most changed; the
    # page opens only the first.
    owners = {key.split(".", 1)[0] for key in overrides}
    policies.sort(
        key=lambda p: (
            p["code"] not in owners,
            -(p["totals"]["newly"] + p["totals"]["lost"]),
            -abs(p["totals"]["yearly_delta_fen"]),
        )
    )
    return {"policies": policies}


# --- seed 001: the dibao standard linked to consumption spending ------------------------------------

CONSUMPTION_KEY = "stats.urban_consumption_per_capita"
INCOME_GROWTH_KEY = "stats.urban_income_growth"
LINK_RATIO_KEY = "dibao.link.consumption_ratio"
STANDARD_KEY = "dibao.standard"


def standard_by_consumption_rule(as_of: dt.date | None = None) -> dict | None:
    """The standard seed 001 asks for: linked to urban per-capita consumption spending (a ratio of
    the monthly figure), and growing at least as fast as urban per-capita disposable income.

    Both candidates are rounded up to a whole yuan; the larger wins. None if a parameter is missing."""
    as_of = as_of or timezone.localdate()
    params = policy_selectors.parameter_set(as_of)
    try:
        current = params[STANDARD_KEY]
        consumption = params[CONSUMPTION_KEY]
        growth = params[INCOME_GROWTH_KEY]
        ratio = params[LINK_RATIO_KEY]
    except KeyError:
        return None

    def up_to_yuan(fen: Fraction) -> int:
        # Exact arithmetic on fen (ratios enter as their decimal text), then up to a whole yuan.
        return math.ceil(fen / 100) * 100

    by_consumption = up_to_yuan(Fraction(consumption.value) / 12 * Fraction(str(ratio.value)))
    by_growth = up_to_yuan(Fraction(current.value) * (1 + Fraction(str(growth.value))))
    return {
        "current": current,
        "consumption": consumption,
        "growth": growth,
        "ratio": ratio,
        "by_consumption_fen": by_consumption,
        "by_growth_fen": by_growth,
        "proposed_fen": max(by_consumption, by_growth),
        "key": STANDARD_KEY,
    }
