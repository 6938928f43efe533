"""Reads of the working-day calendar: whether a day is a working day, and counting working days.

Legal time limits (a decision within 30 working days, a refusal letter within 3) are counted here and
nowhere else. "Within N working days" ends on the Nth working day after the start day (the start day
itself is not counted). The exceptions are few (a few dozen days a year), so they are read once and
kept in this process; a cheap fingerprint of the table (row count, id sum, latest change), looked at
no more than once a second, tells every process that another one changed the calendar. The process
that writes forgets its copy at once (`calendar_changed`, called by the services).
"""

import calendar as pycalendar
import datetime as dt
import threading
import time
from dataclasses import dataclass, field

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext_lazy as _

from zhongfu.common.errors import InvalidInput

from .models import EXCEPTION_KINDS, FIRST_DAY, LAST_DAY, CalendarDay, DayKind

# How long a process trusts its last look at the table. The writing process forgets at once; every
# other web worker sees an administrator's change within this many seconds.
FINGERPRINT_TTL = 1.0

_lock = threading.Lock()
_state: dict = {}  # "checked": (monotonic time, fingerprint); "calendar": _Calendar


@dataclass(frozen=True)
class _Calendar:
    fingerprint: tuple
    exceptions: dict[dt.date, bool]  # date -> is a working day, for the days that differ from the week
    years: frozenset[int]  # years with at least one holiday or make-up working day


def calendar_changed() -> None:
    """Forget the cached exceptions (called by every write to CalendarDay)."""
    with _lock:
        _state.clear()


def _fingerprint() -> tuple:
    now = time.monotonic()
    with _lock:
        checked = _state.get("checked")
        if checked is not None and now - checked[0] < FINGERPRINT_TTL:
            return checked[1]
    row = CalendarDay.objects.aggregate(n=Count("id"), s=Sum("id"), t=Max("changed_at"))
    value = (row["n"], row["s"], row["t"])
    with _lock:
        _state["checked"] = (now, value)
    return value


def _calendar() -> _Calendar:
    fingerprint = _fingerprint()
    with _lock:
        cached = _state.get("calendar")
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
    rows = CalendarDay.objects.filter(kind__in=EXCEPTION_KINDS).values_list("date", "kind")
    exceptions = {day: kind == DayKind.WORKDAY for day, kind in rows}
    loaded = _Calendar(fingerprint, exceptions, frozenset(day.year for day in exceptions))
    with _lock:
        _state["calendar"] = loaded
    return loaded


def _days() -> dict[dt.date, bool]:
    """date -> is a working day, for the days that differ from the usual week."""
    return _calendar().exceptions


def _working(exceptions: dict[dt.date, bool], day: dt.date) -> bool:
    working = exceptions.get(day)
    return day.weekday() < 5 if working is None else working


def is_working_day(day: dt.date) -> bool:
    return _working(_days(), day)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The `days`-th working day after `start` (start itself not counted): the last day of a limit of
    `days` working days that begins on `start`. `days` = 0 gives `start`."""
    if days < 0:
        raise ValueError("days must not be negative")
    exceptions = _days()  # one look for the whole count: no query per day
    day = start
    while days:
        day += dt.timedelta(days=1)
        if _working(exceptions, day):
            days -= 1
    return day


def _weekdays_after(start: dt.date, end: dt.date) -> int:
    """Monday-to-Friday days after `start` up to and including `end` (end > start)."""
    total = (end - start).days
    weeks, rest = divmod(total, 7)
    count = weeks * 5
    weekday = start.weekday()
    for i in range(1, rest + 1):
        count += (weekday + i) % 7 < 5
    return count


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (0 if `end` is not after `start`)."""
    if end <= start:
        return 0
    count = _weekdays_after(start, end)
    # Only the exceptions inside the span move the count away from the plain week's.
    for day, working in _days().items():
        if start < day <= end and working != (day.weekday() < 5):
            count += 1 if working else -1
    return count


# --- what pages and the API show ----------------------------------------------------------------


def years_loaded() -> list[int]:
    """The years that have at least one holiday or make-up working day on the calendar."""
    return sorted(_calendar().years)


def years_without_data(start: dt.date, end: dt.date) -> list[int]:
    """The years from `start` to `end` with no holiday entered: counts there follow the plain week."""
    first, last = sorted((start, end))
    loaded = _calendar().years
    return [year for year in range(first.year, last.year + 1) if year not in loaded]


@dataclass(frozen=True)
class Limit:
    start: dt.date
    days: int
    end: dt.date
    years_without_data: list[int] = field(default_factory=list)


def limit_end(start: dt.date, working_days: int) -> Limit:
    """The last day of a limit of `working_days` working days beginning on `start`, and the years it
    crosses for which no holidays are entered (so the page can say the count follows the plain week)."""
    if not FIRST_DAY <= start <= LAST_DAY:
        raise InvalidInput(
            _("Enter a date between %(first)s and %(last)s."), field="start", first=FIRST_DAY, last=LAST_DAY
        )
    if working_days < 0:
        raise InvalidInput(_("The number of working days cannot be negative."), field="days")
    end = add_working_days(start, working_days)
    return Limit(start=start, days=working_days, end=end, years_without_data=years_without_data(start, end))


def year_days(year: int) -> list[CalendarDay]:
    """The year's holidays and make-up working days, in date order."""
    return list(CalendarDay.objects.filter(date__year=year, kind__in=EXCEPTION_KINDS).select_related("changed_by"))


def year_removed_days(year: int) -> list[CalendarDay]:
    """Days of the year an administrator removed (kept so the shipped calendar does not bring them back)."""
    return list(CalendarDay.objects.filter(date__year=year, kind=DayKind.USUAL).select_related("changed_by"))


def day_get(day: dt.date) -> CalendarDay | None:
    return CalendarDay.objects.filter(date=day).select_related("changed_by").first()


@dataclass(frozen=True)
class Cell:
    date: dt.date
    working: bool
    kind: str  # "holiday", "workday" or "" (the usual week)
    name: str


@dataclass(frozen=True)
class Span:
    """Consecutive days of one kind and name within a month, e.g. 春节 15–23."""

    kind: str
    name: str
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Month:
    first: dt.date  # the first day of the month (for its name)
    weeks: list[list[Cell | None]]  # Monday to Sunday; None outside the month
    working_days: int
    spans: list[Span]


def _spans(cells: list[Cell]) -> list[Span]:
    spans: list[Span] = []
    for cell in cells:
        if not cell.kind:
            continue
        last = spans[-1] if spans else None
        if (
            last is not None
            and (last.kind, last.name) == (cell.kind, cell.name)
            and last.last + dt.timedelta(days=1) == cell.date
        ):
            spans[-1] = Span(last.kind, last.name, last.first, cell.date)
        else:
            spans.append(Span(cell.kind, cell.name, cell.date, cell.date))
    return spans


def year_months(year: int) -> list[Month]:
    """Twelve month grids, Monday first, each day marked as the calendar has it."""
    exceptions = _days()
    named = {d.date: d for d in year_days(year)}
    months = []
    for month in range(1, 13):
        weeks, working_days, cells = [], 0, []
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row: list[Cell | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                working = _working(exceptions, day)
                working_days += working
                entry = named.get(day)
                cell = Cell(day, working, entry.kind if entry else "", entry.name if entry else "")
                row.append(cell)
                cells.append(cell)
            weeks.append(row)
        months.append(Month(dt.date(year, month, 1), weeks, working_days, _spans(cells)))
    return months
