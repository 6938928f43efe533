"""What a policy can read: the household inputs and member fields (docs/policies.md), as Polars schemas."""

import polars as pl

# name -> (dtype, may be unknown)
HOUSEHOLD_INPUTS: dict[str, tuple[pl.DataType, bool]] = {
    "size": (pl.Int64, False),
    "area_type": (pl.Utf8, False),
    "hukou_type": (pl.Utf8, False),
    "assistance_class": (pl.Utf8, False),
    "monthly_income": (pl.Int64, True),
    "annual_medical_expenses": (pl.Int64, False),
    "annual_education_expenses": (pl.Int64, False),
    "financial_assets": (pl.Int64, False),
    "vehicles": (pl.Int64, False),
    "company_roles": (pl.Int64, False),
    "homes": (pl.Int64, False),
    "home_floor_area": (pl.Int64, True),
    "home_bought_within_year": (pl.Boolean, False),
}

MEMBER_FIELDS: dict[str, pl.DataType] = {
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

# Labels and units of inputs, for explanations. Two languages like policy labels (the explanation is
# stored data in the language asked for, not page text).
INPUT_LABELS: dict[str, dict[str, str]] = {
    "size": {"zh": "家庭人口", "en": "household size"},
    "area_type": {"zh": "城乡类别", "en": "area type"},
    "hukou_type": {"zh": "户籍类型", "en": "hukou type"},
    "assistance_class": {"zh": "现救助类别", "en": "current assistance class"},
    "monthly_income": {"zh": "家庭月收入", "en": "monthly household income"},
    "annual_medical_expenses": {"zh": "年度自付医疗费用", "en": "annual out-of-pocket medical expenses"},
    "annual_education_expenses": {"zh": "年度教育支出", "en": "annual education expenses"},
    "financial_assets": {"zh": "家庭金融资产", "en": "financial assets"},
    "vehicles": {"zh": "车辆数", "en": "vehicles"},
    "company_roles": {"zh": "企业任职人数", "en": "members with company roles"},
    "homes": {"zh": "住房套数", "en": "homes owned"},
    "home_floor_area": {"zh": "住房总面积", "en": "total home floor area"},
    "home_bought_within_year": {"zh": "一年内购置住房", "en": "home bought within a year"},
}
INPUT_UNITS: dict[str, str] = {
    "size": "count",
    "monthly_income": "fen",
    "annual_medical_expenses": "fen",
    "annual_education_expenses": "fen",
    "financial_assets": "fen",
    "vehicles": "count",
    "company_roles": "count",
    "homes": "count",
    "home_floor_area": "m2",
}

TYPE_OF_DTYPE = {pl.Int64: "int", pl.Float64: "double", pl.Boolean: "bool", pl.Utf8: "string"}
DTYPE_OF_TYPE = {value: key for key, value in TYPE_OF_DTYPE.items()}

INPUT_TYPES = {name: TYPE_OF_DTYPE[dtype] for name, (dtype, _nullable) in HOUSEHOLD_INPUTS.items()}
FIELD_TYPES = {name: TYPE_OF_DTYPE[dtype] for name, dtype in MEMBER_FIELDS.items()}

HOUSEHOLD_SCHEMA = {"household_id": pl.Int64, **{name: dtype for name, (dtype, _n) in HOUSEHOLD_INPUTS.items()}}
MEMBER_SCHEMA = {"household_id": pl.Int64, **MEMBER_FIELDS}


def frames_from_records(households: list[dict], members: list[dict]) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    """Households and members as frames with the exact schema (a missing key is null, extra keys are dropped)."""
    household_frame = pl.DataFrame(
        [{name: record.get(name) for name in HOUSEHOLD_SCHEMA} for record in households],
        schema=HOUSEHOLD_SCHEMA,
    )
    member_frame = pl.DataFrame(
        [{name: record.get(name) for name in MEMBER_SCHEMA} for record in members],
        schema=MEMBER_SCHEMA,
    )
    return household_frame.lazy(), member_frame.lazy()
