"""Working-day calendar endpoints of the JSON API. Thin: parse, call one selector or service, shape.

Anyone with a token reads the calendar and counts limits; only the city administrator sets and removes
days (a reason is required and goes to the audit log). A limit of N working days ends on the Nth working
day after the start day; `years_without_data` names the years crossed for which no holidays are
entered (the count there follows the plain week).
"""

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Path, Query, Router, Schema
from pydantic import BaseModel, ConfigDict, StringConstraints

from zhongfu.registry.api import READ_ERRORS, WRITE_ERRORS
from zhongfu.registry.api import ErrorOut as E

from . import selectors, services
from .forms import MAX_LIMIT_DAYS
from .models import FIRST_DAY, LAST_DAY, CalendarDay

router = Router(tags=["workdays"])

_NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL
Year = Annotated[int, Path(ge=FIRST_DAY.year, le=LAST_DAY.year)]


def Text(max_length: int, min_length: int = 0):  # noqa: N802 (a type factory)
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=_NO_NUL)]


class DayOut(Schema):
    date: dt.date
    kind: str = Field(..., description="holiday | workday (usual: removed by an administrator)")
    name: str
    source: str
    note: str = Field(..., description="the administrator's reason for the last change")
    changed_by: str | None = Field(None, description="the administrator who set it; null: the shipped arrangement")
    changed_at: dt.datetime


class YearOut(Schema):
    year: int
    has_data: bool = Field(..., description="false: no holidays entered for the year, weekends only")
    working_days: int
    days: list[DayOut]


class LimitOut(Schema):
    start: dt.date
    days: int
    end: dt.date = Field(..., description="the `days`-th working day after `start`")
    years_without_data: list[int]


class LimitQuery(Schema):
    start: dt.date
    days: int = Field(..., ge=0, le=MAX_LIMIT_DAYS)


class DayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["holiday", "workday"]
    name: Text(40, 1) = Field(
        ..., description="the holiday, e.g. 春节 (for a make-up working day: the holiday it belongs to)"
    )
    source: Text(200) = ""
    reason: Text(200, 2) = Field(..., description="why the calendar changes; written to the audit log")


class RemoveQuery(Schema):
    reason: Text(200, 2)


def _day(day: CalendarDay) -> dict:
    return {
        "date": day.date,
        "kind": day.kind,
        "name": day.name,
        "source": day.source,
        "note": day.note,
        "changed_by": day.changed_by.get_username() if day.changed_by_id else None,
        "changed_at": day.changed_at,
    }


@router.get("/workdays/limit", response={200: LimitOut, READ_ERRORS: E}, summary="End of a working-day limit")
def workdays_limit(request, query: Query[LimitQuery]):
    """The last day of a limit of `days` working days that begins on `start` (start not counted)."""
    limit = selectors.limit_end(query.start, query.days)
    return {"start": limit.start, "days": limit.days, "end": limit.end, "years_without_data": limit.years_without_data}


@router.get("/workdays/{year}", response={200: YearOut, READ_ERRORS: E}, summary="A year's holidays and make-up days")
def workdays_year(request, year: Year):
    days = selectors.year_days(year)
    working = selectors.working_days_between(dt.date(year - 1, 12, 31), dt.date(year, 12, 31))
    return {"year": year, "has_data": bool(days), "working_days": working, "days": [_day(d) for d in days]}


@router.put("/workdays/days/{date}", response={200: DayOut, WRITE_ERRORS: E}, summary="Set a day (city administrator)")
def workdays_day_set(request, date: dt.date, payload: DayIn):
    """Make the day a public holiday or a make-up working day (a Saturday or Sunday), creating or changing it."""
    day = services.day_set(actor=request.auth, date=date, **payload.model_dump())
    return _day(day)


@router.delete(
    "/workdays/days/{date}", response={200: DayOut, WRITE_ERRORS: E}, summary="Remove a day (city administrator)"
)
def workdays_day_remove(request, date: dt.date, query: Query[RemoveQuery]):
    """The day follows the usual week again; the answer is the day as removed (kind `usual`)."""
    return _day(services.day_remove(actor=request.auth, date=date, reason=query.reason))
