"""The engine's inputs, built from the registry: one row per household, one row per current member.

docs/policies.md lists every input and member field; this module is where each comes from. Five
set-based queries read them (never one query per household); `engine_frames` joins them in Polars for
a whole city (the batch run), `household_records` puts one household together in plain Python (the
household page: a Polars plan costs milliseconds however small the data). The tests hold the two to the
same answer on every household of a test city.
"""

import datetime as dt

import polars as pl
from django.db.models import Count, Q, QuerySet, Sum

from zhongfu.common.frames import queryset_frame
from zhongfu.policies.engine import HOUSEHOLD_INPUTS, MEMBER_FIELDS
from zhongfu.registry.models import Asset, Expense, Household, Income, Membership

_DTYPES = {"int": pl.Int64, "double": pl.Float64, "bool": pl.Boolean, "string": pl.Utf8}


def _dtype(spec) -> pl.DataType:
    kind = spec[0] if isinstance(spec, tuple) else spec
    return _DTYPES.get(kind, kind) if isinstance(kind, str) else kind


def _frame(rows: QuerySet, schema: dict) -> pl.LazyFrame:
    """A `values_list` queryset as a frame (COPY on PostgreSQL: a city has millions of rows)."""
    return queryset_frame(rows, schema).lazy()


MEMBER_COLUMNS = (
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
ASSET_COLUMNS = ("household_id", "financial", "vehicles", "company_roles", "homes", "area", "area_unknown", "recent")


def _memberships(households: QuerySet[Household] | int, as_of: dt.date) -> QuerySet[Membership]:
    """Current, living members as of `as_of`, of a set of households or of one (by id: a plainer query)."""
    scope = Q(household_id=households) if isinstance(households, int) else Q(household__in=households.values("id"))
    return Membership.objects.filter(
        scope,
        Q(start_date__lte=as_of),
        Q(end_date__isnull=True) | Q(end_date__gt=as_of),
        Q(person__deceased_on__isnull=True) | Q(person__deceased_on__gt=as_of),
    )


def _member_rows(memberships: QuerySet[Membership]) -> list[tuple]:
    return list(memberships.values_list(*MEMBER_COLUMNS))


def _income_rows(memberships: QuerySet[Membership]) -> QuerySet:
    """(person_id, monthly income in fen, number of income records) of the members who declared any."""
    return (
        # A semi-join on the members' ids (not a join through memberships): cheaper on a city, and a person's
        # incomes are counted once, as `household_records` counts them.
        Income.objects.filter(person_id__in=memberships.values("person_id"))
        .values("person_id")
        .annotate(total=Sum("monthly_fen"), n=Count("id"))
        .values_list("person_id", "total", "n")
    )


def _expense_rows(households: QuerySet[Household], as_of: dt.date) -> QuerySet:
    """(household_id, medical, education) expenses of last year, in fen."""
    return (
        Expense.objects.filter(household__in=households.values("id"), year=as_of.year - 1)
        .values("household_id")
        .annotate(
            medical=Sum("annual_fen", filter=Q(kind="medical")),
            education=Sum("annual_fen", filter=Q(kind="education")),
        )
        .values_list("household_id", "medical", "education")
    )


def _asset_rows(households: QuerySet[Household], as_of: dt.date) -> QuerySet:
    """ASSET_COLUMNS per household: deposits, vehicles not exempt, company roles, homes and their area (and
    how many homes have no recorded area), homes bought in the last year."""
    year_ago = as_of - dt.timedelta(days=365)
    return (
        Asset.objects.filter(household__in=households.values("id"))
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
        .values_list(*ASSET_COLUMNS)
    )


def member_frame(households: QuerySet[Household], as_of: dt.date) -> pl.LazyFrame:
    """Current, living members with their fields as of `as_of`."""
    memberships = _memberships(households, as_of)
    frame = _frame(
        memberships.values_list(*MEMBER_COLUMNS),
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
        _income_rows(memberships),
        {"person_id": pl.Int64, "monthly_income": pl.Int64, "income_records": pl.Int64},
    )
    # Full years on the evaluation date: one less if this year's birthday has not come yet.
    # month() and day() are Int8: widen before multiplying, or December × 100 wraps around.
    month, day = pl.col("birth_date").dt.month().cast(pl.Int32), pl.col("birth_date").dt.day().cast(pl.Int32)
    birthday_passed = (month * 100 + day) <= (as_of.month * 100 + as_of.day)
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
        households.values_list("id", "area_type", "hukou_type", "assistance_class"),
        {"household_id": pl.Int64, "area_type": pl.Utf8, "hukou_type": pl.Utf8, "assistance_class": pl.Utf8},
    )
    per_household = members.group_by("household_id").agg(
        size=pl.len().cast(pl.Int64),
        declared=pl.col("income_records").sum(),
        income=pl.col("monthly_income").sum(),
    )
    expenses = _frame(
        _expense_rows(households, as_of),
        {"household_id": pl.Int64, "annual_medical_expenses": pl.Int64, "annual_education_expenses": pl.Int64},
    )
    assets = _frame(
        _asset_rows(households, as_of),
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


def _total(values: list) -> int | None:
    """SQL's SUM: the known values added up; none known is unknown."""
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _age(birth_date: dt.date | None, as_of: dt.date) -> int | None:
    """Full years on `as_of`: one less if this year's birthday has not come yet."""
    if birth_date is None:
        return None
    passed = (birth_date.month, birth_date.day) <= (as_of.month, as_of.day)
    return as_of.year - birth_date.year - (0 if passed else 1)


def household_records(household: Household, as_of: dt.date) -> tuple[dict, list[dict]]:
    """One household's inputs and its members' fields, as `engine_frames` gives them for a city (same
    names, same values, same unknowns), without a Polars plan.

    Four plain queries by household and the sums and counts done here: the city queries' filtered SQL
    aggregates cost more to build than to run for one household. The rules are the ones above (which
    vehicles count, unknown floor area, homes bought within a year); the tests hold the two paths equal."""
    memberships = _memberships(household.pk, as_of)
    rows = sorted(_member_rows(memberships), key=lambda row: row[1])
    incomes: dict[int, list] = {}
    for person_id, fen in Income.objects.filter(person_id__in=[row[1] for row in rows]).values_list(
        "person_id", "monthly_fen"
    ):
        incomes.setdefault(person_id, []).append(fen)
    members, declared, income = [], 0, 0
    for row in rows:
        values = dict(zip(MEMBER_COLUMNS, row, strict=True))
        records = incomes.get(values["person_id"], [])
        category = values["person__disability_category"]
        grade = values["person__disability_grade"]
        member = {
            "household_id": values["household_id"],
            "age": _age(values["person__birth_date"], as_of),
            "sex": values["person__sex"],
            "relation": values["relation"],
            "labour_capacity": values["person__labour_capacity"],
            "disabled": None if category is None else category != "",
            "disability_grade": (4 if grade is None else grade) if category not in (None, "") else 0,
            "serious_illness": values["person__serious_illness"],
            "elderly_living_alone": values["person__elderly_living_alone"],
            "child_in_difficulty": values["person__child_in_difficulty"],
            "school_enrolment": values["person__school_enrolment"],
            "monthly_income": _total(records) or 0,
        }
        members.append(member)
        declared += len(records)
        income += member["monthly_income"]
    expenses: dict[str, list] = {}
    for kind, fen in Expense.objects.filter(household_id=household.pk, year=as_of.year - 1).values_list(
        "kind", "annual_fen"
    ):
        expenses.setdefault(kind, []).append(fen)
    year_ago = as_of - dt.timedelta(days=365)
    deposits, vehicles, company_roles, areas, recent = [], 0, 0, [], 0
    for kind, value, exempt, area, acquired in Asset.objects.filter(household_id=household.pk).values_list(
        "kind", "value_fen", "is_exempt_vehicle", "floor_area_m2", "acquired_on"
    ):
        if kind == "deposit":
            deposits.append(value)
        elif kind == "vehicle":
            vehicles += exempt is False
        elif kind == "company_role":
            company_roles += 1
        elif kind == "home":
            areas.append(area)
            recent += acquired is not None and year_ago < acquired <= as_of
    record = {
        "household_id": household.pk,
        "size": len(members),
        "area_type": household.area_type,
        "hukou_type": household.hukou_type,
        "assistance_class": household.assistance_class,
        # No member declared any income: unknown, so the engine says "needs information".
        "monthly_income": income if declared > 0 else None,
        "annual_medical_expenses": _total(expenses.get("medical", [])) or 0,
        "annual_education_expenses": _total(expenses.get("education", [])) or 0,
        "financial_assets": _total(deposits) or 0,
        "vehicles": vehicles,
        "company_roles": company_roles,
        "homes": len(areas),
        "home_floor_area": None if None in areas else sum(areas),
        "home_bought_within_year": recent > 0,
    }
    return record, members
