"""Writes to the risk model: proposals and decisions (maker-checker), and the shipped model.

As for policies (policies/services.py): a city administrator proposes a model file, another approves it;
the file is checked when proposed and again when approved; the approved version retires the one in force.
Every step appends to the audit log in the same transaction.
"""

from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import APPROVE_POLICY_CHANGE, PROPOSE_POLICY_CHANGE
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied

from .models import RiskModelStatus, RiskModelVersion
from .riskmodel import RiskModelError, load_risk_model

A = AuditEntry.Action
S = RiskModelStatus
MAX_TEXT = 50_000
SHIPPED_DIR = Path(__file__).parent / "risk_models"
OBJECT_TYPE = "risk_model_version"


class RiskModelInvalid(InvalidInput):
    """A model file the checker refuses; `error` keeps the signal, key, line and column."""

    default_message = _("The risk model file is not valid.")

    def __init__(self, error: RiskModelError, *, field: str = "content"):
        self.error = error
        super().__init__(str(error), field=field)


def _require(actor, perm: str) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDenied()


def _text(value, *, field: str, max_length: int = 500, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > max_length or "\x00" in text:
        raise InvalidInput(_("At most %(n)s characters."), field=field, n=max_length)
    return text


def _load(content: str, field: str = "content"):
    try:
        return load_risk_model(content)
    except RiskModelError as error:
        raise RiskModelInvalid(error, field=field) from None


def _snapshot(version: RiskModelVersion) -> dict:
    return {"code": version.code, "content_hash": version.content_hash, "status": version.status}


@transaction.atomic
def risk_model_propose(*, actor, content: str, note: str = "") -> RiskModelVersion:
    """Propose a risk model file (a new version of the model its `code` names)."""
    _require(actor, PROPOSE_POLICY_CHANGE)
    content = (content or "").replace("\r\n", "\n")
    if not content.strip():
        raise InvalidInput(_("This field is required."), field="content")
    if len(content) > MAX_TEXT or "\x00" in content:
        raise InvalidInput(_("At most %(n)s characters."), field="content", n=MAX_TEXT)
    note = _text(note, field="note")
    model = _load(content)
    versions = RiskModelVersion.objects.filter(code=model.code, content_hash=model.content_hash)
    if versions.filter(status=S.APPROVED).exists():
        raise InvalidInput(_("This is the version in force: nothing changes."), field="content")
    if versions.filter(status=S.PROPOSED).exists():
        raise InvalidInput(_("The same version is already waiting for approval."), field="content")
    version = RiskModelVersion.objects.create(
        code=model.code,
        content=content,
        content_hash=model.content_hash,
        note=note,
        status=S.PROPOSED,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=A.PROPOSE,
        object_type=OBJECT_TYPE,
        object_id=version.pk,
        after=_snapshot(version),
        reason=note,
    )
    return version


def _pending(version_id: int) -> RiskModelVersion:
    version = RiskModelVersion.objects.select_for_update().filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    if version.status != S.PROPOSED:
        raise InvalidInput(
            _("This proposal is no longer pending (%(status)s)."), field="proposal", status=version.get_status_display()
        )
    return version


def _not_self(actor, version: RiskModelVersion) -> None:
    if version.proposed_by_id is not None and version.proposed_by_id == actor.pk:
        raise PermissionDenied(
            _("You proposed this change: another administrator must approve or reject it."), field="proposal"
        )


def _approve(actor, version: RiskModelVersion, note: str) -> RiskModelVersion:
    now = timezone.now()
    approver = actor if getattr(actor, "pk", None) else None
    for old in RiskModelVersion.objects.select_for_update().filter(code=version.code, status=S.APPROVED):
        before = _snapshot(old)
        old.status, old.valid_until = S.RETIRED, now
        old.save(update_fields=["status", "valid_until"])
        audit_record(
            actor=approver,
            action=A.UPDATE,
            object_type=OBJECT_TYPE,
            object_id=old.pk,
            before=before,
            after=_snapshot(old),
            reason=str(_("replaced by a newer approved version")),
        )
    before = _snapshot(version)
    version.status, version.approved_by, version.decided_at = S.APPROVED, approver, now
    version.decision_note, version.valid_from = note, now
    version.save(update_fields=["status", "approved_by", "decided_at", "decision_note", "valid_from"])
    audit_record(
        actor=approver,
        action=A.APPROVE,
        object_type=OBJECT_TYPE,
        object_id=version.pk,
        before=before,
        after=_snapshot(version),
        reason=note,
    )
    return version


@transaction.atomic
def risk_model_approve(*, actor, version_id: int, note: str = "") -> RiskModelVersion:
    """Approve another administrator's proposal: it is in force from now and retires the previous version."""
    _require(actor, APPROVE_POLICY_CHANGE)
    version = _pending(version_id)
    _not_self(actor, version)
    note = _text(note, field="note")
    _load(version.content, field="proposal")
    return _approve(actor, version, note)


@transaction.atomic
def risk_model_reject(*, actor, version_id: int, note: str) -> RiskModelVersion:
    _require(actor, APPROVE_POLICY_CHANGE)
    version = _pending(version_id)
    _not_self(actor, version)
    note = _text(note, field="note", required=True)
    before = _snapshot(version)
    version.status, version.approved_by, version.decided_at, version.decision_note = (
        S.REJECTED,
        actor,
        timezone.now(),
        note,
    )
    version.save(update_fields=["status", "approved_by", "decided_at", "decision_note"])
    audit_record(
        actor=actor,
        action=A.REJECT,
        object_type=OBJECT_TYPE,
        object_id=version.pk,
        before=before,
        after=_snapshot(version),
        reason=note,
    )
    return version


@transaction.atomic
def risk_model_sync(*, directory: Path | None = None) -> list[RiskModelVersion]:
    """Add the shipped model files not yet in the database. With no approved version of its model, a
    file is approved by the system; otherwise it waits as a proposal, so an administrator's approved
    change is never overridden."""
    added = []
    for path in sorted((directory or SHIPPED_DIR).glob("*.yaml")):
        content = path.read_text(encoding="utf-8")
        model = load_risk_model(content)  # a shipped file that does not check is a bug: let it raise
        if RiskModelVersion.objects.filter(code=model.code, content_hash=model.content_hash).exists():
            continue
        version = RiskModelVersion.objects.create(
            code=model.code,
            content=content,
            content_hash=model.content_hash,
            note="shipped",
            status=S.PROPOSED,
            proposed_at=timezone.now(),
        )
        audit_record(
            actor=None,
            action=A.PROPOSE,
            object_type=OBJECT_TYPE,
            object_id=version.pk,
            after=_snapshot(version),
            reason="shipped",
        )
        if not RiskModelVersion.objects.filter(code=model.code, status=S.APPROVED).exists():
            _approve(None, version, "shipped")
        added.append(version)
    return added
