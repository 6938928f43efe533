"""Parameters (dated values) and policies (versioned files), each change proposed by one city
administrator and approved by another. Nothing is deleted: a rejected or withdrawn proposal, and a
value or version that a later approval replaced, stay in the history with their status.

The system itself (the shipped catalogue, see `services.catalogue_sync`) proposes and approves with
`proposed_by` and `decided_by` left empty.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ParameterUnit(models.TextChoices):
    FEN = "fen", _("fen (money)")
    COUNT = "count", _("count")
    RATIO = "ratio", _("ratio")
    MONTHS = "months", _("months")
    YEARS = "years", _("years")
    DAYS = "days", _("days")
    M2 = "m2", _("square metres")


# Everything but a ratio is a whole number (the engine reads them as int).
INTEGER_UNITS = frozenset(set(ParameterUnit.values) - {ParameterUnit.RATIO})


class Status(models.TextChoices):
    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    WITHDRAWN = "withdrawn", _("withdrawn")
    # An approved value or version that a later approval replaced.
    SUPERSEDED = "superseded", _("superseded")


class Parameter(models.Model):
    """A dated quantity a policy reads as `p.<key>`: a standard, a limit, a ratio."""

    key = models.CharField(_("key"), max_length=100, unique=True)
    label_zh = models.CharField(_("label (Chinese)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    unit = models.CharField(_("unit"), max_length=8, choices=ParameterUnit.choices)
    reference = models.CharField(_("legal reference"), max_length=500, blank=True)
    # Added by an administrator (for a local policy) rather than shipped with the catalogue.
    is_local = models.BooleanField(_("local"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("parameter")
        verbose_name_plural = _("parameters")
        ordering = ["key"]
        permissions = [
            ("propose_change", "Can propose a policy or parameter change"),
            ("approve_change", "Can approve a policy or parameter change proposed by someone else"),
        ]

    def __str__(self) -> str:
        return self.key


class ParameterValue(models.Model):
    """A value in force from `start_date` until the next approved value's start date."""

    parameter = models.ForeignKey(
        Parameter, verbose_name=_("parameter"), on_delete=models.PROTECT, related_name="values"
    )
    start_date = models.DateField(_("in force from"))
    # An int for fen, count, months and years; a float for a ratio.
    value = models.JSONField(_("value"))
    reference = models.CharField(_("legal reference"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
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
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("parameter value")
        verbose_name_plural = _("parameter values")
        ordering = ["parameter", "start_date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["parameter", "start_date"],
                condition=Q(status="approved"),
                name="one_approved_value_per_start_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parameter_id} {self.start_date} {self.value}"


class Policy(models.Model):
    """One benefit or service; its rules are in its versions, the current one being the approved one."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    # A local ("N") policy added by an administrator, as opposed to one of the shipped catalogue.
    is_local = models.BooleanField(_("local"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class PolicyVersion(models.Model):
    """The text of a policy file as proposed; approving it supersedes the version in force.

    A retirement is a version too (`retires`, with the text in force at the time): once approved,
    the policy has no version in force and leaves the catalogue."""

    policy = models.ForeignKey(Policy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="versions")
    text = models.TextField(_("policy file"))
    version_hash = models.CharField(_("version"), max_length=64, db_index=True)
    retires = models.BooleanField(_("retires the policy"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PROPOSED)
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
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        ordering = ["policy", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy"], condition=Q(status="approved"), name="one_approved_version_per_policy"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.version_hash[:12]}"
