"""A minimal OpenFisca country package, defined in code: the 特困 / 低保 / 低边 / 支出型 rules of Zhongfu's
shipped catalogue (src/zhongfu/policies/catalogue/*.yaml), written the OpenFisca way.

Runs only in the benchmark's own virtual environment (.venv-openfisca, bench/requirements-openfisca.txt);
nothing in Zhongfu imports it. Entities: Person and Household (one role, `member`). Money variables are
OpenFisca floats (float32) in yuan, as a country package would hold them; parameters come from the bench,
resolved from catalogue/parameters.yaml for the evaluation date, money converted to yuan.

Mirroring Zhongfu exactly:
- the catalogue's rules on integers (per-capita income = monthly income ÷ members, truncated to the fen;
  rigid expenses ÷ 12 truncated; round() half away from zero) are computed on the fen value of each float:
  `_fen(x)`; money results (the amounts) stay float32 yuan, and the bench reports their drift;
- a policy's `eligible` is "definitely true" here: Zhongfu's unknown inputs (monthly income no member
  declared, a home without a floor area) arrive as a value plus an `…_known` flag, and a test that
  needs an unknown value is not met. Zhongfu gives "needs information" there; both count it as not eligible;
- precedence and exclusion as Zhongfu's engine applies them: a policy is not eligible when a policy it lists
  in `displaced_by` or `requires_not` is eligible (after that policy's own precedence).
"""

import numpy as np
from openfisca_core.entities import build_entity
from openfisca_core.indexed_enums import Enum
from openfisca_core.parameters import ParameterNode
from openfisca_core.periods import DateUnit
from openfisca_core.taxbenefitsystems import TaxBenefitSystem
from openfisca_core.variables import Variable

MONTH = DateUnit.MONTH
POLICIES = ("extreme_poverty", "dibao", "marginal", "expenditure_poverty")

Household = build_entity(
    key="household",
    plural="households",
    label="Household",
    roles=[{"key": "member", "plural": "members", "label": "Member"}],
)
Person = build_entity(key="person", plural="persons", label="Person", is_person=True)


class LabourCapacity(Enum):
    full = "full"
    partial = "partial"
    none = "none"


def _fen(yuan):
    """The integer fen of a money value held as float yuan (as a float64 array of whole numbers)."""
    return np.round(np.asarray(yuan, dtype=np.float64) * 100.0)


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def _trunc_div(a, b):
    """Integer division truncating toward zero (CEL's `/` on ints), on whole-number floats."""
    return np.trunc(a / b)


# --- inputs ---------------------------------------------------------------------------------------------
def _input(name, value_type, entity, label, **extra):
    return type(
        name,
        (Variable,),
        {"value_type": value_type, "entity": entity, "definition_period": MONTH, "label": label, **extra},
    )


INPUTS = [
    _input("age", int, Person, "Full years on the evaluation date"),
    _input("disabled", bool, Person, "Has a disability category"),
    _input("disability_grade", int, Person, "Disability grade, 1 (most severe) to 4; 0 when not disabled"),
    _input("serious_illness", bool, Person, "Serious illness"),
    _input(
        "labour_capacity",
        Enum,
        Person,
        "Labour capacity",
        possible_values=LabourCapacity,
        default_value=LabourCapacity.full,
    ),
    _input("monthly_income", float, Household, "Household monthly income (yuan)"),
    _input("monthly_income_known", bool, Household, "Some member declared an income", default_value=True),
    _input("annual_medical_expenses", float, Household, "Out-of-pocket medical costs last year (yuan)"),
    _input("annual_education_expenses", float, Household, "Education costs last year (yuan)"),
    _input("financial_assets", float, Household, "Deposits and securities (yuan)"),
    _input("vehicles", int, Household, "Vehicles other than exempt ones"),
    _input("company_roles", int, Household, "Members with a company role"),
    _input("homes", int, Household, "Homes owned"),
    _input("home_floor_area", int, Household, "Floor area of all homes (m²)"),
    _input("home_floor_area_known", bool, Household, "Every home has a floor area", default_value=True),
    _input("home_bought_within_year", bool, Household, "A home acquired in the last 12 months"),
]


