"""Versions of the risk model (风险评分模型): the YAML text as proposed, approved by a second city
administrator, in force from its approval until a later approval retires it. Nothing is deleted.

The system itself (the shipped model, `services.risk_model_sync`) proposes and approves with
`proposed_by` and `approved_by` left empty.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class RiskModelStatus(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    # An approved version that a later approval replaced.
    RETIRED = "retired", _("retired")


class RiskModelVersion(models.Model):
    code = models.CharField(_("model"), max_length=64, db_index=True)
    content = models.TextField(_("model file"))
    content_hash = models.CharField(_("version"), max_length=64, db_index=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RiskModelStatus.choices, default=RiskModelStatus.PROPOSED
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("proposed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    # In force from its approval; a retired version keeps it, with valid_until set by the one that replaced it.
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    class Meta:
        verbose_name = _("risk model version")
        verbose_name_plural = _("risk model versions")
        ordering = ["code", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(status="approved"), name="monitoring_one_approved_model"
            ),
            # Maker-checker held by the database too: the one who proposed never approves.
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | Q(proposed_by__isnull=True) | ~Q(approved_by=F("proposed_by")),
                name="monitoring_model_checker_not_maker",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(valid_from__isnull=False),
                name="monitoring_approved_model_has_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.content_hash[:12]}"


# ---- the monitoring run and its warnings ----


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


ACTIVE_RUN = (RunStatus.QUEUED, RunStatus.RUNNING)


class MonitoringRun(models.Model):
    """One pass over every household: risk scores, the policy screening, warnings raised. One at a time:
    `active` is true while the run is queued or running and null afterwards, and is unique, so the database
    itself refuses a second active run (NULLs never collide, on SQLite and PostgreSQL alike)."""

    as_of = models.DateField(_("evaluation date"))
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    active = models.BooleanField(null=True, default=True, editable=False)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)  # 0–100; the page polls it
    stage = models.CharField(_("stage"), max_length=64, blank=True)
    households = models.PositiveIntegerField(_("households"), default=0)
    model_hash = models.CharField(_("risk model version"), max_length=64, blank=True)
    catalogue_hash = models.CharField(_("policy catalogue version"), max_length=64, blank=True)
    # {kind: {"found": n, "raised": n}}: found by this run, raised = new (the rest were already open)
    summary = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("monitoring run")
        verbose_name_plural = _("monitoring runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["active"], name="monitoring_one_active_run"),
            models.CheckConstraint(
                condition=(Q(status__in=ACTIVE_RUN) & Q(active=True))
                | (~Q(status__in=ACTIVE_RUN) & Q(active__isnull=True)),
                name="monitoring_run_active_flag",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"


class WarningKind(models.TextChoices):
    AT_RISK = "at_risk", _("at risk")
    ELIGIBLE_NOT_ENROLLED = "eligible_not_enrolled", _("eligible but not enrolled")
    NO_LONGER_QUALIFYING = "no_longer_qualifying", _("enrolled but no longer qualifying")
    # The same household paid by several units within a short window (one chain of aid per household).
    DUPLICATE_AID = "duplicate_aid", _("possible duplicate aid")
    # Reported by a worker who found the household (or a person not yet registered) in need: not by a run.
    DISCOVERY = "discovery", _("discovery report")


# The kinds a monitoring run raises (a discovery report is a worker's, never a run's).
RUN_KINDS = (
    WarningKind.AT_RISK,
    WarningKind.ELIGIBLE_NOT_ENROLLED,
    WarningKind.NO_LONGER_QUALIFYING,
    WarningKind.DUPLICATE_AID,
)


class Tier(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")


class WarningStatus(models.TextChoices):
    OPEN = "open", _("open")
    VISITING = "visiting", _("visiting")
    CLOSED = "closed", _("closed")


class WarningOutcome(models.TextChoices):
    HELPED = "helped", _("helped")
    NOT_NEEDED = "not_needed", _("not needed")
    DATA_WRONG = "data_wrong", _("data wrong")


class Warning(models.Model):  # the glossary's name; Python's builtin Warning is not used in this app
    """A monitoring hit (预警): raised by a run, assigned by region, visited, closed with an outcome.

    The explanation is stored as raised (PIPL: the household can be told why it was contacted even after
    the data or the model change). `policy_code` is "" for an at-risk warning: the unique constraint on
    open warnings needs a value there, and NULLs never collide."""

    run = models.ForeignKey(
        MonitoringRun, verbose_name=_("run"), null=True, blank=True, on_delete=models.PROTECT, related_name="warnings"
    )
    # Null only for a discovery report of someone not yet in the registry: `address` then says where.
    household = models.ForeignKey(
        "registry.Household",
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="warnings",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=24, choices=WarningKind.choices)
    tier = models.CharField(_("tier"), max_length=8, choices=Tier.choices)
    policy_code = models.CharField(_("policy"), max_length=64, blank=True)
    score = models.IntegerField(_("score"), default=0)
    explanation = models.JSONField(_("explanation"), default=dict)  # {"zh": [lines], "en": [lines]}
    source_feeds = models.JSONField(_("source feeds"), default=list)  # the feeds behind the signals
    status = models.CharField(_("status"), max_length=8, choices=WarningStatus.choices, default=WarningStatus.OPEN)
    # The household's community when raised: whose list the warning is on (scope by region prefix).
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    raised_on = models.DateField(_("raised"))
    due_on = models.DateField(_("due"))
    escalated_on = models.DateField(_("escalated"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=WarningOutcome.choices, blank=True)
    application = models.ForeignKey(
        "casework.Application",
        verbose_name=_("application"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # helped: the referral (to whom, for what); data wrong: what is wrong, fed back to `feedback_feed`.
    outcome_note = models.CharField(_("note"), max_length=500, blank=True)
    feedback_feed = models.CharField(_("feed told"), max_length=32, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="monitoring_warning_due"),
            models.Index(fields=["region", "status"], name="monitoring_warning_region"),
        ]
        constraints = [
            # Re-running never duplicates a warning still being handled.
            models.UniqueConstraint(
                fields=["household", "kind", "policy_code"],
                condition=~Q(status="closed"),
                name="monitoring_one_open_warning",
            ),
            models.CheckConstraint(
                condition=Q(status="closed", closed_at__isnull=False) & ~Q(outcome="")
                | ~Q(status="closed") & Q(outcome=""),
                name="monitoring_closed_warning_has_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="helped") | Q(application__isnull=False) | ~Q(outcome_note=""),
                name="monitoring_helped_names_how",
            ),
            # A warning without a household is a discovery report that says where the person lives.
            models.CheckConstraint(
                condition=Q(household__isnull=False) | Q(kind="discovery") & ~Q(address=""),
                name="monitoring_warning_household_or_address",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.household_id} {self.policy_code}".strip()

    @property
    def overdue(self) -> bool:
        from django.utils import timezone

        return self.status != WarningStatus.CLOSED and self.due_on < timezone.localdate()
