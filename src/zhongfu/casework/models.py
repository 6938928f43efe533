"""Applications: one application (一件事) covers every policy the household asked for.

This is the start of casework: an application is recorded with its policies and the stored
determinations it was based on. The case workflow (check, survey, notice, decision, payment) builds
on ApplicationPolicy, one per policy, each routed to the unit and level the policy names.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    SELF_SERVICE = "self_service", _("by the household online")
    WORKER = "worker", _("by a worker on the household's behalf")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    WITHDRAWN = "withdrawn", _("withdrawn")
    CLOSED = "closed", _("closed")


class Application(models.Model):
    number = models.CharField(_("application number"), max_length=32, unique=True)
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="applications")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=ApplicationStatus.choices, default=ApplicationStatus.SUBMITTED
    )
    # The stored screening the application was made from: its determinations explain each policy.
    screening = models.ForeignKey("screening.Screening", on_delete=models.PROTECT, related_name="applications")
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]


class ApplicationPolicy(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="policies")
    policy_code = models.CharField(_("policy"), max_length=64)
    determination = models.ForeignKey("screening.Determination", on_delete=models.PROTECT, related_name="+")
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    period = models.CharField(_("period"), max_length=16)
    # Where the case goes: the policy's responsible unit and the level that decides.
    unit = models.CharField(_("responsible unit"), max_length=32)
    deciding_level = models.CharField(_("deciding level"), max_length=16)

    class Meta:
        ordering = ["application", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "policy_code"], name="one_line_per_policy")]
