"""Days that differ from the usual week: public holidays on weekdays and make-up working days on weekends.

Every other day follows the week: Monday to Friday are working days, Saturday and Sunday are not. The
State Council publishes each year's arrangement (shipped in data/, loaded by `zhongfu workdays sync`);
the city administrator may add, change or remove days on the calendar page.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("public holiday (no work)")
    WORKDAY = "workday", _("make-up working day")
    # An administrator removed the day: it follows the usual week again. The row stays so that the
    # shipped calendar's sync does not bring the removed day back.
    USUAL = "usual", _("usual week (removed by an administrator)")


# Dates the calendar accepts: far enough either way for any time limit, near enough to catch a typo.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)

# The kinds that change whether a day is worked; USUAL rows are records of a removal only.
EXCEPTION_KINDS = (DayKind.HOLIDAY, DayKind.WORKDAY)


class CalendarDay(models.Model):
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=40, blank=True)  # e.g. 春节
    source = models.CharField(_("source"), max_length=200, blank=True)  # the notice it comes from
    # Set only by an administrator's change (None: loaded from the shipped files, which sync may update).
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    changed_at = models.DateTimeField(_("changed"), auto_now=True)
    note = models.CharField(_("reason for the change"), max_length=200, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=DayKind.values), name="workdays_day_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(date__gte=FIRST_DAY, date__lte=LAST_DAY), name="workdays_day_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}"

    @property
    def is_exception(self) -> bool:
        return self.kind in EXCEPTION_KINDS
