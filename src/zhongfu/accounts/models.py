"""Users with a role and a scope (region prefix + unit), and API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhongfu.regions.models import Level

from .roles import Role


class Unit(models.Model):
    """An organisation a user works for: civil affairs, a federation, a charity."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("government department")
        FEDERATION = "federation", _("federation (member unit)")
        CHARITY = "charity", _("charity or social organisation")

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("region"), on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("region"), null=True, blank=True, on_delete=models.PROTECT
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT)
    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self):
        """A role that sits at one level of the region tree (a volunteer on a community) is created there only:
        the admin form and `services.user_create` both clean the user."""
        from django.core.exceptions import ValidationError

        from .roles import ROLE_REGION_LEVEL

        super().clean()
        level = ROLE_REGION_LEVEL.get(self.role)
        if level is not None and (self.region_id is None or self.region.level != level):
            raise ValidationError(
                {
                    "region": _("A %(role)s is placed on a %(level)s.")
                    % {"role": self.get_role_display(), "level": level.label}
                }
            )

    @property
    def scope_prefix(self) -> str | None:
        """Region-code prefix this user may see, or None for no region at all.

        A city (330100) covers every code starting 3301; a district its six digits; a street its
        nine; a community its twelve.
        """
        if self.region_id is None:
            return None
        if self.region.level == Level.CITY:
            return self.region_id[:4]
        return self.region_id

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=64)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
