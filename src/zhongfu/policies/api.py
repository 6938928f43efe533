"""Policies and parameters in the JSON API. Thin, like the pages: parse, call a selector or a service, shape.

Reading needs `policies.view_policy`; proposing and deciding go through the same services as the pages,
so maker-checker holds here too (your own proposal cannot be approved by you: 403). A parameter value
is a plain number in its unit (`fen` is integer fen, `ratio` a decimal). A policy file the engine
refuses is a 422 whose `detail` names the variable and the position.
"""

import datetime as dt
from typing import Annotated

from ninja import Field, Path, Router, Schema, Status
from pydantic import BaseModel, ConfigDict, StringConstraints

from zhongfu.accounts.roles import VIEW_POLICY
from zhongfu.common.errors import PermissionDenied

from . import selectors, services
from .models import ParameterUnit, ParameterValue, PolicyVersion
from .models import Status as ChangeStatus

router = Router(tags=["policies"])

MAX_ID = 2**63 - 1
_NO_NUL = r"^[^\x00]*$"


def Text(max_length: int, min_length: int = 0):  # noqa: N802 (a type factory)
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length, pattern=_NO_NUL)]


Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Code = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
Key = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$", max_length=100)]
Number = Annotated[int, Field(ge=-(10**15), le=10**15)] | Annotated[float, Field(allow_inf_nan=False)]


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicyProposalIn(Input):
    text: Text(50_000, 1) = Field(..., description="the policy file (YAML), see docs/policies.md")
    note: Text(500) = ""


class ValueProposalIn(Input):
    start_date: dt.date | None = Field(None, description="the date the value is in force from (required)")
    value: Number = Field(..., description="in the parameter's unit: integer fen for money, a decimal for a ratio")
    reference: Text(500) = ""
    note: Text(500) = ""
    unit: ParameterUnit | None = Field(None, description="only for a new parameter: its unit")
    label_zh: Text(200) = Field("", description="only for a new parameter: its Chinese label")
    label_en: Text(200) = ""


class DecisionIn(Input):
    note: Text(500) = Field("", description="required to reject")


# --- output -------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str
    field: str | None = None
    errors: list[dict] | None = None


class Label(Schema):
    zh: str = ""
    en: str = ""


class VersionOut(Schema):
    id: int
    code: str
    status: ChangeStatus
    version_hash: str
    retires: bool
    note: str
    proposed_by: str | None = Field(..., description="null: the system (shipped catalogue)")
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class PolicyOut(Schema):
    code: str
    name: Label | None
    aid_type: str | None
    unit: str | None
    deciding_level: str | None
    period: str | None
    source: str | None
    is_local: bool
    in_force: bool
    retired: bool
    version_hash: str | None
    in_force_since: dt.datetime | None
    pending: int


class VariableOut(Schema):
    name: str
    label: Label
    unit: str | None
    type: str
    expr: str


class PolicyDetailOut(PolicyOut):
    displaced_by: list[str]
    requires_not: list[str]
    criteria: list[str]
    variables: list[VariableOut]
    text: str | None
    versions: list[VersionOut]


class ValueOut(Schema):
    id: int
    key: str
    start_date: dt.date
    value: int | float | None
    reference: str
    status: ChangeStatus
    note: str
    proposed_by: str | None = Field(..., description="null: the system (shipped catalogue)")
    proposed_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str


class ParameterOut(Schema):
    key: str
    label: Label
    unit: ParameterUnit
    reference: str
    is_local: bool
    value: int | float | None = Field(..., description="the value in force today, in the unit")
    value_start_date: dt.date | None
    value_reference: str | None
    pending: int


class ParameterDetailOut(ParameterOut):
    history: list[ValueOut]


# --- shaping ------------------------------------------------------------------------------------


def _who(user) -> str | None:
    return str(user) if user is not None else None


def _version_out(v: PolicyVersion, code: str) -> dict:
    return {
        "id": v.pk,
        "code": code,
        "status": v.status,
        "version_hash": v.version_hash,
        "retires": v.retires,
        "note": v.note,
        "proposed_by": _who(v.proposed_by),
        "proposed_at": v.proposed_at,
        "decided_by": _who(v.decided_by),
        "decided_at": v.decided_at,
        "decision_note": v.decision_note,
    }


def _policy_out(row: selectors.PolicyRow) -> dict:
    d = row.definition
    in_force = d is not None and row.current is not None and not row.retired
    return {
        "code": row.policy.code,
        "name": dict(d.name) if d else None,
        "aid_type": d.aid_type if d else None,
        "unit": d.unit if d else None,
        "deciding_level": d.deciding_level if d else None,
        "period": d.period if d else None,
        "source": d.source if d else None,
        "is_local": row.policy.is_local,
        "in_force": in_force,
        "retired": row.retired,
        "version_hash": row.current.version_hash if in_force else None,
        "in_force_since": row.current.decided_at if in_force else None,
        "pending": row.pending,
    }


def _value_out(v: ParameterValue, key: str) -> dict:
    return {
        "id": v.pk,
        "key": key,
        "start_date": v.start_date,
        "value": v.value,
        "reference": v.reference,
        "status": v.status,
        "note": v.note,
        "proposed_by": _who(v.proposed_by),
        "proposed_at": v.proposed_at,
        "decided_by": _who(v.decided_by),
        "decided_at": v.decided_at,
        "decision_note": v.decision_note,
    }


