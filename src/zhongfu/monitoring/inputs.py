"""What the risk model reads: one row of signal inputs per household, built from the department feeds.

`INPUTS` declares every input (name, type, unit, label in two languages, the feed it comes from), so the
model's checker knows its names and types and an explanation can show a value with its unit. The frame is
built set-based with six queries whatever the number of households: four aggregates over FeedRecord
(windowed sums and counts per person, standing company roles and vehicles, and the latest employment and
disability record per person as of the evaluation date), one over memberships and one over households,
joined and summed per household in Polars. One household and a whole city go through the same code.
"""

import datetime as dt
from dataclasses import dataclass

import polars as pl
from django.db import connections
from django.db.models import BigIntegerField, Count, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from zhongfu.common.frames import queryset_frame
from zhongfu.feeds.models import FeedRecord
from zhongfu.policies.engine.schema import INPUT_TYPES
from zhongfu.registry.models import Household, Membership

WINDOW_MONTHS = 12  # the `_12m` inputs count records dated in the 12 months up to the evaluation date


@dataclass(frozen=True)
class SignalInput:
    name: str
    type: str  # int | bool | string (the engine's types)
    unit: str | None  # fen | count | None: how an explanation shows the value
    label: dict[str, str]
    source: str  # the feed key, or "registry"


INPUTS: tuple[SignalInput, ...] = (
    SignalInput(
        "medical_out_of_pocket_12m",
        "int",
        "fen",
        {"zh": "医保个人自付（近 12 个月）", "en": "out-of-pocket medical costs (last 12 months)"},
        "medical_insurance",
    ),
    SignalInput(
        "serious_illness_members",
        "int",
        "count",
        {"zh": "重特大疾病成员数（近 12 个月）", "en": "members with a serious illness (last 12 months)"},
        "medical_insurance",
    ),
    SignalInput(
        "unemployed_members",
        "int",
        "count",
        {"zh": "失业成员数", "en": "unemployed members"},
        "human_resources",
    ),
    SignalInput(
        "disabled_members",
        "int",
        "count",
        {"zh": "持证残疾成员数", "en": "members with a disability certificate"},
        "disabled_federation",
    ),
    SignalInput(
        "severely_disabled_members",
        "int",
        "count",
        {"zh": "一、二级残疾成员数", "en": "members with a grade 1 or 2 disability"},
        "disabled_federation",
    ),
    SignalInput(
        "education_costs_12m",
        "int",
        "fen",
        {"zh": "学杂费（近 12 个月）", "en": "school fees (last 12 months)"},
        "education",
    ),
    SignalInput(
        "disaster_loss_12m",
        "int",
        "fen",
        {"zh": "受灾直接经济损失（近 12 个月）", "en": "direct disaster losses (last 12 months)"},
        "emergency",
    ),
    SignalInput(
        "home_collapsed_12m",
        "bool",
        None,
        {"zh": "房屋倒损（近 12 个月）", "en": "home collapsed or damaged (last 12 months)"},
        "emergency",
    ),
    SignalInput(
        "member_deaths_12m",
        "int",
        "count",
        {"zh": "成员死亡（近 12 个月）", "en": "members who died (last 12 months)"},
        "public_security",
    ),
    SignalInput(
        "member_imprisonments_12m",
        "int",
        "count",
        {"zh": "成员服刑（近 12 个月）", "en": "members imprisoned (last 12 months)"},
        "public_security",
    ),
    SignalInput(
        "company_role_members",
        "int",
        "count",
        {"zh": "企业任职成员数", "en": "members with a company role"},
        "market_regulation",
    ),
    SignalInput(
        "registered_vehicles",
        "int",
        "count",
        {"zh": "登记车辆数（残疾人专用车除外）", "en": "registered vehicles (other than disability vehicles)"},
        "vehicles",
    ),
    SignalInput(
        "property_purchases_12m",
        "int",
        "count",
        {"zh": "购房登记（近 12 个月）", "en": "property purchases (last 12 months)"},
        "property",
    ),
    # From the registry, with the policy engine's names and types (one concept, one name).
    SignalInput("size", "int", "count", {"zh": "家庭人口", "en": "household size"}, "registry"),
    SignalInput("assistance_class", "string", None, {"zh": "现救助类别", "en": "current assistance class"}, "registry"),
)
INPUTS_BY_NAME: dict[str, SignalInput] = {item.name: item for item in INPUTS}
DTYPES = {"int": pl.Int64, "bool": pl.Boolean, "string": pl.Utf8}
SCHEMA = {"household_id": pl.Int64, **{item.name: DTYPES[item.type] for item in INPUTS}}

