"""The shipped holiday arrangements (data/cn-<year>.yaml): reading and checking them.

One file per year, as the State Council publishes one notice per year. A period names a holiday, its
first and last day (weekend days within it included, as the notice counts them) and the make-up
working days that belong to it. Loading them into the database is `services.calendar_sync`.
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import yaml

from .models import FIRST_DAY, LAST_DAY, DayKind

DATA_DIR = Path(__file__).resolve().parent / "data"
# A holiday period longer than this is a typo in a date (the longest, Spring Festival, is 9 days).
MAX_PERIOD_DAYS = 15


class ShippedInvalid(Exception):
    """A shipped file that cannot be loaded; the message names the file and the entry."""


@dataclass(frozen=True)
class ShippedDay:
    date: dt.date
    kind: str
    name: str
    source: str

    def snapshot(self) -> dict:
        return {"date": self.date.isoformat(), "kind": self.kind, "name": self.name, "source": self.source}


def _date(value, where: str) -> dt.date:
    # YAML reads 2026-02-15 as a date already; a quoted string is accepted too.
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ShippedInvalid(f"{where}: {value!r} is not a date (YYYY-MM-DD)")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ShippedInvalid(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ShippedInvalid(f"{where}: {value} is outside {FIRST_DAY.year}–{LAST_DAY.year}")
    return value


def _period_days(period, year: int, source: str, where: str) -> list[ShippedDay]:
    if not isinstance(period, dict) or set(period) - {"name", "holiday", "workdays"}:
        raise ShippedInvalid(f"{where}: a period has name, holiday {{from, to}} and optional workdays")
    name = period.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 40:
        raise ShippedInvalid(f"{where}: the name must be 1 to 40 characters")
    holiday = period.get("holiday")
    if not isinstance(holiday, dict) or set(holiday) != {"from", "to"}:
        raise ShippedInvalid(f"{where} ({name}): holiday must be {{from: date, to: date}}")
    first, last = _date(holiday["from"], f"{where} ({name})"), _date(holiday["to"], f"{where} ({name})")
    if not first <= last or (last - first).days >= MAX_PERIOD_DAYS:
        raise ShippedInvalid(f"{where} ({name}): {first} to {last} is not a holiday period")
    # A period may begin in the last days of the year before (元旦 2024 began on 2023-12-30).
    if last.year != year and first.year != year:
        raise ShippedInvalid(f"{where} ({name}): {first} to {last} is not in {year}")
    days = [
        ShippedDay(first + dt.timedelta(days=i), DayKind.HOLIDAY, name.strip(), source)
        for i in range((last - first).days + 1)
    ]
    workdays = period.get("workdays") or []
    if not isinstance(workdays, list):
        raise ShippedInvalid(f"{where} ({name}): workdays must be a list of dates")
    for value in workdays:
        day = _date(value, f"{where} ({name})")
        if day.weekday() < 5:
            raise ShippedInvalid(f"{where} ({name}): the make-up working day {day} is a weekday")
        if abs(day.year - year) > 1:
            raise ShippedInvalid(f"{where} ({name}): the make-up working day {day} is not near {year}")
        days.append(ShippedDay(day, DayKind.WORKDAY, name.strip(), source))
    return days


def read_file(path: Path) -> tuple[int, list[ShippedDay]]:
    """(year, days) of one file, checked."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ShippedInvalid(f"{path.name}: {error}") from None
    except ValueError as error:  # YAML's own reading of a date such as 2030-02-31
        raise ShippedInvalid(f"{path.name}: not a date ({error})") from None
    if not isinstance(data, dict) or set(data) != {"year", "source", "periods"}:
        raise ShippedInvalid(f"{path.name}: the file needs year, source and periods")
    year, source, periods = data["year"], data["source"], data["periods"]
    if not isinstance(year, int) or not FIRST_DAY.year <= year <= LAST_DAY.year:
        raise ShippedInvalid(f"{path.name}: year must be a year between {FIRST_DAY.year} and {LAST_DAY.year}")
    if not isinstance(source, str) or not source.strip() or len(source) > 200:
        raise ShippedInvalid(f"{path.name}: source must name the notice (1 to 200 characters)")
    if not isinstance(periods, list) or not periods:
        raise ShippedInvalid(f"{path.name}: periods must be a non-empty list")
    days: list[ShippedDay] = []
    for i, period in enumerate(periods, 1):
        days += _period_days(period, year, source.strip(), f"{path.name}, period {i}")
    return year, days


def read(directory: Path = DATA_DIR) -> tuple[set[int], dict[dt.date, ShippedDay]]:
    """The years the files cover and every shipped day by date; a date in two places is refused."""
    years: set[int] = set()
    by_date: dict[dt.date, ShippedDay] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        year, days = read_file(path)
        if year in years:
            raise ShippedInvalid(f"{path.name}: {year} is in another file too")
        years.add(year)
        for day in days:
            if day.date in by_date:
                raise ShippedInvalid(f"{path.name}: {day.date} appears twice ({by_date[day.date].name}, {day.name})")
            by_date[day.date] = day
    return years, by_date
