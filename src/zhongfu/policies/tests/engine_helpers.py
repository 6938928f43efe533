"""Small builders shared by the engine tests (policy YAML from a dict of expressions, parameters)."""

import datetime as dt

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
