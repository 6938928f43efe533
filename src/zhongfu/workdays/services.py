"""Writes to the working-day calendar: the city administrator's changes and the shipped arrangements.

Every write is audited (object type "calendar_day", the date as its id) in the same transaction and
makes every process forget its cached calendar (see selectors). A day an administrator set or removed
keeps `changed_by`, and the sync of the shipped files never touches it again.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record, audit_record_many
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied

from . import shipped
from .models import FIRST_DAY, LAST_DAY, CalendarDay, DayKind
from .selectors import calendar_changed

A = AuditEntry.Action
OBJECT_TYPE = "calendar_day"
SHIPPED_REASON = "shipped"


def can_change_calendar(user) -> bool:
    """Whether `user` may change the calendar. One place, so that the role check becomes
    `user.has_perm("workdays.change_calendarday")` once roles.py grants it to the city administrator."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and getattr(user, "role", None) == Role.CITY_ADMIN
    )


def _require_change(actor) -> None:
    if not can_change_calendar(actor):
        raise PermissionDenied(_("Only the city administrator may change the working-day calendar."))


def snapshot(day: CalendarDay) -> dict:
    return {"date": day.date.isoformat(), "kind": day.kind, "name": day.name, "source": day.source, "note": day.note}


def _changed() -> None:
    # At once, so this transaction reads its own change; on commit again, so a read by another thread of
    # this process between the two does not keep the old calendar until the fingerprint is looked at.
    calendar_changed()
    transaction.on_commit(calendar_changed)


def _check_date(date) -> dt.date:
    if not isinstance(date, dt.date) or isinstance(date, dt.datetime):
        raise InvalidInput(_("Enter a valid date."), field="date")
    if not FIRST_DAY <= date <= LAST_DAY:
        raise InvalidInput(
            _("Enter a date between %(first)s and %(last)s."), field="date", first=FIRST_DAY, last=LAST_DAY
        )
    return date


def _check_reason(reason) -> str:
    reason = (reason or "").strip()
    if len(reason) < 2:
        raise InvalidInput(_("Give a reason for the change."), field="reason")
    if len(reason) > 200:
        raise InvalidInput(_("The reason is too long (at most 200 characters)."), field="reason")
    return reason


@transaction.atomic
def day_set(*, actor, date: dt.date, kind: str, name: str, source: str = "", reason: str) -> CalendarDay:
    """Make `date` a public holiday or a make-up working day (create it, or change the day on the
    calendar). A holiday on a weekend changes no count but documents the holiday; a make-up working
    day on a weekday would change nothing and is refused."""
    _require_change(actor)
    date = _check_date(date)
    if kind not in (DayKind.HOLIDAY, DayKind.WORKDAY):
        raise InvalidInput(_("Choose a public holiday or a make-up working day."), field="kind")
    if kind == DayKind.WORKDAY and date.weekday() < 5:
        raise InvalidInput(
            _("A make-up working day must fall on a Saturday or Sunday: %(date)s is a weekday, already a working day."),
            field="kind",
            date=date.isoformat(),
        )
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("Enter the name of the holiday (for example 春节)."), field="name")
    if len(name) > 40:
        raise InvalidInput(_("The name is too long (at most 40 characters)."), field="name")
    source = (source or "").strip()
    if len(source) > 200:
        raise InvalidInput(_("The source is too long (at most 200 characters)."), field="source")
    reason = _check_reason(reason)

    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is not None and (day.kind, day.name, day.source) == (kind, name, source):
        return day  # nothing to change
    before = snapshot(day) if day is not None else None
    if day is None:
        day = CalendarDay(date=date)
    day.kind, day.name, day.source, day.note, day.changed_by = kind, name, source, reason, actor
    try:
        # A savepoint: two administrators adding the same new day at once both find no row to lock, and the
        # second insert meets the unique date. That one is told, and nothing of it is written.
        with transaction.atomic():
            day.save()
    except IntegrityError:
        raise InvalidInput(
            _("%(date)s was just added to the calendar by someone else: reload the page and check it."),
            field="date",
            date=date.isoformat(),
        ) from None
    audit_record(
        actor=actor,
        action=A.CREATE if before is None else A.UPDATE,
        object_type=OBJECT_TYPE,
        object_id=date.isoformat(),
        before=before,
        after=snapshot(day),
        reason=reason,
    )
    _changed()
    return day


