"""Writes to policies and parameters: proposals, decisions (maker-checker) and the shipped catalogue.

A change is proposed by one city administrator and takes effect only when another approves it. Each
proposal is checked when made and again when approved (the catalogue may have changed in between):
the policy file must load, the catalogue must hold together (references, precedence, no cycles) and
plan with the parameters in force. Every write appends to the audit log in its own transaction.
"""

import datetime as dt
import math
import re

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhongfu.accounts.roles import APPROVE_POLICY_CHANGE, PROPOSE_POLICY_CHANGE
from zhongfu.audit.models import AuditEntry
from zhongfu.audit.services import audit_record, audit_record_many
from zhongfu.common.errors import InvalidInput, NotFound, PermissionDenied

from . import selectors, shipped
from .engine import PolicyError, load_policy
from .models import INTEGER_UNITS, Parameter, ParameterUnit, ParameterValue, Policy, PolicyVersion, Status

A = AuditEntry.Action
MAX_FEN = 10**12  # ten billion yuan: far above any standard, far below what the column holds
MAX_COUNT = 10**6
MAX_TEXT = 50_000
# Words the policy pages use in their addresses (/policies/new/ …).
RESERVED_CODES = frozenset({"new", "parameters", "approvals", "versions"})
_KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class PolicyInvalid(InvalidInput):
    """A policy file the engine refuses; `error` keeps the engine's variable, line and column."""

    default_message = _("The policy file is not valid.")

    def __init__(self, error: PolicyError, *, field: str = "text"):
        self.error = error
        super().__init__(policy_error_text(error), field=field)


def policy_error_text(error: PolicyError) -> str:
    """The engine's message with where it is: the policy, the variable, the line and column."""
    return str(error)


def _require(actor, perm: str) -> None:
    if actor is None or not actor.is_authenticated or not actor.has_perm(perm):
        raise PermissionDenied()


def _not_self(actor, proposed_by_id) -> None:
    if proposed_by_id is not None and proposed_by_id == actor.pk:
        raise PermissionDenied(
            _("You proposed this change: another administrator must approve or reject it."), field="proposal"
        )


