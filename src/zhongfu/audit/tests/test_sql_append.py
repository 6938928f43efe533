"""The database function audit_append (migration 0004, PostgreSQL) extends the chain exactly as
audit.services does in Python: same canonical JSON, same digest. Hot paths that write a whole transaction in
one statement (funds_online_gift) rely on it; audit_verify, which recomputes every digest in Python, is the
judge. On SQLite there is no such function and the same entries go through audit_record."""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import PG_LOCK_KEY, _digest, audit_record, audit_verify

AWKWARD = [
    # (object_id, after): quotes, backslashes, control characters, non-ASCII, nesting, key order, empties
    ("1", {"kind": "person", "consent": True}),
    ("2", {"b": 1, "a": -20000, "A": None, "é": "春风行动", "_": False}),
    ("3", {"text": 'say "hi"\\ \n\t\r\b\f \x01 \x1f \x7f / <tag> ☃ 😀'}),
    ("4", {"nested": {"z": [1, "two", None, {"y": True, "x": []}], "a": {}}, "big": 2**62}),
    ("5", None),
    ("6", {"": "", "10": 1, "9": 2, "a b": "c"}),
]


def _append_sql(at, object_id, after, before=None, actor_name="funds-online", household_id=None, region=""):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT audit_append(%s, %s, NULL, %s, 'update', 'household', %s, %s, %s, %s::jsonb, %s::jsonb, %s)",
            [
                PG_LOCK_KEY,
                at,
                actor_name,
                object_id,
                household_id,
                region,
                None if before is None else connection.ops.adapt_json_value(before, None),
                None if after is None else connection.ops.adapt_json_value(after, None),
                '原因 "quoted"',
            ],
        )


def test_entries_appended_in_sql_and_in_python_form_one_verifiable_chain(db):
    audit_record(actor=None, action="create", object_type="household", object_id="0", after={"start": 1})
    whole_second = timezone.now().replace(microsecond=0)
    with transaction.atomic():
        for i, (object_id, after) in enumerate(AWKWARD):
            at = whole_second if i % 2 else whole_second + dt.timedelta(microseconds=123456 + i)
            if connection.vendor == "postgresql":
                _append_sql(at, object_id, after, before={"old": i}, household_id=i or None, region="330106")
            else:
                audit_record(
                    actor="funds-online",
                    action="update",
                    object_type="household",
                    object_id=object_id,
                    after=after,
                    before={"old": i},
                    household_id=i or None,
                    region_code="330106",
                    reason='原因 "quoted"',
                )
    audit_record(actor=None, action="create", object_type="household", object_id="7", after={"end": 1})

    entries = list(AuditEntry.objects.order_by("seq"))
    assert [e.object_id for e in entries] == ["0", *(o for o, _a in AWKWARD), "7"]
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + len(entries)))
    for previous, entry in zip(entries, entries[1:], strict=False):
        assert entry.prev_hash == previous.hash
        assert entry.hash == _digest(previous.hash, entry), entry.object_id
    assert entries[2].after == AWKWARD[1][1] and entries[5].after is None
    assert audit_verify().ok
