"""Reads of the visits app, with the user's scope applied through the registry's selectors.

Everything here is set-based: which class a household is in, its interval (the shortest of its
classes), its last counting visit and its next due date are SQL expressions over the households'
queryset, so the due list and the rates are one query whatever the number of households.
"""

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput
from zhongfu.regions.models import Region
from zhongfu.registry.models import AssistanceClass, Household, Membership
from zhongfu.registry.selectors import household_get_for_user, households_visible_to

from .models import COUNTING, HouseholdClass, Visit, VisitRule

EPOCH = dt.date(1970, 1, 1)


class DayNumber(Func):
    """A date as whole days since 1970-01-01, so that dates and intervals add up the same way on SQLite
    and PostgreSQL (their date arithmetic differs)."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) - 2440587.5 AS INTEGER)", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="((%(expressions)s)::date - DATE '1970-01-01')", **extra)


def day_number(day: dt.date) -> int:
    return (day - EPOCH).days


def from_day_number(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=n)


# --- rules --------------------------------------------------------------------------------------


def rules_in_force(on: dt.date | None = None) -> list[VisitRule]:
    """The rule of each class on a date (its latest version), active ones only, shortest interval first."""
    on = on or timezone.localdate()
    latest: dict[str, VisitRule] = {}
    for rule in VisitRule.objects.filter(valid_from__lte=on).order_by("household_class", "-valid_from", "-pk"):
        latest.setdefault(rule.household_class, rule)
    return sorted((r for r in latest.values() if r.active), key=lambda r: (r.interval_days, r.household_class))


def rules_overview(on: dt.date | None = None) -> list[dict]:
    """Every class with its rule in force, its scheduled change (if any) and its history, for the rules page."""
    on = on or timezone.localdate()
    rows = []
    by_class: dict[str, list[VisitRule]] = {}
    for rule in VisitRule.objects.select_related("created_by").order_by("household_class", "-valid_from", "-pk"):
        by_class.setdefault(rule.household_class, []).append(rule)
    for value, label in HouseholdClass.choices:
        history = by_class.get(value, [])
        current = next((r for r in history if r.valid_from <= on), None)
        upcoming = [r for r in history if r.valid_from > on]
        rows.append({"value": value, "label": label, "current": current, "upcoming": upcoming, "history": history})
    return rows


def class_conditions() -> dict[str, Q | Exists]:
    """For each household class, the condition on a household (members: current and living)."""
    members = Membership.objects.filter(
        household=OuterRef("pk"), end_date__isnull=True, person__deceased_on__isnull=True
    )
    return {
        HouseholdClass.EXTREME_POVERTY: Q(assistance_class=AssistanceClass.EXTREME_POVERTY),
        HouseholdClass.DIBAO: Q(assistance_class=AssistanceClass.DIBAO),
        HouseholdClass.MARGINAL: Q(assistance_class=AssistanceClass.MARGINAL),
        HouseholdClass.EXPENDITURE_POVERTY: Q(assistance_class=AssistanceClass.EXPENDITURE_POVERTY),
        HouseholdClass.ELDERLY_ALONE: Exists(members.filter(person__elderly_living_alone=True)),
        HouseholdClass.SEVERE_DISABILITY: Exists(
            members.filter(person__disability_grade__gte=1, person__disability_grade__lte=2)
        ),
        HouseholdClass.CHILD_IN_DIFFICULTY: Exists(members.filter(person__child_in_difficulty=True)),
        HouseholdClass.SERIOUS_ILLNESS: Exists(members.filter(person__serious_illness=True)),
    }


def household_since(household: Household) -> dt.date:
    """The day the household exists from: its first member's start date (or the day it was registered)."""
    first = household.memberships.order_by("start_date").values_list("start_date", flat=True).first()
    return first or timezone.localdate(household.created_at)


