"""The household code (幸福码) and what it takes for a household to open its benefit list with it.

A HouseholdCode is a random token id; the QR code carries it signed (see `tokens`), so a code is
revocable (revoked_at) and a forged one never reaches the database. At most one code per household
is active. A VerificationChallenge is one six-digit code sent to the head's phone: only its keyed
hash is stored; it expires and locks after too many wrong attempts. An OutboxMessage is a text
message as the built-in sender delivers it: to a table a city administrator can read (the demo's
and the browser tests' "phone"); the phone is stored encrypted like the registry stores it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HouseholdCode(models.Model):
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="codes"
    )
    token_id = models.CharField(max_length=32, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household code")
        verbose_name_plural = _("household codes")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=Q(revoked_at__isnull=True), name="one_active_code_per_household"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household_id}#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class VerificationChallenge(models.Model):
    code = models.ForeignKey(HouseholdCode, on_delete=models.CASCADE, related_name="challenges")
    secret_hash = models.CharField(max_length=64, editable=False)
    salt = models.CharField(max_length=32, editable=False)
    phone_masked = models.CharField(max_length=20)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]


class OutboxMessage(models.Model):
    """A text message sent by the built-in (outbox) sender."""

    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, null=True, blank=True
    )
    phone_enc = models.TextField(editable=False)
    phone_hash = models.CharField(max_length=64, db_index=True, editable=False)
    phone_masked = models.CharField(_("phone"), max_length=20, editable=False)
    text = models.CharField(_("text"), max_length=500)
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
