"""On PostgreSQL, `audit_chain_head(lock_key)`: take the chain's lock and read its last link in one call.

A hot path's last statement ends with it (audit.services.audit_flush_after), so its writes, the lock and the
link cost one round trip. The function is VOLATILE PL/pgSQL, so its read takes a snapshot of its own after
the lock is granted and sees every entry committed before: reading the link in the caller's statement would
see the chain as it was when that statement began. SQLite takes no such lock (one writer at a time)."""

from django.db import migrations

FORWARDS = """
CREATE OR REPLACE FUNCTION audit_chain_head(lock_key bigint, OUT seq bigint, OUT hash text) AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT e.seq, e.hash INTO seq, hash FROM audit_auditentry e ORDER BY e.seq DESC LIMIT 1;
END; $$ LANGUAGE plpgsql VOLATILE;
"""
BACKWARDS = "DROP FUNCTION IF EXISTS audit_chain_head(bigint);"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARDS)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARDS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_more_actions")]
    operations = [migrations.RunPython(forwards, backwards)]
