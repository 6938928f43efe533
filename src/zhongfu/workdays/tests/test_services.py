"""Changing the calendar: who may, which days, the audit trail, the cache, and the shipped files' sync
that never overrides an administrator."""

import datetime as dt
import shutil

import pytest
from django.core.management import call_command

from zhongfu.accounts.roles import Role
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_verify
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied
from zhongfu.workdays import services
from zhongfu.workdays import shipped as shipped_files
from zhongfu.workdays.models import CalendarDay, DayKind
from zhongfu.workdays.selectors import is_working_day, years_loaded

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def admin(users):
    return users[Role.CITY_ADMIN]


SPRING_2027 = D(2027, 2, 8)  # a Monday of the (made-up) 2027 Spring Festival


def _set(actor, date=SPRING_2027, kind="holiday", name="春节", **kw):
    kw.setdefault("reason", "2027年安排已公布")
    return services.day_set(actor=actor, date=date, kind=kind, name=name, **kw)


def _entries():
    return list(AuditEntry.objects.filter(object_type="calendar_day").order_by("seq"))


# --- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [r for r in Role if r != Role.CITY_ADMIN])
def test_only_the_city_administrator_may_change_the_calendar(users, shipped, role):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        _set(users[role])
    with pytest.raises(PermissionDenied):
        services.day_remove(actor=users[role], date=D(2026, 2, 16), reason="不应放假")
    assert not CalendarDay.objects.filter(date=D(2027, 2, 8)).exists()
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).kind == DayKind.HOLIDAY
    assert AuditEntry.objects.count() == before


def test_no_user_and_an_inactive_administrator_may_not(admin):
    assert not services.can_change_calendar(None)
    admin.is_active = False
    assert not services.can_change_calendar(admin)
    with pytest.raises(PermissionDenied):
        _set(admin)


# --- which days -----------------------------------------------------------------------------------


def test_a_holiday_on_a_weekday_is_created_audited_and_counted_at_once(admin):
    assert is_working_day(D(2027, 2, 8))  # read (and cached) before the change
    day = _set(admin, source="国务院办公厅关于2027年部分节假日安排的通知")
    assert (day.kind, day.name, day.changed_by, day.note) == ("holiday", "春节", admin, "2027年安排已公布")
    assert not is_working_day(D(2027, 2, 8))  # this process forgot its copy at once
    assert years_loaded() == [2027]
    [entry] = _entries()
    assert (entry.action, entry.object_id, entry.actor, entry.reason) == ("create", "2027-02-08", admin, day.note)
    assert entry.before is None and entry.after["kind"] == "holiday" and entry.after["name"] == "春节"
    assert audit_verify().ok


def test_changing_a_day_is_an_update_with_before_and_after(admin, shipped):
    _set(admin, date=D(2026, 2, 23), kind="holiday", name="春节（延长）", reason="市政府决定")
    [entry] = _entries()[-1:]
    assert entry.action == "update" and entry.object_id == "2026-02-23"
    assert entry.before["name"] == "春节" and entry.after["name"] == "春节（延长）"
    assert entry.before["source"].startswith("国务院办公厅") and entry.after["source"] == ""


def test_setting_a_day_as_it_is_writes_nothing(admin):
    _set(admin)
    count = AuditEntry.objects.count()
    _set(admin, reason="再次确认")
    assert AuditEntry.objects.count() == count


def test_a_holiday_on_a_weekend_is_allowed_as_a_record(admin):
    day = _set(admin, date=D(2027, 2, 6))  # Saturday
    assert day.kind == "holiday" and not is_working_day(D(2027, 2, 6))


def test_a_make_up_day_on_a_weekend_makes_it_a_working_day(admin):
    _set(admin, date=D(2027, 2, 20), kind="workday")  # Saturday
    assert is_working_day(D(2027, 2, 20))


def test_a_make_up_day_on_a_weekday_is_refused_naming_the_kind(admin):
    with pytest.raises(InvalidInput) as error:
        _set(admin, date=D(2027, 2, 19), kind="workday")  # Friday
    assert error.value.field == "kind" and "2027-02-19" in str(error.value)
    assert not CalendarDay.objects.exists() and not _entries()


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"date": D(1999, 12, 31)}, "date"),
        ({"date": D(2101, 1, 1)}, "date"),
        ({"date": "2027-02-08"}, "date"),
        ({"kind": "usual"}, "kind"),
        ({"kind": "festival"}, "kind"),
        ({"name": "  "}, "name"),
        ({"name": "节" * 41}, "name"),
        ({"source": "通" * 201}, "source"),
        ({"reason": " x "}, "reason"),
        ({"reason": "因" * 201}, "reason"),
    ],
)
def test_bad_input_is_refused_naming_the_field(admin, changes, field):
    with pytest.raises(InvalidInput) as error:
        _set(admin, **changes)
    assert error.value.field == field
    assert not CalendarDay.objects.exists() and not _entries()


def test_removing_a_day_leaves_the_usual_week_and_a_record(admin, shipped):
    assert not is_working_day(D(2026, 2, 16))
    day = services.day_remove(actor=admin, date=D(2026, 2, 16), reason="本市调整")
    assert (day.kind, day.changed_by, day.note) == (DayKind.USUAL, admin, "本市调整")
    assert is_working_day(D(2026, 2, 16))
    entry = _entries()[-1]
    assert (entry.action, entry.object_id, entry.reason) == ("delete", "2026-02-16", "本市调整")
    assert entry.before["kind"] == "holiday" and entry.after["kind"] == "usual"
    # Removing it again, or a day never on the calendar: not found, naming the date.
    for date in (D(2026, 2, 16), D(2026, 3, 3)):
        with pytest.raises(NotFound) as error:
            services.day_remove(actor=admin, date=date, reason="本市调整")
        assert error.value.field == "date" and date.isoformat() in str(error.value)
    # Setting a removed day again restores it.
    _set(admin, date=D(2026, 2, 16), name="春节", reason="恢复")
    assert not is_working_day(D(2026, 2, 16)) and _entries()[-1].action == "update"


