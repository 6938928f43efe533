"""Appending to the audit log and verifying its chain."""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry

GENESIS = "0" * 64
# Any constant: the advisory lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 0x7A6866


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
    """Append one entry. Must run inside the caller's transaction so the entry and the change commit together."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        prev_hash = last["hash"] if last else GENESIS
        entry = AuditEntry(
            seq=(last["seq"] + 1) if last else 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=(actor.get_username() if getattr(actor, "pk", None) else str(actor or "system")),
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            household_id=household_id,
            region_code=region_code,
            before=before,
            after=after,
            reason=reason,
            prev_hash=prev_hash,
        )
        entry.hash = _digest(prev_hash, entry)
        entry.save(force_insert=True)
        return entry


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
    if not entries:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
        last = AuditEntry.objects.order_by("-seq").values("seq", "hash").first()
        prev_hash, seq = (last["hash"], last["seq"]) if last else (GENESIS, 0)
        at = timezone.now()
        actor_obj = actor if getattr(actor, "pk", None) else None
        actor_name = actor.get_username() if actor_obj else str(actor or "system")
        rows = []
        for spec in entries:
            seq += 1
            entry = AuditEntry(
                seq=seq,
                at=at,
                actor=actor_obj,
                actor_name=actor_name,
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
            entry.hash = _digest(prev_hash, entry)
            prev_hash = entry.hash
            rows.append(entry)
        AuditEntry.objects.bulk_create(rows, batch_size=1000)
        return len(rows)
