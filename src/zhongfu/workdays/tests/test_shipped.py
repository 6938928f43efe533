"""The shipped arrangements say what the State Council's notices say, and a broken file is refused."""

import datetime as dt
from pathlib import Path

import pytest

from zhongfu.workdays import shipped as shipped_files
from zhongfu.workdays.models import CalendarDay, DayKind
from zhongfu.workdays.selectors import add_working_days, is_working_day, working_days_between

D = dt.date


def test_the_files_read_and_cover_2025_and_2026():
    years, days = shipped_files.read()
    assert {2025, 2026} <= years
    # 2025: 28 days off in 6 periods and 5 make-up days; 2026: 33 days off in 7 periods and 6 make-up days.
    kinds = [(d.date.year, d.kind) for d in days.values()]
    assert kinds.count((2025, DayKind.HOLIDAY)) == 28 and kinds.count((2025, DayKind.WORKDAY)) == 5
    assert kinds.count((2026, DayKind.HOLIDAY)) == 33 and kinds.count((2026, DayKind.WORKDAY)) == 6
    assert all(d.date.weekday() >= 5 for d in days.values() if d.kind == DayKind.WORKDAY)
    assert {d.name for d in days.values()} >= {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}
    assert all("国务院办公厅" in d.source and "unverified" not in d.source for d in days.values())


@pytest.mark.parametrize(
    "day, working",
    [
        (D(2026, 1, 1), False),  # 元旦, Thursday
        (D(2026, 1, 2), False),  # 元旦, Friday
        (D(2026, 1, 4), True),  # Sunday, make-up day
        (D(2026, 2, 14), True),  # Saturday, make-up day before Spring Festival
        (D(2026, 2, 16), False),  # 春节, Monday
        (D(2026, 2, 23), False),  # 春节 ends on a Monday
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday, make-up day
        (D(2026, 4, 6), False),  # 清明节, Monday
        (D(2026, 5, 5), False),  # 劳动节, Tuesday
        (D(2026, 5, 9), True),  # Saturday, make-up day
        (D(2026, 6, 19), False),  # 端午节, Friday
        (D(2026, 9, 20), True),  # Sunday, make-up day
        (D(2026, 9, 25), False),  # 中秋节, Friday
        (D(2026, 10, 7), False),  # 国庆节, Wednesday
        (D(2026, 10, 8), True),  # Thursday after the National Day holiday: a working day per the notice
        (D(2026, 10, 10), True),  # Saturday, make-up day
        (D(2026, 10, 11), False),  # an ordinary Sunday
        (D(2025, 1, 26), True),  # Sunday, make-up day
        (D(2025, 2, 4), False),  # 春节, Tuesday
        (D(2025, 4, 27), True),  # Sunday, make-up day
        (D(2025, 10, 8), False),  # 国庆节、中秋节, Wednesday
        (D(2025, 10, 11), True),  # Saturday, make-up day
    ],
)
def test_shipped_days(shipped, day, working):
    assert is_working_day(day) is working


def test_whole_holiday_periods_are_stored_weekends_included(shipped):
    festival = CalendarDay.objects.filter(date__range=(D(2026, 2, 15), D(2026, 2, 23)))
    assert festival.count() == 9 and set(festival.values_list("kind", "name").distinct()) == {("holiday", "春节")}


def test_working_days_per_year(shipped):
    # 2026 (hand count from the notice): 261 weekdays − 19 weekday holidays (元旦 2, 春节 6, 清明 1,
    # 劳动节 3, 端午 1, 中秋 1, 国庆 5) + 6 make-up days = 248.
    assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 248
    # 2025: 261 weekdays − 18 weekday holidays (元旦 1, 春节 6, 清明 1, 劳动节 3, 端午 1, 国庆中秋 6)
    # + 5 make-up days = 248.
    assert working_days_between(D(2024, 12, 31), D(2025, 12, 31)) == 248
    # With no holidays entered, a year is its weekdays: 2027 has 261.
    assert working_days_between(D(2026, 12, 31), D(2027, 12, 31)) == 261


def test_thirty_working_days_across_the_2026_spring_festival(shipped):
    # Hand count from Tuesday 10 February: 11, 12, 13, 14 (Saturday, make-up) = 4; 15–23 off;
    # 24–27 = 8; 28 (Saturday, make-up) = 9; then March 2–6 = 14, 9–13 = 19, 16–20 = 24, 23–27 = 29,
    # Monday 30 March = 30.
    assert add_working_days(D(2026, 2, 10), 30) == D(2026, 3, 30)
    # Extended to 45: March 31 = 31, April 1–3 = 34, (清明 4–6), 7–10 = 38, 13–17 = 43, 20–21 = 45.
    assert add_working_days(D(2026, 2, 10), 45) == D(2026, 4, 21)
    # A refusal letter within 3 working days of Friday 13 February: 14 (make-up), 24, 25.
    assert add_working_days(D(2026, 2, 13), 3) == D(2026, 2, 25)


# --- broken files -------------------------------------------------------------------------------

GOOD = """year: 2030
source: 测试通知
periods:
  - name: 春节
    holiday: {from: 2030-02-02, to: 2030-02-08}
    workdays: [2030-01-26]
"""


def _write(tmp_path: Path, text: str, name: str = "cn-2030.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_a_good_file_reads(tmp_path):
    years, days = shipped_files.read(_write(tmp_path, GOOD))
    assert years == {2030} and len(days) == 8 and days[D(2030, 1, 26)].kind == DayKind.WORKDAY


@pytest.mark.parametrize(
    "text, message",
    [
        (GOOD.replace("2030-01-26", "2030-01-28"), "is a weekday"),  # Monday as a make-up day
        (GOOD.replace("to: 2030-02-08", "to: 2030-01-08"), "is not a holiday period"),
        (GOOD.replace("to: 2030-02-08", "to: 2030-03-08"), "is not a holiday period"),
        (GOOD.replace("from: 2030-02-02", "from: 2030-02-31"), "not a date"),
        (GOOD.replace("year: 2030", "year: 1990"), "year must be"),
        (GOOD.replace("source: 测试通知\n", ""), "needs year, source and periods"),
        (GOOD.replace("name: 春节", "name: ''"), "name must be"),
        (GOOD.replace("2030-02-02", "2031-02-02").replace("2030-02-08", "2031-02-08"), "is not in 2030"),
        (GOOD + "  - name: 重复\n    holiday: {from: 2030-02-08, to: 2030-02-09}\n", "appears twice"),
        ("year: [", "cn-2030.yaml"),
    ],
)
def test_a_broken_file_is_refused_naming_the_problem(tmp_path, text, message):
    with pytest.raises(shipped_files.ShippedInvalid, match=message):
        shipped_files.read(_write(tmp_path, text))