def scheduled(households: QuerySet[Household], on: dt.date) -> QuerySet[Household]:
    """Active households in a class with a rule in force on `on`, annotated with:

    interval_days and visit_class (the shortest interval among the household's classes, and that class),
    last_visit (the last counting visit on or before `on`), since (its first member's start date),
    due_day (the next due date as a day number: last visit, or else `since`, plus the interval).
    """
    rules = rules_in_force(on)
    if not rules:
        return households.none()
    conditions = class_conditions()
    # The first matching When wins, and the rules come shortest first: that is the shortest interval.
    interval = Case(
        *[When(conditions[r.household_class], then=Value(r.interval_days)) for r in rules],
        default=None,
        output_field=IntegerField(),
    )
    visit_class = Case(
        *[When(conditions[r.household_class], then=Value(r.household_class)) for r in rules],
        default=None,
        output_field=CharField(),
    )
    last_visit = Subquery(
        Visit.objects.filter(COUNTING, household=OuterRef("pk"), visited_on__lte=on)
        .order_by("-visited_on")
        .values("visited_on")[:1]
    )
    since = Subquery(
        Membership.objects.filter(household=OuterRef("pk")).order_by("start_date").values("start_date")[:1]
    )
    return (
        households.filter(is_active=True)
        .annotate(interval_days=interval, visit_class=visit_class)
        .filter(interval_days__isnull=False)
        .annotate(last_visit=last_visit, since=Coalesce(since, TruncDate("created_at")))
        .annotate(
            last_day=DayNumber(F("last_visit")),
            due_day=DayNumber(Coalesce(F("last_visit"), F("since"))) + F("interval_days"),
        )
    )


# --- the due list -------------------------------------------------------------------------------

OVERDUE, SOON, ALL = "overdue", "soon", "all"
DUE_FILTERS = (OVERDUE, SOON, ALL)
SOON_DAYS = 7


def due_list(*, user, filter: str = OVERDUE, on: dt.date | None = None, region: str = "") -> QuerySet[Household]:
    """The households in the user's scope that are on the visit schedule, most overdue first.

    `filter`: overdue (next due date passed), soon (due today or within 7 days, not overdue), all.
    Each row has interval_days, visit_class, last_visit, since, due_day and head_name (unmasked: mask
    it on display)."""
    on = on or timezone.localdate()
    if filter not in DUE_FILTERS:
        raise InvalidInput(_("Not an allowed value: %(value)s"), field="filter", value=filter)
    qs = households_visible_to(user)
    if region:
        qs = qs.filter(region__code__startswith=region)
    qs = scheduled(qs, on)
    today = day_number(on)
    if filter == OVERDUE:
        qs = qs.filter(due_day__lt=today)
    elif filter == SOON:
        qs = qs.filter(due_day__gte=today, due_day__lte=today + SOON_DAYS)
    head = Membership.objects.filter(household=OuterRef("pk"), end_date__isnull=True, relation="head")
    return (
        qs.annotate(head_name=Subquery(head.values("person__name")[:1]))
        .select_related("region")
        .order_by("due_day", "number")
    )


@dataclass
class DueRow:
    household: Household
    interval_days: int
    visit_class: str
    last_visit: dt.date | None
    next_due: dt.date
    days_overdue: int  # negative: days left

    @property
    def days_left(self) -> int:
        return -self.days_overdue

    @property
    def class_label(self) -> str:
        return HouseholdClass(self.visit_class).label


def due_rows(households, on: dt.date | None = None) -> list[DueRow]:
    """Rows of a (page of the) due list with the dates worked out; arithmetic only, no query per row."""
    today = day_number(on or timezone.localdate())
    return [
        DueRow(
            household=h,
            interval_days=h.interval_days,
            visit_class=h.visit_class,
            last_visit=h.last_visit,
            next_due=from_day_number(h.due_day),
            days_overdue=today - h.due_day,
        )
        for h in households
    ]


def due_counts(*, user, on: dt.date | None = None) -> dict[str, int]:
    on = on or timezone.localdate()
    today = day_number(on)
    totals = scheduled(households_visible_to(user), on).aggregate(
        all=Count("pk"),
        overdue=Count("pk", filter=Q(due_day__lt=today)),
        soon=Count("pk", filter=Q(due_day__gte=today, due_day__lte=today + SOON_DAYS)),
    )
    return {k: v or 0 for k, v in totals.items()}


# --- one household ------------------------------------------------------------------------------


def household_visits(*, user, household_id) -> tuple[Household, QuerySet[Visit]]:
    """A household in the user's scope and its visits, newest first (NotFound outside scope)."""
    household = household_get_for_user(user=user, household_id=household_id)
    return household, household.visits.select_related("visitor").order_by("-visited_on", "-pk")


