"""On PostgreSQL, `audit_append(...)`: append one entry to the chain inside the database, for a hot path that
writes a whole transaction in one statement (funds_online_gift, migration funds/0010) and so never holds the
chain's lock while waiting on Python.

It takes the chain's lock (pg_advisory_xact_lock, held to the commit, re-entrant within a transaction),
reads the last link with a snapshot of its own (the function is VOLATILE PL/pgSQL, so each of its queries
sees every entry committed before it began), and inserts the entry with its digest computed exactly as
audit.services._digest computes it: SHA-256 of the previous hash, "|", and the entry as JSON with sorted keys,
no spaces and non-ASCII kept (`audit_canonical`; the time as Python's isoformat in UTC). Numbers in `before`
and `after` must be integers (Python and PostgreSQL write fractions differently); the callers' are. A test
compares both digests (audit/tests/test_sql_append.py), and audit_verify checks every entry either way."""

from django.db import migrations

FORWARDS = [
    """
CREATE OR REPLACE FUNCTION audit_canonical(j jsonb) RETURNS text AS $$
BEGIN
    -- Python's json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":")) of the same value.
    -- Keys sort by code point (COLLATE "C" on UTF-8); a string's escapes are the same in both.
    IF j IS NULL THEN
        RETURN 'null';
    ELSIF jsonb_typeof(j) = 'object' THEN
        RETURN '{' || COALESCE((SELECT string_agg(to_json(k)::text || ':' || audit_canonical(v), ',' ORDER BY k COLLATE "C")
                                FROM jsonb_each(j) AS e(k, v)), '') || '}';
    ELSIF jsonb_typeof(j) = 'array' THEN
        RETURN '[' || COALESCE((SELECT string_agg(audit_canonical(v), ',' ORDER BY n)
                                FROM jsonb_array_elements(j) WITH ORDINALITY AS a(v, n)), '') || ']';
    END IF;
    RETURN j::text;  -- a string, an integer, true, false or null: already as Python writes it
END; $$ LANGUAGE plpgsql IMMUTABLE;
""",
    """
CREATE OR REPLACE FUNCTION audit_append(
    lock_key bigint, p_at timestamptz, p_actor_id bigint, p_actor_name text, p_action text, p_object_type text,
    p_object_id text, p_household_id bigint, p_region_code text, p_before jsonb, p_after jsonb, p_reason text
) RETURNS bigint AS $$
DECLARE
    last_seq bigint;
    last_hash text;
    utc timestamp := p_at AT TIME ZONE 'UTC';
    body text;
BEGIN
    PERFORM pg_advisory_xact_lock(lock_key);
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM audit_auditentry e ORDER BY e.seq DESC LIMIT 1;
    last_seq := COALESCE(last_seq, 0) + 1;
    last_hash := COALESCE(last_hash, repeat('0', 64));
    body := '{"action":' || to_json(p_action)::text
        || ',"actor_id":' || COALESCE(p_actor_id::text, 'null')
        || ',"actor_name":' || to_json(p_actor_name)::text
        || ',"after":' || audit_canonical(p_after)
        || ',"at":"' || to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
            || CASE WHEN date_trunc('second', utc) = utc THEN '' ELSE to_char(utc, '.US') END || '+00:00"'
        || ',"before":' || audit_canonical(p_before)
        || ',"household_id":' || COALESCE(p_household_id::text, 'null')
        || ',"object_id":' || to_json(p_object_id)::text
        || ',"object_type":' || to_json(p_object_type)::text
        || ',"reason":' || to_json(p_reason)::text
        || ',"region_code":' || to_json(p_region_code)::text
        || ',"seq":' || last_seq::text || '}';
    INSERT INTO audit_auditentry (seq, at, actor_id, actor_name, action, object_type, object_id, household_id,
        region_code, before, after, reason, prev_hash, hash)
    VALUES (last_seq, p_at, p_actor_id, p_actor_name, p_action, p_object_type, p_object_id, p_household_id,
        p_region_code, p_before, p_after, p_reason, last_hash,
        encode(sha256(convert_to(last_hash || '|' || body, 'UTF8')), 'hex'));
    RETURN last_seq;
END; $$ LANGUAGE plpgsql VOLATILE;
""",
]
BACKWARDS = [
    "DROP FUNCTION IF EXISTS audit_append(bigint, timestamptz, bigint, text, text, text, text, bigint, text, jsonb, "
    "jsonb, text);",
    "DROP FUNCTION IF EXISTS audit_canonical(jsonb);",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARDS:
            schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in BACKWARDS:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_more_actions")]
    operations = [migrations.RunPython(forwards, backwards)]
