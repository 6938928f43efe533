"""Caring visits (探访): the schedule by household class, as dated rules, and the visits recorded.

A rule row is one version: the rule of a class on a date is its latest row with `valid_from` on or
before that date (an inactive latest row takes the class off the schedule). Changing an interval adds
a row, so past visit rates keep the rules they were measured against.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class HouseholdClass(models.TextChoices):
    """Who is visited. The first four are the household's assistance class; the rest come from a
    current, living member's conditions (see selectors.class_conditions)."""

    EXTREME_POVERTY = "extreme_poverty", _("extreme poverty (tekun)")
    DIBAO = "dibao", _("minimum living guarantee (dibao)")
    MARGINAL = "marginal", _("near-dibao (marginal)")
    EXPENDITURE_POVERTY = "expenditure_poverty", _("expenditure poverty")
    ELDERLY_ALONE = "elderly_alone", _("elderly living alone")
    SEVERE_DISABILITY = "severe_disability", _("severe disability (grade 1-2)")
    CHILD_IN_DIFFICULTY = "child_in_difficulty", _("child in difficulty")
    SERIOUS_ILLNESS = "serious_illness", _("serious illness")


class VisitRule(models.Model):
    household_class = models.CharField(_("household class"), max_length=24, choices=HouseholdClass.choices)
    interval_days = models.PositiveIntegerField(_("interval (days)"))
    valid_from = models.DateField(_("valid from"))
    label = models.CharField(_("label"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)
    # Where the figure comes from; shipped defaults not taken from a seed say "(unverified default)".
    source = models.CharField(_("source"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("visit rule")
        verbose_name_plural = _("visit rules")
        ordering = ["household_class", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["household_class", "valid_from"], name="one_visit_rule_per_class_and_date"),
            models.CheckConstraint(condition=Q(interval_days__gte=1), name="visit_interval_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.household_class} {self.interval_days}d ({self.valid_from})"


class VisitKind(models.TextChoices):
    HOME = "home", _("home visit")
    PHONE = "phone", _("phone call")
    VIDEO = "video", _("video call")
    OTHER = "other", _("other")


class VisitOutcome(models.TextChoices):
    WELL = "well", _("well")
    NEEDS_HELP = "needs_help", _("needs help")
    NOT_HOME = "not_home", _("not at home")
    MOVED_OR_DECEASED = "moved_or_deceased", _("moved away or deceased")


# A visit that found nobody is recorded but does not count as done (for the due list and the rate).
COUNTING = ~Q(outcome=VisitOutcome.NOT_HOME)


class Visit(models.Model):
    household = models.ForeignKey(
        "registry.Household", verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    # Empty for visits loaded by the system (the demo city).
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visitor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    visited_on = models.DateField(_("visit date"))
    kind = models.CharField(_("kind of visit"), max_length=8, choices=VisitKind.choices, default=VisitKind.HOME)
    outcome = models.CharField(_("outcome"), max_length=20, choices=VisitOutcome.choices)
    needs = models.TextField(_("needs found"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    follow_up = models.BooleanField(_("follow-up needed"), default=False)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-pk"]
        indexes = [models.Index(fields=["household", "visited_on"], name="visit_household_date")]

    @property
    def counts(self) -> bool:
        return self.outcome != VisitOutcome.NOT_HOME
