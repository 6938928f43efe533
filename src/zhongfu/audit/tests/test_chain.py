import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record, audit_verify


def _append(n):
    with transaction.atomic():
        for i in range(n):
            audit_record(actor=None, action="update", object_type="household", object_id=i, after={"i": i})


def _tamper(sql, params):
    """Edit a row behind the application's back, as an intruder with database access would.

    Runs inside the test's transaction: the trigger comes back when the test rolls back."""
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # deferred FK checks would block ALTER TABLE
            cur.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_entry_append_only")
            cur.execute(sql, params)
            cur.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_entry_append_only")
        else:
            cur.execute("DROP TRIGGER audit_entry_no_update")
            cur.execute(sql, params)


@pytest.mark.django_db
def test_chain_verifies_and_catches_a_tampered_row():
    _append(5)
    assert audit_verify().ok
    assert audit_verify().checked == AuditEntry.objects.count()
    third = AuditEntry.objects.order_by("seq")[2]
    _tamper("UPDATE audit_auditentry SET after = %s WHERE seq = %s", ['{"i": 999}', third.seq])
    result = audit_verify()
    assert not result.ok
    assert result.broken_at == third.seq
    with pytest.raises(CommandError, match=f"broken at entry {third.seq}"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_database_refuses_update_and_delete():
    _append(2)
    for sql in ("UPDATE audit_auditentry SET reason = 'x'", "DELETE FROM audit_auditentry"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cur:
                cur.execute(sql)
    assert AuditEntry.objects.count() == 2


@pytest.mark.django_db
def test_each_entry_links_to_the_previous():
    _append(3)
    rows = list(AuditEntry.objects.order_by("seq"))
    assert rows[0].prev_hash == "0" * 64
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
