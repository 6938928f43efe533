"""Counting working days: properties over the shipped calendar, the cost of a count, and a cache that
follows changes made by this process and by others."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhongfu.common.errors import InvalidInput
from zhongfu.workdays import selectors
from zhongfu.workdays.models import CalendarDay, DayKind
from zhongfu.workdays.selectors import (
    add_working_days,
    is_working_day,
    limit_end,
    working_days_between,
    years_loaded,
    years_without_data,
)

pytestmark = pytest.mark.django_db
D = dt.date

# Start days around the shipped years, so that counts cross holidays, make-up days and the years without data.
starts = st.dates(min_value=D(2024, 10, 1), max_value=D(2027, 3, 31))
counts = st.integers(min_value=0, max_value=120)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _reference_is_working(day: dt.date) -> bool:
    """Straight from the table, without the cache."""
    row = CalendarDay.objects.filter(date=day, kind__in=(DayKind.HOLIDAY, DayKind.WORKDAY)).first()
    return day.weekday() < 5 if row is None else row.kind == DayKind.WORKDAY


@PROPERTY
@given(start=starts, n=st.integers(min_value=1, max_value=120))
def test_the_end_of_a_limit_is_a_working_day(shipped, start, n):
    assert is_working_day(add_working_days(start, n))


@PROPERTY
@given(start=starts, n=counts)
def test_counting_back_gives_the_number_of_days(shipped, start, n):
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert end > start or n == 0


@PROPERTY
@given(start=starts, n=counts, more=st.integers(min_value=1, max_value=30))
def test_a_longer_limit_ends_later(shipped, start, n, more):
    assert add_working_days(start, n) < add_working_days(start, n + more)


@PROPERTY
@given(start=starts, end=starts)
def test_between_counts_each_working_day_once(shipped, start, end):
    expected = sum(is_working_day(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1))
    assert working_days_between(start, end) == expected


def test_the_cache_agrees_with_the_table(shipped):
    day = D(2025, 1, 1)
    while day < D(2027, 1, 1):
        assert is_working_day(day) is _reference_is_working(day), day
        day += dt.timedelta(days=1)


def test_zero_days_is_the_start_and_negative_days_are_refused(shipped):
    assert add_working_days(D(2026, 2, 16), 0) == D(2026, 2, 16)
    with pytest.raises(ValueError):
        add_working_days(D(2026, 2, 16), -1)
    assert working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert working_days_between(D(2026, 3, 9), D(2026, 3, 2)) == 0


def test_a_45_day_limit_costs_no_query_per_day(shipped, django_assert_max_num_queries):
    selectors.calendar_changed()
    with django_assert_max_num_queries(2):  # the fingerprint and the exceptions, once
        # Nine plain weeks from Tuesday 1 September end on 3 November; the make-up days of 20 September
        # and 10 October add two, 中秋 (25 September) and 国庆 (five weekdays) take six: 4 more → 9 November.
        assert add_working_days(D(2026, 9, 1), 45) == D(2026, 11, 9)
    with django_assert_max_num_queries(0):  # within the second the process trusts its copy
        add_working_days(D(2026, 9, 1), 45)
        working_days_between(D(2026, 1, 1), D(2026, 12, 31))


def test_years_without_data(shipped):
    assert years_loaded() == [2025, 2026]
    assert years_without_data(D(2026, 12, 1), D(2027, 1, 20)) == [2027]
    assert years_without_data(D(2027, 1, 20), D(2024, 12, 1)) == [2024, 2027]
    assert years_without_data(D(2026, 1, 1), D(2026, 12, 31)) == []


def test_limit_end_names_the_years_without_data(shipped):
    limit = limit_end(D(2026, 12, 1), 45)
    assert (limit.start, limit.days, limit.end, limit.years_without_data) == (
        D(2026, 12, 1),
        45,
        add_working_days(D(2026, 12, 1), 45),
        [2027],
    )
    assert limit_end(D(2026, 2, 10), 30).years_without_data == []
    with pytest.raises(InvalidInput) as error:
        limit_end(D(1999, 12, 31), 3)
    assert error.value.field == "start"
    with pytest.raises(InvalidInput) as error:
        limit_end(D(2026, 1, 5), -3)
    assert error.value.field == "days"


def test_an_empty_calendar_is_the_plain_week(db):
    assert years_loaded() == []
    assert add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 16)  # Friday → Monday
    assert working_days_between(D(2026, 2, 13), D(2026, 2, 20)) == 5


def test_removed_days_are_not_exceptions(shipped):
    CalendarDay.objects.filter(date=D(2026, 2, 14)).update(kind=DayKind.USUAL)
    selectors.calendar_changed()
    assert not is_working_day(D(2026, 2, 14))  # a plain Saturday again


# --- the cache across processes -------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(selectors.time, "monotonic", clock)
    return clock


def test_another_process_change_is_seen_once_the_fingerprint_is_looked_at_again(shipped, clock):
    assert not is_working_day(D(2026, 2, 16))
    # Another web worker writes; this process's copy is not told.
    CalendarDay.objects.filter(date=D(2026, 2, 16)).delete()
    clock.now += selectors.FINGERPRINT_TTL / 2
    assert not is_working_day(D(2026, 2, 16))  # still trusting its copy within the second
    clock.now += selectors.FINGERPRINT_TTL
    assert is_working_day(D(2026, 2, 16))  # the count changed: reloaded


def test_a_change_in_place_by_another_process_is_seen(shipped, clock):
    assert not is_working_day(D(2026, 2, 23))
    row = CalendarDay.objects.get(date=D(2026, 2, 23))
    row.kind = DayKind.USUAL
    row.save()  # as another process's service saves: same rows, a later change time
    clock.now += selectors.FINGERPRINT_TTL * 2
    assert is_working_day(D(2026, 2, 23))
