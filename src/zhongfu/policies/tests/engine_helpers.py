"""Small builders shared by the engine tests (policy YAML from a dict of expressions, parameters)."""

import datetime as dt
import math

import yaml

from zhongfu.policies.engine import ParameterSet, load_parameters

PARAMETERS = """
dibao:
  standard:
    description: {zh: 低保标准, en: dibao standard}
    metadata: {unit: fen, reference: 杭民发〔2024〕1号}
    values:
      2023-07-01: {value: 117500}
      2024-01-01: {value: 130000}
  asset_months:
    description: {zh: 财产月数, en: asset months}
    metadata: {unit: months}
    values:
      2023-01-01: {value: 24}
marginal:
  multiple:
    description: {zh: 低边倍数, en: marginal multiple}
    metadata: {unit: count}
    values:
      2023-01-01: {value: 2}
  ratio:
    description: {zh: 低边系数, en: marginal ratio}
    metadata: {unit: ratio}
    values:
      2023-01-01: {value: 1.5}
minimum_wage:
  description: {zh: 最低工资, en: minimum wage}
  metadata: {unit: fen}
  values:
    2023-01-01: {value: 249000}
"""


def params(on=dt.date(2024, 6, 1)) -> ParameterSet:
    return ParameterSet.at(load_parameters(PARAMETERS), on)


def policy_yaml(code="dibao", variables=None, **extra) -> str:
    data = {
        "code": code,
        "name": {"zh": f"政策 {code}", "en": f"policy {code}"},
        "aid_type": "baseline",
        "unit": "civil_affairs",
        "deciding_level": "district",
        "source": "test",
    }
    data.update(extra)
    variables = dict(variables or {})
    variables.setdefault("eligible", "true")
    variables.setdefault("amount", "0")
    data["variables"] = {name: spec if isinstance(spec, dict) else {"expr": spec} for name, spec in variables.items()}
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


# A small catalogue that exercises the language: 补差, ratios and rounding, int division, members macros,
# cross-policy references, displacement (displaced_by) and exclusion (requires_not).
SAMPLE = {
    "dibao": """
code: dibao
name: {zh: 最低生活保障, en: dibao}
aid_type: baseline
unit: civil_affairs
deciding_level: district
source: test
displaced_by: [extreme_poverty]
variables:
  per_capita_income:
    label: {zh: 家庭月人均收入, en: monthly per-capita income}
    unit: fen
    expr: monthly_income / size
  income_test:
    label: {zh: 收入条件, en: income test}
    expr: per_capita_income < p.dibao.standard
  asset_test:
    label: {zh: 财产条件, en: asset test}
    expr: financial_assets <= p.dibao.standard * p.dibao.asset_months * size && vehicles == 0
  housing_test:
    label: {zh: 住房条件, en: housing test}
    expr: "homes <= 1 || home_floor_area <= 60 * size"
  no_recent_home:
    label: {zh: 一年内未购房, en: no home bought within a year}
    expr: "!home_bought_within_year"
  eligible:
    expr: income_test && asset_test && housing_test && no_recent_home
  amount:
    unit: fen
    expr: "eligible ? (p.dibao.standard - per_capita_income) * size : 0"
criteria: [income_test, asset_test, housing_test, no_recent_home]
""",
    "marginal": """
code: marginal
name: {zh: 低保边缘, en: marginal}
unit: civil_affairs
deciding_level: district
source: test
displaced_by: [dibao, extreme_poverty]
variables:
  per_capita_income:
    label: {zh: 家庭月人均收入, en: monthly per-capita income}
    unit: fen
    expr: monthly_income / size
  income_test:
    label: {zh: 收入条件, en: income test}
    expr: per_capita_income <= p.dibao.standard * p.marginal.multiple && per_capita_income <= p.minimum_wage
  ratio_test:
    expr: double(per_capita_income) <= double(p.dibao.standard) * p.marginal.ratio * 2.0
  gap:
    unit: fen
    expr: (p.dibao.standard * size - monthly_income) / 3
  gap_remainder:
    expr: (monthly_income - p.dibao.standard * size) % 7
  band:
    expr: "per_capita_income < p.dibao.standard ? 1 : 2"
  eligible:
    expr: income_test && ratio_test && financial_assets < 500000 * size
  amount:
    unit: fen
    expr: "eligible ? max(round(double(p.dibao.standard) * 0.15 * double(size)), 100) : 0"
criteria: [income_test]
""",
    "expenditure_poverty": """
code: expenditure_poverty
name: {zh: 支出型贫困, en: expenditure poverty}
unit: civil_affairs
deciding_level: district
source: test
requires_not: [dibao]
variables:
  rigid:
    unit: fen
    expr: annual_medical_expenses + annual_education_expenses
  net_per_capita:
    unit: fen
    expr: (monthly_income * 12 - rigid) / size / 12
  eligible:
    expr: net_per_capita < p.dibao.standard && financial_assets < p.dibao.standard * 12 * size
  amount:
    unit: fen
    expr: "eligible ? min(rigid / 12, p.dibao.standard * 2) : 0"
""",
    "extreme_poverty": """
code: extreme_poverty
name: {zh: 特困人员, en: extreme poverty}
unit: civil_affairs
deciding_level: district
source: test
variables:
  no_one_to_work:
    label: {zh: 无劳动能力成员, en: nobody able to work}
    expr: members.all(m, m.age >= 60 || m.age < 16 || m.labour_capacity == "none")
  severe_disability:
    expr: members.exists(m, m.disabled && m.disability_grade <= 2)
  one_head:
    expr: members.exists_one(m, m.relation == "head")
  ill:
    expr: members.filter(m, m.serious_illness).size()
  member_income:
    unit: fen
    expr: sum(members.map(m, m.monthly_income))
  member_income_per_capita:
    unit: fen
    expr: member_income / size(members)
  people:
    expr: members.size()
  local:
    expr: hukou_type == "registered" && area_type in ["urban", "rural"]
  eligible:
    expr: local && no_one_to_work && member_income_per_capita < p.dibao.standard && financial_assets < 1000000
  amount:
    unit: fen
    expr: "eligible ? round(double(p.dibao.standard) * 1.3) * people + (severe_disability ? 20000 : 0) : 0"
criteria: [no_one_to_work]
""",
    "care": """
code: care
name: {zh: 关爱, en: care}
unit: civil_affairs
deciding_level: street
source: test
period: one_off
variables:
  in_aid:
    expr: dibao.eligible || extreme_poverty.eligible
  elderly:
    expr: members.exists(m, m.age >= 80 && m.elderly_living_alone)
  eligible:
    expr: "in_aid && (elderly || dibao.per_capita_income < 50000)"
  amount:
    unit: fen
    expr: "eligible ? dibao.amount / 10 + extreme_poverty.amount / 20 + 10000 : 0"
""",
}


def sample_catalogue():
    from zhongfu.policies.engine import Catalogue, load_policy

    return Catalogue(load_policy(text) for text in SAMPLE.values())


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def rows_disagree(plan, household: dict, members: list[dict], frame_row: dict, codes=None) -> dict:
    """Where the plan run on records (`plan.rows`) differs from the frame plan's row: {column: (rows, frame)}.

    Exact: same values and same Python types, NaN equal to NaN."""
    row = plan.rows.evaluate(household, members, codes)
    keys = set(row) | set(frame_row)
    return {key: (row.get(key), frame_row.get(key)) for key in keys if not _same(row.get(key), frame_row.get(key))}
