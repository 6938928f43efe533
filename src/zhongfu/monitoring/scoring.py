"""Scoring: the risk model compiled by the policy engine's compiler to one Polars plan over the inputs frame.

The same plan scores one household and a whole city (no Python loop over households): per signal a
"fired" and a "points" column, the score as their sum, the tier as the first threshold reached, and the
list of signals that fired. The explanation of one household's row is rendered in Chinese and English
from the model's templates ("医保自付 38,000.00 元（近 12 个月）：+30"). The score only advises: a person
decides (PIPL Art. 24).
"""

import datetime as dt
import string
from dataclasses import dataclass, field

import polars as pl
from django.utils import timezone

from zhongfu.policies.engine.compiler import Compiled, ExpressionCompiler
from zhongfu.policies.engine.explain import WORDS, fen_text, value_text

from .inputs import INPUTS_BY_NAME, SCHEMA, household_signal_inputs, signal_inputs_frame
from .riskmodel import RiskModel

LANGUAGES = ("zh", "en")
POINTS_WORDS = {"zh": "{text}：{points}", "en": "{text}: {points}"}


class SignalCompiler(ExpressionCompiler):
    """The engine's expression compiler, reading signal inputs as columns of the inputs frame (never unknown)."""

    def __init__(self):
        super().__init__(plan=None)

    def _local(self, node, code):
        return Compiled(pl.col(node.name), INPUTS_BY_NAME[node.name].type, False)

    _input = _local


def fired_column(name: str) -> str:
    return f"{name}.fired"


def points_column(name: str) -> str:
    return f"{name}.points"


def score_plan(model: RiskModel, inputs: pl.LazyFrame, *, explain: bool = False) -> pl.LazyFrame:
    """household_id, score, tier (null below every threshold), signals (names that fired, in model
    order) and per signal `<name>.points` (0 when it did not fire); with `explain`, also
    `explanation_zh` and `explanation_en` (one line per signal that fired, as `explanation_lines`).
    An unknown `when` (a division by zero) does not fire; unknown points count 0."""
    compiler = SignalCompiler()
    fired, points = [], []
    for signal in model.signals:
        when = compiler.compile(signal.when_node, model.code).expr
        value = compiler.compile(signal.points_node, model.code).expr
        fired.append(when.fill_null(False).alias(fired_column(signal.name)))
        points.append(
            pl.when(pl.col(fired_column(signal.name)))
            .then(value.fill_null(0))
            .otherwise(0)
            .cast(pl.Int64)
            .alias(points_column(signal.name))
        )
    score = pl.sum_horizontal([pl.col(points_column(signal.name)) for signal in model.signals]).cast(pl.Int64)
    tier = pl.lit(None, dtype=pl.Utf8)
    for item in reversed(model.tiers):  # the most urgent threshold reached wins: it is applied last
        tier = pl.when(pl.col("score") >= item.min_score).then(pl.lit(item.name)).otherwise(tier)
    names = pl.concat_list(
        [pl.when(pl.col(fired_column(s.name))).then(pl.lit(s.name)).otherwise(None) for s in model.signals]
    ).list.drop_nulls()
    frame = inputs.with_columns(fired).with_columns(points).with_columns(score=score)
    frame = frame.with_columns(tier=tier, signals=names)
    output = ["household_id", "score", "tier", "signals", *[points_column(s.name) for s in model.signals]]
    if explain:
        frame = frame.with_columns(
            [explanation_expr(model, language).alias(f"explanation_{language}") for language in LANGUAGES]
        )
        output += [f"explanation_{language}" for language in LANGUAGES]
    return frame.select(output)


def risk_scores_frame(
    inputs_frame: pl.DataFrame | pl.LazyFrame, *, model: RiskModel | None = None, explain: bool = True
) -> pl.DataFrame:
    """Score many households at once: `inputs_frame` is `inputs.signal_inputs_frame` (one row each)."""
    if model is None:
        from .selectors import risk_model_in_force

        model = risk_model_in_force()
    return score_plan(model, inputs_frame.lazy(), explain=explain).collect()


def risk_scores_explaining_tiers(inputs_frame: pl.DataFrame, *, model: RiskModel) -> pl.DataFrame:
    """As `risk_scores_frame(explain=True)`, but the explanation (text built per signal and language, the
    costly part) only for the households that reached a tier; the others' explanations are empty lists — a
    score below every threshold raises no warning, so nothing shows it."""
    scores = risk_scores_frame(inputs_frame, model=model, explain=False)
    tiered = inputs_frame.lazy().join(
        scores.lazy().filter(pl.col("tier").is_not_null()).select("household_id"), on="household_id", how="semi"
    )
    lines = risk_scores_frame(tiered, model=model, explain=True).select(
        "household_id", *[f"explanation_{language}" for language in LANGUAGES]
    )
    empty = pl.lit([], dtype=pl.List(pl.Utf8))
    return scores.join(lines, on="household_id", how="left", maintain_order="left").with_columns(
        [pl.col(f"explanation_{language}").fill_null(empty) for language in LANGUAGES]
    )


