"""The engine's inputs, built from the registry: one row per household, one row per current member.

docs/policies.md lists every input and member field; this module is where each comes from. The
same function serves one household (the household page) and a whole city (the batch run): it reads
with a handful of set-based queries and joins in Polars, never one query per household.
"""

import datetime as dt

import polars as pl
from django.db.models import Count, Q, QuerySet, Sum

from zhongfu.policies.engine import HOUSEHOLD_INPUTS, MEMBER_FIELDS
from zhongfu.registry.models import Asset, Expense, Household, Income, Membership

_DTYPES = {"int": pl.Int64, "double": pl.Float64, "bool": pl.Boolean, "string": pl.Utf8}


def _dtype(spec) -> pl.DataType:
    kind = spec[0] if isinstance(spec, tuple) else spec
    return _DTYPES.get(kind, kind) if isinstance(kind, str) else kind


def _frame(rows: list[tuple], schema: dict) -> pl.LazyFrame:
    return pl.DataFrame(rows, schema=schema, orient="row").lazy()


def member_frame(households: QuerySet[Household], as_of: dt.date) -> pl.LazyFrame:
    """Current, living members with their fields as of `as_of`."""
    memberships = Membership.objects.filter(
        Q(household__in=households.values("id")),
        Q(start_date__lte=as_of),
        Q(end_date__isnull=True) | Q(end_date__gt=as_of),
        Q(person__deceased_on__isnull=True) | Q(person__deceased_on__gt=as_of),
    )
    rows = list(
        memberships.values_list(
            "household_id",
            "person_id",
            "person__birth_date",
            "person__sex",
            "relation",
            "person__labour_capacity",
            "person__disability_category",
            "person__disability_grade",
            "person__serious_illness",
            "person__elderly_living_alone",
            "person__child_in_difficulty",
            "person__school_enrolment",
        )
    )
    frame = _frame(
        rows,
        {
            "household_id": pl.Int64,
            "person_id": pl.Int64,
            "birth_date": pl.Date,
            "sex": pl.Utf8,
            "relation": pl.Utf8,
            "labour_capacity": pl.Utf8,
            "disability_category": pl.Utf8,
            "disability_grade": pl.Int64,
            "serious_illness": pl.Boolean,
            "elderly_living_alone": pl.Boolean,
            "child_in_difficulty": pl.Boolean,
            "school_enrolment": pl.Utf8,
        },
    )
    incomes = _frame(
        list(
            Income.objects.filter(person__memberships__in=memberships)
            .values("person_id")
            .annotate(total=Sum("monthly_fen"), n=Count("id"))
            .values_list("person_id", "total", "n")
        ),
        {"person_id": pl.Int64, "monthly_income": pl.Int64, "income_records": pl.Int64},
    )
    # Full years on the evaluation date: one less if this year's birthday has not come yet.
    birthday_passed = (pl.col("birth_date").dt.month() * 100 + pl.col("birth_date").dt.day()) <= (
        as_of.month * 100 + as_of.day
    )
    age = pl.lit(as_of.year) - pl.col("birth_date").dt.year() - pl.when(birthday_passed).then(0).otherwise(1)
    frame = (
        frame.join(incomes, on="person_id", how="left")
        .with_columns(
            age=age.cast(pl.Int64),
            disabled=pl.col("disability_category") != "",
            disability_grade=pl.when(pl.col("disability_category") != "")
            .then(pl.col("disability_grade").fill_null(4))
            .otherwise(0),
            monthly_income=pl.col("monthly_income").fill_null(0),
            income_records=pl.col("income_records").fill_null(0),
        )
        .sort(["household_id", "person_id"])
    )
    return frame.select(["household_id", "person_id", "income_records", *MEMBER_FIELDS.keys()])