def _parameter_out(row: selectors.ParameterRow) -> dict:
    p, v = row.parameter, row.in_force
    return {
        "key": p.key,
        "label": {"zh": p.label_zh, "en": p.label_en},
        "unit": p.unit,
        "reference": p.reference,
        "is_local": p.is_local,
        "value": v.value if v else None,
        "value_start_date": v.start_date if v else None,
        "value_reference": (v.reference or p.reference) if v else None,
        "pending": row.pending,
    }


def _require_view(user) -> None:
    if not user.has_perm(VIEW_POLICY):
        raise PermissionDenied()


def _today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()


# --- endpoints ----------------------------------------------------------------------------------

E = ErrorOut
LIST_ERRORS = frozenset({401, 403, 422})
READ_ERRORS = frozenset({401, 403, 404, 422})
WRITE_ERRORS = frozenset({400, 401, 403, 404, 422})


@router.get("/policies", response={200: list[PolicyOut], LIST_ERRORS: E}, summary="Policies")
def policy_list(request):
    """Every policy: the version in force, or none for a retired or not yet approved one, and how many
    proposals wait."""
    _require_view(request.auth)
    return [_policy_out(row) for row in selectors.policy_rows()]


@router.post("/policies", response={201: VersionOut, WRITE_ERRORS: E}, summary="Propose a policy version")
def policy_propose(request, payload: PolicyProposalIn):
    """A new version of the policy the file's `code` names, or a new local policy for a new code.
    Another administrator must approve it."""
    version = services.policy_version_propose(actor=request.auth, text=payload.text, note=payload.note)
    return Status(201, _version_out(version, version.policy.code))


@router.get("/policies/{code}", response={200: PolicyDetailOut, READ_ERRORS: E}, summary="A policy")
def policy_detail(request, code: Code):
    _require_view(request.auth)
    row = selectors.policy_get(code)
    d = row.definition
    return {
        **_policy_out(row),
        "displaced_by": list(d.displaced_by) if d else [],
        "requires_not": list(d.requires_not) if d else [],
        "criteria": list(d.criteria) if d else [],
        "variables": [
            {"name": name, "label": dict(v.label), "unit": v.unit, "type": v.type, "expr": v.expr}
            for name, v in (d.variables.items() if d else ())
        ],
        "text": row.current.text if row.current else None,
        "versions": [_version_out(v, code) for v in selectors.policy_versions(row.policy)],
    }


@router.post("/policy-versions/{version_id}/approve", response={200: VersionOut, WRITE_ERRORS: E}, summary="Approve")
def policy_version_approve(request, version_id: Id, payload: DecisionIn):
    """Approve another administrator's proposal: it becomes the version in force."""
    version = services.policy_version_approve(actor=request.auth, version_id=version_id, note=payload.note)
    return _version_out(version, version.policy.code)


@router.post("/policy-versions/{version_id}/reject", response={200: VersionOut, WRITE_ERRORS: E}, summary="Reject")
def policy_version_reject(request, version_id: Id, payload: DecisionIn):
    version = services.policy_version_reject(actor=request.auth, version_id=version_id, note=payload.note)
    return _version_out(version, version.policy.code)


@router.get("/parameters", response={200: list[ParameterOut], LIST_ERRORS: E}, summary="Parameters")
def parameter_list(request):
    """Every parameter with the value in force today."""
    _require_view(request.auth)
    return [_parameter_out(row) for row in selectors.parameter_rows(_today())]


@router.get("/parameters/{key}", response={200: ParameterDetailOut, READ_ERRORS: E}, summary="A parameter")
def parameter_detail(request, key: Key):
    """The parameter with every value ever proposed (approved, superseded, pending, rejected, withdrawn)."""
    _require_view(request.auth)
    parameter = selectors.parameter_get(key)
    row = selectors.ParameterRow(
        parameter=parameter,
        in_force=selectors.value_in_force(parameter, _today()),
        pending=parameter.values.filter(status=ChangeStatus.PROPOSED).count(),
    )
    return {**_parameter_out(row), "history": [_value_out(v, key) for v in selectors.parameter_history(parameter)]}


@router.post("/parameters/{key}/values", response={201: ValueOut, WRITE_ERRORS: E}, summary="Propose a parameter value")
def parameter_value_propose(request, key: Key, payload: ValueProposalIn):
    """A dated value; for a key that does not exist yet, give `unit` and `label_zh` to create it.
    Another administrator must approve it."""
    value = services.parameter_value_propose(
        actor=request.auth,
        key=key,
        start_date=payload.start_date,
        value=payload.value,
        reference=payload.reference,
        note=payload.note,
        unit=payload.unit.value if payload.unit else "",
        label_zh=payload.label_zh,
        label_en=payload.label_en,
    )
    return Status(201, _value_out(value, key))


@router.post("/parameter-values/{value_id}/approve", response={200: ValueOut, WRITE_ERRORS: E}, summary="Approve")
def parameter_value_approve(request, value_id: Id, payload: DecisionIn):
    """Approve another administrator's proposal; it replaces an approved value with the same start date."""
    value = services.parameter_value_approve(actor=request.auth, value_id=value_id, note=payload.note)
    return _value_out(value, value.parameter.key)


@router.post("/parameter-values/{value_id}/reject", response={200: ValueOut, WRITE_ERRORS: E}, summary="Reject")
def parameter_value_reject(request, value_id: Id, payload: DecisionIn):
    value = services.parameter_value_reject(actor=request.auth, value_id=value_id, note=payload.note)
    return _value_out(value, value.parameter.key)
