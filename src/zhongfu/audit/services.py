"""Appending to the audit log and verifying its chain.

The chain is appended under one lock (on PostgreSQL an advisory lock held until the transaction ends), so every
transaction that writes an audit entry is serialised from its first entry to its commit. A hot path keeps that
stretch short with `audit_deferred`: its entries are buffered and appended together as the last statements
before the commit."""

import contextlib
import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from zhongfu.common.pg import prepared

from .models import AuditEntry

GENESIS = "0" * 64
# Any constant: the advisory lock that serialises appends on PostgreSQL (also taken by the database function
# audit_append, migration 0004).
PG_LOCK_KEY = 0x7A6866


def _digest(prev_hash: str, entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq,
        "at": entry.at.astimezone(dt.UTC).isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "household_id": entry.household_id,
        "region_code": entry.region_code,
        "before": entry.before,
        "after": entry.after,
        "reason": entry.reason,
    }
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "|" + text).encode()).hexdigest()


_local = threading.local()


@contextlib.contextmanager
def audit_deferred():
    """Inside this block (itself inside the caller's transaction), `audit_record` only buffers its entries;
    when the block ends without an error they are appended in one go, in the order they were recorded,
    chained exactly as one by one. The chain's lock is then taken at the end of the caller's work, right
    before its commit, instead of at its first audit entry: concurrent transactions do all their other work
    in parallel. An error inside the block discards the buffer (the transaction rolls back anyway). A
    nested block joins the outer one. Within the block `audit_record` returns the entry unsaved."""
    outer = getattr(_local, "buffer", None)
    if outer is not None:
        yield
        return
    _local.buffer = []
    try:
        yield
        buffered, _local.buffer = _local.buffer, None
        _append(buffered)
    finally:
        _local.buffer = None


def audit_record(
    *,
    actor,
    action: str,
    object_type: str,
    object_id="",
    household_id: int | None = None,
    region_code: str = "",
    before: dict | None = None,
    after: dict | None = None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. Must run inside the caller's transaction so the entry and the change commit together
    (inside `audit_deferred`, buffered until the block ends)."""
    spec = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "household_id": household_id,
        "region_code": region_code,
        "before": before,
        "after": after,
        "reason": reason,
    }
    buffer = getattr(_local, "buffer", None)
    if buffer is not None:
        buffer.append((actor, spec))
        return _entry(actor, spec, seq=0, at=timezone.now(), prev_hash="")
    return _append([(actor, spec)])[0]


def _entry(actor, spec: dict, *, seq: int, at, prev_hash: str) -> AuditEntry:
    actor_obj = actor if getattr(actor, "pk", None) else None
    return AuditEntry(
        seq=seq,
        at=at,
        actor=actor_obj,
        actor_name=actor.get_username() if actor_obj else str(actor or "system"),
        action=spec["action"],
        object_type=spec["object_type"],
        object_id=str(spec.get("object_id", "")),
        household_id=spec.get("household_id"),
        region_code=spec.get("region_code", ""),
        before=spec.get("before"),
        after=spec.get("after"),
        reason=spec.get("reason", ""),
        prev_hash=prev_hash,
    )


def _append(items: list[tuple]) -> list[AuditEntry]:
    """Append (actor, spec) pairs to the chain under its lock: the lock, the last link, one INSERT."""
    if not items:
        return []
    # No savepoint of its own: an error here fails the caller's transaction, which is what must happen.
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])
        last = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        head = last or (0, GENESIS)
        seq, prev_hash = head
        at = timezone.now()
        rows = []
        for actor, spec in items:
            seq += 1
            entry = _entry(actor, spec, seq=seq, at=at, prev_hash=prev_hash)
            entry.hash = _digest(prev_hash, entry)
            prev_hash = entry.hash
            rows.append(entry)
        if connection.vendor == "postgresql" and len(rows) <= _PG_INSERT_ROWS:
            _insert_pg(rows)
        elif len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            AuditEntry.objects.bulk_create(rows, batch_size=1000)
        return rows


# The columns of an entry and their types, in _insert_pg's order; a few rows at a time (a hot path's), more
# by bulk_create.
_PG_COLUMNS = {
    "seq": "bigint", "at": "timestamptz", "actor_id": "bigint", "actor_name": "text", "action": "text",
    "object_type": "text", "object_id": "text", "household_id": "bigint", "region_code": "text",
    "before": "jsonb", "after": "jsonb", "reason": "text", "prev_hash": "text", "hash": "text",
}  # fmt: skip
_PG_INSERT_ROWS = 50
_PG_ROW = "(" + ", ".join(f"%s::{kind}" for kind in _PG_COLUMNS.values()) + ")"


def _insert_pg(rows: list[AuditEntry]) -> None:
    """One prepared INSERT of a few entries: the ORM's would cost a hot path more than the statement itself."""
    params = []
    for entry in rows:
        for column in _PG_COLUMNS:
            value = getattr(entry, column)
            if column in ("before", "after") and value is not None:
                value = json.dumps(value, ensure_ascii=False)
            params.append(value)
    sql = f"INSERT INTO audit_auditentry ({', '.join(_PG_COLUMNS)}) VALUES " + ", ".join([_PG_ROW] * len(rows))
    prepared(sql, params)


@dataclass
class VerifyResult:
    checked: int
    broken_at: int | None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def audit_verify(*, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first entry whose link or content does not hold."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last_seq).order_by("seq")[:batch])
        if not rows:
            return VerifyResult(checked=checked, broken_at=None)
        for entry in rows:
            if entry.seq != expected_seq:
                return VerifyResult(checked, expected_seq, "missing entry")
            if entry.prev_hash != prev_hash:
                return VerifyResult(checked, entry.seq, "link to the previous entry does not match")
            if _digest(prev_hash, entry) != entry.hash:
                return VerifyResult(checked, entry.seq, "content does not match its hash")
            prev_hash = entry.hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq


def audit_record_many(*, actor, entries: list[dict]) -> int:
    """Append many entries at once, chained exactly as `audit_record` chains one (same lock, same
    digest). Each dict holds the keyword arguments of `audit_record` except `actor`. For imports of
    thousands of records, where one INSERT per entry would dominate the time."""
    if getattr(_local, "buffer", None) is not None:
        _local.buffer.extend((actor, spec) for spec in entries)
        return len(entries)
    return len(_append([(actor, spec) for spec in entries]))
