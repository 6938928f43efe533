"""Every application made before cases existed gets one case per policy line; and the database itself
refuses to change or remove case events (the case's history is append-only, like the audit log)."""

import datetime as dt

from django.db import migrations
from django.utils import timezone

SQLITE = [
    """CREATE TRIGGER casework_event_no_update BEFORE UPDATE ON casework_caseevent
       BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END;""",
    """CREATE TRIGGER casework_event_no_delete BEFORE DELETE ON casework_caseevent
       BEGIN SELECT RAISE(ABORT, 'case history is append-only'); END;""",
]
SQLITE_REVERSE = ["DROP TRIGGER casework_event_no_update;", "DROP TRIGGER casework_event_no_delete;"]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION casework_event_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'case history is append-only'; END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER casework_event_append_only BEFORE UPDATE OR DELETE ON casework_caseevent
       FOR EACH ROW EXECUTE FUNCTION casework_event_refuse();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER casework_event_append_only ON casework_caseevent;",
    "DROP FUNCTION casework_event_refuse();",
]


def append_only(apps, schema_editor):
    for sql in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql)


def append_only_reverse(apps, schema_editor):
    for sql in POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(sql)


def _add_working_days(exceptions: dict, start: dt.date, days: int) -> dt.date:
    # The calendar as this migration's state knows it (the live selector may read columns added later).
    day = start
    while days:
        day += dt.timedelta(days=1)
        if exceptions.get(day, day.weekday() < 5):
            days -= 1
    return day


def backfill(apps, schema_editor):
    from zhongfu.casework.workflow import procedure_for

    Application = apps.get_model("casework", "Application")
    Case = apps.get_model("casework", "Case")
    CaseEvent = apps.get_model("casework", "CaseEvent")
    CalendarDay = apps.get_model("workdays", "CalendarDay")
    exceptions = {
        d: kind == "workday"
        for d, kind in CalendarDay.objects.values_list("date", "kind")
        if kind in ("holiday", "workday")
    }
    for application in Application.objects.select_related("household").order_by("pk"):
        opened = timezone.localtime(application.submitted_at).date()
        for i, line in enumerate(application.policies.order_by("pk"), start=1):
            if Case.objects.filter(line=line).exists():
                continue
            procedure = procedure_for(line.policy_code, opened)
            limit = procedure["step_limits"].get("acceptance", {}).get("working_days")
            step_due = _add_working_days(exceptions, opened, limit) if limit else None
            withdrawn = application.status == "withdrawn"
            case = Case.objects.create(
                number=f"AJ{application.number[2:]}{i:02d}",
                application=application,
                line=line,
                household=application.household,
                policy_code=line.policy_code,
                unit=line.unit,
                deciding_level=line.deciding_level,
                amount_fen=line.amount_fen,
                period=line.period,
                procedure=procedure,
                opened_on=opened,
                step="closed" if withdrawn else "acceptance",
                status="withdrawn" if withdrawn else "open",
                step_started_on=opened,
                step_due_on=None if withdrawn else step_due,
                next_due_on=None if withdrawn else step_due,
            )
            CaseEvent.objects.create(
                case=case,
                step="acceptance",
                action="open",
                data={"policy": line.policy_code, "procedure": procedure["version"], "backfilled": True},
                note="opened by migration 0003 for an application made before cases existed",
            )


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_cases"), ("workdays", "0001_initial")]
    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.RunPython(append_only, append_only_reverse),
    ]
