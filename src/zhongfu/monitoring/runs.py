"""The monitoring run (监测预警): every household scored by the approved risk model and screened against every
policy, and three kinds of warning raised — at risk, eligible but not enrolled (the policy finds the person),
enrolled but no longer qualifying. One run at a time (a unique flag the database holds); the worker runs it.

Everything is set-based: the risk scores are one Polars plan (scoring.risk_scores_frame), the screening is the
batch screening's own path (screening.selectors.evaluate_households), the warnings are joins of those frames
with the cases, and the insert skips every warning still open (an anti-join, then the unique constraint with
ON CONFLICT DO NOTHING for a race). No Python loop over households.
"""

import datetime as dt
import io
import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import polars as pl
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import RUN_SCREENING
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import DomainError, PermissionDenied
from zhongfu.common.frames import queryset_frame
from zhongfu.registry.models import Household
from zhongfu.workdays.selectors import add_working_days

from .inputs import INPUTS_BY_NAME, signal_inputs_frame
from .models import ACTIVE_RUN, RUN_KINDS, MonitoringRun, RunStatus, Warning, WarningKind, WarningStatus
from .scoring import _grouped, _value_expr, risk_scores_explaining_tiers
from .warning_config import TIER_ORDER, warning_config

log = logging.getLogger(__name__)

INSERT_CHUNK = 5_000  # warnings per INSERT; each chunk commits and moves the progress bar
RUN_OBJECT_TYPE = "monitoring_run"
ENGINE_ELIGIBLE, ENGINE_NOT_ELIGIBLE = 1, 0  # screening.models.Outcome


class RunInProgress(DomainError):
    """A second run while one is queued or running (the API answers 409)."""

    default_message = _("A monitoring run (#%(run)s) is already in progress; wait for it to finish.")


def _running() -> MonitoringRun | None:
    return MonitoringRun.objects.filter(status__in=ACTIVE_RUN).order_by("pk").first()


@transaction.atomic
def monitoring_run_start(*, actor, as_of: dt.date | None = None) -> MonitoringRun:
    """Queue a monitoring run of every active household (the permission of batch screening runs). `actor` None is
    the system itself (`zhongfu monitor`, scheduled by cron)."""
    from .tasks import monitoring_run_task

    if actor is not None and (not actor.is_authenticated or not actor.has_perm(RUN_SCREENING)):
        raise PermissionDenied()
    running = _running()
    if running is not None:
        raise RunInProgress(field="run", run=running.pk)
    try:
        with transaction.atomic():  # a start at the same moment elsewhere meets the unique flag
            run = MonitoringRun.objects.create(as_of=as_of or timezone.localdate(), started_by=actor, stage="")
    except IntegrityError:
        running = _running()
        raise RunInProgress(field="run", run=running.pk if running else "?") from None
    audit_record(
        actor=actor, action="run", object_type=RUN_OBJECT_TYPE, object_id=run.pk, after={"as_of": str(run.as_of)}
    )
    transaction.on_commit(lambda: monitoring_run_task.enqueue(run.pk))
    return run


def _progress(run: MonitoringRun, progress: int, stage) -> None:
    MonitoringRun.objects.filter(pk=run.pk).update(progress=progress, stage=str(stage)[:64])


def run_execute(run_id: int) -> None:
    """The worker's side: claim the run, score, screen, raise warnings, record the summary."""
    claimed = MonitoringRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:  # another worker took it, or it is finished
        return
    run = MonitoringRun.objects.get(pk=run_id)
    try:
        with _sort_memory():
            summary, hashes, households = _execute(run)
        with transaction.atomic():
            MonitoringRun.objects.filter(pk=run.pk).update(
                status=RunStatus.DONE,
                active=None,
                progress=100,
                stage=str(_("done")),
                households=households,
                summary=summary,
                finished_at=timezone.now(),
                **hashes,
            )
            audit_record(actor=None, action="finish", object_type=RUN_OBJECT_TYPE, object_id=run.pk, after=summary)
    except Exception as exc:  # the run's page must say it failed, whatever the cause, and free the lock
        log.exception("monitoring run %s failed", run_id)
        MonitoringRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, active=None, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise


RUN_WORK_MEM = "128MB"  # PostgreSQL's memory per sort or hash of the run's queries (the default is 4MB)