@transaction.atomic
def day_remove(*, actor, date: dt.date, reason: str) -> CalendarDay:
    """Let `date` follow the usual week again. The row stays, marked as removed by the administrator,
    so that the sync of the shipped files does not bring the day back."""
    _require_change(actor)
    date = _check_date(date)
    reason = _check_reason(reason)
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None or day.kind == DayKind.USUAL:
        raise NotFound(
            _("%(date)s is not a public holiday or a make-up working day on the calendar."),
            field="date",
            date=date.isoformat(),
        )
    before = snapshot(day)
    day.kind, day.note, day.changed_by = DayKind.USUAL, reason, actor
    day.save()
    audit_record(
        actor=actor,
        action=A.DELETE,
        object_type=OBJECT_TYPE,
        object_id=date.isoformat(),
        before=before,
        after=snapshot(day),
        reason=reason,
    )
    _changed()
    return day


# --- the shipped arrangements -------------------------------------------------------------------


@dataclass
class SyncResult:
    added: list[shipped.ShippedDay] = field(default_factory=list)
    updated: list[shipped.ShippedDay] = field(default_factory=list)
    removed: list[dt.date] = field(default_factory=list)
    # Shipped days an administrator has set otherwise (or removed): left as the administrator has them.
    kept: list[dt.date] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"working-day calendar: {len(self.added)} days added, {len(self.updated)} updated, "
            f"{len(self.removed)} removed, {len(self.kept)} kept as an administrator set them"
        ]
        out += [f"  added {d.date} {d.date:%a} {d.kind} {d.name}" for d in self.added]
        out += [f"  updated {d.date} {d.date:%a} {d.kind} {d.name}" for d in self.updated]
        out += [f"  removed {d} (no longer in the shipped files)" for d in self.removed]
        out += [f"  kept {d} as an administrator set it" for d in self.kept]
        return out


@transaction.atomic
def calendar_sync(*, directory=None) -> SyncResult:
    """Bring the shipped holiday arrangements into the database. Idempotent: a second run changes
    nothing. Days no administrator has touched follow the files (added, corrected, or removed when a
    file covering their year no longer has them); a day an administrator changed is never touched."""
    years, days = shipped.read(directory or shipped.DATA_DIR)
    result = SyncResult()
    entries = []
    existing = {d.date: d for d in CalendarDay.objects.select_for_update().filter(date__year__in=_years_near(years))}
    for date, ship in sorted(days.items()):
        row = existing.get(date)
        if row is not None and row.changed_by_id is not None:
            if (row.kind, row.name, row.source) != (ship.kind, ship.name, ship.source):
                result.kept.append(date)
            continue
        if row is None:
            row = CalendarDay.objects.create(date=date, kind=ship.kind, name=ship.name, source=ship.source)
            result.added.append(ship)
            entries.append({"action": A.CREATE, "before": None, "after": snapshot(row)})
        elif (row.kind, row.name, row.source) != (ship.kind, ship.name, ship.source):
            before = snapshot(row)
            row.kind, row.name, row.source = ship.kind, ship.name, ship.source
            row.save()
            result.updated.append(ship)
            entries.append({"action": A.UPDATE, "before": before, "after": snapshot(row)})
        else:
            continue
        entries[-1] |= {"object_type": OBJECT_TYPE, "object_id": date.isoformat(), "reason": SHIPPED_REASON}
    for date, row in sorted(existing.items()):
        if date.year in years and date not in days and row.changed_by_id is None:
            entries.append(
                {
                    "action": A.DELETE,
                    "object_type": OBJECT_TYPE,
                    "object_id": date.isoformat(),
                    "before": snapshot(row),
                    "reason": SHIPPED_REASON,
                }
            )
            row.delete()
            result.removed.append(date)
    if entries:
        audit_record_many(actor=None, entries=entries)
        _changed()
    return result


def _years_near(years: set[int]) -> set[int]:
    # A file may ship a day of the neighbouring year (a New Year holiday that begins on 30 December).
    return {y + d for y in years for d in (-1, 0, 1)}
