"""Benchmark `screening`: the 低保 / 低边 / 支出型 rules on N synthetic households, Zhongfu's engine against OpenFisca.

    python bench/screening.py --n 1000000        (or: make bench B=screening N=1000000)
    python bench/screening.py --n 10000          (a quick smoke run)

(Work in progress: only the data generator is here yet.)
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    "person_id": pl.Int64,
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


def generate(n: int, seed: int = 2026, standards: Standards = Standards()) -> tuple[pl.DataFrame, pl.DataFrame]:
    """N synthetic households and their members (≈ 2.6 a household), with the declared schemas.

    A city-like mix: about 4 % of households below the 低保 standard, 6 % between it and the 低边 limit,
    1 % on a borderline (standard or limit − 1, ± 0, + 1 fen per person, with remainders that integer
    division drops), 0.3 % with unknown income; assets and vehicles that exclude some poor households;
    medical and education costs, large for a few, for the 支出型 rule. Vectorised Polars, no Python loop."""
    if n < 1:
        raise ValueError("n must be at least 1")
    hid = pl.col("household_id")

    def u(stream: int) -> pl.Expr:
        return _uniform(hid, stream, seed)

    std, limit = standards.dibao, standards.marginal
    households = (
        pl.LazyFrame()
        .select(household_id=pl.int_range(1, n + 1, dtype=pl.Int64))
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
    pid = pl.col("person_id")

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
        .with_columns(person_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
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
