"""The screening benchmark's synthetic households (bench/screening.py `generate`): the engine's schema and
the properties the benchmark relies on. OpenFisca is not needed here (it lives in the bench's own venv)."""

import importlib.util
import sys
from pathlib import Path

import polars as pl
import pytest

from zhongfu.policies.engine.schema import HOUSEHOLD_SCHEMA, MEMBER_SCHEMA

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_screening", BENCH / "screening.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_screening"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def data(bench):
    return bench.generate(20_000, seed=7, standards=bench.Standards(dibao=130_000, marginal=249_000))


def test_schema_is_the_engines(bench, data):
    households, members = data
    assert dict(households.schema) == bench.HOUSEHOLD_SCHEMA == HOUSEHOLD_SCHEMA
    assert dict(members.schema) == bench.MEMBER_SCHEMA == MEMBER_SCHEMA


def test_households_and_members_fit_together(data):
    households, members = data
    assert households.height == 20_000
    assert households["household_id"].is_unique().all()
    assert households["household_id"].is_sorted() and members["household_id"].is_sorted()
    counted = members.group_by("household_id").agg(n=pl.len(), income=pl.col("monthly_income").sum())
    joined = households.join(counted, on="household_id", how="left")
    assert (joined["size"] == joined["n"]).all(), "size is the number of member rows"
    known = joined.filter(pl.col("monthly_income").is_not_null())
    assert (known["monthly_income"] == known["income"]).all(), "members' incomes add up to the household's"
    assert 2.3 < members.height / households.height < 2.9
    assert (members.filter(pl.col("relation") == "head").height) == households.height


def test_only_the_declared_inputs_may_be_unknown(bench, data):
    households, members = data
    for name in households.columns:
        if name not in bench.NULLABLE:
            assert households[name].null_count() == 0, name
    assert households["monthly_income"].null_count() > 0
    assert households["home_floor_area"].null_count() > 0
    assert members.null_count().sum_horizontal().item() == 0


def test_values_are_in_their_domains(bench, data):
    households, members = data
    assert set(households["assistance_class"].unique()) <= set(bench.ASSISTANCE_CLASSES)
    assert set(households["area_type"].unique()) == {"urban", "rural"}
    assert set(members["school_enrolment"].unique()) <= set(bench.SCHOOL_ENROLMENTS)
    assert set(members["labour_capacity"].unique()) == {"full", "partial", "none"}
    assert members["age"].min() >= 0 and members["age"].max() <= 104
    disabled = members.filter(pl.col("disabled"))
    assert disabled["disability_grade"].is_between(1, 4).all()
    assert (members.filter(~pl.col("disabled"))["disability_grade"] == 0).all()
    money = ["monthly_income", "annual_medical_expenses", "annual_education_expenses", "financial_assets"]
    assert all(households[name].min() >= 0 for name in money)


def test_a_city_like_mix_with_borderline_cases(data):
    households, _members = data
    per_capita = households.filter(pl.col("monthly_income").is_not_null()).select(
        pc=pl.col("monthly_income") // pl.col("size")
    )["pc"]
    below = (per_capita < 130_000).mean()
    marginal = ((per_capita >= 130_000) & (per_capita <= 249_000)).mean()
    assert 0.02 < below < 0.10 and marginal > below
    for line in (130_000, 249_000):
        for offset in (-1, 0, 1):
            assert (per_capita == line + offset).sum() > 10, f"per-capita income {line + offset} fen"
    assert (households["annual_medical_expenses"] > 3_000_000).sum() > 0  # large rigid expenses for some


def test_reproducible(bench, data):
    again = bench.generate(20_000, seed=7, standards=bench.Standards(dibao=130_000, marginal=249_000))
    assert again[0].equals(data[0]) and again[1].equals(data[1])
    other = bench.generate(20_000, seed=8, standards=bench.Standards(dibao=130_000, marginal=249_000))
    assert not other[0].equals(data[0])


def test_generated_in_chunks_is_the_same_city(bench):
    standards = bench.Standards(dibao=130_000, marginal=249_000)
    whole = bench.generate(3_000, seed=5, standards=standards)
    parts = [bench.generate(1_000, seed=5, standards=standards, first_id=first) for first in (1, 1_001, 2_001)]
    assert pl.concat([p[0] for p in parts]).equals(whole[0])
    assert pl.concat([p[1] for p in parts]).equals(whole[1])