@contextmanager
def _sort_memory():
    """On PostgreSQL, more memory per sort for the run's session: its city-wide DISTINCT ON and GROUP BY over
    millions of feed records would otherwise sort on disk. Reset afterwards (the worker's connection lives on)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SET work_mem = '{RUN_WORK_MEM}'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET work_mem")


def _on_own_connection(read, households, as_of):
    """`read` on the thread's own database connection, with the run's sort memory, closed afterwards."""
    try:
        with _sort_memory():
            return read(households, as_of=as_of, every_household=True)
    finally:
        connection.close()


class _Stages:
    """Seconds per stage of a run, logged at its end so a slow stage shows on a real city."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)


def _execute(run: MonitoringRun) -> tuple[dict, dict, int]:
    from zhongfu.policies import selectors as policy_selectors
    from zhongfu.screening.selectors import evaluate_households

    from .selectors import risk_model_in_force, risk_model_version_in_force

    stage = _Stages()
    households = Household.objects.filter(is_active=True)
    model, version = risk_model_in_force(), risk_model_version_in_force()
    _progress(run, 5, _("screening every policy"))
    # Both reads are mostly the database's work: on two cores, the department data are read on a second
    # connection while this one reads the registry for the screening. A second connection sees only committed
    # rows, so inside a transaction (a test's, or a caller's) the two run one after the other on this one.
    parallel = not connection.in_atomic_block
    with ThreadPoolExecutor(max_workers=1) as pool:
        if parallel:
            inputs_read = pool.submit(_on_own_connection, signal_inputs_frame, households, run.as_of)
        with stage("screening"):
            catalogue = policy_selectors.current_catalogue()
            _frame, _members, result, _plan = evaluate_households(households, run.as_of)
        _progress(run, 30, _("reading the department data"))
        with stage("signal_inputs"):  # with the reads in parallel: the wait after the screening
            if parallel:
                inputs = inputs_read.result()
            else:
                inputs = signal_inputs_frame(households, as_of=run.as_of, every_household=True)
    with stage("scores"):
        scores = risk_scores_explaining_tiers(inputs, model=model)
    _progress(run, 60, _("finding warnings"))
    with stage("candidates"):
        config = warning_config(run.as_of)
        candidates = warning_candidates(
            inputs=inputs,
            scores=scores,
            screening=result,
            cases=_cases_frame(),
            policy_names={code: dict(p.name) for code, p in catalogue.policies.items()},
            model_feeds=_signal_feeds(model),
            config=config,
        )
    from .duplicates import duplicate_aid_candidates  # here: duplicates.py imports this module's helpers

    with stage("duplicates"):
        duplicates = duplicate_aid_candidates(households, run.as_of, config)
    candidates = pl.concat([candidates, duplicates], how="vertical_relaxed")
    found = {kind: int((candidates.get_column("kind") == kind).sum()) for kind in RUN_KINDS}
    with stage("insert"):
        raised = _insert(run, candidates, households, config)
    summary = {kind: {"found": found[kind], "raised": raised.get(kind, 0)} for kind in RUN_KINDS}
    # The seconds per stage go to the log (the benchmark reads them there), not into the summary pages show.
    log.info(
        "monitoring run %s: %s households, seconds per stage %s",
        run.pk,
        inputs.height,
        stage.seconds,
        extra={"stage_seconds": stage.seconds},
    )
    hashes = {"model_hash": version.content_hash, "catalogue_hash": catalogue.version_hash}
    return summary, hashes, inputs.height


# ---- the frames ----


def _cases_frame() -> pl.DataFrame:
    """(household_id, policy_code, approved) of every open or approved case; a terminated enrolment is not
    enrolled (enrolment's latest change says so)."""
    from zhongfu.casework.models import Case, CaseStatus
    from zhongfu.enrolment.models import ChangeKind, EnrolmentChange

    terminated = EnrolmentChange.objects.filter(case=OuterRef("pk"), kind=ChangeKind.TERMINATE)
    rows = (
        Case.objects.filter(status__in=[CaseStatus.OPEN, CaseStatus.APPROVED])
        .exclude(Exists(terminated))
        .values_list("household_id", "policy_code", "status")
        .distinct()
    )
    frame = queryset_frame(rows, {"household_id": pl.Int64, "policy_code": pl.Utf8, "status": pl.Utf8})
    return frame.with_columns(approved=pl.col("status") == CaseStatus.APPROVED).drop("status")


