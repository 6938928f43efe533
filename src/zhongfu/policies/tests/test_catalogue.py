"""The shipped Hangzhou catalogue (src/zhongfu/policies/catalogue/): every file loads, the catalogue plans
on every date it ships values for, each policy says where it comes from and who decides, and each policy
gives the expected answer on hand-built households — in the Polars plan and in the independent CEL
evaluator alike."""

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from zhongfu.policies.engine import (
    Catalogue,
    ParameterSet,
    frames_from_records,
    load_parameters,
    load_policy,
)
from zhongfu.policies.engine.reference import reference_evaluate
from zhongfu.policies.tests.engine_helpers import rows_disagree

DIRECTORY = Path(__file__).resolve().parents[1] / "catalogue"
POLICY_FILES = sorted(path for path in DIRECTORY.glob("*.yaml") if path.name != "parameters.yaml")
ON = dt.date(2026, 11, 1)
UNITS = {
    "civil_affairs",
    "medical_security",
    "education",
    "housing",
    "human_resources",
    "disabled_federation",
    "trade_union",
    "red_cross",
    "women_federation",
    "charity_federation",
}
# Parameters that no policy reads: the statistics behind seed 001's linking rule (the standard simulation).
SIMULATION_ONLY = {
    "dibao.link.consumption_ratio",
    "stats.urban_consumption_per_capita",
    "stats.urban_disposable_income_per_capita",
    "stats.rural_disposable_income_per_capita",
    "stats.urban_income_growth",
}

STANDARD = 130000  # 低保标准 in force on ON (2024-01-01 value)
MINIMUM_WAGE = 249000