# --- formulas -------------------------------------------------------------------------------------------
def _var(name, value_type, label, formula):
    return type(
        name,
        (Variable,),
        {"value_type": value_type, "entity": Household, "definition_period": MONTH, "label": label, "formula": formula},
    )


def size(household, period, parameters):
    return household.nb_persons()


def per_capita_income_fen(household, period, parameters):
    return _trunc_div(_fen(household("monthly_income", period)), household("size", period))


def asset_test(household, period, parameters):
    """低保's asset test (shared by 特困, 低边 and 支出型): no vehicle, no company role, fewer than two homes
    or floor area within the limit, no recent home purchase, financial assets within the limit."""
    p = parameters(period)
    members = household("size", period)
    area_limit = p.dibao.assets.floor_area_per_capita * p.dibao.assets.floor_area_multiple * members
    housing = (household("homes", period) < 2) | (
        household("home_floor_area_known", period) & (household("home_floor_area", period) <= area_limit)
    )
    financial_limit_fen = _fen(p.dibao.standard) * p.dibao.assets.financial_months * members
    return (
        (household("vehicles", period) == 0)
        & (household("company_roles", period) == 0)
        & housing
        & ~household("home_bought_within_year", period)
        & (_fen(household("financial_assets", period)) <= financial_limit_fen)
    )


def income_below_standard(household, period, parameters):
    std_fen = _fen(parameters(period).dibao.standard)
    return household("monthly_income_known", period) & (household("per_capita_income_fen", period) < std_fen)


# 特困
def extreme_poverty_eligible(household, period, parameters):
    p = parameters(period).extreme_poverty
    age = household.members("age", period)
    category = household.all((age >= p.elderly_age) | (age < p.minor_age) | household.members("disabled", period))
    unable = household.all(household.members("labour_capacity", period) == LabourCapacity.none)
    return category & unable & household("income_below_standard", period) & household("asset_test", period)


def extreme_poverty_amount(household, period, parameters):
    p = parameters(period)
    living_standard = _round_half_away(_fen(p.dibao.standard) * p.extreme_poverty.standard_ratio) / 100.0
    return np.where(household("extreme_poverty_eligible", period), living_standard * household("size", period), 0.0)


# 低保
def dibao_eligible(household, period, parameters):
    own = household("income_below_standard", period) & household("asset_test", period)
    return own & ~household("extreme_poverty_eligible", period)


def dibao_amount(household, period, parameters):
    p = parameters(period).dibao
    std = p.standard
    severe = p.topup.severe_disability_grade
    disabled = household.members("disabled", period)
    severely_disabled = disabled & (household.members("disability_grade", period) <= severe)
    ill = household.members("serious_illness", period)
    elderly = household.members("age", period) >= p.topup.elderly_age
    n_severe = household.sum(severely_disabled)
    n_ill = household.sum(ill & ~severely_disabled)
    n_elderly = household.sum(elderly & ~ill & ~severely_disabled)

    def share(ratio):
        return _round_half_away(_fen(std) * ratio) / 100.0

    topup = n_severe * share(p.topup.disability_ratio) + n_ill * share(p.topup.illness_ratio)
    topup = topup + n_elderly * share(p.topup.elderly_ratio)
    base = std * household("size", period) - household("monthly_income", period)
    return np.where(household("dibao_eligible", period), base + topup, 0.0)


# 支出型
def expenditure_poverty_eligible(household, period, parameters):
    std_fen = _fen(parameters(period).dibao.standard)
    rigid_fen = household("monthly_rigid_expenses_fen", period)
    adjusted_fen = _fen(household("monthly_income", period)) - rigid_fen
    income_test = household("monthly_income_known", period) & (
        _trunc_div(adjusted_fen, household("size", period)) < std_fen
    )
    own = (rigid_fen > 0) & income_test & household("asset_test", period)
    return own & ~household("extreme_poverty_eligible", period) & ~household("dibao_eligible", period)