def _signal_feeds(model) -> dict[str, list[str]]:
    """Signal name → the feeds of the inputs its explanation shows (what a "data wrong" is fed back to)."""
    import string

    feeds = {}
    for signal in model.signals:
        names = {n for text in signal.explain.values() for _l, n, _s, _c in string.Formatter().parse(text) if n}
        feeds[signal.name] = sorted(
            {INPUTS_BY_NAME[n].source for n in names if n in INPUTS_BY_NAME and INPUTS_BY_NAME[n].source != "registry"}
        )
    return feeds


def _yuan(column: pl.Expr, language: str) -> pl.Expr:
    text = pl.concat_str([_grouped(column // 100), pl.lit("."), (column % 100).cast(pl.Utf8).str.zfill(2)])
    return pl.concat_str([text, pl.lit(" 元" if language == "zh" else " yuan")])


WORDS = {
    "zh": {
        "eligible": "政策筛查：符合「{name}」条件，尚无申请或在办案件",
        "amount": "，测算金额 ",
        "not_eligible": "政策筛查：已不符合「{name}」条件",
        "signal": "：",
    },
    "en": {
        "eligible": "policy screening: eligible for {name}, with no application or open case",
        "amount": ", estimated amount ",
        "not_eligible": "policy screening: no longer eligible for {name}",
        "signal": ": ",
    },
}


def _name_expr(policy_names: dict, language: str, template: str) -> pl.Expr:
    texts = {
        code: template.format(name=names.get(language) or names.get("zh") or code)
        for code, names in policy_names.items()
    }
    return pl.col("policy_code").replace_strict(texts, default=pl.col("policy_code"), return_dtype=pl.Utf8)


def _tier_rank(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(
        {t: i for i, t in enumerate(TIER_ORDER)}, default=len(TIER_ORDER), return_dtype=pl.Int64
    )


def _kind_tier(frame: pl.LazyFrame, kind_tier: str) -> pl.LazyFrame:
    """The kind's tier, or the household's risk tier when that is more urgent."""
    own = pl.lit(kind_tier)
    risk_more_urgent = pl.col("risk_tier").is_not_null() & (_tier_rank("risk_tier") < TIER_ORDER.index(kind_tier))
    return frame.with_columns(tier=pl.when(risk_more_urgent).then(pl.col("risk_tier")).otherwise(own))


COLUMNS = ["household_id", "kind", "policy_code", "tier", "score", "explanation_zh", "explanation_en", "source_feeds"]


def warning_candidates(
    *,
    inputs: pl.DataFrame,
    scores: pl.DataFrame,
    screening: pl.DataFrame,
    cases: pl.DataFrame,
    policy_names: dict,
    model_feeds: dict,
    config,
) -> pl.DataFrame:
    """Every warning the data call for (open ones included: `_insert` skips them), one row each, COLUMNS."""
    feeds_by_signal = {name: ",".join(feeds) for name, feeds in model_feeds.items()}
    risk = scores.lazy().select(
        "household_id",
        "score",
        pl.col("tier").alias("risk_tier"),
        "explanation_zh",
        "explanation_en",
        pl.col("signals")
        .list.eval(pl.element().replace_strict(feeds_by_signal, default="", return_dtype=pl.Utf8))
        .list.join(",")
        .str.split(",")
        .list.eval(pl.element().filter(pl.element() != ""))
        .list.unique()
        .list.sort()
        .alias("source_feeds"),
    )
    at_risk = risk.filter(pl.col("risk_tier").is_not_null()).select(
        "household_id",
        pl.lit(WarningKind.AT_RISK.value).alias("kind"),
        pl.lit("").alias("policy_code"),
        pl.col("risk_tier").alias("tier"),
        "score",
        "explanation_zh",
        "explanation_en",
        "source_feeds",
    )
    codes = [code for code in policy_names if f"{code}.outcome" in screening.columns]
    long = pl.concat(
        [
            screening.lazy().select(
                "household_id",
                pl.lit(code).alias("policy_code"),
                pl.col(f"{code}.outcome").cast(pl.Int64).alias("outcome"),
                pl.col(f"{code}.amount").fill_null(0).cast(pl.Int64).alias("amount"),
            )
            for code in codes
        ]
    )
    household_risk = risk.select("household_id", "score", "risk_tier")
    cases = cases.lazy()

    # The policy finds the person: eligible, and no open or approved case for that policy.
    finds = [code for code in config.finds_people if code in codes]
    eligible = (
        long.filter(pl.col("policy_code").is_in(finds) & (pl.col("outcome") == ENGINE_ELIGIBLE))
        .join(cases, on=["household_id", "policy_code"], how="anti")
        .join(household_risk, on="household_id", how="left")
    )
    eligible = _kind_tier(eligible, config.kind_tier[WarningKind.ELIGIBLE_NOT_ENROLLED]).with_columns(
        [
            pl.concat_list(
                pl.concat_str(
                    [
                        _name_expr(policy_names, lang, WORDS[lang]["eligible"]),
                        pl.when(pl.col("amount") > 0)
                        .then(pl.concat_str([pl.lit(WORDS[lang]["amount"]), _yuan(pl.col("amount"), lang)]))
                        .otherwise(pl.lit("")),
                    ]
                )
            ).alias(f"explanation_{lang}")
            for lang in ("zh", "en")
        ]
    )
    eligible = eligible.with_columns(
        kind=pl.lit(WarningKind.ELIGIBLE_NOT_ENROLLED.value),
        score=pl.col("score").fill_null(0),
        source_feeds=pl.lit([], dtype=pl.List(pl.Utf8)),
    ).select(COLUMNS)

    # Enrolled but no longer qualifying: the screening says no, or a feed signal casts doubt.
    signal_names = [name for name in config.no_longer_signals if name in inputs.columns]
    signal_lines = {
        lang: pl.concat_list(
            [
                pl.when(pl.col(name) > 0)
                .then(
                    pl.concat_str(
                        [
                            pl.lit(INPUTS_BY_NAME[name].label[lang]),
                            pl.lit(WORDS[lang]["signal"]),
                            _value_expr(name, lang),
                        ]
                    )
                )
                .otherwise(None)
                for name in signal_names
            ]
        ).list.drop_nulls()
        for lang in ("zh", "en")
    }
    feed_list = pl.concat_list(
        [pl.when(pl.col(n) > 0).then(pl.lit(config.no_longer_signals[n])).otherwise(None) for n in signal_names]
    ).list.drop_nulls()
    # Only households with an approved case can be "no longer qualifying": their lines alone are built.
    approved_households = cases.filter(pl.col("approved")).select("household_id").unique()
    doubts = (
        inputs.lazy()
        .join(approved_households, on="household_id", how="semi")
        .select(
            "household_id",
            signal_lines["zh"].alias("signals_zh"),
            signal_lines["en"].alias("signals_en"),
            feed_list.alias("source_feeds"),
        )
    )
    enrolled = (
        cases.filter(pl.col("approved"))
        .select("household_id", "policy_code")
        .join(long, on=["household_id", "policy_code"], how="left")
        .join(doubts, on="household_id", how="left")
        .join(household_risk, on="household_id", how="left")
        .with_columns(failed=pl.col("outcome") == ENGINE_NOT_ELIGIBLE)
        .filter(pl.col("failed") | (pl.col("signals_zh").list.len() > 0))
    )
    enrolled = _kind_tier(enrolled, config.kind_tier[WarningKind.NO_LONGER_QUALIFYING]).with_columns(
        [
            pl.concat_list(
                [
                    pl.when(pl.col("failed"))
                    .then(pl.concat_list(_name_expr(policy_names, lang, WORDS[lang]["not_eligible"])))
                    .otherwise(pl.lit([], dtype=pl.List(pl.Utf8))),
                    pl.col(f"signals_{lang}").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
                ]
            ).alias(f"explanation_{lang}")
            for lang in ("zh", "en")
        ]
    )
    enrolled = enrolled.with_columns(
        kind=pl.lit(WarningKind.NO_LONGER_QUALIFYING.value),
        score=pl.col("score").fill_null(0),
        source_feeds=pl.col("source_feeds").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
    ).select(COLUMNS)

    return (
        pl.concat([at_risk.select(COLUMNS), eligible, enrolled], how="vertical_relaxed")
        .with_columns(score=pl.col("score").cast(pl.Int64))
        .sort("household_id", "kind", "policy_code")
        .collect()
    )


def _insert(run: MonitoringRun, candidates: pl.DataFrame, households, config) -> dict[str, int]:
    """Insert the warnings not already open: an anti-join against the open ones, then the rows written
    (ON CONFLICT DO NOTHING covers a warning opened meanwhile). Returns {kind: inserted}.

    PostgreSQL: one COPY into a temporary table and one INSERT … SELECT (a city raises hundreds of thousands
    of warnings; model instances would take minutes). Elsewhere: bulk_create in chunks that each commit."""
    open_frame = queryset_frame(
        Warning.objects.exclude(status=WarningStatus.CLOSED)
        .filter(kind__in=RUN_KINDS)
        .values_list("household_id", "kind", "policy_code"),
        {"household_id": pl.Int64, "kind": pl.Utf8, "policy_code": pl.Utf8},
    )
    regions = queryset_frame(
        households.values_list("id", "region_id"), {"household_id": pl.Int64, "region_id": pl.Utf8}
    )
    new = candidates.join(open_frame, on=["household_id", "kind", "policy_code"], how="anti").join(
        regions, on="household_id", how="inner"
    )
    raised_on = timezone.localdate()
    due = {tier: add_working_days(raised_on, days) for tier, days in config.due_working_days.items()}
    _progress(run, 70, _("storing warnings"))
    if connection.vendor == "postgresql":
        return _copy_warnings(run, new, raised_on, due)
    counts: dict[str, int] = {}
    total = new.height
    for start in range(0, total, INSERT_CHUNK):
        chunk = new.slice(start, INSERT_CHUNK)
        rows = [
            Warning(
                run_id=run.pk,
                household_id=row["household_id"],
                kind=row["kind"],
                tier=row["tier"],
                policy_code=row["policy_code"],
                score=row["score"],
                explanation={"zh": row["explanation_zh"], "en": row["explanation_en"]},
                source_feeds=row["source_feeds"],
                region_id=row["region_id"],
                raised_on=raised_on,
                due_on=due[row["tier"]],
            )
            for row in chunk.iter_rows(named=True)
        ]
        with transaction.atomic():
            Warning.objects.bulk_create(rows, ignore_conflicts=True)
        for kind, n in chunk.group_by("kind").len().iter_rows():
            counts[kind] = counts.get(kind, 0) + n
        _progress(run, 60 + int(39 * min(total, start + INSERT_CHUNK) / max(total, 1)), _("storing warnings"))
    return counts


def _copy_warnings(run: MonitoringRun, new: pl.DataFrame, raised_on: dt.date, due: dict) -> dict[str, int]:
    """The warnings `new` as Warning rows, COPY'd into a temporary table then inserted with ON CONFLICT DO
    NOTHING (the partial unique constraint on open warnings); every other column as the model's default."""
    given = new.select(
        run_id=pl.lit(run.pk, dtype=pl.Int64),
        household_id="household_id",
        kind="kind",
        tier="tier",
        policy_code="policy_code",
        score="score",
        explanation=pl.struct(zh="explanation_zh", en="explanation_en").struct.json_encode(),
        source_feeds=pl.struct(f="source_feeds").struct.json_encode().str.slice(5).str.strip_suffix("}"),
        region_id="region_id",
        raised_on=pl.lit(raised_on),
        due_on=pl.col("tier").replace_strict(due, return_dtype=pl.Date),
    )
    columns = []
    for field in Warning._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.column not in given.columns:
            default = field.get_default()
            if isinstance(default, dict | list):
                default = json.dumps(default)
            given = given.with_columns(pl.lit(default).alias(field.column))
        columns.append(field.column)
    given = given.select(columns)
    names = ", ".join(f'"{name}"' for name in columns)
    table = Warning._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        # Dropped first and after: a run inside an outer transaction (a test) would still hold the last one.
        cursor.execute("DROP TABLE IF EXISTS warning_staging")
        cursor.execute(
            f"CREATE TEMPORARY TABLE warning_staging ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA"
        )
        buffer = io.BytesIO()
        given.write_csv(buffer, include_header=False)
        with cursor.cursor.copy(f"COPY warning_staging ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute(
            f"WITH inserted AS (INSERT INTO {table} ({names}) SELECT {names} FROM warning_staging "
            "ON CONFLICT DO NOTHING RETURNING kind) SELECT kind, count(*) FROM inserted GROUP BY kind"
        )
        counts = dict(cursor.fetchall())
        cursor.execute("DROP TABLE warning_staging")
        return counts
