"""Duplicate-aid candidates (重复救助疑点): a household paid by two or more distinct units within a short window,
so that a worker checks whether the aid overlaps ("one chain of aid per household", DOMAIN_RULES.md).

What counts as aid is what the system itself paid out, from the sources the warning configuration names:
- "funds": a unit's disbursement to the household from one of its fund accounts (trade union, charity
  federation, Red Cross…), dated by its ledger entry; a reversed disbursement is not aid;
- "payments": a paid line of a monthly payment roll (a case's benefit: 低保, 特困…), dated by its month, the unit
  being the policy's responsible unit. Suspended and terminated enrolments are never on a roll.

Benefits on the payment rolls alone never make a candidate (`duplicate_aid_not_alone`): the rolls pay the
catalogue's policies, whose exclusions and precedence already decide how they combine (低保 with a disability
allowance is two units by design). What the catalogue does not see is a unit's fund paying beside them.

A unit is a unit whichever source names it: `duplicate_aid_same_unit` maps a fund-holding unit's code to the
responsible-unit code of the policies it pays, so civil affairs paying 低保 and disbursing from its own fund is
one unit. Two payments by one unit are its own business (a monthly benefit), never a candidate.

Set-based: one query per source, then one Polars plan; no Python loop over households.
"""

import datetime as dt
import string

import polars as pl
from django.db.models import Q
from django.utils import translation

from .models import WarningKind
from .runs import COLUMNS, _yuan

ROW_SCHEMA = {
    "household_id": pl.Int64,
    "unit_code": pl.Utf8,
    "unit_zh": pl.Utf8,
    "unit_en": pl.Utf8,
    "paid_on": pl.Date,
    "amount": pl.Int64,
    "what_zh": pl.Utf8,
    "what_en": pl.Utf8,
}
SCHEMA = {
    "household_id": pl.Int64,
    "kind": pl.Utf8,
    "policy_code": pl.Utf8,
    "tier": pl.Utf8,
    "score": pl.Int64,
    "explanation_zh": pl.List(pl.Utf8),
    "explanation_en": pl.List(pl.Utf8),
    "source_feeds": pl.List(pl.Utf8),
}

WORDS = {
    "zh": {
        "head": "近 {days} 天内（{start} 至 {end}）有 {{units}} 个单位向本户发放救助，共 {{total}}，"
        "请核实是否重复救助：",
        "line": "{unit}：{date} 发放 {amount}（{what}）",
        "more": "另有 {n} 笔未列出",
    },
    "en": {
        "head": "{{units}} units paid this household within {days} days ({start} to {end}), {{total}} in all: "
        "check for duplicate aid",
        "line": "{unit}: {amount} on {date} ({what})",
        "more": "{n} more payments not listed",
    },
}


def window_start(as_of: dt.date, config) -> dt.date:
    return as_of - dt.timedelta(days=config.duplicate_aid_window_days - 1)


def _funds_paid(start: dt.date, end: dt.date):
    """The units' disbursements in the window that no reversal undid."""
    from zhongfu.funds.models import Disbursement

    return Disbursement.objects.filter(entry__date__gte=start, entry__date__lte=end, entry__reversed_by__isnull=True)


def _funds_rows(households, start: dt.date, end: dt.date) -> pl.DataFrame:
    """The disbursements of `households` in the window (one query)."""
    rows = (
        _funds_paid(start, end)
        .filter(household_id__in=households.values("pk"))
        .values_list(
            "household_id",
            "entry__unit__code",
            "entry__unit__name",
            "entry__unit__name",
            "entry__date",
            "amount_fen",
            "account__name",
            "account__name",
        )
        .order_by()
    )
    return pl.DataFrame(list(rows), schema=ROW_SCHEMA, orient="row")


def _payments_paid(start: dt.date, end: dt.date):
    """The paid lines of the payment rolls for the months the window touches."""
    from zhongfu.payments.models import LineStatus, PaymentLine

    return PaymentLine.objects.filter(status=LineStatus.PAID, month__gte=start.replace(day=1), month__lte=end)


def _payment_rows(households, start: dt.date, end: dt.date) -> pl.DataFrame:
    """The paid lines of `households` (one query), with the policy's responsible unit and the policy's name in
    both languages."""
    from zhongfu.common.templatetags.zhongfu import UNIT_LABELS
    from zhongfu.policies import selectors as policy_selectors

    rows = (
        _payments_paid(start, end)
        .filter(household_id__in=households.values("pk"))
        .values_list("household_id", "unit", "month", "amount_fen", "policy_code")
        .order_by()
    )
    frame = pl.DataFrame(
        list(rows),
        schema={
            "household_id": pl.Int64,
            "unit_code": pl.Utf8,
            "paid_on": pl.Date,
            "amount": pl.Int64,
            "policy": pl.Utf8,
        },
        orient="row",
    )
    names = {code: dict(p.name) for code, p in policy_selectors.current_catalogue().policies.items()}
    labels = {}
    for lang, django_lang in (("zh", "zh-hans"), ("en", "en")):
        with translation.override(django_lang):
            labels[lang] = {code: str(label) for code, label in UNIT_LABELS.items()}
    return frame.select(
        "household_id",
        "unit_code",
        *[
            pl.col("unit_code").replace_strict(labels[lang], default=pl.col("unit_code")).alias(f"unit_{lang}")
            for lang in ("zh", "en")
        ],
        "paid_on",
        "amount",
        *[
            pl.col("policy")
            .replace_strict(
                {code: n.get(lang) or n.get("zh") or code for code, n in names.items()}, default=pl.col("policy")
            )
            .alias(f"what_{lang}")
            for lang in ("zh", "en")
        ],
    ).cast(ROW_SCHEMA)