def test_removing_needs_a_reason(admin, shipped):
    with pytest.raises(InvalidInput) as error:
        services.day_remove(actor=admin, date=D(2026, 2, 16), reason="")
    assert error.value.field == "reason"


# --- the shipped files ----------------------------------------------------------------------------


def test_sync_adds_the_shipped_days_once_and_audits_them(db):
    result = services.calendar_sync()
    assert len(result.added) == 72 and not (result.updated or result.removed or result.kept)
    assert CalendarDay.objects.count() == 72 and not CalendarDay.objects.exclude(changed_by=None).exists()
    entries = _entries()
    assert len(entries) == 72 and {(e.action, e.reason, e.actor_id) for e in entries} == {("create", "shipped", None)}
    again = services.calendar_sync()
    assert not (again.added or again.updated or again.removed or again.kept)
    assert CalendarDay.objects.count() == 72 and len(_entries()) == 72
    assert audit_verify().ok


def test_sync_never_overrides_or_restores_an_administrators_change(admin, shipped):
    _set(admin, date=D(2026, 2, 23), name="春节（本市）", reason="市政府决定")
    services.day_remove(actor=admin, date=D(2026, 2, 16), reason="本市调整")
    result = services.calendar_sync()
    assert not (result.added or result.updated or result.removed)
    assert sorted(result.kept) == [D(2026, 2, 16), D(2026, 2, 23)]
    assert CalendarDay.objects.get(date=D(2026, 2, 23)).name == "春节（本市）"
    assert CalendarDay.objects.get(date=D(2026, 2, 16)).kind == DayKind.USUAL
    assert is_working_day(D(2026, 2, 16))


def test_sync_follows_a_corrected_file_for_days_no_administrator_touched(admin, shipped, tmp_path):
    for path in shipped_files.DATA_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    corrected = tmp_path / "cn-2026.yaml"
    # The correction: 端午 moves by a week (a made-up change) and the administrator's 清明 day stays as set.
    corrected.write_text(
        corrected.read_text(encoding="utf-8").replace("2026-06-19, to: 2026-06-21", "2026-06-26, to: 2026-06-28"),
        encoding="utf-8",
    )
    _set(admin, date=D(2026, 4, 6), name="清明节（本市）", reason="市政府决定")
    result = services.calendar_sync(directory=tmp_path)
    assert [d.date for d in result.added] == [D(2026, 6, 26), D(2026, 6, 27), D(2026, 6, 28)]
    assert result.removed == [D(2026, 6, 19), D(2026, 6, 20), D(2026, 6, 21)]
    assert result.kept == [D(2026, 4, 6)]
    assert is_working_day(D(2026, 6, 19)) and not is_working_day(D(2026, 6, 26))
    assert {e.action for e in _entries()[-6:]} == {"create", "delete"}


def test_sync_updates_a_shipped_day_whose_name_was_corrected(shipped, tmp_path):
    for path in shipped_files.DATA_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    path = tmp_path / "cn-2025.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("name: 元旦", "name: 元旦节"), encoding="utf-8")
    result = services.calendar_sync(directory=tmp_path)
    assert [(d.date, d.name) for d in result.updated] == [(D(2025, 1, 1), "元旦节")]
    assert _entries()[-1].action == "update" and _entries()[-1].before["name"] == "元旦"


def test_the_command_prints_what_it_added(db, capsys):
    call_command("workdays", "sync")
    out = capsys.readouterr().out
    assert out.startswith("working-day calendar: 72 days added, 0 updated, 0 removed")
    assert "added 2026-02-14 Sat workday 春节" in out and "added 2026-10-07 Wed holiday 国庆节" in out
    call_command("workdays", "sync")
    assert capsys.readouterr().out.strip() == (
        "working-day calendar: 0 days added, 0 updated, 0 removed, 0 kept as an administrator set them"
    )


def test_the_command_refuses_a_broken_file(db, tmp_path):
    from django.core.management.base import CommandError

    (tmp_path / "cn-2030.yaml").write_text("year: 2030\n", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid: cn-2030.yaml"):
        call_command("workdays", "sync", directory=str(tmp_path))
    assert not CalendarDay.objects.exists()


def test_every_process_reader_forgets_the_calendar_again_on_commit(admin, django_capture_on_commit_callbacks):
    from zhongfu.workdays.selectors import calendar_changed

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _set(admin)
    assert calendar_changed in callbacks


def test_two_administrators_adding_the_same_new_day_at_once(admin, monkeypatch):
    """The second insert meets the unique date: a readable message, the first one's day kept, no audit entry."""
    from django.db.models.query import QuerySet

    CalendarDay.objects.create(date=D(2027, 2, 8), kind=DayKind.HOLIDAY, name="春节", changed_by=admin)
    first = QuerySet.first

    def not_yet_there(qs):  # what the second administrator's transaction saw before the first committed
        return None if qs.model is CalendarDay else first(qs)

    monkeypatch.setattr(QuerySet, "first", not_yet_there)
    with pytest.raises(InvalidInput, match="2027-02-08") as e:
        _set(admin, name="春节假期")
    monkeypatch.undo()
    assert e.value.field == "date"
    assert CalendarDay.objects.get(date=D(2027, 2, 8)).name == "春节" and _entries() == []
