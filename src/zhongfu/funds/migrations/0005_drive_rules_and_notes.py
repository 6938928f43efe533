"""The honor wall's rules as data (source: DOMAIN_RULES.md, "Figures": organisations at least 500,000 yuan
in a drive, individuals at least 10,000), and the database keeping correction notes append-only, like the
ledger (migration 0002)."""

import datetime as dt

from django.db import migrations

SOURCE = "DOMAIN_RULES.md: honor wall, organisations >= 500,000 yuan in a drive, individuals >= 10,000"
DEFAULTS = [("organisation", 500_000 * 100), ("person", 10_000 * 100)]

SQLITE = [
    f"""CREATE TRIGGER funds_disclosurenote_no_{op} BEFORE {op.upper()} ON funds_disclosurenote
        BEGIN SELECT RAISE(ABORT, 'a published correction note never changes'); END;"""
    for op in ("update", "delete")
]
SQLITE_REVERSE = [f"DROP TRIGGER funds_disclosurenote_no_{op};" for op in ("update", "delete")]
POSTGRES = [
    """CREATE TRIGGER funds_disclosurenote_append_only BEFORE UPDATE OR DELETE ON funds_disclosurenote
       FOR EACH ROW EXECUTE FUNCTION funds_refuse();""",
    """CREATE TRIGGER funds_disclosurenote_no_truncate BEFORE TRUNCATE ON funds_disclosurenote
       FOR EACH STATEMENT EXECUTE FUNCTION funds_refuse();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER funds_disclosurenote_append_only ON funds_disclosurenote;",
    "DROP TRIGGER funds_disclosurenote_no_truncate ON funds_disclosurenote;",
]


def forwards(apps, schema_editor):
    HonorRule = apps.get_model("funds", "HonorRule")
    for kind, fen in DEFAULTS:
        HonorRule.objects.get_or_create(
            kind=kind, valid_from=dt.date(2000, 1, 1), defaults={"threshold_fen": fen, "source": SOURCE}
        )
    for sql in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(sql)
    apps.get_model("funds", "HonorRule").objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("funds", "0004_drives")]
    operations = [migrations.RunPython(forwards, backwards)]
