"""Reads of policies and parameters, and the compiled catalogue the screening uses.

Parsing every policy file and compiling the plan costs milliseconds, far too much for each household
page, so the catalogue, the parameter specs and the plans are kept in this process and rebuilt only
when the database's fingerprint of approved rows changes (one cheap aggregate per table). Every
web worker thus sees an approval at its next request.
"""

import dataclasses
import datetime as dt
import threading
import time
from dataclasses import dataclass

from django.db.models import Count, Max, Q, Sum

from zhongfu.common.errors import NotFound

from .engine import Catalogue, ParameterSet, ParameterSpec, load_policy
from .engine import ParameterValue as DatedValue
from .models import Parameter, ParameterValue, Policy, PolicyVersion, Status

_lock = threading.Lock()
_cache: dict = {}
_MAX_PLANS = 16


# How long a process trusts its last look at the approved rows. Approvals clear this process's cache at
# once (services call cache_clear); other web workers see an approval within this many seconds, and
# the household page saves four aggregate queries per request.
FINGERPRINT_TTL = 1.0


def _fingerprint(model) -> tuple:
    key = ("fingerprint", model.__name__)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < FINGERPRINT_TTL:
            return hit[1]
    row = model.objects.filter(status=Status.APPROVED).aggregate(n=Count("id"), s=Sum("id"), t=Max("decided_at"))
    value = (row["n"], row["s"], row["t"])
    with _lock:
        _cache[key] = (now, value)
    return value


def _cached(name: str, fingerprint: tuple, build):
    with _lock:
        hit = _cache.get(name)
        if hit is not None and hit[0] == fingerprint:
            return hit[1]
    value = build()
    with _lock:
        _cache[name] = (fingerprint, value)
    return value


# --- parameters ---------------------------------------------------------------------------------


def _spec(parameter: Parameter, values) -> ParameterSpec:
    return ParameterSpec(
        key=parameter.key,
        label={"zh": parameter.label_zh, "en": parameter.label_en},
        unit=parameter.unit,
        reference=parameter.reference,
        values=tuple(values),
    )


def _build_specs() -> dict:
    by_parameter: dict[int, list] = {}
    rows = ParameterValue.objects.filter(status=Status.APPROVED).order_by("parameter_id", "start_date")
    for pv in rows.only("parameter_id", "start_date", "value", "reference"):
        by_parameter.setdefault(pv.parameter_id, []).append(
            DatedValue(start=pv.start_date, value=pv.value, reference=pv.reference)
        )
    return {p.key: _spec(p, by_parameter[p.pk]) for p in Parameter.objects.filter(pk__in=by_parameter).order_by("key")}


def parameter_specs() -> dict:
    """dict[key, ParameterSpec] of the approved values, oldest first."""
    return _cached("specs", _fingerprint(ParameterValue), _build_specs)


def parameter_set(on: dt.date) -> ParameterSet:
    """The parameter values in force on a date."""
    return ParameterSet.at(parameter_specs(), on)


def _with_values(specs: dict, on: dt.date, overrides: dict, new_parameters: dict | None = None) -> dict:
    """The specs with each overridden key's value in force from `on` (a proposal applied as if approved)."""
    specs = dict(specs)
    for key, value in overrides.items():
        spec = specs.get(key)
        if spec is None:
            parameter = (new_parameters or {}).get(key)
            if parameter is None:
                raise NotFound(field="key")
            spec = _spec(parameter, ())
        values = [v for v in spec.values if v.start != on]
        values.append(DatedValue(start=on, value=value, reference=""))
        specs[key] = dataclasses.replace(spec, values=tuple(sorted(values, key=lambda v: v.start)))
    return specs


# --- policies -----------------------------------------------------------------------------------


def _current_versions():
    return PolicyVersion.objects.filter(status=Status.APPROVED, retires=False).select_related("policy")


def _build_policies() -> dict:
    return {v.policy.code: load_policy(v.text) for v in _current_versions().order_by("policy__code")}


def _policies_by_code() -> dict:
    return _cached("policies", _fingerprint(PolicyVersion), _build_policies)


