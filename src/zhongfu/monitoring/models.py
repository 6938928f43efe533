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