# name: (the rows of some households, every payment of the window — for the households a source may need)
SOURCES = {"funds": (_funds_rows, _funds_paid), "payments": (_payment_rows, _payments_paid)}


def duplicate_aid_candidates(households, as_of: dt.date, config) -> pl.DataFrame:
    """One candidate (COLUMNS) per household in `households` paid by at least the configured number of distinct
    units within the window ending on `as_of`; the explanation lists each payment: unit, date, amount."""
    start = window_start(as_of, config)
    names = [name for name in config.duplicate_aid_sources if name in SOURCES]
    others = [name for name in names if name not in config.duplicate_aid_not_alone]
    # A source that never counts alone is read only for the households some other source paid in the window: the
    # rolls pay many households every month, the units' funds few.
    helped_elsewhere = Q(pk__in=[])
    for name in others:
        helped_elsewhere |= Q(pk__in=SOURCES[name][1](start, as_of).values("household_id"))
    frames = [
        SOURCES[name][0](
            households if name in others else households.filter(helped_elsewhere), start, as_of
        ).with_columns(source=pl.lit(name))
        for name in names
    ]
    if not frames:
        return pl.DataFrame(schema=SCHEMA)
    paid = (
        pl.concat(frames)
        .lazy()
        .with_columns(
            unit_key=pl.col("unit_code").replace_strict(
                config.duplicate_aid_same_unit, default=pl.col("unit_code"), return_dtype=pl.Utf8
            )
        )
    )
    units = (
        paid.group_by("household_id")
        .agg(
            units=pl.col("unit_key").n_unique(),
            total=pl.col("amount").sum(),
            payments=pl.len(),
            beyond=(~pl.col("source").is_in(list(config.duplicate_aid_not_alone))).any(),
        )
        .filter((pl.col("units") >= config.duplicate_aid_min_units) & pl.col("beyond"))
    )
    limit = config.duplicate_aid_max_lines
    lines = (
        paid.join(units.select("household_id"), on="household_id", how="semi")
        .sort("household_id", "paid_on", "unit_key", "amount")
        .with_columns([_line(lang).alias(f"line_{lang}") for lang in ("zh", "en")])
        .group_by("household_id")
        .agg([pl.col(f"line_{lang}").head(limit).alias(f"lines_{lang}") for lang in ("zh", "en")])
    )
    explained = units.join(lines, on="household_id", how="inner").with_columns(
        [
            pl.concat_list(
                _head(lang, start, as_of, config),
                pl.col(f"lines_{lang}"),
                pl.when(pl.col("payments") > limit)
                .then(pl.concat_list(_more(lang, pl.col("payments") - limit)))
                .otherwise(pl.lit([], dtype=pl.List(pl.Utf8))),
            ).alias(f"explanation_{lang}")
            for lang in ("zh", "en")
        ]
    )
    return (
        explained.select(
            "household_id",
            pl.lit(WarningKind.DUPLICATE_AID.value).alias("kind"),
            pl.lit("").alias("policy_code"),
            pl.lit(config.kind_tier[WarningKind.DUPLICATE_AID]).alias("tier"),
            pl.lit(0, dtype=pl.Int64).alias("score"),
            "explanation_zh",
            "explanation_en",
            pl.lit([], dtype=pl.List(pl.Utf8)).alias("source_feeds"),
        )
        .select(COLUMNS)
        .sort("household_id")
        .collect()
        .cast(SCHEMA)
    )


def _text(template: str, values: dict[str, pl.Expr]) -> pl.Expr:
    """A template's {names} filled with column expressions (one string per row)."""
    parts = []
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        if literal:
            parts.append(pl.lit(literal))
        if name:
            parts.append(values[name])
    return pl.concat_str(parts)


def _line(lang: str) -> pl.Expr:
    return _text(
        WORDS[lang]["line"],
        {
            "unit": pl.col(f"unit_{lang}"),
            "date": pl.col("paid_on").dt.strftime("%Y-%m-%d"),
            "amount": _yuan(pl.col("amount"), lang),
            "what": pl.col(f"what_{lang}").fill_null(""),
        },
    )


def _head(lang: str, start: dt.date, end: dt.date, config) -> pl.Expr:
    template = WORDS[lang]["head"].format(days=config.duplicate_aid_window_days, start=start, end=end)
    return _text(template, {"units": pl.col("units").cast(pl.Utf8), "total": _yuan(pl.col("total"), lang)})


def _more(lang: str, n: pl.Expr) -> pl.Expr:
    return _text(WORDS[lang]["more"], {"n": n.cast(pl.Utf8)})
