"""Explanations: one line per criterion, exact text in Chinese and English."""

from zhongfu.policies.engine import frames_from_records

from .engine_helpers import params, sample_catalogue

MEMBER = {
    "household_id": 1,
    "age": 40,
    "sex": "F",
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


def household(**values):
    base = {
        "household_id": 1,
        "size": 2,
        "area_type": "urban",
        "hukou_type": "resident",
        "assistance_class": "",
        "monthly_income": 60_000,
        "annual_medical_expenses": 0,
        "annual_education_expenses": 0,
        "financial_assets": 1_234_567,
        "vehicles": 0,
        "company_roles": 0,
        "homes": 1,
        "home_floor_area": 50,
        "home_bought_within_year": False,
    }
    return base | values


def evaluated(record, members=(MEMBER, MEMBER)):
    plan = sample_catalogue().plan(params())
    row = plan.evaluate(*frames_from_records([record], list(members))).collect().row(0, named=True)
    return plan, row | record


def test_comparison_criteria_in_chinese():
    plan, row = evaluated(household())
    explanation = plan.explain(row, "dibao")
    assert (explanation.code, explanation.outcome, explanation.amount_fen) == ("dibao", 1, 200_000)
    assert [line.variable for line in explanation.criteria] == [
        "income_test",
        "asset_test",
        "housing_test",
        "no_recent_home",
    ]
    texts = [line.text for line in explanation.criteria]
    assert texts == [
        "家庭月人均收入 300.00 元 < 低保标准 1,300.00 元（2024-01-01 起）",
        "家庭金融资产 12,345.67 元 ≤ 低保标准 1,300.00 元（2024-01-01 起） × 财产月数 24 个月（2023-01-01 起）"
        " × 家庭人口 2 且 车辆数 0 = 0",
        "住房套数 1 ≤ 1 或 住房总面积 50 平方米 ≤ 60 × 家庭人口 2",
        "一年内未购房：是",
    ]
    income = explanation.criteria[0]
    assert (income.label, income.passed) == ("收入条件", True)
    assert income.inputs == {"monthly_income": 60_000, "size": 2}
    assert income.parameters == {
        "dibao.standard": {"value": 130_000, "start": "2024-01-01", "unit": "fen", "label": "低保标准"}
    }
    assert explanation.missing_inputs == [] and explanation.displaced_by == []


def test_comparison_criteria_in_english():
    plan, row = evaluated(household())
    texts = [line.text for line in plan.explain(row, "dibao", language="en").criteria]
    assert texts[0] == "monthly per-capita income 300.00 yuan < dibao standard 1,300.00 yuan (since 2024-01-01)"
    assert texts[1] == (
        "financial assets 12,345.67 yuan ≤ dibao standard 1,300.00 yuan (since 2024-01-01)"
        " × asset months 24 months (since 2023-01-01) × household size 2 and vehicles 0 = 0"
    )
    assert texts[2] == "homes owned 1 ≤ 1 or total home floor area 50 m² ≤ 60 × household size 2"
    assert texts[3] == "no home bought within a year: yes"
    assert plan.explain(row, "dibao", language="en").criteria[0].parameters["dibao.standard"]["label"] == (
        "dibao standard"
    )


def test_failed_and_unknown_criteria():
    plan, row = evaluated(household(monthly_income=None, home_bought_within_year=True))
    explanation = plan.explain(row, "dibao")
    assert explanation.outcome == 0  # a home bought within a year: not eligible whatever the income
    assert explanation.criteria[0].text == "家庭月人均收入 未知 < 低保标准 1,300.00 元（2024-01-01 起）"
    assert explanation.criteria[0].passed is None
    assert explanation.criteria[3].text == "一年内未购房：否" and explanation.criteria[3].passed is False
    assert explanation.missing_inputs == []

    plan, row = evaluated(household(monthly_income=None))
    explanation = plan.explain(row, "dibao", "en")
    assert explanation.outcome == -1 and explanation.amount_fen == 0
    assert explanation.missing_inputs == ["monthly_income"]
    assert explanation.criteria[0].text.startswith("monthly per-capita income unknown < ")


def test_macro_criterion_and_displacement():
    elder = MEMBER | {"age": 85, "labour_capacity": "none"}
    plan, row = evaluated(household(size=1, hukou_type="registered", financial_assets=0), [elder])
    poverty = plan.explain(row, "extreme_poverty")
    assert [line.text for line in poverty.criteria] == ["无劳动能力成员：是"]
    assert poverty.outcome == 1 and poverty.amount_fen == 169_000
    dibao = plan.explain(row, "dibao", "en")
    assert dibao.outcome == 0 and dibao.displaced_by == ["extreme_poverty"]


def test_policy_without_criteria_explains_eligible():
    plan, row = evaluated(household())
    care = plan.explain(row, "care")
    assert [line.variable for line in care.criteria] == ["eligible"]
    # a variable without a label shows its name; another policy's variable its label; money literals as money
    assert care.criteria[0].text == "in_aid：是 且 (elderly：否 或 家庭月人均收入 300.00 元 < 500.00 元)"
    english = plan.explain(row, "care", "en").criteria[0].text
    assert english == "in_aid: yes and (elderly: no or monthly per-capita income 300.00 yuan < 500.00 yuan)"