def household_frame(households: QuerySet[Household], members: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """Household-level inputs; `members` is `member_frame` of the same households."""
    base = _frame(
        list(households.values_list("id", "area_type", "hukou_type", "assistance_class")),
        {"household_id": pl.Int64, "area_type": pl.Utf8, "hukou_type": pl.Utf8, "assistance_class": pl.Utf8},
    )
    per_household = members.group_by("household_id").agg(
        size=pl.len().cast(pl.Int64),
        declared=pl.col("income_records").sum(),
        income=pl.col("monthly_income").sum(),
    )
    in_scope = Q(household__in=households.values("id"))
    last_year = as_of.year - 1
    expenses = _frame(
        list(
            Expense.objects.filter(in_scope, year=last_year)
            .values("household_id")
            .annotate(
                medical=Sum("annual_fen", filter=Q(kind="medical")),
                education=Sum("annual_fen", filter=Q(kind="education")),
            )
            .values_list("household_id", "medical", "education")
        ),
        {"household_id": pl.Int64, "annual_medical_expenses": pl.Int64, "annual_education_expenses": pl.Int64},
    )
    year_ago = as_of - dt.timedelta(days=365)
    assets = _frame(
        list(
            Asset.objects.filter(in_scope)
            .values("household_id")
            .annotate(
                financial=Sum("value_fen", filter=Q(kind="deposit")),
                vehicles=Count("id", filter=Q(kind="vehicle", is_exempt_vehicle=False)),
                company_roles=Count("id", filter=Q(kind="company_role")),
                homes=Count("id", filter=Q(kind="home")),
                area=Sum("floor_area_m2", filter=Q(kind="home")),
                area_unknown=Count("id", filter=Q(kind="home", floor_area_m2__isnull=True)),
                recent=Count("id", filter=Q(kind="home", acquired_on__gt=year_ago, acquired_on__lte=as_of)),
            )
            .values_list(
                "household_id", "financial", "vehicles", "company_roles", "homes", "area", "area_unknown", "recent"
            )
        ),
        {
            "household_id": pl.Int64,
            "financial_assets": pl.Int64,
            "vehicles": pl.Int64,
            "company_roles": pl.Int64,
            "homes": pl.Int64,
            "area": pl.Int64,
            "area_unknown": pl.Int64,
            "recent": pl.Int64,
        },
    )
    frame = (
        base.join(per_household, on="household_id", how="left")
        .join(expenses, on="household_id", how="left")
        .join(assets, on="household_id", how="left")
        .with_columns(
            size=pl.col("size").fill_null(0),
            # No member declared any income: unknown, so the engine says "needs information".
            monthly_income=pl.when(pl.col("declared").fill_null(0) > 0).then(pl.col("income")).otherwise(None),
            annual_medical_expenses=pl.col("annual_medical_expenses").fill_null(0),
            annual_education_expenses=pl.col("annual_education_expenses").fill_null(0),
            financial_assets=pl.col("financial_assets").fill_null(0),
            vehicles=pl.col("vehicles").fill_null(0),
            company_roles=pl.col("company_roles").fill_null(0),
            homes=pl.col("homes").fill_null(0),
            home_floor_area=pl.when(pl.col("area_unknown").fill_null(0) > 0)
            .then(None)
            .otherwise(pl.col("area").fill_null(0)),
            home_bought_within_year=pl.col("recent").fill_null(0) > 0,
        )
        .sort("household_id")
    )
    columns = {"household_id": pl.Int64, **{k: _dtype(v) for k, v in HOUSEHOLD_INPUTS.items()}}
    return frame.select([pl.col(name).cast(dtype) for name, dtype in columns.items()])


def engine_frames(households: QuerySet[Household], as_of: dt.date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(households, members) frames in the engine's schema. Everything above is lazy and collected
    here once: the one-household page pays for a single Polars plan, not one per join."""
    members = member_frame(households, as_of)
    frame = household_frame(households, members, as_of)
    member_columns = {"household_id": pl.Int64, **{k: _dtype(v) for k, v in MEMBER_FIELDS.items()}}
    members = members.select([pl.col(name).cast(dtype) for name, dtype in member_columns.items()])
    frame, members = pl.collect_all([frame, members])
    return frame, members


def inputs_snapshot(households: pl.DataFrame, members: pl.DataFrame, household_id: int) -> dict:
    """One household's inputs as JSON-safe data, stored with its determinations for replay."""
    household = households.filter(pl.col("household_id") == household_id).to_dicts()
    rows = members.filter(pl.col("household_id") == household_id).to_dicts()
    return {"household": household[0] if household else {}, "members": rows}