def household_schedule(household: Household, on: dt.date | None = None) -> DueRow | None:
    """The household's place on the schedule, or None if no class of it has a rule."""
    on = on or timezone.localdate()
    row = scheduled(Household.objects.filter(pk=household.pk), on).first()
    return due_rows([row], on)[0] if row else None


# --- visit rates --------------------------------------------------------------------------------


def parse_month(text: str | None, today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """ "2026-11" → (first day, the period's end): the month's last day, or today for the current month."""
    today = today or timezone.localdate()
    if not text:
        text = today.strftime("%Y-%m")
    try:
        year, month = (int(part) for part in text.split("-"))
        first = dt.date(year, month, 1)
    except (ValueError, TypeError):
        raise InvalidInput(_("Give the month as YYYY-MM, e.g. 2026-11."), field="month") from None
    if first > today:
        raise InvalidInput(_("The month has not begun yet."), field="month")
    end = dt.date(year, month, calendar.monthrange(year, month)[1])
    return first, min(end, today)


@dataclass
class RateRow:
    code: str
    name: str
    due: int = 0  # households due a visit by the period's end
    on_time: int = 0  # of them, visited (counting visit) within their interval as of the period's end
    not_yet_due: int = 0  # never visited and still within their first interval: not counted

    @property
    def overdue(self) -> int:
        return self.due - self.on_time

    @property
    def rate(self) -> float | None:
        """Percent, one decimal; None when no household is due."""
        return round(100 * self.on_time / self.due, 1) if self.due else None


@dataclass
class Rates:
    month: str
    as_of: dt.date
    communities: list[RateRow]
    streets: list[RateRow]
    total: RateRow
    districts: list[RateRow]

    def chart_rows(self) -> list[RateRow]:
        """The level below the scope, so a chart has a readable number of bars: districts for the city,
        streets for a district, communities for a street."""
        if len(self.districts) > 1:
            return self.districts
        return self.streets if len(self.streets) > 1 else self.communities


def visit_rates(*, user, month: str | None = None, today: dt.date | None = None) -> Rates:
    """Visit rate per community and per street in the user's scope, as of the month's end.

    A household is due if it was visited (a counting visit on or before the end) or its first visit fell
    due by then; it is on time if its last counting visit is within its interval of the end."""
    first, end = parse_month(month, today)
    end_day = day_number(end)
    qs = scheduled(households_visible_to(user), end)
    visited = Q(last_day__isnull=False)
    first_due = Q(last_day__isnull=True, due_day__lt=end_day)
    on_time = Q(last_day__isnull=False, last_day__gte=end_day - F("interval_days"))
    one = Value(1)
    zero = Value(0)
    by_community = (
        qs.values("region_id")
        .annotate(
            due=Sum(Case(When(visited | first_due, then=one), default=zero, output_field=IntegerField())),
            on_time=Sum(Case(When(on_time, then=one), default=zero, output_field=IntegerField())),
            not_yet=Sum(
                Case(
                    When(last_day__isnull=True, due_day__gte=end_day, then=one),
                    default=zero,
                    output_field=IntegerField(),
                )
            ),
        )
        .order_by("region_id")
    )
    counts = {row["region_id"]: row for row in by_community}
    codes = set(counts) | {c[:9] for c in counts} | {c[:6] for c in counts}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    communities = []
    streets: dict[str, RateRow] = {}
    districts: dict[str, RateRow] = {}
    total = RateRow(code="", name=str(_("Total")))
    for code, row in sorted(counts.items()):
        r = RateRow(
            code=code, name=names.get(code, code), due=row["due"], on_time=row["on_time"], not_yet_due=row["not_yet"]
        )
        communities.append(r)
        s = streets.setdefault(code[:9], RateRow(code=code[:9], name=names.get(code[:9], code[:9])))
        d = districts.setdefault(code[:6], RateRow(code=code[:6], name=names.get(code[:6], code[:6])))
        for target in (s, d, total):
            target.due += r.due
            target.on_time += r.on_time
            target.not_yet_due += r.not_yet_due
    return Rates(
        month=first.strftime("%Y-%m"),
        as_of=end,
        communities=communities,
        streets=[streets[k] for k in sorted(streets)],
        total=total,
        districts=[districts[k] for k in sorted(districts)],
    )
