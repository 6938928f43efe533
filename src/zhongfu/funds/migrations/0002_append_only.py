"""The database itself keeps the ledger append-only, on SQLite and on PostgreSQL: entries and lines are never
changed or removed; an issued receipt only ever gains its withdrawal, once, and is never removed; a locked
period is never unlocked and takes no new entry. On PostgreSQL an entry's lines must also add up to zero
when its transaction commits (a deferred constraint trigger)."""

from django.db import migrations

_RECEIPT_CHANGED = " OR ".join(
    f"NEW.{c} IS NOT OLD.{c}"
    for c in ("unit_id", "year", "number", "donation_id", "donor_name", "amount_fen", "issued_on", "handler_id")
)

SQLITE = [
    *(
        f"""CREATE TRIGGER funds_{t}_no_{op} BEFORE {op.upper()} ON funds_{t}
            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;"""
        for t in ("ledgerentry", "ledgerline")
        for op in ("update", "delete")
    ),
    """CREATE TRIGGER funds_receipt_no_delete BEFORE DELETE ON funds_receipt
       BEGIN SELECT RAISE(ABORT, 'an issued receipt is never removed'); END;""",
    f"""CREATE TRIGGER funds_receipt_no_update BEFORE UPDATE ON funds_receipt
       WHEN OLD.withdrawn_at IS NOT NULL OR {_RECEIPT_CHANGED}
       BEGIN SELECT RAISE(ABORT, 'an issued receipt never changes'); END;""",
    """CREATE TRIGGER funds_period_no_unlock BEFORE UPDATE ON funds_period
       WHEN OLD.locked AND NOT NEW.locked
       BEGIN SELECT RAISE(ABORT, 'a locked period stays locked'); END;""",
    """CREATE TRIGGER funds_entry_period_open BEFORE INSERT ON funds_ledgerentry
       WHEN (SELECT locked FROM funds_period WHERE id = NEW.period_id)
       BEGIN SELECT RAISE(ABORT, 'the period is locked'); END;""",
]
SQLITE_REVERSE = [
    *(f"DROP TRIGGER funds_{t}_no_{op};" for t in ("ledgerentry", "ledgerline") for op in ("update", "delete")),
    "DROP TRIGGER funds_receipt_no_delete;",
    "DROP TRIGGER funds_receipt_no_update;",
    "DROP TRIGGER funds_period_no_unlock;",
    "DROP TRIGGER funds_entry_period_open;",
]

POSTGRES = [
    """CREATE OR REPLACE FUNCTION funds_refuse() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'the ledger is append-only'; END; $$ LANGUAGE plpgsql;""",
    *(
        f"""CREATE TRIGGER funds_{t}_append_only BEFORE UPDATE OR DELETE ON funds_{t}
            FOR EACH ROW EXECUTE FUNCTION funds_refuse();"""
        for t in ("ledgerentry", "ledgerline")
    ),
    *(
        f"""CREATE TRIGGER funds_{t}_no_truncate BEFORE TRUNCATE ON funds_{t}
            FOR EACH STATEMENT EXECUTE FUNCTION funds_refuse();"""
        for t in ("ledgerentry", "ledgerline", "receipt")
    ),
    f"""CREATE OR REPLACE FUNCTION funds_receipt_check() RETURNS trigger AS $$
       BEGIN
         IF OLD.withdrawn_at IS NOT NULL OR {_RECEIPT_CHANGED.replace("IS NOT", "IS DISTINCT FROM")} THEN
           RAISE EXCEPTION 'an issued receipt never changes';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER funds_receipt_no_delete BEFORE DELETE ON funds_receipt
       FOR EACH ROW EXECUTE FUNCTION funds_refuse();""",
    """CREATE TRIGGER funds_receipt_no_update BEFORE UPDATE ON funds_receipt
       FOR EACH ROW EXECUTE FUNCTION funds_receipt_check();""",
    """CREATE OR REPLACE FUNCTION funds_period_check() RETURNS trigger AS $$
       BEGIN
         IF OLD.locked AND NOT NEW.locked THEN RAISE EXCEPTION 'a locked period stays locked'; END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER funds_period_no_unlock BEFORE UPDATE ON funds_period
       FOR EACH ROW EXECUTE FUNCTION funds_period_check();""",
    """CREATE OR REPLACE FUNCTION funds_entry_period_check() RETURNS trigger AS $$
       BEGIN
         IF (SELECT locked FROM funds_period WHERE id = NEW.period_id) THEN
           RAISE EXCEPTION 'the period is locked';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER funds_entry_period_open BEFORE INSERT ON funds_ledgerentry
       FOR EACH ROW EXECUTE FUNCTION funds_entry_period_check();""",
    """CREATE OR REPLACE FUNCTION funds_entry_balanced() RETURNS trigger AS $$
       BEGIN
         IF (SELECT COALESCE(SUM(amount_fen), 0) FROM funds_ledgerline WHERE entry_id = NEW.entry_id) <> 0 THEN
           RAISE EXCEPTION USING MESSAGE = 'ledger entry ' || NEW.entry_id || ' does not balance';
         END IF;
         RETURN NULL;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE CONSTRAINT TRIGGER funds_line_balanced AFTER INSERT ON funds_ledgerline
       DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION funds_entry_balanced();""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER funds_line_balanced ON funds_ledgerline;",
    "DROP TRIGGER funds_entry_period_open ON funds_ledgerentry;",
    "DROP TRIGGER funds_period_no_unlock ON funds_period;",
    "DROP TRIGGER funds_receipt_no_update ON funds_receipt;",
    "DROP TRIGGER funds_receipt_no_delete ON funds_receipt;",
    "DROP TRIGGER funds_receipt_no_truncate ON funds_receipt;",
    *(f"DROP TRIGGER funds_{t}_append_only ON funds_{t};" for t in ("ledgerentry", "ledgerline")),
    *(f"DROP TRIGGER funds_{t}_no_truncate ON funds_{t};" for t in ("ledgerentry", "ledgerline")),
    *(
        f"DROP FUNCTION {f}();"
        for f in ("funds_entry_balanced", "funds_entry_period_check", "funds_period_check", "funds_receipt_check")
    ),
    "DROP FUNCTION funds_refuse();",
]


def forwards(apps, schema_editor):
    for sql in POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    for sql in POSTGRES_REVERSE if schema_editor.connection.vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
