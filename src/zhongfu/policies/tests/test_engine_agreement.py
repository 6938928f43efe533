"""The compiled Polars plan, the same plan run on records (`plan.rows`) and the independent evaluator (Rust
CEL on the original text) agree on every variable, outcome and amount: random households, borderline
incomes, unknown inputs, empty households."""

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhongfu.policies.engine import frames_from_records
from zhongfu.policies.engine.reference import reference_evaluate

from .engine_helpers import params, rows_disagree, sample_catalogue

CATALOGUE = sample_catalogue()
PARAMS = params()
PLAN = CATALOGUE.plan(PARAMS)
STANDARD = PARAMS["dibao.standard"].value

member_strategy = st.fixed_dictionaries(
    {
        "age": st.integers(0, 100),
        "sex": st.sampled_from(["M", "F"]),
        "relation": st.sampled_from(["head", "spouse", "child", "parent"]),
        "labour_capacity": st.sampled_from(["full", "partial", "none"]),
        "disabled": st.booleans(),
        "disability_grade": st.integers(0, 4),
        "serious_illness": st.booleans(),
        "elderly_living_alone": st.booleans(),
        "child_in_difficulty": st.booleans(),
        "school_enrolment": st.sampled_from(["", "primary", "senior", "higher"]),
        "monthly_income": st.one_of(st.just(0), st.integers(0, 600_000)),
    }
)


@st.composite
def household_strategy(draw):
    size = draw(st.integers(1, 8))
    members = draw(st.one_of(st.lists(member_strategy, min_size=size, max_size=size), st.just([])))
    near = st.sampled_from([STANDARD, 2 * STANDARD, PARAMS["minimum_wage"].value])
    borderline = st.builds(lambda base, delta, n: base * n + delta, near, st.integers(-2, 2), st.just(size))
    household = {
        "household_id": 1,
        "size": size,
        "area_type": draw(st.sampled_from(["urban", "rural"])),
        "hukou_type": draw(st.sampled_from(["registered", "resident"])),
        "assistance_class": draw(st.sampled_from(["", "dibao", "marginal"])),
        "monthly_income": draw(st.one_of(st.none(), st.integers(-50_000, 3_000_000), borderline)),
        "annual_medical_expenses": draw(st.integers(0, 5_000_000)),
        "annual_education_expenses": draw(st.integers(0, 2_000_000)),
        "financial_assets": draw(st.one_of(st.integers(0, 10_000_000), st.just(STANDARD * 24 * size))),
        "vehicles": draw(st.integers(0, 2)),
        "company_roles": draw(st.integers(0, 1)),
        "homes": draw(st.integers(0, 3)),
        "home_floor_area": draw(st.one_of(st.none(), st.integers(0, 400))),
        "home_bought_within_year": draw(st.booleans()),
    }
    return household, [dict(member, household_id=1) for member in members]


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
    return type(a) is type(b) and a == b


def disagreements(compiled_row: dict, expected: dict) -> dict:
    return {key: (compiled_row[key], value) for key, value in expected.items() if not same(compiled_row[key], value)}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(household_strategy())
def test_one_household_agrees_with_reference(case):
    household, members = case
    frames = frames_from_records([household], members)
    compiled = PLAN.evaluate(*frames).collect().row(0, named=True)
    expected = reference_evaluate(CATALOGUE, PARAMS, household, members)
    assert set(compiled) == set(expected) | {"household_id"}
    assert disagreements(compiled, expected) == {}
    assert rows_disagree(PLAN, household, members, compiled) == {}


def test_a_batch_of_households_agrees_with_reference():
    rng = random.Random(20240601)
    households, members = [], []
    for number in range(2000):
        size = rng.randint(1, 8)
        income = rng.choice([None, rng.randint(0, 2_000_000), STANDARD * size + rng.randint(-1, 1)])
        households.append(
            {
                "household_id": number,
                "size": size,
                "area_type": rng.choice(["urban", "rural"]),
                "hukou_type": rng.choice(["registered", "resident"]),
                "assistance_class": "",
                "monthly_income": income,
                "annual_medical_expenses": rng.randint(0, 3_000_000),
                "annual_education_expenses": rng.randint(0, 1_000_000),
                "financial_assets": rng.randint(0, 8_000_000),
                "vehicles": rng.choice([0, 0, 1]),
                "company_roles": 0,
                "homes": rng.randint(0, 2),
                "home_floor_area": rng.choice([None, rng.randint(20, 200)]),
                "home_bought_within_year": rng.random() < 0.05,
            }
        )
        for _ in range(0 if rng.random() < 0.03 else size):
            members.append(
                {
                    "household_id": number,
                    "age": rng.randint(0, 95),
                    "sex": rng.choice("MF"),
                    "relation": rng.choice(["head", "spouse", "child"]),
                    "labour_capacity": rng.choice(["full", "partial", "none"]),
                    "disabled": (disabled := rng.random() < 0.2),
                    "disability_grade": rng.randint(1, 4) if disabled else 0,
                    "serious_illness": rng.random() < 0.1,
                    "elderly_living_alone": rng.random() < 0.2,
                    "child_in_difficulty": False,
                    "school_enrolment": "",
                    "monthly_income": rng.choice([0, rng.randint(0, 400_000)]),
                }
            )
    compiled = PLAN.evaluate(*frames_from_records(households, members)).collect()
    assert compiled["household_id"].to_list() == list(range(2000))  # input order is kept
    by_household: dict[int, list] = {}
    for member in members:
        by_household.setdefault(member["household_id"], []).append(member)
    outcomes = set()
    for household, row in zip(households, compiled.iter_rows(named=True), strict=True):
        expected = reference_evaluate(CATALOGUE, PARAMS, household, by_household.get(household["household_id"], []))
        assert disagreements(row, expected) == {}, household
        assert rows_disagree(PLAN, household, by_household.get(household["household_id"], []), row) == {}, household
        outcomes |= {(code, row[f"{code}.outcome"]) for code in CATALOGUE.policies}
    # the batch really covers every outcome of the main policies
    for code in ("dibao", "marginal", "extreme_poverty"):
        assert {(code, 1), (code, 0), (code, -1)} <= outcomes, code