def _prefixes(key: str) -> list[str]:
    """ "a.b.c" → ["a", "a.b"]."""
    parts = key.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _text(value, *, field: str, max_length: int = 500, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(_("This field is required."), field=field)
    if len(text) > max_length or "\x00" in text:
        raise InvalidInput(_("At most %(n)s characters."), field=field, n=max_length)
    return text


# --- parameter values ---------------------------------------------------------------------------


def parameter_value_check(*, unit: str, value, field: str = "value"):
    """The value as stored: an int for money, counts, months and years; a float for a ratio; positive."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(_("Enter a number."), field=field)
    if unit in INTEGER_UNITS:
        if isinstance(value, float):
            if not value.is_integer():
                message = (
                    _("A sum of money is a whole number of fen.")
                    if unit == ParameterUnit.FEN
                    else _("Enter a whole number.")
                )
                raise InvalidInput(message, field=field)
            value = int(value)
        if value <= 0:
            raise InvalidInput(
                _("A standard must be greater than zero: %(value)s is refused.")
                if unit == ParameterUnit.FEN
                else _("The value must be greater than zero: %(value)s is refused."),
                field=field,
                value=value,
            )
        if value > (MAX_FEN if unit == ParameterUnit.FEN else MAX_COUNT):
            raise InvalidInput(_("The value is too large."), field=field)
        return value
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(_("A ratio must be greater than zero: %(value)s is refused."), field=field, value=value)
    if value > MAX_COUNT:
        raise InvalidInput(_("The value is too large."), field=field)
    return value


def _check_plans_with(parameter: Parameter, start_date: dt.date, value, *, field: str = "value") -> None:
    """The whole catalogue still plans with this value in force. Checked on the later of its start date
    and today: an early start date may precede other parameters' first values, which is not this
    value's fault."""
    on = max(start_date, timezone.localdate())
    try:
        selectors.catalogue_plan(on, overrides={parameter.key: value}, new_parameters={parameter.key: parameter})
    except PolicyError as error:
        raise PolicyInvalid(error, field=field) from None


def _parameter_snapshot(parameter: Parameter) -> dict:
    return {
        "unit": parameter.unit,
        "label_zh": parameter.label_zh,
        "label_en": parameter.label_en,
        "parameter_reference": parameter.reference,
    }


def _value_snapshot(pv: ParameterValue) -> dict:
    return {
        "key": pv.parameter.key,
        "start_date": pv.start_date.isoformat(),
        "value": pv.value,
        "reference": pv.reference,
        "status": pv.status,
    }


@transaction.atomic
def parameter_value_propose(
    *,
    actor,
    key: str,
    start_date: dt.date | None,
    value,
    reference: str = "",
    note: str = "",
    unit: str = "",
    label_zh: str = "",
    label_en: str = "",
) -> ParameterValue:
    """Propose a dated value for a parameter. For a parameter that does not exist yet (one a new local
    policy will read), give its unit and Chinese label too: it is created with the proposal."""
    _require(actor, PROPOSE_POLICY_CHANGE)
    key = (key or "").strip()
    parameter = Parameter.objects.filter(key=key).first()
    if parameter is None:
        if not unit:
            raise NotFound(_("No parameter %(key)s."), field="key", key=key)
        if not _KEY_RE.match(key) or len(key) > 100:
            raise InvalidInput(
                _("A parameter key is lower-case words joined by dots, such as dibao.standard."), field="key"
            )
        clash = Parameter.objects.filter(Q(key__startswith=f"{key}.") | Q(key__in=_prefixes(key))).first()
        if clash is not None:
            raise InvalidInput(
                _("The key %(key)s clashes with the parameter %(other)s: a key cannot be a group of others."),
                field="key",
                key=key,
                other=clash.key,
            )
        if unit not in ParameterUnit.values:
            raise InvalidInput(_("Not an allowed value: %(value)s"), field="unit", value=unit)
        parameter = Parameter(
            key=key,
            unit=unit,
            label_zh=_text(label_zh, field="label_zh", max_length=200, required=True),
            label_en=_text(label_en, field="label_en", max_length=200),
            reference=_text(reference, field="reference"),
            is_local=True,
        )
    if start_date is None or start_date == "":
        raise InvalidInput(_("A value needs the date it is in force from."), field="start_date")
    if not isinstance(start_date, dt.date):
        raise InvalidInput(_("Enter a valid date."), field="start_date")
    value = parameter_value_check(unit=parameter.unit, value=value)
    reference = _text(reference, field="reference")
    note = _text(note, field="note")
    if parameter.pk and parameter.values.filter(start_date=start_date, status=Status.APPROVED, value=value).exists():
        raise InvalidInput(_("This value is already in force from that date."), field="value")
    _check_plans_with(parameter, start_date, value)
    new_parameter = parameter.pk is None
    if new_parameter:
        parameter.save()
    pv = ParameterValue.objects.create(
        parameter=parameter,
        start_date=start_date,
        value=value,
        reference=reference,
        note=note,
        status=Status.PROPOSED,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=A.PROPOSE,
        object_type="parameter_value",
        object_id=pv.pk,
        after=_value_snapshot(pv) | (_parameter_snapshot(parameter) if new_parameter else {}),
        reason=note,
    )
    return pv


def _pending_value(value_id: int) -> ParameterValue:
    pv = ParameterValue.objects.select_for_update().filter(pk=value_id).first()
    if pv is None:
        raise NotFound()
    if pv.status != Status.PROPOSED:
        raise InvalidInput(
            _("This proposal is no longer pending (%(status)s)."), field="proposal", status=pv.get_status_display()
        )
    return pv


_ACTIONS = {
    Status.APPROVED: A.APPROVE,
    Status.REJECTED: A.REJECT,
    Status.WITHDRAWN: A.WITHDRAW,
    Status.SUPERSEDED: A.UPDATE,
}


def _decide(actor, obj, status: str, note: str, object_type: str, snapshot) -> None:
    before = snapshot(obj)
    obj.status = status
    obj.decided_by = actor if getattr(actor, "pk", None) else None
    obj.decided_at = timezone.now()
    obj.decision_note = note
    obj.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    # This process sees the decision at once; commit (or rollback) clears it again for what follows.
    selectors.cache_clear()
    transaction.on_commit(selectors.cache_clear)
    audit_record(
        actor=actor,
        action=_ACTIONS[status],
        object_type=object_type,
        object_id=obj.pk,
        before=before,
        after=snapshot(obj),
        reason=note,
    )


@transaction.atomic
def parameter_value_approve(*, actor, value_id: int, note: str = "") -> ParameterValue:
    """Approve another administrator's proposal; it replaces an approved value with the same start date."""
    _require(actor, APPROVE_POLICY_CHANGE)
    pv = _pending_value(value_id)
    _not_self(actor, pv.proposed_by_id)
    note = _text(note, field="note")
    _check_plans_with(pv.parameter, pv.start_date, pv.value, field="proposal")
    for old in ParameterValue.objects.select_for_update().filter(
        parameter=pv.parameter, start_date=pv.start_date, status=Status.APPROVED
    ):
        _decide(actor, old, Status.SUPERSEDED, old.decision_note, "parameter_value", _value_snapshot)
    _decide(actor, pv, Status.APPROVED, note, "parameter_value", _value_snapshot)
    return pv


@transaction.atomic
def parameter_value_reject(*, actor, value_id: int, note: str) -> ParameterValue:
    _require(actor, APPROVE_POLICY_CHANGE)
    pv = _pending_value(value_id)
    _not_self(actor, pv.proposed_by_id)
    note = _text(note, field="note", required=True)
    _decide(actor, pv, Status.REJECTED, note, "parameter_value", _value_snapshot)
    return pv


@transaction.atomic
def parameter_value_withdraw(*, actor, value_id: int, note: str = "") -> ParameterValue:
    """The proposer takes back a proposal nobody has decided yet."""
    _require(actor, PROPOSE_POLICY_CHANGE)
    pv = _pending_value(value_id)
    if pv.proposed_by_id != actor.pk:
        raise PermissionDenied(_("Only the administrator who proposed it can withdraw a proposal."))
    _decide(actor, pv, Status.WITHDRAWN, _text(note, field="note"), "parameter_value", _value_snapshot)
    return pv


# --- policy versions ----------------------------------------------------------------------------


def _version_snapshot(v: PolicyVersion) -> dict:
    return {
        "code": v.policy.code,
        "version_hash": v.version_hash,
        "retires": v.retires,
        "status": v.status,
    }


def _load(text: str):
    try:
        return load_policy(text)
    except PolicyError as error:
        raise PolicyInvalid(error) from None


def _check_catalogue(*, code: str, definition=None, field: str = "text") -> None:
    """The catalogue holds together and plans with `definition` in place of the current version of
    `code` (or without `code` when `definition` is None: a retirement)."""
    try:
        selectors.catalogue_plan(timezone.localdate(), replacing={code: definition})
    except PolicyError as error:
        raise PolicyInvalid(error, field=field) from None


@transaction.atomic
def policy_version_propose(*, actor, text: str, note: str = "") -> PolicyVersion:
    """Propose a policy file: a new version of the policy its `code` names, or a new local policy."""
    _require(actor, PROPOSE_POLICY_CHANGE)
    text = (text or "").replace("\r\n", "\n")
    if not text.strip():
        raise InvalidInput(_("This field is required."), field="text")
    if len(text) > MAX_TEXT or "\x00" in text:
        raise InvalidInput(_("At most %(n)s characters."), field="text", n=MAX_TEXT)
    note = _text(note, field="note")
    definition = _load(text)
    if definition.code in RESERVED_CODES:
        raise InvalidInput(_("The code %(code)s is reserved: choose another."), field="text", code=definition.code)
    policy = Policy.objects.filter(code=definition.code).first()
    if policy is not None:
        current = policy.versions.filter(status=Status.APPROVED).first()
        if current is not None and not current.retires and current.version_hash == definition.version_hash:
            raise InvalidInput(_("This is the version in force: nothing changes."), field="text")
        if policy.versions.filter(status=Status.PROPOSED, version_hash=definition.version_hash).exists():
            raise InvalidInput(_("The same version is already waiting for approval."), field="text")
    _check_catalogue(code=definition.code, definition=definition)
    if policy is None:
        policy = Policy.objects.create(code=definition.code, is_local=True)
    version = PolicyVersion.objects.create(
        policy=policy,
        text=text,
        version_hash=definition.version_hash,
        note=note,
        status=Status.PROPOSED,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=A.PROPOSE,
        object_type="policy_version",
        object_id=version.pk,
        after=_version_snapshot(version),
        reason=note,
    )
    return version


@transaction.atomic
def policy_retire_propose(*, actor, code: str, note: str) -> PolicyVersion:
    """Propose taking a policy out of the catalogue (its history stays)."""
    _require(actor, PROPOSE_POLICY_CHANGE)
    note = _text(note, field="note", required=True)
    policy = Policy.objects.filter(code=code).first()
    current = policy.versions.filter(status=Status.APPROVED).first() if policy else None
    if current is None or current.retires:
        raise NotFound()
    if policy.versions.filter(status=Status.PROPOSED, retires=True).exists():
        raise InvalidInput(_("The same version is already waiting for approval."), field="proposal")
    _check_catalogue(code=code, definition=None, field="proposal")
    version = PolicyVersion.objects.create(
        policy=policy,
        text=current.text,
        version_hash=current.version_hash,
        retires=True,
        note=note,
        status=Status.PROPOSED,
        proposed_by=actor,
        proposed_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=A.PROPOSE,
        object_type="policy_version",
        object_id=version.pk,
        after=_version_snapshot(version),
        reason=note,
    )
    return version


def _pending_version(version_id: int) -> PolicyVersion:
    version = PolicyVersion.objects.select_for_update().select_related("policy").filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    if version.status != Status.PROPOSED:
        raise InvalidInput(
            _("This proposal is no longer pending (%(status)s)."),
            field="proposal",
            status=version.get_status_display(),
        )
    return version


@transaction.atomic
def policy_version_approve(*, actor, version_id: int, note: str = "") -> PolicyVersion:
    """Approve another administrator's proposal: it becomes the version in force (or retires the policy)."""
    _require(actor, APPROVE_POLICY_CHANGE)
    version = _pending_version(version_id)
    _not_self(actor, version.proposed_by_id)
    note = _text(note, field="note")
    code = version.policy.code
    definition = None if version.retires else _load(version.text)
    _check_catalogue(code=code, definition=definition, field="proposal")
    for old in PolicyVersion.objects.select_for_update().filter(policy=version.policy, status=Status.APPROVED):
        _decide(actor, old, Status.SUPERSEDED, old.decision_note, "policy_version", _version_snapshot)
    _decide(actor, version, Status.APPROVED, note, "policy_version", _version_snapshot)
    return version


@transaction.atomic
def policy_version_reject(*, actor, version_id: int, note: str) -> PolicyVersion:
    _require(actor, APPROVE_POLICY_CHANGE)
    version = _pending_version(version_id)
    _not_self(actor, version.proposed_by_id)
    note = _text(note, field="note", required=True)
    _decide(actor, version, Status.REJECTED, note, "policy_version", _version_snapshot)
    return version


@transaction.atomic
def policy_version_withdraw(*, actor, version_id: int, note: str = "") -> PolicyVersion:
    _require(actor, PROPOSE_POLICY_CHANGE)
    version = _pending_version(version_id)
    if version.proposed_by_id != actor.pk:
        raise PermissionDenied(_("Only the administrator who proposed it can withdraw a proposal."))
    _decide(actor, version, Status.WITHDRAWN, _text(note, field="note"), "policy_version", _version_snapshot)
    return version


# --- the shipped catalogue ----------------------------------------------------------------------


@transaction.atomic
def catalogue_sync(*, directory=None) -> shipped.SyncResult:
    """Add the shipped parameter values and policy versions not yet in the database, as approved by
    the system; never overrides an administrator's approved change (see `shipped.sync`)."""
    result = shipped.sync(
        directory=directory or shipped.CATALOGUE_DIR,
        models=shipped.Models(Parameter, ParameterValue, Policy, PolicyVersion),
    )
    selectors.cache_clear()
    audit_record_many(
        actor=None,
        entries=[
            {"action": A.CREATE, "object_type": object_type, "object_id": pk, "after": after, "reason": "shipped"}
            for object_type, pk, after in result.created
        ],
    )
    return result