for _item in INPUTS:  # a name the policy engine also knows must mean the same there
    if _item.name in INPUT_TYPES and INPUT_TYPES[_item.name] != _item.type:
        raise AssertionError(f"monitoring input {_item.name} has another type in the policy engine")


def window_start(as_of: dt.date, months: int = WINDOW_MONTHS) -> dt.date:
    """The day `months` months before `as_of` (the last day of a shorter month): records after it count."""
    month = as_of.month - 1 - months
    year, month = as_of.year + month // 12, month % 12 + 1
    for day in (as_of.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError(as_of)


def _memberships(households: QuerySet[Household], as_of: dt.date) -> QuerySet[Membership]:
    """Current memberships as of `as_of`, including members who have died: a death is a signal of the
    household it left, and the costs before it still weigh on it."""
    return Membership.objects.filter(
        Q(household__in=households.values("id")),
        Q(start_date__lte=as_of),
        Q(end_date__isnull=True) | Q(end_date__gt=as_of),
    )


def _money(key: str):
    """An integer value of the JSON (money in fen, a grade), as a number on SQLite and PostgreSQL alike."""
    return Cast(KT(f"values__{key}"), BigIntegerField())


def _of(persons) -> Q:
    """The records of `persons` (a subquery of person ids), or of every matched person (None)."""
    return Q(person__isnull=False) if persons is None else Q(person_id__in=persons)


def _windowed_rows(persons, as_of: dt.date) -> QuerySet:
    """Per person: sums and counts of the records dated in the window (one query over every feed)."""
    start = window_start(as_of)
    medical, emergency = Q(feed="medical_insurance"), Q(feed="emergency")
    public_security = Q(feed="public_security")
    return (
        FeedRecord.objects.filter(_of(persons), date__gt=start, date__lte=as_of)
        .values("person_id")
        .annotate(
            medical=Sum(_money("out_of_pocket"), filter=medical),
            serious=Count("pk", filter=medical & Q(values__serious_illness="yes")),
            education=Sum(_money("costs"), filter=Q(feed="education")),
            disaster=Sum(_money("loss"), filter=emergency),
            collapsed=Count("pk", filter=emergency & Q(values__house_collapsed="yes")),
            deaths=Count("pk", filter=public_security & Q(values__event="death")),
            imprisonments=Count("pk", filter=public_security & Q(values__event="imprisonment")),
            purchases=Count("pk", filter=Q(feed="property", values__transaction="purchase")),
        )
        .values_list(
            "person_id",
            "medical",
            "serious",
            "education",
            "disaster",
            "collapsed",
            "deaths",
            "imprisonments",
            "purchases",
        )
    )


def _standing_rows(persons, as_of: dt.date) -> QuerySet:
    """Per person: company roles and vehicles registered up to `as_of` (they stand until the feed says
    otherwise)."""
    return (
        FeedRecord.objects.filter(_of(persons), date__lte=as_of, feed__in=("market_regulation", "vehicles"))
        .values("person_id")
        .annotate(
            roles=Count("pk", filter=Q(feed="market_regulation")),
            vehicles=Count("pk", filter=Q(feed="vehicles") & ~Q(values__vehicle_kind="disability")),
        )
        .values_list("person_id", "roles", "vehicles")
    )


def _latest_rows(persons, feed: str, key: str, as_of: dt.date, *, integer: bool = False) -> QuerySet:
    """(person_id, value of `key`) of each person's latest record in `feed` dated up to `as_of`: the
    ordering of feeds' `feed_records_latest` (date, then the later batch, then the later row), which has no
    date limit. On PostgreSQL one sorted pass (DISTINCT ON) instead of a subquery per record: the same rows,
    as the ordering is total (a batch's rows are numbered once, a feed's versions once)."""
    value = _money(key) if integer else KT(f"values__{key}")
    records = FeedRecord.objects.filter(_of(persons), feed=feed, date__lte=as_of)
    if connections[records.db].vendor == "postgresql":
        return (
            records.order_by("person_id", "-date", "-batch__version", "-row")
            .distinct("person_id")
            .annotate(value=value)
            .values_list("person_id", "value")
        )
    newest = (
        FeedRecord.objects.filter(feed=feed, person=OuterRef("person"), date__lte=as_of)
        .order_by("-date", "-batch__version", "-row")
        .values("pk")[:1]
    )
    return records.filter(pk=Subquery(newest)).annotate(value=value).values_list("person_id", "value")


def _frame(rows: QuerySet, schema) -> pl.LazyFrame:
    return queryset_frame(rows, schema).lazy()


def signal_inputs_frame(
    households: QuerySet[Household], *, as_of: dt.date, every_household: bool = False
) -> pl.DataFrame:
    """One row per household of `households`: household_id and every input of `INPUTS`, never null (0,
    false) — a feed that says nothing about a household raises no signal.

    `every_household` (the monitoring run: `households` is every active household): the feed queries read
    every person's records without matching them against the members first, which costs more than it saves
    on a whole city; the join with the members below keeps the same records either way."""
    memberships = _memberships(households, as_of)
    persons = None if every_household else Subquery(memberships.values("person_id"))
    members = _frame(
        memberships.values_list("household_id", "person_id", "person__deceased_on"),
        {"household_id": pl.Int64, "person_id": pl.Int64, "deceased_on": pl.Date},
    )
    windowed = _frame(
        _windowed_rows(persons, as_of),
        {
            "person_id": pl.Int64,
            "medical_out_of_pocket_12m": pl.Int64,
            "serious": pl.Int64,
            "education_costs_12m": pl.Int64,
            "disaster_loss_12m": pl.Int64,
            "collapsed": pl.Int64,
            "deaths": pl.Int64,
            "imprisonments": pl.Int64,
            "purchases": pl.Int64,
        },
    )
    standing = _frame(_standing_rows(persons, as_of), {"person_id": pl.Int64, "roles": pl.Int64, "vehicles": pl.Int64})
    employment = _frame(
        _latest_rows(persons, "human_resources", "employment", as_of), {"person_id": pl.Int64, "employment": pl.Utf8}
    )
    disability = _frame(
        _latest_rows(persons, "disabled_federation", "disability_grade", as_of, integer=True),
        {"person_id": pl.Int64, "grade": pl.Int64},
    )
    living = pl.col("deceased_on").is_null() | (pl.col("deceased_on") > as_of)
    grade = pl.col("grade")
    per_household = (
        members.join(windowed, on="person_id", how="left")
        .join(standing, on="person_id", how="left")
        .join(employment, on="person_id", how="left")
        .join(disability, on="person_id", how="left")
        .group_by("household_id")
        .agg(
            medical_out_of_pocket_12m=pl.col("medical_out_of_pocket_12m").sum(),
            serious_illness_members=(pl.col("serious").fill_null(0) > 0).sum(),
            unemployed_members=((pl.col("employment") == "unemployed") & living).sum(),
            disabled_members=(grade.is_not_null() & living).sum(),
            severely_disabled_members=((grade <= 2) & living).sum(),
            education_costs_12m=pl.col("education_costs_12m").sum(),
            disaster_loss_12m=pl.col("disaster_loss_12m").sum(),
            home_collapsed_12m=pl.col("collapsed").fill_null(0).sum() > 0,
            member_deaths_12m=(pl.col("deaths").fill_null(0) > 0).sum(),
            member_imprisonments_12m=(pl.col("imprisonments").fill_null(0) > 0).sum(),
            company_role_members=((pl.col("roles").fill_null(0) > 0) & living).sum(),
            registered_vehicles=pl.col("vehicles").filter(living).sum(),
            property_purchases_12m=pl.col("purchases").sum(),
            size=living.sum(),
        )
    )
    base = _frame(
        households.values_list("id", "assistance_class"),
        {"household_id": pl.Int64, "assistance_class": pl.Utf8},
    )
    counted = [name for name, dtype in SCHEMA.items() if dtype == pl.Int64 and name != "household_id"]
    frame = (
        base.join(per_household, on="household_id", how="left")
        .with_columns([pl.col(name).fill_null(0).cast(pl.Int64) for name in counted])
        .with_columns(home_collapsed_12m=pl.col("home_collapsed_12m").fill_null(False))
        .select(list(SCHEMA))
        .sort("household_id")
    )
    return frame.collect()


def household_signal_inputs(household: Household, *, as_of: dt.date) -> dict:
    """The inputs of one household: the same queries and plan as a city, narrowed to it."""
    frame = signal_inputs_frame(Household.objects.filter(pk=household.pk), as_of=as_of)
    return frame.row(0, named=True)