def risk_scores(
    households, *, as_of: dt.date | None = None, model: RiskModel | None = None, explain: bool = True
) -> pl.DataFrame:
    """Scores (and explanations) of a queryset of households: the city path."""
    as_of = as_of or timezone.localdate()
    return risk_scores_frame(signal_inputs_frame(households, as_of=as_of), model=model, explain=explain)


# ---- the explanation as Polars expressions (a city) ----


def _grouped(digits: pl.Expr) -> pl.Expr:
    """A non-negative integer with thousands separators (1234567 → "1,234,567"), as `f"{n:,}"`."""
    return (
        digits.cast(pl.Utf8).str.reverse().str.replace_all(r"(\d{3})", "${1},").str.reverse().str.strip_chars_start(",")
    )


def _value_expr(name: str, language: str) -> pl.Expr:
    """An input shown as `_value` shows it: money as yuan, counts grouped, true/false as words."""
    words, column, item = WORDS[language], pl.col(name), INPUTS_BY_NAME[name]
    if item.type == "bool":
        return pl.when(column).then(pl.lit(words["yes"])).otherwise(pl.lit(words["no"]))
    if item.type == "string":
        return pl.when(column == "").then(pl.lit("“”")).otherwise(column)
    sign = pl.when(column < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    if item.unit == "fen":
        yuan = pl.concat_str(
            [sign, _grouped(column.abs() // 100), pl.lit("."), (column.abs() % 100).cast(pl.Utf8).str.zfill(2)]
        )
        before, after = words["fen"].split("{value}")
        return pl.concat_str([pl.lit(before), yuan, pl.lit(after)])
    return pl.concat_str([sign, _grouped(column.abs())])


def explanation_expr(model: RiskModel, language: str) -> pl.Expr:
    """List of the lines of the signals that fired (reads the `score_plan` columns and the inputs)."""
    lines = []
    for signal in model.signals:
        template = signal.explain.get(language) or signal.explain["zh"]
        parts = []
        for literal, name, _spec, _conversion in string.Formatter().parse(template):
            if literal:
                parts.append(pl.lit(literal))
            if name:
                parts.append(_value_expr(name, language))
        points = pl.col(points_column(signal.name))
        signed = pl.when(points >= 0).then(pl.lit("+")).otherwise(pl.lit("")) + points.cast(pl.Utf8)
        before, middle = POINTS_WORDS[language].split("{text}")
        between = middle.split("{points}")[0]
        line = pl.concat_str([pl.lit(before), *parts, pl.lit(between), signed])
        lines.append(pl.when(pl.col(fired_column(signal.name))).then(line).otherwise(None))
    return pl.concat_list(lines).list.drop_nulls()


# ---- explanation ----


@dataclass
class SignalLine:
    signal: str
    label: str
    points: int
    text: str


@dataclass
class HouseholdRisk:
    household_id: int
    as_of: dt.date
    model_code: str
    model_hash: str
    score: int
    tier: str | None
    tier_label: dict[str, str]
    signals: list[str]
    explanation: dict[str, list[SignalLine]]  # language → one line per signal that fired
    inputs: dict = field(default_factory=dict)

    def lines(self, language: str = "zh") -> list[str]:
        key = "en" if str(language).lower().startswith("en") else "zh"
        return [line.text for line in self.explanation[key]]


def _value(name: str, value, language: str) -> str:
    words = WORDS[language]
    unit = INPUTS_BY_NAME[name].unit
    if unit == "fen" and isinstance(value, int) and not isinstance(value, bool):
        return words["fen"].format(value=fen_text(value))
    return value_text(value, None, words)


def explanation_lines(model: RiskModel, row: dict, language: str = "zh") -> list[SignalLine]:
    """One line per signal that fired in a scored row (inputs merged with `score_plan`'s columns)."""
    key = "en" if str(language).lower().startswith("en") else "zh"
    lines = []
    for signal in model.signals:
        if signal.name not in row["signals"]:
            continue
        template = signal.explain.get(key) or signal.explain["zh"]
        names = {name for _l, name, _s, _c in string.Formatter().parse(template) if name}
        text = template.format(**{name: _value(name, row[name], key) for name in names})
        points = row[points_column(signal.name)]
        text = POINTS_WORDS[key].format(text=text, points=f"{points:+d}")
        lines.append(SignalLine(signal.name, signal.label_in(key), points, text))
    return lines


def household_risk(household, *, as_of: dt.date | None = None, model: RiskModel | None = None) -> HouseholdRisk:
    """One household's score, tier and explanation, through the same inputs queries and plan as a city."""
    if model is None:
        from .selectors import risk_model_in_force

        model = risk_model_in_force()
    as_of = as_of or timezone.localdate()
    inputs = household_signal_inputs(household, as_of=as_of)
    frame = pl.DataFrame([inputs], schema=SCHEMA)
    row = inputs | risk_scores_frame(frame, model=model, explain=False).row(0, named=True)
    tier = model.tier(row["tier"])
    return HouseholdRisk(
        household_id=household.pk,
        as_of=as_of,
        model_code=model.code,
        model_hash=model.content_hash,
        score=row["score"],
        tier=row["tier"],
        tier_label=dict(tier.label) if tier else {},
        signals=list(row["signals"]),
        explanation={language: explanation_lines(model, row, language) for language in LANGUAGES},
        inputs=inputs,
    )