@pytest.fixture(scope="module")
def specs():
    return load_parameters((DIRECTORY / "parameters.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalogue():
    return Catalogue([load_policy(path.read_text(encoding="utf-8")) for path in POLICY_FILES])


@pytest.fixture(scope="module")
def params(specs):
    return ParameterSet.at(specs, ON)


@pytest.fixture(scope="module")
def plan(catalogue, params):
    return catalogue.plan(params)


def member(**kw) -> dict:
    base = {
        "age": 40,
        "sex": "M",
        "relation": "head",
        "labour_capacity": "full",
        "disabled": False,
        "disability_grade": 0,
        "serious_illness": False,
        "elderly_living_alone": False,
        "child_in_difficulty": False,
        "school_enrolment": "",
        "monthly_income": 0,
    }
    base.update(kw)
    return base


def household(members: list[dict], **kw) -> dict:
    base = {
        "size": len(members),
        "area_type": "urban",
        "hukou_type": "registered",
        "assistance_class": "",
        "monthly_income": sum(m["monthly_income"] for m in members),
        "annual_medical_expenses": 0,
        "annual_education_expenses": 0,
        "financial_assets": 0,
        "vehicles": 0,
        "company_roles": 0,
        "homes": 1,
        "home_floor_area": 60,
        "home_bought_within_year": False,
    }
    base.update(kw)
    return base


class Result:
    """One household's row, with helpers: outcome 1 eligible, 0 not, -1 needs information."""

    def __init__(self, plan, record, row):
        self.plan, self.record, self.row = plan, record, row

    def outcome(self, code):
        return self.row[f"{code}.outcome"]

    def amount(self, code):
        return self.row[f"{code}.amount"]

    def value(self, code, name):
        return self.row[f"{code}.{name}"]

    def explain(self, code, language="zh-hans"):
        return self.plan.explain({**self.record, **self.row}, code, language)


def run(plan, catalogue, hh: dict, members: list[dict], params=None) -> Result:
    """Evaluate one household with the plan and check the plan on records and the reference evaluator agree
    on every value."""
    record = {"household_id": 1, **hh}
    frames = frames_from_records([record], [{"household_id": 1, **m} for m in members])
    row = plan.evaluate(*frames).collect().row(0, named=True)
    reference = reference_evaluate(catalogue, params or plan.params, hh, members)
    disagree = {
        key: (row[key], reference.get(key)) for key in row if key != "household_id" and row[key] != reference.get(key)
    }
    assert not disagree, disagree
    assert rows_disagree(plan, record, [{"household_id": 1, **m} for m in members], row) == {}
    return Result(plan, record, row)


@pytest.fixture
def screen(plan, catalogue):
    def screen_(members, **kw):
        return run(plan, catalogue, household(members, **kw), members)

    return screen_


def with_values(params: ParameterSet, **changes) -> ParameterSet:
    """The parameter set with some values replaced ("dibao__standard" for dibao.standard)."""
    values = dict(params.items())
    for key, value in changes.items():
        key = key.replace("__", ".")
        values[key] = dataclasses.replace(values[key], value=value)
    return ParameterSet(values)


# --- the files -------------------------------------------------------------------------------------


def test_every_file_loads_and_the_catalogue_has_at_least_14_policies(catalogue):
    assert len(POLICY_FILES) >= 14
    assert len(catalogue.policies) == len(POLICY_FILES)
    for path in POLICY_FILES:
        assert catalogue.policies[path.stem].code == path.stem, "file name is the policy code"


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda path: path.stem)
def test_each_policy_names_its_source_unit_level_and_labels(path):
    policy = load_policy(path.read_text(encoding="utf-8"))
    assert policy.name.get("zh") and policy.name.get("en")
    assert policy.unit in UNITS
    assert policy.deciding_level in ("city", "district", "street")
    assert policy.period in ("monthly", "one_off", "yearly")
    assert "seed 00" in policy.source or "号" in policy.source, "source names a document"
    assert policy.variables["amount"].unit == "fen"
    assert policy.criteria, "at least one criterion explains the decision"
    for name, variable in policy.variables.items():
        assert variable.label.get("zh") and variable.label.get("en"), f"{name} has a label in both languages"
        if variable.type == "int":
            assert variable.unit, f"{name} has a unit"


def test_the_readme_lists_every_policy():
    readme = (DIRECTORY / "README.md").read_text(encoding="utf-8")
    for path in POLICY_FILES:
        assert f"| {path.stem} |" in readme


@pytest.mark.parametrize(
    "on", [dt.date(2021, 7, 1), dt.date(2022, 1, 1), dt.date(2023, 1, 1), dt.date(2024, 7, 1), dt.date(2025, 6, 1), ON]
)
def test_the_catalogue_plans_on_every_date_it_ships_values_for(catalogue, specs, on):
    plan = catalogue.plan(ParameterSet.at(specs, on))
    hh = household([member(monthly_income=30000)])
    result = run(plan, catalogue, hh, [member(monthly_income=30000)])
    assert result.outcome("dibao") == 1


def test_every_parameter_is_described_referenced_and_used(specs, catalogue):
    used = set(catalogue.params_of(catalogue.reachable(catalogue.nodes_of(list(catalogue.policies)))))
    for key, spec in specs.items():
        assert spec.label.get("zh") and spec.label.get("en"), key
        assert spec.reference, f"{key} has a legal reference"
        assert key in used or key in SIMULATION_ONLY, f"{key} is read by no policy"
    assert used <= set(specs)


def test_figures_not_from_the_seeds_are_marked_unverified():
    text = (DIRECTORY / "parameters.yaml").read_text(encoding="utf-8")
    assert text.count("(unverified default)") >= 40
    # The figures the seeds and DOMAIN_RULES give.
    specs = load_parameters(text)
    assert [(v.start, v.value) for v in specs["marginal.income_multiple"].values][-1] == (dt.date(2022, 12, 4), 2.0)
    assert (dt.date(2025, 1, 1), MINIMUM_WAGE) in [(v.start, v.value) for v in specs["minimum_wage.tier1"].values]
    assert specs["stats.urban_disposable_income_per_capita"].values[0].value == 7470000
    assert specs["stats.rural_disposable_income_per_capita"].values[0].value == 4269200
    standards = [v.value for v in specs["dibao.standard"].values]
    assert standards == sorted(standards) and all(isinstance(v, int) for v in standards)


def test_precedence_is_data(catalogue):
    policies = catalogue.policies
    assert "extreme_poverty" in policies["dibao"].displaced_by
    assert "dibao" in policies["marginal"].requires_not
    assert "dibao" in policies["marginal"].displaced_by


# --- 低保 ------------------------------------------------------------------------------------------


def three_at(income_each):
    return [
        member(monthly_income=income_each),
        member(relation="spouse", sex="F", monthly_income=income_each),
        member(relation="child", age=20, monthly_income=income_each),
    ]


def test_dibao_tops_up_to_the_standard_and_explains_it(screen):
    result = screen(three_at(30000))
    assert result.outcome("dibao") == 1
    assert result.amount("dibao") == (STANDARD - 30000) * 3
    lines = result.explain("dibao").criteria
    assert lines[0].text == "家庭月人均收入 300.00 元 < 低保标准 1,300.00 元（2024-01-01 起）"
    assert all(line.passed for line in lines)
    english = result.explain("dibao", "en").criteria[0].text
    assert "300.00 yuan" in english and "1,300.00 yuan" in english


def test_dibao_income_boundary(screen):
    assert screen(three_at(STANDARD)).outcome("dibao") == 0
    below = screen(three_at(STANDARD - 1))
    assert below.outcome("dibao") == 1
    assert below.amount("dibao") == 3


@pytest.mark.parametrize(
    ("change", "criterion"),
    [
        ({"company_roles": 1}, "no_company_role"),
        ({"vehicles": 1}, "no_vehicle"),
        ({"home_bought_within_year": True}, "no_recent_home_purchase"),
        ({"homes": 2, "home_floor_area": 35 * 2 * 3 + 1}, "housing_test"),
        ({"financial_assets": STANDARD * 24 * 3 + 1}, "financial_asset_test"),
    ],
)
def test_dibao_asset_exclusions(screen, change, criterion):
    result = screen(three_at(30000), **change)
    assert result.outcome("dibao") == 0
    assert result.amount("dibao") == 0
    failed = [line.variable for line in result.explain("dibao").criteria if line.passed is False]
    assert failed == [criterion]


def test_dibao_asset_limits_are_inclusive(screen):
    result = screen(three_at(30000), homes=2, home_floor_area=35 * 2 * 3, financial_assets=STANDARD * 24 * 3)
    assert result.outcome("dibao") == 1


def test_dibao_top_ups_one_per_member(screen):
    members = [
        member(age=75, labour_capacity="none"),  # elderly: 10%
        member(relation="spouse", sex="F", age=72, disabled=True, disability_grade=1, serious_illness=True),  # 30%
        member(relation="child", age=45, serious_illness=True),  # 20%
        member(relation="grandchild", age=12, disabled=True, disability_grade=3, labour_capacity="none"),  # none
    ]
    result = screen(members)
    assert result.value("dibao", "topup_amount") == 13000 + 39000 + 26000
    assert result.amount("dibao") == STANDARD * 4 + 13000 + 39000 + 26000


def test_missing_income_needs_information_never_not_eligible(screen, plan):
    result = screen(three_at(30000), monthly_income=None, annual_medical_expenses=120000)
    for code in ("dibao", "marginal", "expenditure_poverty", "medical_aid", "employment_aid", "spring_breeze_winter"):
        assert result.outcome(code) == -1, code
        assert result.amount(code) == 0
    # Facts known without the income still decide: nobody is unable to work, so not 特困.
    assert result.outcome("extreme_poverty") == 0
    assert result.explain("dibao").missing_inputs == ["monthly_income"]
    # A fact that excludes on its own still excludes.
    assert screen(three_at(30000), monthly_income=None, company_roles=1).outcome("dibao") == 0


def test_two_homes_of_unknown_area_need_information(screen):
    assert screen(three_at(30000), homes=2, home_floor_area=None).outcome("dibao") == -1
    assert screen(three_at(30000), homes=1, home_floor_area=None).outcome("dibao") == 1


# --- 特困 ------------------------------------------------------------------------------------------


def test_extreme_poverty_displaces_dibao(screen):
    result = screen([member(age=78, labour_capacity="none")])
    assert result.outcome("extreme_poverty") == 1
    assert result.amount("extreme_poverty") == round(STANDARD * 1.3)
    assert result.value("dibao", "eligible") is True  # the dibao rules alone are met …
    assert result.outcome("dibao") == 0  # … but 特困 takes precedence
    assert result.amount("dibao") == 0
    assert result.explain("dibao").displaced_by == ["extreme_poverty"]
    assert result.outcome("marginal") == 0


def test_extreme_poverty_needs_everyone_unable_to_work(screen):
    members = [member(age=78, labour_capacity="none"), member(relation="child", age=45)]
    result = screen(members)
    assert result.outcome("extreme_poverty") == 0
    assert result.outcome("dibao") == 1
    # A minor and a disabled adult, no one able to work: 特困 for both.
    members = [
        member(age=30, disabled=True, disability_grade=2, labour_capacity="none"),
        member(relation="child", age=8, labour_capacity="none"),
    ]
    assert screen(members).amount("extreme_poverty") == round(STANDARD * 1.3) * 2
    # Income at the dibao standard is a source of income.
    assert screen([member(age=78, labour_capacity="none", monthly_income=STANDARD)]).outcome("extreme_poverty") == 0


# --- 低边 ------------------------------------------------------------------------------------------


def test_marginal_boundary_at_the_minimum_wage(screen):
    # 2 × 1,300 = 2,600 > 2,490: the minimum wage binds in 2026.
    at = screen(three_at(MINIMUM_WAGE))
    assert at.outcome("marginal") == 1
    assert at.amount("marginal") == 0  # no member in special difficulty
    assert screen(three_at(MINIMUM_WAGE + 1)).outcome("marginal") == 0
    line = at.explain("marginal").criteria[1].text
    assert line == "家庭月人均收入 2,490.00 元 ≤ 月最低工资标准（一档） 2,490.00 元（2025-01-01 起）"


def test_marginal_boundary_at_twice_the_standard(catalogue, params):
    # With a standard of 1,000 yuan, 2 × 1,000 = 2,000 < 2,490: twice the standard binds.
    lower = with_values(params, dibao__standard=100000)
    plan = catalogue.plan(lower)
    members = three_at(200000)
    assert run(plan, catalogue, household(members), members, lower).outcome("marginal") == 1
    members = three_at(200001)
    assert run(plan, catalogue, household(members), members, lower).outcome("marginal") == 0


def test_marginal_is_not_for_dibao_households_and_pays_special_members(screen):
    assert screen(three_at(30000)).outcome("marginal") == 0  # 低保 instead
    members = [member(monthly_income=400000), member(relation="parent", age=80, labour_capacity="none")]
    result = screen(members)  # 2,000 yuan per person: between the standard and the minimum wage
    assert result.outcome("dibao") == 0
    assert result.outcome("marginal") == 1
    assert result.amount("marginal") == round(STANDARD * 0.2)


# --- 支出型 ---------------------------------------------------------------------------------------


def test_expenditure_poverty_counts_rigid_expenses(screen):
    members = three_at(150000)  # 1,500 yuan each: above the standard
    assert screen(members).outcome("expenditure_poverty") == 0
    result = screen(members, annual_medical_expenses=2000000, annual_education_expenses=400000)
    # 24,000 yuan a year = 2,000 a month; 4,500 − 2,000 = 2,500 for three: 833.33 < 1,300.
    assert result.outcome("dibao") == 0
    assert result.outcome("expenditure_poverty") == 1
    assert result.amount("expenditure_poverty") == STANDARD * 3 - (450000 - 200000)
    assert result.outcome("marginal") == 0  # displaced: the stronger class applies
    # Costs above the whole income: the payment is the full standard, no more.
    result = screen(members, annual_medical_expenses=12000000)
    assert result.amount("expenditure_poverty") == STANDARD * 3


# --- 临时救助 ------------------------------------------------------------------------------------


def test_emergency_temporary_aid(screen):
    ill = [member(serious_illness=True, monthly_income=100000), member(relation="spouse", sex="F")]
    result = screen(ill, annual_medical_expenses=3000000)
    assert result.outcome("temporary_aid_emergency") == 1
    assert result.amount("temporary_aid_emergency") == STANDARD * 3
    assert screen(ill, annual_medical_expenses=1999999).outcome("temporary_aid_emergency") == 0
    not_ill = [member(monthly_income=100000), member(relation="spouse", sex="F")]
    assert screen(not_ill, annual_medical_expenses=3000000).outcome("temporary_aid_emergency") == 0


def test_expenditure_temporary_aid(screen):
    members = [member(monthly_income=200000), member(relation="spouse", sex="F")]
    # Yearly income 24,000; half of it is 12,000; costs of 15,000 are beyond the household's means.
    result = screen(members, annual_medical_expenses=1500000)
    assert result.outcome("temporary_aid_expenditure") == 1
    assert result.amount("temporary_aid_expenditure") == STANDARD * 6
    assert screen(members, annual_medical_expenses=1199999).outcome("temporary_aid_expenditure") == 0
    # Never more than the costs.
    poor = [member(), member(relation="spouse", sex="F")]
    assert screen(poor, annual_education_expenses=100000).amount("temporary_aid_expenditure") == 100000


# --- 残疾人单列户施保 -------------------------------------------------------------------------------


def test_disabled_separate_cover(screen):
    members = [
        member(age=45, disabled=True, disability_grade=1, labour_capacity="none"),
        member(relation="spouse", sex="F", monthly_income=280000),
    ]
    result = screen(members)  # 1,400 yuan each: not 低保, within the 低边 line
    assert result.outcome("dibao") == 0
    assert result.outcome("disabled_separate_cover") == 1
    assert result.amount("disabled_separate_cover") == STANDARD
    assert result.outcome("marginal") == 1
    assert result.amount("marginal") == round(STANDARD * 0.2)
    # Grade 3 is not severe.
    members[0] = member(age=45, disabled=True, disability_grade=3)
    assert screen(members).outcome("disabled_separate_cover") == 0


# --- 专项救助 ------------------------------------------------------------------------------------


def test_medical_aid_by_class(screen):
    result = screen(three_at(30000), annual_medical_expenses=1000000)
    assert result.outcome("medical_aid") == 1
    assert result.amount("medical_aid") == 800000  # 低保: 80%
    result = screen([member(age=78, labour_capacity="none")], annual_medical_expenses=1000000)
    assert result.amount("medical_aid") == 1000000  # 特困: 100%
    assert (
        screen([member(age=78, labour_capacity="none")], annual_medical_expenses=20000000).amount("medical_aid")
        == 10000000
    )  # yearly cap
    # Enrolled 低边 with no declared income: the enrolled class decides, no information is missing.
    result = screen(three_at(30000), monthly_income=None, assistance_class="marginal", annual_medical_expenses=100000)
    assert result.outcome("medical_aid") == 1
    assert result.amount("medical_aid") == 70000
    assert screen(three_at(500000), annual_medical_expenses=1000000).outcome("medical_aid") == 0


def test_education_aid_per_student_by_level(screen):
    members = [
        member(monthly_income=30000),
        member(relation="child", age=9, school_enrolment="primary", labour_capacity="none"),
        member(relation="child", age=19, school_enrolment="higher"),
    ]
    result = screen(members)
    assert result.outcome("education_aid") == 1
    assert result.amount("education_aid") == 100000 + 500000
    assert screen(three_at(30000)).outcome("education_aid") == 0  # no student


def test_housing_aid_is_an_entitlement(screen):
    result = screen(three_at(30000), homes=0, home_floor_area=0)
    assert result.outcome("housing_aid") == 1
    assert result.amount("housing_aid") == 0
    assert screen(three_at(30000), homes=1, home_floor_area=44).outcome("housing_aid") == 1
    assert screen(three_at(30000), homes=1, home_floor_area=45).outcome("housing_aid") == 0
    assert screen(three_at(30000), homes=0, area_type="rural").outcome("housing_aid") == 0
    assert screen(three_at(30000), homes=1, home_floor_area=None).outcome("housing_aid") == -1


def test_employment_aid_for_working_age_members_able_to_work(screen):
    assert screen(three_at(30000)).outcome("employment_aid") == 1
    retired = [member(age=61, monthly_income=30000), member(relation="spouse", sex="F", age=56, monthly_income=30000)]
    assert screen(retired).outcome("employment_aid") == 0
    unable = [member(labour_capacity="none", monthly_income=30000)]
    assert screen(unable).outcome("employment_aid") == 0


# --- 残疾人两项补贴 ------------------------------------------------------------------------------


def test_disability_allowances(screen):
    members = three_at(30000)
    members[2] = member(relation="child", age=20, disabled=True, disability_grade=3, monthly_income=30000)
    result = screen(members)
    assert result.amount("disability_living_allowance") == round(STANDARD * 0.3)
    assert result.outcome("disability_care_allowance") == 0  # grade 3
    well_off = [
        member(disabled=True, disability_grade=1, monthly_income=2000000),
        member(relation="parent", age=70, disabled=True, disability_grade=2),
    ]
    result = screen(well_off)
    assert result.outcome("disability_living_allowance") == 0  # not a low-income household
    assert result.outcome("disability_care_allowance") == 1  # no income test
    assert result.amount("disability_care_allowance") == 30000 + 20000


# --- 关爱型 ----------------------------------------------------------------------------------------


def test_care_visits(screen):
    result = screen([member(age=74, elderly_living_alone=True, monthly_income=400000)])
    assert result.outcome("care_visits") == 1
    assert result.amount("care_visits") == 0
    assert result.value("care_visits", "visits_per_month") == 1
    child = [member(monthly_income=400000), member(relation="child", age=7, child_in_difficulty=True)]
    assert screen(child).outcome("care_visits") == 1
    assert screen(three_at(400000)).outcome("care_visits") == 0


# --- 春风行动 -------------------------------------------------------------------------------------


def test_spring_breeze_winter(screen):
    assert screen(three_at(30000)).amount("spring_breeze_winter") == 100000
    enrolled = screen(three_at(30000), monthly_income=None, assistance_class="marginal")
    assert enrolled.outcome("spring_breeze_winter") == 1
    assert enrolled.amount("spring_breeze_winter") == 50000
    assert screen(three_at(200000)).amount("spring_breeze_winter") == 50000  # eligible as 低边
    assert screen(three_at(500000)).outcome("spring_breeze_winter") == 0


def test_spring_breeze_other_seasons(screen):
    members = [
        member(monthly_income=30000),
        member(relation="parent", age=66, labour_capacity="none"),
        member(relation="child", age=17, school_enrolment="vocational", labour_capacity="partial"),
        member(relation="child", age=19, school_enrolment="higher", monthly_income=0),
    ]
    result = screen(members)
    assert result.amount("spring_breeze_summer") == 20000
    assert result.amount("spring_breeze_autumn") == 100000 + 300000
    assert result.outcome("spring_breeze_spring") == 1  # able, working age, no income
    employed = [member(monthly_income=30000)]
    result = screen(employed)
    assert result.outcome("spring_breeze_spring") == 0
    assert result.outcome("spring_breeze_summer") == 0
    assert result.outcome("spring_breeze_autumn") == 0


def test_every_policy_explains_in_both_languages(screen, catalogue):
    result = screen(three_at(30000), annual_medical_expenses=100000)
    for code in catalogue.policies:
        for language in ("zh-hans", "en"):
            explanation = result.explain(code, language)
            assert explanation.criteria
            for line in explanation.criteria:
                assert line.text and not re.search(r"\b[a-z]+_[a-z_]+\b", line.text), (code, line.text)
