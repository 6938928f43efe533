"""What the engine decided, kept so it can be explained and replayed.

A Screening is one household checked against every policy on one date; each of its Determinations
stores the outcome, the amount, the policy version hash, the parameters in force and the inputs, so
`screening.services.determination_replay` gives the same answer later even after standards change.
A ScreeningRun is the batch over every household; its results are lean rows (no explanation), one
per household and policy, because a city run writes millions of them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.IntegerChoices):
    ELIGIBLE = 1, _("eligible")
    NOT_ELIGIBLE = 0, _("not eligible")
    NEEDS_INFORMATION = -1, _("needs information")


class Screening(models.Model):
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="screenings")
    as_of = models.DateField(_("evaluation date"))
    catalogue_hash = models.CharField(max_length=64)
    # {policy code: version hash} and every parameter in force: enough to rebuild the exact plan.
    policy_versions = models.JSONField(default=dict)
    parameters = models.JSONField(default=dict)
    # Household inputs and member fields exactly as the engine saw them (numbers and codes, no names).
    inputs = models.JSONField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["household", "-created_at"])]


class Determination(models.Model):
    screening = models.ForeignKey(Screening, on_delete=models.PROTECT, related_name="determinations")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="determinations")
    policy_code = models.CharField(_("policy"), max_length=64)
    policy_version_hash = models.CharField(max_length=64)
    outcome = models.SmallIntegerField(_("outcome"), choices=Outcome.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"), default=0)
    period = models.CharField(_("period"), max_length=16)
    parameters = models.JSONField(default=dict)
    explanation = models.JSONField(default=dict)
    missing_inputs = models.JSONField(default=list)

    class Meta:
        ordering = ["screening", "id"]
        indexes = [models.Index(fields=["household", "policy_code"])]


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class RunKind(models.TextChoices):
    SCREENING = "screening", _("batch screening")
    SIMULATION = "simulation", _("standard simulation")


class ScreeningRun(models.Model):
    """A batch over every household: a screening (results stored) or a simulation of changed parameters."""

    kind = models.CharField(_("kind"), max_length=12, choices=RunKind.choices, default=RunKind.SCREENING)
    # Simulation only: {parameter key: value} applied as if in force on `as_of`.
    overrides = models.JSONField(default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    as_of = models.DateField(_("evaluation date"))
    status = models.CharField(_("status"), max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # 0–100; the page polls it.
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=64, blank=True)
    catalogue_hash = models.CharField(max_length=64, blank=True)
    parameters = models.JSONField(default=dict)
    households = models.PositiveIntegerField(default=0)
    # screening: {policy_code: {"eligible": n, "not_eligible": n, "needs_information": n, "amount_fen": total}}
    # simulation: see screening.services.simulation_summary
    summary = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One queued or running run of each kind: the database refuses a second one started at the same moment.
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]),
                name="screening_one_active_run_per_kind",
            ),
        ]


class ScreeningResult(models.Model):
    run = models.ForeignKey(ScreeningRun, on_delete=models.CASCADE, related_name="results")
    household = models.ForeignKey("registry.Household", on_delete=models.CASCADE, related_name="+")
    policy_code = models.CharField(max_length=64)
    outcome = models.SmallIntegerField(choices=Outcome.choices)
    amount_fen = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["run", "policy_code", "outcome"]), models.Index(fields=["household", "run"])]