def monthly_rigid_expenses_fen(household, period, parameters):
    expenses = _fen(household("annual_medical_expenses", period)) + _fen(household("annual_education_expenses", period))
    return _trunc_div(expenses, 12)


def expenditure_poverty_amount(household, period, parameters):
    std = parameters(period).dibao.standard
    adjusted = household("monthly_income", period) - household("monthly_rigid_expenses_fen", period) / 100.0
    amount = std * household("size", period) - np.maximum(adjusted, 0.0)
    return np.where(household("expenditure_poverty_eligible", period), amount, 0.0)


# 低边
def marginal_eligible(household, period, parameters):
    p = parameters(period)
    std_fen = _fen(p.dibao.standard)
    line_fen = _round_half_away(std_fen * p.marginal.income_multiple)
    per_capita = household("per_capita_income_fen", period)
    own = (
        household("monthly_income_known", period)
        & (per_capita <= line_fen)
        & (per_capita <= _fen(p.minimum_wage.tier1))
        & household("asset_test", period)
    )
    return (
        own
        & ~household("extreme_poverty_eligible", period)
        & ~household("dibao_eligible", period)
        & ~household("expenditure_poverty_eligible", period)
    )


def marginal_amount(household, period, parameters):
    p = parameters(period)
    age = household.members("age", period)
    allowance = p.marginal.allowance
    special = (
        (age >= allowance.elderly_age)
        | (age < allowance.minor_age)
        | household.members("serious_illness", period)
        | (
            household.members("disabled", period)
            & (household.members("disability_grade", period) <= p.dibao.topup.severe_disability_grade)
        )
    )
    per_member = _round_half_away(_fen(p.dibao.standard) * allowance.ratio) / 100.0
    return np.where(household("marginal_eligible", period), household.sum(special) * per_member, 0.0)


FORMULAS = [
    _var("size", int, "Members", size),
    _var("per_capita_income_fen", float, "Per-capita monthly income, whole fen", per_capita_income_fen),
    _var("asset_test", bool, "Asset test (as for dibao)", asset_test),
    _var("income_below_standard", bool, "Per-capita income below the dibao standard", income_below_standard),
    _var("monthly_rigid_expenses_fen", float, "Monthly rigid expenses, whole fen", monthly_rigid_expenses_fen),
    _var("extreme_poverty_eligible", bool, "Eligible for extreme-poverty support", extreme_poverty_eligible),
    _var("extreme_poverty_amount", float, "Extreme-poverty allowance (yuan a month)", extreme_poverty_amount),
    _var("dibao_eligible", bool, "Eligible for dibao", dibao_eligible),
    _var("dibao_amount", float, "Dibao payment (yuan a month)", dibao_amount),
    _var("expenditure_poverty_eligible", bool, "Eligible for expenditure-poverty aid", expenditure_poverty_eligible),
    _var("expenditure_poverty_amount", float, "Expenditure-poverty payment (yuan a month)", expenditure_poverty_amount),
    _var("marginal_eligible", bool, "Eligible as a marginal household", marginal_eligible),
    _var("marginal_amount", float, "Marginal living allowance (yuan a month)", marginal_amount),
]


class ZhongfuRules(TaxBenefitSystem):
    """The tax-benefit system: entities, the inputs and formulas above, and the parameters given."""

    def __init__(self, parameters: dict):
        super().__init__([Household, Person])
        self.parameters = ParameterNode("", data=parameters)
        self.add_variables(*INPUTS, *FORMULAS)


def parameter_tree(values: dict[str, dict], instant: str) -> dict:
    """OpenFisca's parameter layout from {"dibao.standard": {"value": 130000, "unit": "fen"}, …}: one value
    in force from `instant`; money in yuan (OpenFisca's floats), the rest as given."""
    tree: dict = {}
    for path, leaf in values.items():
        value = leaf["value"] / 100.0 if leaf["unit"] == "fen" else leaf["value"]
        node = tree
        *parents, name = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[name] = {"values": {instant: {"value": value}}}
    return tree
