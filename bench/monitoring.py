"""Benchmark `monitoring`: the monitoring run (监测预警) on N synthetic households, against the per-household ORM loop.

    python bench/monitoring.py --n 1000000        (or: make bench B=monitoring N=1000000)
    DATABASE_URL=postgres://user@host:5432/postgres python bench/monitoring.py --n 100000
    python bench/monitoring.py --n 50000          (no DATABASE_URL: a throwaway SQLite file)

Set-up (not timed): a throwaway database (bench/_harness.py) filled directly with COPY (executemany on SQLite):
N households in the city's communities, about 2.5 people each with their memberships and declared incomes; one
loaded batch per department feed with at least 5 records per household across the nine feeds of
feeds/schemas.py (medical settlements, employment records, disability certificates, school terms, disasters,
deaths and imprisonments, company roles, vehicles, property transactions) with values in the feed schemas' keys
and types; approved and open cases (screening, determination, application, line, case, as casework writes
them) for the households on assistance and some others; the shipped risk model approved (monitoring_sync).

Ours (timed): `monitoring.runs.run_execute` of a queued MonitoringRun — what the worker runs — from the database
to the stored warnings: signal inputs from the feeds, risk scores, every policy screened, the three kinds of
warning found and inserted. Per-stage timings come from the run's summary.

Peer (timed on a 1 % sample, scaled to N and labelled so): the way OpenSPP v1 and OpenG2P evaluate eligibility —
a Python loop over households through the ORM: per household its members, their feed records and the registry
records read with per-object queries, the signals, score and every policy computed for that household, the open
cases and warnings looked up, and each warning created with its own INSERT. The peer runs first, in a
transaction rolled back afterwards, so ours starts from the same database; its warnings are compared with ours
on the sample (household, kind, policy, tier, score).
"""

import contextlib
import datetime as dt
import io
import logging
import os
import sys
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _harness as h  # noqa: E402

SAMPLE_SHARE = 0.01  # the peer's sample
GOAL_S = 60.0  # issue #5: a million households in at most 60 s on this machine
STAMP = "2026-01-01 00:00:00+00"  # created_at/updated_at of generated rows (fixed: the data do not depend on it)

# --- random draws, vectorised and reproducible (as bench/screening.py) ------------------------------------


