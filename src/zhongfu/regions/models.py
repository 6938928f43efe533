"""The region tree. A region's code is its primary key, so scope is a prefix match on codes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    CITY = 2, _("city")
    DISTRICT = 3, _("district")
    STREET = 4, _("street")
    COMMUNITY = 5, _("community")


class Region(models.Model):
    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Streets named 镇/乡 are rural, 街道 urban; communities inherit it (社区 urban, 村 rural).
    is_rural = models.BooleanField(_("rural"), default=False)
    full_name = models.CharField(_("full name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.full_name or self.name


class IssuingCode(models.Model):
    """A six-digit code that may begin an ID number: every county-level code in the MCA data, plus
    codes since abolished (a person born in 下城区 in 1980 keeps 330103 for life)."""

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("ID issuing code")
        verbose_name_plural = _("ID issuing codes")
