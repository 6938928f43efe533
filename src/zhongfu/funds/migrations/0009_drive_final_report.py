"""A drive's final report, published once it has ended: a frozen snapshot of its figures. The database keeps
it append-only like the correction notes (migration 0005)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SQLITE = [
    f"""CREATE TRIGGER funds_drivefinalreport_no_{op} BEFORE {op.upper()} ON funds_drivefinalreport
        BEGIN SELECT RAISE(ABORT, 'a published final report never changes'); END;"""
    for op in ("update", "delete")
]
SQLITE_REVERSE = [f"DROP TRIGGER funds_drivefinalreport_no_{op};" for op in ("update", "delete")]
POSTGRES = [
    """CREATE TRIGGER funds_drivefinalreport_append_only BEFORE UPDATE OR DELETE ON funds_drivefinalreport
       FOR EACH ROW EXECUTE FUNCTION funds_refuse();""",
    """CREATE TRIGGER funds_drivefinalreport_no_truncate BEFORE TRUNCATE ON funds_drivefinalreport
       FOR EACH STATEMENT EXECUTE FUNCTION funds_refuse();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER funds_drivefinalreport_append_only ON funds_drivefinalreport;",
    "DROP TRIGGER funds_drivefinalreport_no_truncate ON funds_drivefinalreport;",
]


def forwards(apps, schema_editor):
    for sql in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("funds", "0008_reconciliation_inquiries"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DriveFinalReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("published_at", models.DateTimeField(verbose_name="published at")),
                ("due_on", models.DateField(verbose_name="due on")),
                ("figures", models.JSONField(verbose_name="figures")),
                (
                    "drive",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="final_report",
                        to="funds.drive",
                        verbose_name="drive",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={"verbose_name": "final report of a drive", "verbose_name_plural": "final reports of drives"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