def _u(key: pl.Expr, stream: int, seed: int) -> pl.Expr:
    """A uniform double in [0, 1) per row from a hash of the row's key."""
    return (key.hash(seed=seed * 1_000 + stream) // 2048).cast(pl.Float64) / float(2**53)


def _pick(u: pl.Expr, choices: list[tuple[float, object]]) -> pl.Expr:
    """choices = [(cumulative probability, value), …]; the last value takes the rest."""
    expr = pl.lit(choices[-1][1])
    for limit, value in reversed(choices[:-1]):
        expr = pl.when(u < limit).then(pl.lit(value)).otherwise(expr)
    return expr


def _days_before(as_of: dt.date, u: pl.Expr, span: int) -> pl.Expr:
    """A date 1…span days before as_of."""
    return pl.lit(as_of) - pl.duration(days=(u * span).floor().cast(pl.Int64) + 1)


# --- the synthetic city ----------------------------------------------------------------------------------


def generate(n: int, *, as_of: dt.date, communities: list[str], seed: int = 2026) -> dict[str, pl.DataFrame]:
    """The registry, feed records and cases of N households as frames named by table (Django columns).

    A city-like mix: 4 % of households poor (per-capita income below the 低保 standard, ¥1,300 a month here), 6 %
    near it, the rest comfortable; about 60 % of the poor on 低保 (some 特困) and 30 % of the near-poor on 低边,
    each with an approved case, a few of them since grown richer; open cases for a fifth of the poor not yet on
    assistance. Feeds: ~1.3 medical settlements a person, an employment record per adult (some two), school
    terms for pupils and students, disability certificates, disasters, deaths (the person's deceased_on too),
    imprisonments, company roles, vehicles and property transactions — more of the hardship for the poor."""
    hid = pl.col("household_id")

    def uh(stream: int) -> pl.Expr:
        return _u(hid, stream, seed)

    households = (
        pl.LazyFrame()
        .select(household_id=pl.int_range(1, n + 1, dtype=pl.Int64))
        .with_columns(
            size=_pick(uh(0), [(0.25, 1), (0.55, 2), (0.78, 3), (0.92, 4), (0.98, 5), (1.0, 6)]).cast(pl.Int64),
            band=_pick(uh(1), [(0.04, "poor"), (0.10, "near"), (1.0, "general")]),
            area_type=pl.when(uh(2) < 0.72).then(pl.lit("urban")).otherwise(pl.lit("rural")),
            hukou_type=pl.when(uh(3) < 0.85).then(pl.lit("registered")).otherwise(pl.lit("resident")),
            region_id=(uh(4) * len(communities))
            .floor()
            .cast(pl.Int64)
            .replace_strict(dict(enumerate(communities)), return_dtype=pl.Utf8),
        )
        .with_columns(
            assistance_class=pl.when(pl.col("band") == "poor")
            .then(_pick(uh(5), [(0.75, "dibao"), (0.80, "extreme_poverty"), (1.0, "")]))
            .when(pl.col("band") == "near")
            .then(_pick(uh(5), [(0.60, "marginal"), (1.0, "")]))
            .otherwise(_pick(uh(5), [(0.002, "dibao"), (1.0, "")])),  # grown richer since the decision
        )
        .with_columns(poor=pl.col("band") != "general")
        .collect()
    )

    # People: explode by size; a person's draws are keyed by (household, position).
    people = (
        households.lazy()
        .select("household_id", "size", "band", "poor", "region_id", idx=pl.int_ranges(0, pl.col("size")))
        .explode("idx")
        .with_columns(person_id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    )
    key = pl.col("household_id") * 8 + pl.col("idx")

    def up(stream: int) -> pl.Expr:
        return _u(key, 100 + stream, seed)

    head_age = (22 + _u(hid, 99, seed) * 70).floor().cast(pl.Int64)
    people = people.with_columns(
        relation=pl.when(pl.col("idx") == 0)
        .then(pl.lit("head"))
        .when(pl.col("idx") == 1)
        .then(_pick(up(0), [(0.8, "spouse"), (0.9, "parent"), (1.0, "child")]))
        .otherwise(_pick(up(0), [(0.8, "child"), (0.95, "parent"), (1.0, "grandchild")])),
        head_age=head_age,
    )
    age = (
        pl.when(pl.col("relation") == "head")
        .then(pl.col("head_age"))
        .when(pl.col("relation") == "spouse")
        .then(pl.col("head_age") + (up(1) * 11).floor().cast(pl.Int64) - 5)
        .when(pl.col("relation") == "parent")
        .then(pl.col("head_age") + 20 + (up(1) * 15).floor().cast(pl.Int64))
        .when(pl.col("relation") == "child")
        .then(pl.col("head_age") - 22 - (up(1) * 14).floor().cast(pl.Int64))
        .otherwise(pl.col("head_age") - 45 - (up(1) * 10).floor().cast(pl.Int64))
        .clip(0, 100)
    )
    people = people.with_columns(age=age)
    a = pl.col("age")
    disabled = up(2) < pl.when(pl.col("poor")).then(0.08).otherwise(0.025)
    people = people.with_columns(
        birth_date=pl.lit(as_of) - pl.duration(days=a * 365 + (up(3) * 360).floor().cast(pl.Int64) + 3),
        sex=pl.when(up(4) < 0.5).then(pl.lit("M")).otherwise(pl.lit("F")),
        disabled=disabled,
        grade=pl.when(disabled).then(_pick(up(5), [(0.1, 1), (0.35, 2), (0.65, 3), (1.0, 4)])).otherwise(None),
        serious=up(6) < pl.when(pl.col("poor")).then(0.04).otherwise(0.008),
        student=pl.when(a.is_between(3, 5))
        .then(pl.lit("preschool"))
        .when(a.is_between(6, 11))
        .then(pl.lit("primary"))
        .when(a.is_between(12, 14))
        .then(pl.lit("junior"))
        .when(a.is_between(15, 17))
        .then(pl.lit("senior"))
        .when(a.is_between(18, 22) & (up(7) < 0.5))
        .then(pl.lit("higher"))
        .otherwise(pl.lit("")),
        # Deaths in the last year: the registry has the date the public security feed reports.
        died=(a >= 60) & (up(8) < 0.012) & (pl.col("idx") > 0),
        working=a.is_between(18, 64),
    )
    people = people.with_columns(
        labour_capacity=pl.when((a < 16) | (a >= 65) | (pl.col("grade") <= 2))
        .then(pl.lit("none"))
        .when(pl.col("disabled") | pl.col("serious"))
        .then(pl.lit("partial"))
        .otherwise(pl.lit("full")),
        deceased_on=pl.when(pl.col("died")).then(_days_before(as_of, up(9), 300)).otherwise(None),
    ).collect()

    person_rows = people.select(
        id="person_id",
        name=pl.lit("居民") + pl.col("person_id").cast(pl.Utf8),
        id_number_enc=pl.lit("bench:") + pl.col("person_id").cast(pl.Utf8),  # never decrypted by the run
        id_number_hash=pl.col("person_id").cast(pl.Utf8).str.zfill(64),
        id_number_masked=pl.lit("3301**********") + (pl.col("person_id") % 10_000).cast(pl.Utf8).str.zfill(4),
        birth_date="birth_date",
        sex="sex",
        labour_capacity="labour_capacity",
        disability_category=pl.when(pl.col("disabled"))
        .then(_pick(_u(pl.col("person_id"), 300, seed), [(0.5, "physical"), (0.7, "visual"), (1.0, "mental")]))
        .otherwise(pl.lit("")),
        disability_grade=pl.col("grade"),
        serious_illness="serious",
        elderly_living_alone=(pl.col("size") == 1) & (pl.col("age") >= 60),
        child_in_difficulty=(pl.col("age") < 18) & pl.col("poor") & (up(10) < 0.1),
        school_enrolment="student",
        deceased_on="deceased_on",
    )
    membership_rows = people.select(
        id="person_id",
        household_id="household_id",
        person_id="person_id",
        relation="relation",
        start_date=pl.lit(dt.date(2015, 1, 1)),
        end_date=pl.lit(None, dtype=pl.Date),
    )
    # Declared incomes: per-capita income by band (¥1,300 the standard), earned by the working members.
    per_capita = (
        pl.when(pl.col("band") == "poor")
        .then(30_000 + _u(hid, 20, seed) * 90_000)
        .when(pl.col("band") == "near")
        .then(135_000 + _u(hid, 20, seed) * 110_000)
        .otherwise(300_000 + _u(hid, 20, seed) * 900_000)
    )
    grown = pl.col("assistance_class").is_in(["dibao"]) & (pl.col("band") == "general")
    earners = people.filter(pl.col("working") | (pl.col("idx") == 0)).with_columns(
        earners=pl.len().over("household_id")
    )
    income_rows = (
        earners.join(households.select("household_id", "assistance_class"), on="household_id")
        .with_columns(monthly=(per_capita * pl.col("size") / pl.col("earners")).floor().cast(pl.Int64))
        .select(
            id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
            person_id="person_id",
            kind=pl.when(pl.col("working")).then(pl.lit("wage")).otherwise(pl.lit("pension")),
            monthly_fen=pl.when(grown).then(pl.col("monthly") * 3).otherwise(pl.col("monthly")),
        )
    )
    household_rows = households.select(
        id="household_id",
        number=pl.lit("BM") + pl.col("household_id").cast(pl.Utf8).str.zfill(9),
        region_id="region_id",
        address=pl.lit("幸福路") + (pl.col("household_id") % 997).cast(pl.Utf8) + pl.lit("号"),
        area_type="area_type",
        hukou_type="hukou_type",
        assistance_class="assistance_class",
        is_active=pl.lit(True),
    )
    frames = {
        "registry_household": household_rows,
        "registry_person": person_rows,
        "registry_membership": membership_rows,
        "registry_income": income_rows,
    }
    frames |= _feeds(people, as_of, seed)
    disability = people.group_by("household_id").agg(
        severe=(pl.col("grade") <= 2).any(), disabled_member=pl.col("disabled").any()
    )
    frames |= _cases(households.join(disability, on="household_id", how="left"), as_of, seed)
    return frames


def _values(**columns: pl.Expr) -> pl.Expr:
    """The JSON text of a record's values (None values left out, as the loader leaves out empty cells)."""
    return pl.struct(**columns).struct.json_encode()


def _feed_rows(
    people: pl.DataFrame, feed: str, *, count: pl.Expr, date: pl.Expr, values: pl.Expr, stream: int, seed: int
) -> pl.LazyFrame:
    """Records of one feed: `count` per person (0 for none), each with its date and values (expressions over
    the person's columns and `k`, the record's number, and `uk`, a draw per record)."""
    frame = (
        people.lazy()
        .with_columns(count=count)
        .filter(pl.col("count") > 0)
        .with_columns(k=pl.int_ranges(0, pl.col("count")))
        .explode("k")
        .with_columns(uk=_u(pl.col("person_id") * 16 + pl.col("k"), stream, seed))
        .with_columns(date=date)
        .with_columns(values=values)
        .select("person_id", "region_id", "date", "values", feed=pl.lit(feed))
    )
    return frame


def _feeds(people: pl.DataFrame, as_of: dt.date, seed: int) -> dict[str, pl.DataFrame]:
    pid = pl.col("person_id")

    def up(stream: int) -> pl.Expr:
        return _u(pid, 500 + stream, seed)

    uk, a, poor = pl.col("uk"), pl.col("age"), pl.col("poor")
    yes_no = pl.when(pl.col("serious") & (pl.col("k") == 0)).then(pl.lit("yes")).otherwise(pl.lit("no"))
    oop = (
        pl.when(pl.col("serious"))
        .then(800_000 + uk * 3_000_000)
        .otherwise(pl.when(uk < 0.9).then(2_000 + uk * 80_000).otherwise(50_000 + uk * 600_000))
        .floor()
        .cast(pl.Int64)
    )
    parts = [
        _feed_rows(
            people,
            "medical_insurance",
            count=pl.when(pl.col("serious"))
            .then(6)
            .otherwise(_pick(up(0), [(0.45, 0), (0.65, 1), (0.82, 2), (0.95, 3), (1.0, 6)]))
            .cast(pl.Int64),
            date=_days_before(as_of, pl.col("uk"), 700),
            values=_values(
                settled_on=pl.col("date").cast(pl.Utf8),
                total_cost=oop * 3,
                out_of_pocket=oop,
                serious_illness=yes_no,
                disease=pl.when(pl.col("serious")).then(pl.lit("恶性肿瘤")).otherwise(None),
            ),
            stream=1,
            seed=seed,
        ),
        _feed_rows(
            people,
            "human_resources",
            count=pl.when(pl.col("working")).then(pl.when(up(1) < 0.3).then(2).otherwise(1)).otherwise(0),
            date=_days_before(as_of, pl.col("uk"), 900),
            values=_values(
                recorded_on=pl.col("date").cast(pl.Utf8),
                employment=pl.when(pl.col("uk") < pl.when(poor).then(0.2).otherwise(0.03))
                .then(pl.lit("unemployed"))
                .when(pl.col("uk") < 0.3)
                .then(pl.lit("flexible"))
                .otherwise(pl.lit("employed")),
                social_insurance=pl.when(pl.col("uk") < 0.1).then(pl.lit("suspended")).otherwise(pl.lit("paying")),
                contribution_base=pl.lit(420_000),
            ),
            stream=2,
            seed=seed,
        ),
        _feed_rows(
            people,
            "disabled_federation",
            count=pl.col("disabled").cast(pl.Int64),
            date=_days_before(as_of, pl.col("uk"), 3000),
            values=_values(
                certified_on=pl.col("date").cast(pl.Utf8),
                disability_kind=pl.lit("physical"),
                disability_grade=pl.col("grade"),
            ),
            stream=3,
            seed=seed,
        ),
        _feed_rows(
            people,
            "education",
            count=pl.when(pl.col("student") != "").then(3).otherwise(0),
            date=pl.lit(as_of) - pl.duration(days=pl.col("k") * 180 + 20),
            values=_values(
                term_start=pl.col("date").cast(pl.Utf8),
                stage=pl.col("student"),
                enrolment=pl.lit("enrolled"),
                costs=pl.when(pl.col("student") == "higher")
                .then(400_000 + pl.col("uk") * 600_000)
                .otherwise(20_000 + pl.col("uk") * 300_000)
                .floor()
                .cast(pl.Int64),
            ),
            stream=4,
            seed=seed,
        ),
        _feed_rows(
            people.filter(pl.col("idx") == 0),
            "emergency",
            count=(up(4) < pl.when(poor).then(0.04).otherwise(0.01)).cast(pl.Int64),
            date=_days_before(as_of, pl.col("uk"), 500),
            values=_values(
                occurred_on=pl.col("date").cast(pl.Utf8),
                disaster_kind=pl.lit("flood"),
                loss=(100_000 + pl.col("uk") * 5_000_000).floor().cast(pl.Int64),
                house_collapsed=pl.when(pl.col("uk") < 0.15).then(pl.lit("yes")).otherwise(pl.lit("no")),
            ),
            stream=5,
            seed=seed,
        ),
        _feed_rows(
            people,
            "public_security",
            count=(pl.col("died") | (a.is_between(18, 60) & (up(5) < 0.002))).cast(pl.Int64),
            date=pl.when(pl.col("died")).then(pl.col("deceased_on")).otherwise(_days_before(as_of, pl.col("uk"), 600)),
            values=_values(
                event_on=pl.col("date").cast(pl.Utf8),
                event=pl.when(pl.col("died")).then(pl.lit("death")).otherwise(pl.lit("imprisonment")),
            ),
            stream=6,
            seed=seed,
        ),
        _feed_rows(
            people,
            "market_regulation",
            count=(pl.col("working") & (up(6) < pl.when(poor).then(0.01).otherwise(0.05))).cast(pl.Int64),
            date=_days_before(as_of, pl.col("uk"), 3000),
            values=_values(
                registered_on=pl.col("date").cast(pl.Utf8),
                company_uscc=pl.lit("91330106MA2") + (pl.col("person_id") % 10_000_000).cast(pl.Utf8).str.zfill(7),
                role=pl.lit("shareholder"),
            ),
            stream=7,
            seed=seed,
        ),
        _feed_rows(
            people,
            "vehicles",
            count=(pl.col("working") & (up(7) < pl.when(poor).then(0.02).otherwise(0.25))).cast(pl.Int64),
            date=_days_before(as_of, pl.col("uk"), 3000),
            values=_values(
                registered_on=pl.col("date").cast(pl.Utf8),
                plate=pl.lit("浙A") + (pl.col("person_id") % 100_000).cast(pl.Utf8).str.zfill(5),
                vehicle_kind=pl.when(pl.col("disabled")).then(pl.lit("disability")).otherwise(pl.lit("car")),
            ),
            stream=8,
            seed=seed,
        ),
        _feed_rows(
            people,
            "property",
            count=(pl.col("working") & (up(8) < pl.when(poor).then(0.003).otherwise(0.02))).cast(pl.Int64),
            date=_days_before(as_of, pl.col("uk"), 700),
            values=_values(
                registered_on=pl.col("date").cast(pl.Utf8),
                transaction=pl.when(pl.col("uk") < 0.7).then(pl.lit("purchase")).otherwise(pl.lit("sale")),
                floor_area=(60 + pl.col("uk") * 80).floor().cast(pl.Int64),
            ),
            stream=9,
            seed=seed,
        ),
    ]
    records = pl.concat(parts).collect()
    feeds = sorted(records.get_column("feed").unique().to_list())
    batches = pl.DataFrame(
        {
            "id": list(range(1, len(feeds) + 1)),
            "feed": feeds,
            "version": [1] * len(feeds),
            "source": ["upload"] * len(feeds),
            "file_name": [f"{feed}.xlsx" for feed in feeds],
            "content_sha256": [f"{i:064x}" for i in range(1, len(feeds) + 1)],
            "status": ["loaded"] * len(feeds),
        }
    )
    batch_of = {feed: i for i, feed in enumerate(feeds, start=1)}
    records = records.with_columns(
        id=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        batch_id=pl.col("feed").replace_strict(batch_of, return_dtype=pl.Int64),
        row=pl.int_range(0, pl.len()).over("feed") + 2,  # header = row 1
        id_hash=pl.col("person_id").cast(pl.Utf8).str.zfill(64),
        id_number_masked=pl.lit("3301**********") + (pl.col("person_id") % 10_000).cast(pl.Utf8).str.zfill(4),
    ).rename({"region_id": "region_code"})
    counts = records.group_by("feed").len()
    batches = batches.join(counts, on="feed").with_columns(
        row_count="len", matched_count="len", unmatched_count=pl.lit(0), loaded_at=pl.lit(STAMP)
    )
    return {"feeds_feedbatch": batches.drop("len"), "feeds_feedrecord": records}


def _cases(households: pl.DataFrame, as_of: dt.date, seed: int) -> dict[str, pl.DataFrame]:
    """An approved case for every household on assistance (its class's policy), an open 低保 case for a fifth
    of the poor not on assistance; each with the screening, determination, application and line before it."""
    hid = pl.col("household_id")
    assistance = households.filter(
        (pl.col("assistance_class") != "") | ((pl.col("band") == "poor") & (_u(hid, 40, seed) < 0.2))
    ).select(
        "household_id",
        policy_code=pl.when(pl.col("assistance_class") == "").then(pl.lit("dibao")).otherwise("assistance_class"),
        status=pl.when(pl.col("assistance_class") == "").then(pl.lit("open")).otherwise(pl.lit("approved")),
    )
    # Most households with a disabled member already receive the disability allowances (两项补贴).
    care = households.filter(pl.col("severe").fill_null(False) & (_u(hid, 41, seed) < 0.8)).select(
        "household_id", policy_code=pl.lit("disability_care_allowance"), status=pl.lit("approved")
    )
    living = households.filter(
        pl.col("disabled_member").fill_null(False) & pl.col("poor") & (_u(hid, 42, seed) < 0.8)
    ).select("household_id", policy_code=pl.lit("disability_living_allowance"), status=pl.lit("approved"))
    cased = pl.concat([assistance, care, living]).sort("household_id")
    ids = pl.int_range(1, pl.len() + 1, dtype=pl.Int64)
    cased = cased.with_columns(id=ids)
    opened = as_of - dt.timedelta(days=200)
    screenings = cased.select(
        "id", "household_id", as_of=pl.lit(opened), catalogue_hash=pl.lit("bench"), inputs=pl.lit("{}")
    )
    determinations = cased.select(
        "id",
        screening_id="id",
        household_id="household_id",
        policy_code="policy_code",
        policy_version_hash=pl.lit("bench"),
        outcome=pl.lit(1),
        amount_fen=pl.lit(60_000),
        period=pl.lit("monthly"),
    )
    applications = cased.select(
        "id",
        number=pl.lit("SQ") + pl.col("id").cast(pl.Utf8).str.zfill(9),
        household_id="household_id",
        channel=pl.lit("worker"),
        status=pl.lit("submitted"),
        screening_id="id",
        consent_by=pl.lit("户主"),
    )
    lines = cased.select(
        "id",
        application_id="id",
        policy_code="policy_code",
        determination_id="id",
        amount_fen=pl.lit(60_000),
        period=pl.lit("monthly"),
        unit=pl.lit("civil-affairs"),
        deciding_level=pl.lit("district"),
    )
    approved = pl.col("status") == "approved"
    cases = cased.select(
        "id",
        number=pl.lit("AJ") + pl.col("id").cast(pl.Utf8).str.zfill(9),
        application_id="id",
        line_id="id",
        household_id="household_id",
        policy_code="policy_code",
        unit=pl.lit("civil-affairs"),
        deciding_level=pl.lit("district"),
        amount_fen=pl.lit(60_000),
        period=pl.lit("monthly"),
        step=pl.when(approved).then(pl.lit("payment_pending")).otherwise(pl.lit("home_survey")),
        status="status",
        opened_on=pl.lit(opened),
        step_started_on=pl.lit(opened),
        decided_on=pl.when(approved).then(pl.lit(opened + dt.timedelta(days=20))).otherwise(None),
    )
    return {
        "screening_screening": screenings,
        "screening_determination": determinations,
        "casework_application": applications,
        "casework_applicationpolicy": lines,
        "casework_case": cases,
    }


# --- writing the city ------------------------------------------------------------------------------------

TABLE_ORDER = (
    "registry_household",
    "registry_person",
    "registry_membership",
    "registry_income",
    "feeds_feedbatch",
    "feeds_feedrecord",
    "screening_screening",
    "screening_determination",
    "casework_application",
    "casework_applicationpolicy",
    "casework_case",
)


def _complete(model, frame: pl.DataFrame) -> pl.DataFrame:
    """Every concrete column of `model`, in its order: the frame's, else the field's default (timestamps
    of auto_now fields, {} / [] for JSON, null where allowed) — what the ORM would have written."""
    import json

    from django.db import models

    columns = []
    for field in model._meta.concrete_fields:
        name = field.column
        if name in frame.columns:
            columns.append(pl.col(name))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append(pl.lit(STAMP).alias(name))
        elif field.has_default():
            default = field.get_default()
            if isinstance(field, models.JSONField):
                default = json.dumps(default)
            columns.append(pl.lit(default).alias(name))
        elif field.null:
            columns.append(pl.lit(None, dtype=pl.Utf8).alias(name))
        elif isinstance(field, models.CharField | models.TextField):
            columns.append(pl.lit("").alias(name))
        else:
            raise ValueError(f"{model._meta.db_table}.{name}: no value and no default")
    return frame.select(columns)


CHUNK_ROWS = 500_000


def _drop_plain_indexes(tables) -> list[str]:
    """PostgreSQL: drop the indexes that back no constraint (built once after the COPY, much faster than
    maintained row by row); returns the statements that build them again."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = current_schema() "
            "AND i.tablename = ANY(%s) AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [list(tables)],
        )
        found = cursor.fetchall()
        for name, _definition in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in found]


def write_city(frames: dict[str, pl.DataFrame], *, bulk: bool = True) -> dict[str, int]:
    """COPY every table (executemany on SQLite), parents first, then the sequences past the ids given.
    `bulk` (PostgreSQL): indexes dropped and built again after, foreign-key triggers skipped — for a
    throwaway database only (the test of this bench writes into the test database without it)."""
    from django.apps import apps
    from django.db import connection, transaction

    models_by_table = {m._meta.db_table: m for m in apps.get_models()}
    counts = {}
    bulk = bulk and connection.vendor == "postgresql"
    indexes = _drop_plain_indexes(TABLE_ORDER) if bulk else []
    if bulk:
        # The rows are consistent by construction: skip the foreign-key triggers, which PostgreSQL would
        # otherwise run once per row at commit (deferred constraints). Needs a superuser; else they run.
        with contextlib.suppress(Exception), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
    for table in TABLE_ORDER:
        frame = _complete(models_by_table[table], frames[table])
        counts[table] = frame.height
        names = ", ".join(f'"{c}"' for c in frame.columns)
        for start in range(0, frame.height, CHUNK_ROWS):
            chunk = frame.slice(start, CHUNK_ROWS)
            with transaction.atomic(), connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    buffer = io.BytesIO()
                    chunk.write_csv(buffer, include_header=False)
                    with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
                        copy.write(buffer.getvalue())
                else:
                    chunk = chunk.with_columns(
                        [pl.col(c).cast(pl.Utf8) for c, t in chunk.schema.items() if t in (pl.Date, pl.Datetime)]
                    )
                    marks = ", ".join(["%s"] * len(chunk.columns))
                    cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", chunk.rows())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            if bulk:
                cursor.execute("SET session_replication_role = DEFAULT")
            for statement in indexes:
                cursor.execute(statement)
            for table in TABLE_ORDER:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
                )
            if bulk:
                cursor.execute("ANALYZE")
    return counts


def prepare(n: int, *, seed: int = 2026, bulk: bool = True) -> dict:
    """Generate and write the city, approve the shipped risk model; returns the set-up figures."""
    from django.utils import timezone

    from zhongfu.monitoring.services import risk_model_sync
    from zhongfu.regions.models import Level, Region

    as_of = timezone.localdate()
    communities = list(Region.objects.filter(level=Level.COMMUNITY).order_by("code").values_list("code", flat=True))
    with h.Timer() as t_gen:
        frames = generate(n, as_of=as_of, communities=communities, seed=seed)
    with h.Timer() as t_write:
        counts = write_city(frames, bulk=bulk)
    risk_model_sync()
    feed_counts = dict(frames["feeds_feedrecord"].group_by("feed").len().sort("feed").iter_rows())
    return {
        "as_of": as_of,
        "generate_s": t_gen.seconds,
        "write_s": t_write.seconds,
        "households": counts["registry_household"],
        "people": counts["registry_person"],
        "feed_records": counts["feeds_feedrecord"],
        "feed_records_by_feed": feed_counts,
        "cases": counts["casework_case"],
        "approved_cases": frames["casework_case"].filter(pl.col("status") == "approved").height,
    }


# --- ours: the monitoring run ----------------------------------------------------------------------------


def run_ours() -> dict:
    from zhongfu.monitoring.models import MonitoringRun, RunStatus, Warning

    run = MonitoringRun.objects.create(as_of=_as_of(), stage="")
    reset = _reset_peak()  # the set-up's frames are gone: measure the run's own peak from here
    stages = _StageLog()
    logger = logging.getLogger("zhongfu.monitoring.runs")
    logger.addHandler(stages)
    logger.setLevel(logging.INFO)
    with h.Timer() as t:
        from zhongfu.monitoring.runs import run_execute

        run_execute(run.pk)
    logger.removeHandler(stages)
    run.refresh_from_db()
    if run.status != RunStatus.DONE:
        raise SystemExit(f"the run failed: {run.error}")
    by_kind = dict(Warning.objects.filter(run=run).values_list("kind").annotate(n=_count()).order_by("kind"))
    return {
        "seconds": t.seconds,
        "cpu_seconds": t.cpu_seconds,
        "summary": run.summary,
        "stages": stages.seconds,
        "warnings_by_kind": by_kind,
        "run_id": run.pk,
        "peak_mb": h.process_peak_mb() if reset else None,
    }


class _StageLog(logging.Handler):
    """Catches the run's log line with its seconds per stage."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.seconds = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.seconds = getattr(record, "stage_seconds", None) or self.seconds


def _reset_peak() -> bool:
    """Reset this process's peak resident size (Linux: writing 5 to /proc/self/clear_refs), so the peak
    reported for ours is the run's own and not the set-up's."""
    import gc

    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _count():
    from django.db.models import Count

    return Count("id")


def _as_of() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


# --- peer: a Python loop over households through the ORM -------------------------------------------------


def peer_sample(n: int, seed: int, share: float = SAMPLE_SHARE) -> list[int]:
    """Every 100th household (at least one) for a 1 % share: an even spread over the city."""
    step = max(int(round(1 / share)), 1)
    return list(range(1 + seed % step, n + 1, step)) or [1]


def run_peer(sample: list[int]) -> dict:
    """The per-household loop, in a transaction rolled back at the end (ours starts from the same database).
    Returns its time and the warnings it created, as (household, kind, policy, tier, score)."""
    from django.db import transaction
    from django.utils import timezone

    from zhongfu.casework.models import Case, CaseStatus
    from zhongfu.enrolment.models import ChangeKind, EnrolmentChange
    from zhongfu.feeds.models import FeedRecord
    from zhongfu.monitoring.inputs import SCHEMA, window_start
    from zhongfu.monitoring.models import Warning, WarningKind, WarningStatus
    from zhongfu.monitoring.scoring import risk_scores_frame
    from zhongfu.monitoring.selectors import risk_model_in_force
    from zhongfu.monitoring.warning_config import TIER_ORDER, warning_config
    from zhongfu.policies import selectors as policy_selectors
    from zhongfu.registry.models import Household
    from zhongfu.screening.inputs import household_records
    from zhongfu.workdays.selectors import add_working_days

    as_of = _as_of()
    model = risk_model_in_force()
    plan = policy_selectors.plan_for(as_of)
    catalogue = policy_selectors.current_catalogue()
    config = warning_config(as_of)
    start = window_start(as_of)
    raised_on = timezone.localdate()
    created = []

    def urgent(kind_tier, risk_tier):
        if risk_tier and TIER_ORDER.index(risk_tier) < TIER_ORDER.index(kind_tier):
            return risk_tier
        return kind_tier

    def create(household, kind, policy, tier, score, lines, feeds):
        if (
            Warning.objects.filter(household=household, kind=kind, policy_code=policy)
            .exclude(status=WarningStatus.CLOSED)
            .exists()
        ):
            return
        Warning.objects.create(
            household=household,
            kind=kind,
            tier=tier,
            policy_code=policy,
            score=score,
            explanation={"zh": lines, "en": lines},
            source_feeds=feeds,
            region_id=household.region_id,
            raised_on=raised_on,
            due_on=add_working_days(raised_on, config.due_working_days[tier]),
        )
        created.append((household.pk, kind, policy, tier, score))

    with h.Timer() as t, transaction.atomic():
        for household_id in sample:
            household = Household.objects.get(pk=household_id)
            if not household.is_active:
                continue
            inputs = {name: 0 for name in SCHEMA}
            inputs.update(household_id=household.pk, assistance_class=household.assistance_class)
            inputs["home_collapsed_12m"] = False
            for membership in household.memberships.all():  # per member: the membership, the person, the records
                if membership.start_date > as_of or (membership.end_date and membership.end_date <= as_of):
                    continue
                person = membership.person
                living = person.deceased_on is None or person.deceased_on > as_of
                inputs["size"] += living
                employment = grade = None
                deaths = prisons = serious = roles = 0
                for record in FeedRecord.objects.filter(person=person, date__lte=as_of).order_by(
                    "date", "batch__version", "row"
                ):
                    values, recent = record.values, record.date > start
                    if record.feed == "medical_insurance" and recent:
                        inputs["medical_out_of_pocket_12m"] += int(values.get("out_of_pocket") or 0)
                        serious += values.get("serious_illness") == "yes"
                    elif record.feed == "education" and recent:
                        inputs["education_costs_12m"] += int(values.get("costs") or 0)
                    elif record.feed == "emergency" and recent:
                        inputs["disaster_loss_12m"] += int(values.get("loss") or 0)
                        inputs["home_collapsed_12m"] |= values.get("house_collapsed") == "yes"
                    elif record.feed == "public_security" and recent:
                        deaths += values.get("event") == "death"
                        prisons += values.get("event") == "imprisonment"
                    elif record.feed == "property" and recent:
                        inputs["property_purchases_12m"] += values.get("transaction") == "purchase"
                    elif record.feed == "market_regulation":
                        roles += 1
                    elif record.feed == "vehicles" and living:
                        inputs["registered_vehicles"] += values.get("vehicle_kind") != "disability"
                    elif record.feed == "human_resources":
                        employment = values.get("employment")  # the latest wins (ordered by date)
                    elif record.feed == "disabled_federation":
                        grade = values.get("disability_grade")
                inputs["serious_illness_members"] += serious > 0
                inputs["member_deaths_12m"] += deaths > 0
                inputs["member_imprisonments_12m"] += prisons > 0
                if living:
                    inputs["unemployed_members"] += employment == "unemployed"
                    inputs["disabled_members"] += grade is not None
                    inputs["severely_disabled_members"] += grade is not None and int(grade) <= 2
                    inputs["company_role_members"] += roles > 0
            scored = risk_scores_frame(pl.DataFrame([inputs], schema=SCHEMA), model=model, explain=True).row(
                0, named=True
            )
            score, risk_tier = scored["score"], scored["tier"]
            # Eligibility: the household's registry records, every policy evaluated for it.
            record, members = household_records(household, as_of)
            row = plan.rows.evaluate(record, members)
            cases = {}
            for case in Case.objects.filter(household=household, status__in=[CaseStatus.OPEN, CaseStatus.APPROVED]):
                if EnrolmentChange.objects.filter(case=case, kind=ChangeKind.TERMINATE).exists():
                    continue
                cases[case.policy_code] = cases.get(case.policy_code, False) or case.status == CaseStatus.APPROVED
            if risk_tier:
                create(household, WarningKind.AT_RISK, "", risk_tier, score, scored["explanation_zh"], [])
            for code in catalogue.policies:
                outcome = row.get(f"{code}.outcome")
                if code in config.finds_people and outcome == 1 and code not in cases:
                    tier = urgent(config.kind_tier[WarningKind.ELIGIBLE_NOT_ENROLLED], risk_tier)
                    create(household, WarningKind.ELIGIBLE_NOT_ENROLLED, code, tier, score or 0, [code], [])
                if cases.get(code):
                    doubts = [name for name in config.no_longer_signals if inputs[name] > 0]
                    if outcome == 0 or doubts:
                        tier = urgent(config.kind_tier[WarningKind.NO_LONGER_QUALIFYING], risk_tier)
                        feeds = [config.no_longer_signals[name] for name in doubts]
                        create(household, WarningKind.NO_LONGER_QUALIFYING, code, tier, score or 0, doubts, feeds)
        transaction.set_rollback(True)
    return {"seconds": t.seconds, "cpu_seconds": t.cpu_seconds, "warnings": created}


def compare(peer_warnings: list[tuple], run_id: int, sample: list[int]) -> dict:
    """Ours and the peer's warnings on the sample households, (household, kind, policy, tier, score)."""
    from zhongfu.monitoring.models import Warning

    ours = set(
        Warning.objects.filter(run_id=run_id, household_id__in=sample).values_list(
            "household_id", "kind", "policy_code", "tier", "score"
        )
    )
    peer = {(hid, str(kind), policy, tier, score) for hid, kind, policy, tier, score in peer_warnings}
    return {
        "sample_warnings": len(ours),
        "agree": ours == peer,
        "only_ours": sorted(ours - peer)[:5],
        "only_peer": sorted(peer - ours)[:5],
    }


# --- main ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = h.arguments(__doc__.split("\n")[0], default_n=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-peer", action="store_true", help="skip the peer (a quick look at ours)")
    parser.add_argument(
        "--peer-share", type=float, default=SAMPLE_SHARE, help=f"the peer's sample (default {SAMPLE_SHARE})"
    )
    args = parser.parse_args()
    n = args.n
    load_at_start = h.load_average()
    with h.django_database("monitoring", keep=args.keep_db) as db:
        say = lambda text: print(text, file=sys.stderr, flush=True)  # noqa: E731
        say(f"monitoring: N={n:,} on {db['vendor']} ({db['database']}, migrated in {db['migrate_s']} s)")
        setup = prepare(n, seed=args.seed)
        say(
            f"  set-up: {setup['people']:,} people, {setup['feed_records']:,} feed records, {setup['cases']:,} cases "
            f"(generated {setup['generate_s']:.1f} s, written {setup['write_s']:.1f} s)"
        )
        sample = peer_sample(n, args.seed, args.peer_share)
        peer = None if args.no_peer else run_peer(sample)
        if peer:
            say(f"  peer: {len(sample):,} households in {peer['seconds']:.1f} s; ours running…")
        load_before_ours = h.load_average()
        ours = run_ours()
        say(f"  ours: {ours['seconds']:.1f} s; {ours['warnings_by_kind']}")
        agreement = compare(peer["warnings"], ours["run_id"], sample) if peer else None
    scale = n / len(sample)
    peer_scaled = peer["seconds"] * scale if peer else None
    h.emit(
        {
            "bench": "monitoring",
            "n": n,
            "ours_s": ours["seconds"],
            "peer": f"per-household ORM loop (as OpenSPP v1 / OpenG2P), scaled from {args.peer_share * 100:g}% sample",
            "peer_s": peer_scaled,
            "peer_scaled": True,
            "peer_sample_households": len(sample),
            "peer_sample_s": peer["seconds"] if peer else None,
            "peak_mb": ours["peak_mb"] or h.process_peak_mb(),
            "peak_means": "peak resident memory of the process during our run (set-up excluded)"
            if ours["peak_mb"]
            else "peak resident memory of the whole process",
            "ours_cpu_s": ours["cpu_seconds"],
            "ours_stages_s": ours["stages"],
            "warnings_by_kind": ours["warnings_by_kind"],
            "summary": ours["summary"],
            "agreement_on_sample": agreement,
            "database": db["vendor"],
            "households": setup["households"],
            "people": setup["people"],
            "feed_records": setup["feed_records"],
            "feed_records_by_feed": setup["feed_records_by_feed"],
            "cases": setup["cases"],
            "approved_cases": setup["approved_cases"],
            "setup_generate_s": setup["generate_s"],
            "setup_write_s": setup["write_s"],
            "load_avg_1m": [load_at_start, load_before_ours, h.load_average()],
            "cpus": os.cpu_count(),
            "goal": f"1,000,000 households on PostgreSQL in at most {GOAL_S:.0f} s",
            "goal_met": (ours["seconds"] <= GOAL_S) if n >= 1_000_000 and db["vendor"] == "postgresql" else None,
            "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        }
    )


if __name__ == "__main__":
    main()
