"""Benchmark `screening`: the 低保 / 低边 / 支出型 rules on N synthetic households, Zhongfu's engine against OpenFisca.

    python bench/screening.py --n 1000000        (or: make bench B=screening N=1000000)
    python bench/screening.py --n 10000          (a quick smoke run; add --ten-million for the 10M figure)

One run, on the same households, with the same rules — the shipped policy files
src/zhongfu/policies/catalogue/{dibao,marginal,expenditure_poverty}.yaml, plus extreme_poverty.yaml because
特困 displaces 低保 and excludes the other two — and the parameters of catalogue/parameters.yaml in force
on the evaluation date:

- ours: Zhongfu's engine (`zhongfu.policies.engine`): policy files read, checked and compiled to one Polars
  lazy plan (plan), then the plan evaluated on the household and member frames (compute); money int fen;
- peer: OpenFisca 46 (bench/openfisca_peer/: a country package defined in code, Household/Person entities,
  the same rules written as OpenFisca formulas), in its own virtual environment .venv-openfisca made here
  from bench/requirements-openfisca.txt; building the simulation (build) then calculating (compute); money
  float32 yuan, as OpenFisca holds it.

Each side runs in its own process on the same Parquet files (reading them is timed apart, not counted) and
reports its time and peak memory; the bench then compares every household's eligibility and amount.

Extra figures: ours on 10 million households (with N ≥ 1M, or --ten-million); one household with its
explanation in process (p50/p99), on the records path the household page uses and, for comparison,
through the frame plan; GET /api/households/{id}/screening against a real server (gunicorn on a
throwaway SQLite database with a small demo city), p50/p99.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import _harness as h  # noqa: E402

CATALOGUE = REPO / "src" / "zhongfu" / "policies" / "catalogue"
POLICY_FILES = ("extreme_poverty", "dibao", "marginal", "expenditure_poverty")
COMPARED = ("dibao", "marginal", "expenditure_poverty")  # the benchmark's three; extreme_poverty is compared too
PEER_VENV = REPO / ".venv-openfisca"
PEER_REQUIREMENTS = BENCH / "requirements-openfisca.txt"
PEER_RUN = BENCH / "openfisca_peer" / "run.py"
EVALUATION_DATE = dt.date(2025, 7, 1)
TEN_MILLION = 10_000_000
OUTCOME = {1: "eligible", 0: "not_eligible", -1: "needs_information"}

# --- synthetic households --------------------------------------------------------------------------------
# The engine's inputs (docs/policies.md): one row per household, one row per current member, joined on
# household_id. Money is int fen; `monthly_income` and `home_floor_area` may be unknown (null).
HOUSEHOLD_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64,
    "size": pl.Int64,
    "area_type": pl.Utf8,
    "hukou_type": pl.Utf8,
    "assistance_class": pl.Utf8,
    "monthly_income": pl.Int64,
    "annual_medical_expenses": pl.Int64,
    "annual_education_expenses": pl.Int64,
    "financial_assets": pl.Int64,
    "vehicles": pl.Int64,
    "company_roles": pl.Int64,
    "homes": pl.Int64,
    "home_floor_area": pl.Int64,
    "home_bought_within_year": pl.Boolean,
}
MEMBER_SCHEMA: dict[str, pl.DataType] = {
    "household_id": pl.Int64,
    "age": pl.Int64,
    "sex": pl.Utf8,
    "relation": pl.Utf8,
    "labour_capacity": pl.Utf8,
    "disabled": pl.Boolean,
    "disability_grade": pl.Int64,
    "serious_illness": pl.Boolean,
    "elderly_living_alone": pl.Boolean,
    "child_in_difficulty": pl.Boolean,
    "school_enrolment": pl.Utf8,
    "monthly_income": pl.Int64,
}
NULLABLE = {"monthly_income", "home_floor_area"}  # household inputs that may be unknown
ASSISTANCE_CLASSES = ("", "dibao", "marginal", "extreme_poverty", "expenditure_poverty")
SCHOOL_ENROLMENTS = ("", "preschool", "primary", "junior", "senior", "vocational", "higher")


@dataclass(frozen=True)
class Standards:
    """The figures the generator places households around (borderline cases at ± 1 fen); the bench passes
    the values in force from the shipped parameters, so the borderline cases fall where the rules cut."""

    dibao: int = 130_000  # 低保标准, fen a month per person
    marginal: int = 249_000  # 低边 income limit: min(2 × 低保, minimum wage), fen a month per person


def _uniform(key: pl.Expr, stream: int, seed: int) -> pl.Expr:
    """A uniform double in [0, 1) per row, from a hash of the row's key: vectorised and reproducible."""
    return (key.hash(seed=seed * 1_000 + stream) // 2048).cast(pl.Float64) / float(2**53)


def _normal(key: pl.Expr, stream: int, seed: int) -> pl.Expr:
    """A standard normal per row (Box–Muller on two uniforms)."""
    u1 = 1.0 - _uniform(key, stream, seed)  # in (0, 1]
    u2 = _uniform(key, stream + 1, seed)
    return (-2.0 * u1.log()).sqrt() * (2.0 * 3.141592653589793 * u2).cos()


def _pick(u: pl.Expr, choices: list[tuple[float, object]]) -> pl.Expr:
    """choices = [(cumulative probability, value), …]; the last value takes the rest."""
    expr = pl.lit(choices[-1][1])
    for limit, value in reversed(choices[:-1]):
        expr = pl.when(u < limit).then(pl.lit(value)).otherwise(expr)
    return expr


def _lognormal_fen(key: pl.Expr, stream: int, seed: int, median_yuan: float, sigma: float) -> pl.Expr:
    return ((median_yuan * 100.0) * (sigma * _normal(key, stream, seed)).exp()).floor().cast(pl.Int64)


def generate(
    n: int, seed: int = 2026, standards: Standards = Standards(), *, first_id: int = 1
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """N synthetic households and their members (≈ 2.6 a household), with the declared schemas.

    A city-like mix: 3.6 % of households below the 低保 standard (a tenth of them with no income), 7.4 % between
    it and 1.2 × the 低边 limit, 1.5 % on a borderline (the standard or the limit − 1, ± 0 or + 1 fen a person,
    with remainders that integer division drops), 0.3 % with unknown income; assets and vehicles that exclude
    some poor households; medical and education costs, large for a few, for the 支出型 rule. Vectorised
    Polars, no Python loop."""
    if n < 1:
        raise ValueError("n must be at least 1")
    hid = pl.col("household_id")

    def u(stream: int) -> pl.Expr:
        return _uniform(hid, stream, seed)

    std, limit = standards.dibao, standards.marginal
    households = (
        pl.LazyFrame()
        .select(household_id=pl.int_range(first_id, first_id + n, dtype=pl.Int64))
        .with_columns(
            size=_pick(u(0), [(0.22, 1), (0.52, 2), (0.77, 3), (0.90, 4), (0.97, 5), (1.0, 6)]).cast(pl.Int64),
            band=_pick(
                u(1),
                [(0.036, "below"), (0.046, "edge_dibao"), (0.120, "low"), (0.125, "edge_marginal"), (1.0, "general")],
            ),
            area_type=pl.when(u(2) < 0.72).then(pl.lit("urban")).otherwise(pl.lit("rural")),
            hukou_type=pl.when(u(3) < 0.85).then(pl.lit("registered")).otherwise(pl.lit("resident")),
        )
        .with_columns(poor=pl.col("band") != "general")
    )
    # Per-capita monthly income in fen, then the household's total with a remainder below `size`.
    median = pl.when(pl.col("area_type") == "urban").then(7_000.0).otherwise(4_500.0)
    general = ((median * 100.0) * (0.5 * _normal(hid, 4, seed)).exp()).floor().cast(pl.Int64)
    offset = (u(6) * 3).floor().cast(pl.Int64) - 1  # −1, 0, +1 fen
    per_capita = (
        pl.when(pl.col("band") == "below")
        .then(pl.when(u(7) < 0.1).then(0).otherwise((u(8) * std).floor().cast(pl.Int64)))
        .when(pl.col("band") == "edge_dibao")
        .then(std + offset)
        .when(pl.col("band") == "low")
        .then(std + (u(8) * (limit * 1.2 - std)).floor().cast(pl.Int64))
        .when(pl.col("band") == "edge_marginal")
        .then(limit + offset)
        .otherwise(general)
    )
    remainder = (u(9) * pl.col("size")).floor().cast(pl.Int64)
    households = households.with_columns(
        monthly_income=pl.when(u(10) < 0.003).then(None).otherwise(per_capita * pl.col("size") + remainder),
        assistance_class=pl.when(pl.col("band").is_in(["below", "edge_dibao"]))
        .then(_pick(u(11), [(0.55, "dibao"), (0.58, "extreme_poverty"), (1.0, "")]))
        .when(pl.col("poor"))
        .then(_pick(u(11), [(0.35, "marginal"), (0.40, "dibao"), (1.0, "")]))
        .otherwise(_pick(u(11), [(0.002, "dibao"), (0.005, "marginal"), (0.006, "expenditure_poverty"), (1.0, "")])),
        financial_assets=pl.when(pl.col("poor"))
        .then(_lognormal_fen(hid, 12, seed, 8_000, 1.1))
        .otherwise(_lognormal_fen(hid, 12, seed, 80_000, 1.2)),
        vehicles=pl.when(pl.col("poor"))
        .then(_pick(u(14), [(0.04, 1), (1.0, 0)]))
        .otherwise(_pick(u(14), [(0.08, 2), (0.45, 1), (1.0, 0)]))
        .cast(pl.Int64),
        company_roles=pl.when(pl.col("poor"))
        .then(_pick(u(15), [(0.01, 1), (1.0, 0)]))
        .otherwise(_pick(u(15), [(0.01, 2), (0.06, 1), (1.0, 0)]))
        .cast(pl.Int64),
        homes=pl.when(pl.col("poor"))
        .then(_pick(u(16), [(0.20, 0), (0.95, 1), (1.0, 2)]))
        .otherwise(_pick(u(16), [(0.10, 0), (0.85, 1), (0.98, 2), (1.0, 3)]))
        .cast(pl.Int64),
        annual_medical_expenses=pl.when(pl.col("poor"))
        .then(
            pl.when(u(17) < 0.6)
            .then(u(18) * 5_000)
            .when(u(17) < 0.9)
            .then(5_000 + u(18) * 25_000)
            .otherwise(30_000 + u(18) * 170_000)
        )
        .otherwise(
            pl.when(u(17) < 0.8)
            .then(u(18) * 5_000)
            .when(u(17) < 0.985)
            .then(5_000 + u(18) * 35_000)
            .otherwise(40_000 + u(18) * 360_000)
        )
        .mul(100)
        .floor()
        .cast(pl.Int64),
    )
    households = households.with_columns(
        home_floor_area=pl.when(pl.col("homes") == 0)
        .then(0)
        .when(u(19) < 0.002)
        .then(None)
        .otherwise(
            pl.col("homes")
            * pl.when(pl.col("poor")).then(25 + u(20) * 50).otherwise(40 + u(20) * 100).floor().cast(pl.Int64)
        )
        .cast(pl.Int64),
        home_bought_within_year=(pl.col("homes") > 0) & (u(21) < pl.when(pl.col("poor")).then(0.01).otherwise(0.03)),
    )

    households = households.collect()
    members = _members(households, seed)
    students = members.group_by("household_id").agg(
        students=(pl.col("school_enrolment") != "").sum(),
        higher=(pl.col("school_enrolment") == "higher").sum(),
    )
    households = households.join(students, on="household_id", how="left").with_columns(
        annual_education_expenses=pl.when((pl.col("students") > 0) & (u(22) < 0.8))
        .then((pl.col("students") * (1_500 + u(23) * 8_000) + pl.col("higher") * (5_000 + u(24) * 20_000)) * 100)
        .otherwise(0)
        .floor()
        .cast(pl.Int64)
    )
    return households.select([pl.col(c).cast(t) for c, t in HOUSEHOLD_SCHEMA.items()]), members


def _members(households: pl.DataFrame, seed: int) -> pl.DataFrame:
    # A person's random draws are keyed by (household, position), so a city generated in chunks
    # (`first_id`) is the same city as one generated at once.
    pid = pl.col("household_id") * 8 + pl.col("idx")

    def u(stream: int) -> pl.Expr:
        return _uniform(pid, 100 + stream, seed)

    # The head's age anchors the others'.
    head_age = (22 + _uniform(pl.col("household_id"), 99, seed) * 70).floor().cast(pl.Int64)
    people = (
        households.lazy()
        .select(
            "household_id",
            "size",
            "poor",
            "monthly_income",
            head_age=head_age,
            idx=pl.int_ranges(0, pl.col("size")),
        )
        .explode("idx")
    )
    young = pl.col("head_age") < 60
    relation = (
        pl.when(pl.col("idx") == 0)
        .then(pl.lit("head"))
        .when(pl.col("idx") == 1)
        .then(
            pl.when(young)
            .then(_pick(u(0), [(0.80, "spouse"), (0.90, "parent"), (1.0, "child")]))
            .otherwise(_pick(u(0), [(0.85, "spouse"), (1.0, "child")]))
        )
        .when(young)
        .then(_pick(u(0), [(0.75, "child"), (0.95, "parent"), (1.0, "grandchild")]))
        .otherwise(_pick(u(0), [(0.70, "child"), (1.0, "grandchild")]))
    )
    people = people.with_columns(relation=relation)
    age = (
        pl.when(pl.col("relation") == "head")
        .then(pl.col("head_age"))
        .when(pl.col("relation") == "spouse")
        .then(pl.col("head_age") + (u(2) * 11).floor().cast(pl.Int64) - 5)
        .when(pl.col("relation") == "parent")
        .then(pl.col("head_age") + 20 + (u(2) * 15).floor().cast(pl.Int64))
        .when(pl.col("relation") == "child")
        .then(pl.col("head_age") - 22 - (u(2) * 14).floor().cast(pl.Int64))
        .otherwise(pl.col("head_age") - 45 - (u(2) * 10).floor().cast(pl.Int64))
        .clip(0, 104)
    )
    people = people.with_columns(age=age)
    disabled = u(3) < pl.when(pl.col("poor")).then(0.14).otherwise(0.05)
    people = people.with_columns(
        sex=pl.when(u(4) < 0.5).then(pl.lit("M")).otherwise(pl.lit("F")),
        disabled=disabled,
        disability_grade=pl.when(disabled).then(1 + (u(5) * 4).floor().cast(pl.Int64)).otherwise(0),
        serious_illness=u(6) < pl.when(pl.col("poor")).then(0.09).otherwise(0.025),
    )
    age_ = pl.col("age")
    people = people.with_columns(
        labour_capacity=pl.when((age_ < 16) | (age_ >= 65) | (pl.col("disability_grade").is_between(1, 2)))
        .then(pl.lit("none"))
        .when(pl.col("disabled") | pl.col("serious_illness") | (u(7) < 0.03))
        .then(pl.lit("partial"))
        .otherwise(pl.lit("full")),
        elderly_living_alone=(pl.col("size") == 1) & (age_ >= 60),
        child_in_difficulty=(age_ < 18) & pl.col("poor") & (u(8) < 0.1),
        school_enrolment=pl.when(age_.is_between(3, 5))
        .then(pl.lit("preschool"))
        .when(age_.is_between(6, 11))
        .then(pl.lit("primary"))
        .when(age_.is_between(12, 14))
        .then(pl.lit("junior"))
        .when(age_.is_between(15, 17))
        .then(pl.when(u(9) < 0.7).then(pl.lit("senior")).otherwise(pl.lit("vocational")))
        .when(age_.is_between(18, 22) & (u(9) < 0.5))
        .then(pl.lit("higher"))
        .otherwise(pl.lit("")),
    )
    # The household's income split over its members by earning weight; the head takes what division drops,
    # so that the members' incomes add up to the household's exactly.
    weight = (
        pl.when((pl.col("labour_capacity") == "full") & (age_ >= 18))
        .then(10)
        .when((pl.col("labour_capacity") == "partial") & (age_ >= 18))
        .then(5)
        .when(age_ >= 60)
        .then(3)
        .otherwise(0)
    )
    people = people.with_columns(weight=pl.when(pl.col("idx") == 0).then(weight.clip(1, None)).otherwise(weight))
    total = pl.col("monthly_income").fill_null(0)
    share = total * pl.col("weight") // pl.col("weight").sum().over("household_id")
    people = people.with_columns(share=share)
    people = people.with_columns(
        monthly_income=pl.when(pl.col("idx") == 0)
        .then(pl.col("share") + total - pl.col("share").sum().over("household_id"))
        .otherwise(pl.col("share"))
    )
    return people.select([pl.col(c).cast(t) for c, t in MEMBER_SCHEMA.items()]).collect()


def standards_on(date: dt.date) -> Standards:
    """The cut-offs in force on `date` in the shipped parameters, for the generator's borderline cases."""
    params = _parameters(date)
    dibao = params["dibao.standard"].value
    line = int(dibao * params["marginal.income_multiple"].value + 0.5)
    return Standards(dibao=dibao, marginal=min(line, params["minimum_wage.tier1"].value))


CHUNK = 1_000_000


def write_data(n: int, seed: int, folder: Path, date: dt.date) -> int:
    """The inputs both sides read, generated and written a million households at a time (memory stays flat):
    households/part-NNNN.parquet, members/part-NNNN.parquet (sorted by household) and params.json (the
    parameter values in force, the columns the rules read). Returns the number of persons."""
    standards = standards_on(date)
    persons = 0
    for part, first in enumerate(range(1, n + 1, CHUNK)):
        households, members = generate(min(CHUNK, n + 1 - first), seed, standards, first_id=first)
        for name, frame in (("households", households), ("members", members)):
            (folder / name).mkdir(parents=True, exist_ok=True)
            frame.write_parquet(folder / name / f"part-{part:04d}.parquet")
        persons += members.height
    values = {key: {"value": p.value, "unit": p.unit} for key, p in _parameters(date).items()}
    params = {"instant": date.isoformat(), "period": date.strftime("%Y-%m"), "values": values}
    params["columns"] = needed_columns()
    (folder / "params.json").write_text(json.dumps(params, indent=1))
    return persons


def read_data(folder: Path, columns: dict | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Both frames back, in household order; `columns` {"households": […], "members": […]} reads only those.
    The files are sorted by household_id (the generator's promise, checked by tests/test_bench_data.py);
    Parquet does not keep Polars' sorted flag, so it is set again here."""
    columns = columns or {}
    frames = []
    for name in ("households", "members"):
        frame = pl.read_parquet(folder / name / "*.parquet", columns=columns.get(name))
        frames.append(frame.with_columns(pl.col("household_id").set_sorted()))
    return frames[0], frames[1]


# --- ours: Zhongfu's engine -------------------------------------------------------------------------------
def _engine():
    """zhongfu.policies.engine, with Django set up (its messages are translatable) on a throwaway var/."""
    src = str(REPO / "src")
    if src not in sys.path:
        sys.path.insert(0, src)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhongfu.settings")
    import django
    from django.conf import settings

    if not settings.configured or not getattr(django.apps.apps, "ready", False):
        django.setup()
    from zhongfu.policies import engine

    return engine


def _parameters(date: dt.date):
    engine = _engine()
    specs = engine.load_parameters((CATALOGUE / "parameters.yaml").read_text(encoding="utf-8"))
    return engine.ParameterSet.at(specs, date)


def needed_columns() -> dict[str, list[str]]:
    """The household inputs and member fields the policies read: what a batch run loads (each side
    reads only what its rules need; the other columns are never touched)."""
    engine = _engine()
    from zhongfu.policies.engine.nodes import Field, Input, walk

    inputs, fields = set(), set()
    for code in POLICY_FILES:
        policy = engine.load_policy((CATALOGUE / f"{code}.yaml").read_text(encoding="utf-8"))
        for variable in policy.variables.values():
            for node in walk(variable.node):
                if isinstance(node, Input):
                    inputs.add(node.name)
                elif isinstance(node, Field):
                    fields.add(node.name)
    return {"households": ["household_id", *sorted(inputs)], "members": ["household_id", *sorted(fields)]}


def build_plan(date: dt.date):
    """Everything from the shipped files to the compiled plan: read and check the policies and the
    parameters, resolve the values in force, check the catalogue together, compile."""
    engine = _engine()
    policies = [engine.load_policy((CATALOGUE / f"{code}.yaml").read_text(encoding="utf-8")) for code in POLICY_FILES]
    return engine.Catalogue(policies).plan(_parameters(date))


def result_columns() -> list[str]:
    return [f"{code}.{what}" for code in POLICY_FILES for what in ("outcome", "amount")]


def worker_batch(data: Path, out: Path | None, date: dt.date) -> dict:
    """Our side, in its own process: read the files (timed apart), plan, compute; the result per household."""
    _engine()  # imports are not timed, as on OpenFisca's side
    columns = json.loads((data / "params.json").read_text())["columns"]
    started = time.perf_counter()
    households, members = read_data(data, columns)
    load_s = time.perf_counter() - started
    with h.Timer() as planning:
        plan = build_plan(date)
    with h.Timer() as computing:
        result = plan.evaluate(households.lazy(), members.lazy()).select("household_id", *result_columns()).collect()
    summary = {
        "households": households.height,
        "persons": members.height,
        "load_s": load_s,
        "plan_s": planning.seconds,
        "compute_s": computing.seconds,
        "seconds": planning.seconds + computing.seconds,
        "cpu_s": planning.cpu_seconds + computing.cpu_seconds,
        "peak_mb": h.process_peak_mb(),
        "polars": pl.__version__,
        "threads": pl.thread_pool_size(),
    }
    summary |= _our_totals(result)
    if out is not None:
        result.write_parquet(out)
    return summary


def _our_totals(result: pl.DataFrame) -> dict:
    eligible, needs_information, amount = {}, {}, {}
    for code in POLICY_FILES:
        outcome = pl.col(f"{code}.outcome")
        row = result.select(
            eligible=(outcome == 1).sum(),
            unknown=(outcome == -1).sum(),
            amount=pl.when(outcome == 1).then(pl.col(f"{code}.amount")).otherwise(0).sum(),
        ).row(0, named=True)
        eligible[code], needs_information[code], amount[code] = row["eligible"], row["unknown"], row["amount"]
    return {"eligible": eligible, "needs_information": needs_information, "amount_fen": amount}


def worker_single(data: Path, date: dt.date, calls: int) -> dict:
    """One household at a time, as the household page does: its records → the plan → outcome, amount and the
    explanation of every policy. The plan is built once (the app caches it). The page runs the plan on the
    records (`CompiledPlan.evaluate_records`); the same calls through the frame plan (records → frames →
    lazy plan → collect) are timed too, to show what that path costs."""
    engine = _engine()
    plan = build_plan(date)
    households = pl.read_parquet(data / "households" / "part-0000.parquet")
    members = pl.read_parquet(data / "members" / "part-0000.parquet")
    # Half of the households near or below the lines (their explanations are the long ones), half any.
    poor = households.filter(pl.col("monthly_income") < pl.col("size") * standards_on(date).marginal)
    chosen = pl.concat([poor.head(calls // 2), households.head(calls - min(calls // 2, poor.height))]).head(calls)
    records = chosen.to_dicts()
    by_household = members.filter(pl.col("household_id").is_in(chosen["household_id"].implode()))
    member_records: dict[int, list[dict]] = {}
    for record in by_household.to_dicts():
        member_records.setdefault(record["household_id"], []).append(record)

    def on_records(household, own):
        (row,) = plan.evaluate_records([household], own)
        return row

    def on_frames(household, own):
        frame, member_frame = engine.frames_from_records([household], own)
        return {**household, **plan.evaluate(frame, member_frame).collect().row(0, named=True)}

    figures = {}
    for path, evaluate in (("records", on_records), ("frames", on_frames)):
        timings, parts, lines = [], {"evaluate": [], "explain": []}, 0
        for i in range(calls):
            household = records[i % len(records)]
            own = member_records.get(household["household_id"], [])
            started = time.perf_counter()
            row = evaluate(household, own)
            evaluated = time.perf_counter()
            explained = [plan.explain(row, code, language="zh-hans") for code in POLICY_FILES]
            done = time.perf_counter()
            timings.append(done - started)
            parts["evaluate"].append(evaluated - started)
            parts["explain"].append(done - evaluated)
            lines += sum(len(e.criteria) for e in explained)
        figures[path] = {
            **_percentiles(timings),
            "criteria_explained": lines,
            "p50_ms_by_step": {step: _percentiles(values)["p50_ms"] for step, values in parts.items()},
        }
    return {
        "calls": calls,
        "policies": len(POLICY_FILES),
        **figures["records"],
        "through_frame_plan": figures["frames"],
        "example": _example(row, explained),
    }


def _example(row: dict, explained: list) -> dict:
    return {
        "household_id": row["household_id"],
        "outcomes": {code: OUTCOME.get(row[f"{code}.outcome"]) for code in POLICY_FILES},
        "criteria": {
            code: [c.text for c in e.criteria] for code, e in zip(POLICY_FILES, explained, strict=True) if e.criteria
        },
    }


def _percentiles(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)

    def at(q: float) -> float:
        return round(ms[min(len(ms) - 1, int(q * len(ms)))], 3)

    return {
        "p50_ms": at(0.50),
        "p99_ms": at(0.99),
        "max_ms": round(ms[-1], 3),
        "mean_ms": round(statistics.fmean(ms), 3),
    }


def _worker(mode: str, data: Path, date: dt.date, *, out: Path | None = None, calls: int = 0) -> dict:
    """Run a worker of this file in a fresh process (its own memory, its own peak); returns its JSON."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--data", str(data)]
    cmd += ["--date", date.isoformat(), "--calls", str(calls), "--catalogue", str(CATALOGUE)]
    if out is not None:
        cmd += ["--out", str(out)]
    return _run_json(cmd, f"ours ({mode})")


def _run_json(cmd: list[str], what: str, env: dict | None = None) -> dict:
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO)
    if done.returncode != 0:
        raise SystemExit(f"{what} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the peer: OpenFisca in its own virtual environment ---------------------------------------------------
def peer_python() -> Path:
    """.venv-openfisca/bin/python, made (or remade when the requirements changed) from the pinned list."""
    python = PEER_VENV / "bin" / "python"
    stamp = PEER_VENV / ".requirements"
    wanted = PEER_REQUIREMENTS.read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    _say(f"making {PEER_VENV.name} from {PEER_REQUIREMENTS.relative_to(REPO)} (OpenFisca, for the benchmark only)…")
    env = {**os.environ, "PIP_CONFIG_FILE": "/dev/null", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(PEER_VENV)], check=True, env=env)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "-r", str(PEER_REQUIREMENTS)], check=True, env=env
    )
    stamp.write_text(wanted)
    return python


def run_peer(data: Path, out: Path) -> dict:
    return _run_json([str(peer_python()), str(PEER_RUN), "--data", str(data), "--out", str(out)], "OpenFisca")


# --- agreement --------------------------------------------------------------------------------------------
def compare(ours_file: Path, peer_file: Path, data: Path) -> dict:
    """Household by household: eligibility (ours: outcome eligible; OpenFisca: eligible) and, where both say
    eligible, the amount. OpenFisca's amounts are float32 yuan, computed from float32 inputs: one that rounds
    to another fen than ours is float32 rounding as long as it is within float32's precision of the largest
    money value it was computed from (amount, income, monthly rigid expenses); beyond that it is a disagreement.
    Totals: ours exact in fen; OpenFisca's drift is the sum of its float32 amounts minus ours, in yuan."""
    ours = pl.read_parquet(ours_file)
    peer = pl.read_parquet(peer_file)
    money = ["household_id", "monthly_income", "annual_medical_expenses", "annual_education_expenses"]
    inputs, _members = read_data(data, {"households": money, "members": ["household_id"]})
    both = ours.join(peer, on="household_id", how="inner").join(inputs, on="household_id", how="left")
    report, agree = {}, both.height == ours.height == peer.height
    for code in POLICY_FILES:
        mine = pl.col(f"{code}.outcome") == 1
        theirs = pl.col(f"{code}_eligible")
        exact_yuan = pl.col(f"{code}.amount").cast(pl.Float64) / 100
        peer_yuan = pl.col(f"{code}_amount").cast(pl.Float64)
        peer_fen = (peer_yuan * 100).round(0).cast(pl.Int64)
        other_fen = mine & theirs & (pl.col(f"{code}.amount") != peer_fen)
        # float32 keeps 24 bits: each operation may lose half a unit in the last place of its operands'
        # magnitude; sixteen of them on the largest money value involved, plus half a fen, bound the rounding.
        scale = pl.max_horizontal(
            exact_yuan.abs(),
            pl.col("monthly_income").fill_null(0) / 100,
            (pl.col("annual_medical_expenses") + pl.col("annual_education_expenses")) / 1200,
        )
        beyond_float32 = mine & theirs & ((peer_yuan - exact_yuan).abs() > scale * 2.0**-20 + 0.005)
        row = both.select(
            ours_eligible=mine.sum(),
            peer_eligible=theirs.sum(),
            eligibility_differs=(mine != theirs).sum(),
            other_fen=other_fen.sum(),
            beyond_float32=beyond_float32.sum(),
            ours_fen=pl.when(mine).then(pl.col(f"{code}.amount")).otherwise(0).sum(),
            peer_float32=pl.col(f"{code}_amount").sum(),
            peer_exact=peer_yuan.sum(),
        ).row(0, named=True)
        examples = (
            both.filter((mine != theirs) | beyond_float32)
            .select("household_id", f"{code}.outcome", f"{code}.amount", f"{code}_eligible", f"{code}_amount")
            .head(3)
            .to_dicts()
        )
        ours_yuan = row["ours_fen"] / 100
        report[code] = {
            "eligible_ours": row["ours_eligible"],
            "eligible_openfisca": row["peer_eligible"],
            "households_disagreeing": row["eligibility_differs"],
            "amounts_disagreeing": row["beyond_float32"],
            "amounts_off_by_float32_rounding": row["other_fen"],
            "amount_fen_ours": row["ours_fen"],
            "amount_yuan_openfisca": round(float(row["peer_float32"]), 2),
            # The float32 amounts added up exactly, and as numpy adds a float32 array, minus ours.
            "drift_yuan": round(float(row["peer_exact"]) - ours_yuan, 2),
            "drift_yuan_float32_sum": round(float(row["peer_float32"]) - ours_yuan, 2),
        } | ({"disagreements": examples} if examples else {})
        agree = agree and row["eligibility_differs"] == 0 and row["beyond_float32"] == 0
    return {"agree": agree, "policies": report}


# --- the API, against a real server -----------------------------------------------------------------------
def api_latency(calls: int, households: int, workdir: Path) -> dict:
    """Start Zhongfu as a user would (tests/e2e/system.py: fresh SQLite database, migrations, a demo city of
    `households`, gunicorn), then GET /api/households/{id}/screening `calls` times with a bearer token."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from tests.e2e.system import running_system

    path = "/api/households/{household_id}/screening"
    started = time.perf_counter()
    with running_system(workdir / "system", households=households, logs=workdir / "logs") as system:
        startup_s = time.perf_counter() - started
        script = (
            "from zhongfu.accounts.models import User; from zhongfu.accounts.services import api_token_create; "
            "from zhongfu.registry.models import Household; import json; "
            "print(json.dumps({'token': api_token_create(user=User.objects.get(username='admin'), name='bench'), "
            "'ids': list(Household.objects.order_by('id').values_list('id', flat=True)[:100])}))"
        )
        setup = json.loads(system.manage("shell", "-c", script).strip().splitlines()[-1])
        host, port = system.url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Authorization": f"Bearer {setup['token']}", "Accept-Language": "zh-hans"}

        def get(household_id: int) -> tuple[int, bytes]:
            connection.request("GET", path.format(household_id=household_id), headers=headers)
            response = connection.getresponse()
            return response.status, response.read()

        openapi = json.loads(_get_plain(system.url + "/api/openapi.json"))
        if path not in openapi.get("paths", {}):
            return {"available": False, "note": f"endpoint not available: {path} is not in /api/openapi.json"}
        ids = setup["ids"]
        for household_id in ids[:20]:  # warm-up: each worker loads the plan once
            get(household_id)
        timings, statuses, policies = [], {}, 0
        for i in range(calls):
            started = time.perf_counter()
            status, body = get(ids[i % len(ids)])
            timings.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200 and i == 0:
                policies = len(json.loads(body)["policies"])
        connection.close()
        system.assert_running()
    return {
        "available": True,
        "endpoint": "GET " + path,
        "calls": calls,
        "statuses": statuses,
        "policies_per_answer": policies,
        "demo_households": households,
        "server_start_s": round(startup_s, 1),
        **_percentiles(timings),
    }


def _get_plain(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


# --- the run ----------------------------------------------------------------------------------------------
def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"


def _summary(n, persons, date, ours, peer, ratios, agreement, big, single, api, load_at_start) -> None:
    """The figures for a person, before the JSON line."""
    ratio, ratio_median = ratios
    out = [
        "",
        f"screening: {n:,} households ({persons:,} persons), rules in force on {date}, "
        f"{os.cpu_count()} CPUs, load {load_at_start} → {h.load_average()}; best of {len(ours.get('runs', [1]))} runs",
        f"  {'':22}{'plan/build':>11}{'compute':>10}{'total':>10}{'CPU':>10}{'peak MB':>10}",
        f"  {'Zhongfu (Polars)':22}{ours['plan_s']:>10.2f}s{ours['compute_s']:>9.2f}s{ours['seconds']:>9.2f}s"
        f"{ours['cpu_s']:>9.2f}s{ours['peak_mb']:>10.0f}",
        f"  {'OpenFisca ' + peer['openfisca_core']:22}{peer['build_s']:>10.2f}s{peer['compute_s']:>9.2f}s"
        f"{peer['seconds']:>9.2f}s{peer['cpu_s']:>9.2f}s{peer['peak_mb']:>10.0f}",
        f"  ours / OpenFisca: {ratio} best against best (goal ≤ 0.5: {_met(ratio is not None and ratio <= 0.5)}); "
        f"{ratio_median} median against median",
        f"  agreement, every household and policy: {'yes' if agreement['agree'] else 'NO'}",
    ]
    for code, row in agreement["policies"].items():
        out.append(
            f"    {code:20} eligible {row['eligible_ours']:>9,} ours {row['eligible_openfisca']:>9,} OpenFisca; "
            f"{row['amount_fen_ours'] / 100:>16,.2f} yuan ours (exact), OpenFisca float32 drift "
            f"{row['drift_yuan']:+.2f} yuan ({row['drift_yuan_float32_sum']:+.2f} summed in float32)"
            + (f"; {row['households_disagreeing']:,} households disagree" if row["households_disagreeing"] else "")
            + (f"; {row['amounts_disagreeing']:,} amounts disagree" if row["amounts_disagreeing"] else "")
        )
    if big:
        ok = big["seconds"] <= 30 and big["peak_mb"] <= 4096
        out.append(
            f"  10M households, ours: {big['seconds']:.1f} s, peak {big['peak_mb']:,.0f} MB "
            f"(goal ≤ 30 s and ≤ 4 GB: {_met(ok)})"
        )
    out.append(
        f"  one household with its explanation ({single['policies']} policies), {single['calls']:,} calls: "
        f"p50 {single['p50_ms']} ms, p99 {single['p99_ms']} ms (goal p99 ≤ 2 ms: {_met(single['p99_ms'] <= 2)})"
    )
    frames = single["through_frame_plan"]
    out.append(f"    the same calls through the frame plan: p50 {frames['p50_ms']} ms, p99 {frames['p99_ms']} ms")
    if api and api.get("available"):
        out.append(
            f"  API {api['endpoint']}, {api['calls']} calls, {api['policies_per_answer']} policies: "
            f"p50 {api['p50_ms']} ms, p99 {api['p99_ms']} ms (goal p99 ≤ 30 ms: {_met(api['p99_ms'] <= 30)})"
        )
    elif api:
        out.append(f"  API: {api['note']}")
    print("\n".join(out), flush=True)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _secs(value: float) -> str:
    return f"{value:.2f} s"


def main() -> None:
    global CATALOGUE
    parser = h.arguments(__doc__.split("\n")[0], default_n=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--date", type=dt.date.fromisoformat, default=EVALUATION_DATE, help="evaluation date")
    parser.add_argument("--ten-million", action="store_true", help="also time ours on 10M households (default: N ≥ 1M)")
    parser.add_argument("--no-ten-million", action="store_true", help="skip the 10M figure")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each side, best kept (default 7)")
    parser.add_argument("--calls", type=int, default=2_000, help="one-household calls in process (default 2000)")
    parser.add_argument("--api-calls", type=int, default=500, help="API calls (default 500; 0 skips the API)")
    parser.add_argument("--api-households", type=int, default=200, help="demo city size for the API server")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE, help="policy files (default: the shipped ones)")
    parser.add_argument("--keep-data", action="store_true", help="keep the Parquet files and results")
    parser.add_argument("--worker", choices=["batch", "single"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    CATALOGUE = args.catalogue.resolve()

    if args.worker == "batch":
        print(json.dumps(worker_batch(args.data, args.out, args.date)))
        return
    if args.worker == "single":
        print(json.dumps(worker_single(args.data, args.date, args.calls)))
        return

    n, date = args.n, args.date
    ten_million = (args.ten_million or n >= 1_000_000) and not args.no_ten_million and n != TEN_MILLION
    load_at_start = h.load_average()
    workdir = Path(tempfile.mkdtemp(prefix="zhongfu_bench_screening_"))
    # Django's settings (the engine's messages) keep their generated secrets in a throwaway var/.
    os.environ["ZHONGFU_VAR"] = str(workdir / "var")
    try:
        peer_python()  # made before anything is timed
        _say(f"screening: N={n:,} households, rules in force on {date}, data in {workdir}")
        data = workdir / "data"
        with h.Timer() as generating:
            persons = write_data(n, args.seed, data, date)
        _say(f"  data: {n:,} households, {persons:,} persons in {_secs(generating.seconds)}")
        # Best of `repeat` fresh processes each, alternating: the machine may be busy with other work.
        peer_runs, our_runs = [], []
        for i in range(args.repeat):
            run = run_peer(data, workdir / "openfisca.parquet")
            peer_runs.append(run)
            _say(f"  OpenFisca #{i + 1}: build {_secs(run['build_s'])} + compute {_secs(run['compute_s'])}")
            run = _worker("batch", data, date, out=workdir / "ours.parquet")
            our_runs.append(run)
            _say(f"  ours      #{i + 1}: plan {_secs(run['plan_s'])} + compute {_secs(run['compute_s'])}")
        peer = min(peer_runs, key=lambda run: run["seconds"]) | {"runs": peer_runs}
        ours = min(our_runs, key=lambda run: run["seconds"]) | {"runs": our_runs}
        _say("  comparing every household…")
        agreement = compare(workdir / "ours.parquet", workdir / "openfisca.parquet", data)
        _say(f"  agree: {agreement['agree']}; one household in process, {args.calls:,} calls…")
        single = _worker("single", data, date, calls=args.calls)
        _say(f"  one household: p50 {single['p50_ms']} ms, p99 {single['p99_ms']} ms")

        big = None
        if ten_million:
            _say("  10M households: generating…")
            big_data = workdir / "data10m"
            with h.Timer() as generating_big:
                write_data(TEN_MILLION, args.seed, big_data, date)
            _say(f"  10M: data in {_secs(generating_big.seconds)}; ours running…")
            big = _worker("batch", big_data, date)
            shutil.rmtree(big_data, ignore_errors=True)
            _say(f"  10M: plan {_secs(big['plan_s'])} + compute {_secs(big['compute_s'])}, peak {big['peak_mb']} MB")

        api = None
        if args.api_calls > 0:
            _say(f"  API: starting a server with a {args.api_households}-household demo city…")
            api = api_latency(args.api_calls, args.api_households, workdir)
            shown = api.get("note") or f"p50 {api['p50_ms']} ms, p99 {api['p99_ms']} ms"
            _say(f"  API: {shown}")
    finally:
        if args.keep_data:
            _say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    ratio = round(ours["seconds"] / peer["seconds"], 3) if peer["seconds"] else None
    ours_median = statistics.median(run["seconds"] for run in our_runs)
    peer_median = statistics.median(run["seconds"] for run in peer_runs)
    ratio_median = round(ours_median / peer_median, 3) if peer_median else None
    _summary(n, persons, date, ours, peer, (ratio, ratio_median), agreement, big, single, api, load_at_start)
    h.emit(
        {
            "bench": "screening",
            "n": n,
            "ours_s": ours["seconds"],
            "peer": f"OpenFisca {peer['openfisca_core']} (numpy {peer['numpy']})",
            "peer_s": peer["seconds"],
            "ratio": ratio,
            "peak_mb": max(ours["peak_mb"], peer["peak_mb"]),
            "ours_peak_mb": ours["peak_mb"],
            "peer_peak_mb": peer["peak_mb"],
            "ours_plan_s": ours["plan_s"],
            "ours_compute_s": ours["compute_s"],
            "peer_build_s": peer["build_s"],
            "peer_compute_s": peer["compute_s"],
            "ratio_median": ratio_median,
            "ours_median_s": ours_median,
            "peer_median_s": peer_median,
            "ours_runs_s": [round(run["seconds"], 3) for run in our_runs],
            "peer_runs_s": [round(run["seconds"], 3) for run in peer_runs],
            "ours_cpu_s": ours["cpu_s"],
            "peer_cpu_s": peer["cpu_s"],
            "ours_read_files_s": ours["load_s"],
            "peer_read_files_s": peer["load_s"],
            "households": n,
            "persons": persons,
            "evaluation_date": date.isoformat(),
            "policies": list(POLICY_FILES),
            "agree": agreement["agree"],
            "agreement": agreement["policies"],
            "needs_information": ours["needs_information"],
            "peer_amount_dtype": peer["amount_dtype"],
            "ten_million": None
            if big is None
            else {
                "households": big["households"],
                "persons": big["persons"],
                "ours_s": big["seconds"],
                "plan_s": big["plan_s"],
                "compute_s": big["compute_s"],
                "peak_mb": big["peak_mb"],
                "goal": "at most 30 s and 4 GB",
                "goal_met": big["seconds"] <= 30 and big["peak_mb"] <= 4096,
            },
            "one_household": single | {"goal": "p99 at most 2 ms", "goal_met": single["p99_ms"] <= 2},
            "api": api
            if api is None or not api.get("available")
            else api | {"goal": "p99 at most 30 ms", "goal_met": api["p99_ms"] <= 30},
            "goal": "ours_s at most 0.5 × peer_s",
            "goal_met": ratio is not None and ratio <= 0.5,
            "ours_threads": ours["threads"],
            "cpus": os.cpu_count(),
            "load_avg_1m": [load_at_start, h.load_average()],
            "data_s": generating.seconds,
            "ours_does": "after reading the Parquet files (only the columns the rules read; household_id marked "
            "sorted, as the files are): read and check the 4 policy files and parameters.yaml, resolve the values "
            "in force, check the catalogue, compile one Polars lazy plan (plan_s); evaluate it on the household "
            "and member frames in memory to every policy's outcome and amount in int fen (compute_s)",
            "peer_does": "after reading the same columns into numpy arrays: build the TaxBenefitSystem (entities, "
            "30 variables, parameters) and a simulation of N households and their persons, inputs set (build_s); "
            "calculate every policy's eligibility and amount, float32 yuan (compute_s)",
        }
    )


if __name__ == "__main__":
    main()