def current_policies() -> list:
    """The PolicyDefinition of every policy in force, by code."""
    return list(_policies_by_code().values())


def current_catalogue() -> Catalogue:
    """The catalogue of the policies in force, checked (references, precedence, cycles)."""
    return _cached("catalogue", _fingerprint(PolicyVersion), lambda: Catalogue(current_policies()))


def catalogue_plan(
    on: dt.date,
    *,
    overrides: dict | None = None,
    replacing: dict | None = None,
    new_parameters: dict | None = None,
):
    """The plan for a date, optionally with proposals applied: `overrides` {key: value} (a parameter
    value as if in force on `on`; `new_parameters` {key: Parameter} gives unit and label of a key not
    approved yet) and `replacing` {code: PolicyDefinition or None} (a policy version in place of the
    current one, or the policy left out). Raises the engine's PolicyError when it does not plan."""
    specs = parameter_specs()
    if overrides:
        specs = _with_values(specs, on, overrides, new_parameters)
    if replacing:
        policies = {**_policies_by_code(), **replacing}
        catalogue = Catalogue([d for d in policies.values() if d is not None])
    else:
        catalogue = current_catalogue()
    return catalogue.plan(ParameterSet.at(specs, on))


def plan_for(on: dt.date, overrides: dict | None = None):
    """The compiled plan of the catalogue in force with the parameters of `on`; `overrides`
    {key: value} applies proposed values as if in force (the standard simulation)."""
    if overrides:
        return catalogue_plan(on, overrides=overrides)
    fingerprint = (_fingerprint(PolicyVersion), _fingerprint(ParameterValue), on)

    def build():
        return catalogue_plan(on)

    with _lock:
        plans = _cache.setdefault("plans", {})
        hit = plans.get(fingerprint)
    if hit is not None:
        return hit
    plan = build()
    with _lock:
        plans = _cache["plans"]
        if len(plans) >= _MAX_PLANS:
            plans.clear()
        plans[fingerprint] = plan
    return plan


def cache_clear() -> None:
    with _lock:
        _cache.clear()


# --- pages and API ------------------------------------------------------------------------------


@dataclass
class PolicyRow:
    policy: Policy
    definition: object | None  # the PolicyDefinition in force; None for a retired or not yet approved policy
    current: PolicyVersion | None
    pending: int

    @property
    def retired(self) -> bool:
        return self.current is not None and self.current.retires


def _display_definitions() -> dict:
    """The definitions in force with their settled types (from the catalogue); each on its own when
    the catalogue does not hold together, so that the pages still show what is stored."""
    from .engine import PolicyError

    try:
        return current_catalogue().policies
    except PolicyError:
        loaded = {}
        for version in _current_versions():
            try:
                loaded[version.policy.code] = load_policy(version.text)
            except PolicyError:
                continue
        return loaded


def policy_rows() -> list[PolicyRow]:
    """Every policy with its version in force and the number of proposals waiting."""
    definitions = _display_definitions()
    current = {v.policy_id: v for v in PolicyVersion.objects.filter(status=Status.APPROVED)}
    policies = Policy.objects.annotate(pending=Count("versions", filter=Q(versions__status=Status.PROPOSED)))
    return [
        PolicyRow(policy=p, definition=definitions.get(p.code), current=current.get(p.pk), pending=p.pending)
        for p in policies.order_by("code")
    ]


def policy_get(code: str) -> PolicyRow:
    policy = Policy.objects.filter(code=code).first()
    if policy is None:
        raise NotFound()
    current = policy.versions.filter(status=Status.APPROVED).first()
    return PolicyRow(
        policy=policy,
        definition=_display_definitions().get(code),
        current=current,
        pending=policy.versions.filter(status=Status.PROPOSED).count(),
    )


def policy_versions(policy: Policy):
    """Every version, newest first, with who proposed and decided."""
    return policy.versions.select_related("proposed_by", "decided_by").order_by("-id")


def policy_version_get(version_id: int) -> PolicyVersion:
    version = PolicyVersion.objects.select_related("policy", "proposed_by", "decided_by").filter(pk=version_id).first()
    if version is None:
        raise NotFound()
    return version


def version_definition(version: PolicyVersion):
    """The PolicyDefinition of any stored version (None when the engine no longer loads it)."""
    from .engine import PolicyError

    try:
        return load_policy(version.text)
    except PolicyError:
        return None


def version_previous(version: PolicyVersion) -> PolicyVersion | None:
    """The version before this one that was in force (approved or superseded), to compare with."""
    return (
        version.policy.versions.filter(pk__lt=version.pk, status__in=[Status.APPROVED, Status.SUPERSEDED])
        .order_by("-pk")
        .first()
    )


@dataclass
class ParameterRow:
    parameter: Parameter
    in_force: ParameterValue | None
    pending: int


def value_in_force(parameter: Parameter, on: dt.date) -> ParameterValue | None:
    return (
        parameter.values.filter(status=Status.APPROVED, start_date__lte=on)
        .order_by("-start_date")
        .select_related("decided_by")
        .first()
    )


def parameter_rows(on: dt.date) -> list[ParameterRow]:
    """Every parameter with the value in force on a date and the number of proposals waiting."""
    in_force: dict[int, ParameterValue] = {}
    for pv in ParameterValue.objects.filter(status=Status.APPROVED, start_date__lte=on).order_by("start_date"):
        in_force[pv.parameter_id] = pv
    parameters = Parameter.objects.annotate(pending=Count("values", filter=Q(values__status=Status.PROPOSED)))
    return [
        ParameterRow(parameter=p, in_force=in_force.get(p.pk), pending=p.pending) for p in parameters.order_by("key")
    ]


def parameter_get(key: str) -> Parameter:
    parameter = Parameter.objects.filter(key=key).first()
    if parameter is None:
        raise NotFound()
    return parameter


def parameter_history(parameter: Parameter):
    """Every value ever proposed, latest start date first: approved, superseded, pending, rejected, withdrawn."""
    return parameter.values.select_related("proposed_by", "decided_by").order_by("-start_date", "-id")


def parameter_value_get(value_id: int) -> ParameterValue:
    pv = ParameterValue.objects.select_related("parameter", "proposed_by", "decided_by").filter(pk=value_id).first()
    if pv is None:
        raise NotFound()
    return pv


@dataclass
class PendingApprovals:
    values: list[ParameterValue]
    versions: list[PolicyVersion]

    @property
    def count(self) -> int:
        return len(self.values) + len(self.versions)


def pending_approvals() -> PendingApprovals:
    """Proposals waiting for a checker, oldest first."""
    return PendingApprovals(
        values=list(
            ParameterValue.objects.filter(status=Status.PROPOSED)
            .select_related("parameter", "proposed_by")
            .order_by("proposed_at", "id")
        ),
        versions=list(
            PolicyVersion.objects.filter(status=Status.PROPOSED)
            .select_related("policy", "proposed_by")
            .order_by("proposed_at", "id")
        ),
    )


# --- for other apps (screening, casework) -------------------------------------------------------


def _in_language(label: dict) -> str:
    from django.utils.translation import get_language

    lang = "zh" if (get_language() or "zh").lower().startswith("zh") else "en"
    return str(label.get(lang) or label.get("zh") or "")


def policy_names() -> dict[str, str]:
    """{code: name in the current language} of the policies in force."""
    return {code: _in_language(d.name) or code for code, d in _policies_by_code().items()}


def parameter_choices() -> list[tuple[str, str, str]]:
    """(key, label in the current language, unit) of every parameter with an approved value."""
    return [(key, _in_language(spec.label) or key, spec.unit) for key, spec in parameter_specs().items()]


def policy_version_texts(hashes) -> dict[str, str]:
    """{version_hash: text} of stored versions, in any status (to replay a past determination)."""
    wanted = set(hashes)
    return dict(PolicyVersion.objects.filter(version_hash__in=wanted).values_list("version_hash", "text"))
