"""The shipped catalogue: the Hangzhou defaults in `catalogue/` (parameters.yaml and one file per
policy), loaded into the database as changes approved by the system.

Loading adds only what is missing — a parameter value by key and start date, a policy version by its
hash — so it can run on every deployment. It never overrides an administrator: a new shipped
version of a policy whose version in force an administrator approved is added as a *proposal*
(proposed by the system), for an administrator to approve or reject.

The functions take the model classes, so the data migration can pass its historical models.
"""

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone

CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"
PARAMETERS_FILE = "parameters.yaml"
SHIPPED = "shipped"
# Status values, spelled out because historical models (migrations) have no choices classes.
APPROVED, PROPOSED, SUPERSEDED = "approved", "proposed", "superseded"


class CatalogueInvalid(Exception):
    """A shipped file the engine refuses: a fault of the release, not of the user."""


MODEL_NAMES = ("Parameter", "ParameterValue", "Policy", "PolicyVersion")


@dataclass
class Models:
    Parameter: type
    ParameterValue: type
    Policy: type
    PolicyVersion: type


@dataclass
class ShippedPolicy:
    filename: str
    text: str
    definition: object


@dataclass
class SyncResult:
    # (object type, id, snapshot) of every row added, for the audit log.
    created: list[tuple[str, int, dict]] = field(default_factory=list)
    parameters_added: int = 0
    values_added: int = 0
    policies_added: int = 0
    versions_added: int = 0
    versions_proposed: int = 0

    def summary(self) -> str:
        return (
            f"parameters added: {self.parameters_added}, values added: {self.values_added}, "
            f"policies added: {self.policies_added}, versions added: {self.versions_added}, "
            f"versions proposed for approval: {self.versions_proposed}"
        )


def read(directory: Path = CATALOGUE_DIR) -> tuple[dict, list[ShippedPolicy]]:
    """The shipped parameter specs and policies, checked by the engine (each file, then together)."""
    from .engine import Catalogue, PolicyError, load_parameters, load_policy

    directory = Path(directory)
    specs: dict = {}
    parameters_path = directory / PARAMETERS_FILE
    if parameters_path.exists():
        try:
            specs = load_parameters(parameters_path.read_text(encoding="utf-8"))
        except PolicyError as error:
            raise CatalogueInvalid(f"{PARAMETERS_FILE}: {error}") from error
    policies = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == PARAMETERS_FILE:
            continue
        text = path.read_text(encoding="utf-8")
        try:
            definition = load_policy(text)
        except PolicyError as error:
            raise CatalogueInvalid(f"{path.name}: {error}") from error
        policies.append(ShippedPolicy(path.name, text, definition))
    if policies:
        try:
            Catalogue([p.definition for p in policies])
        except PolicyError as error:
            raise CatalogueInvalid(f"catalogue: {error}") from error
    return specs, policies


def _label(label, lang: str) -> str:
    if isinstance(label, dict):
        return str(label.get(lang) or "")
    return str(getattr(label, lang, "") or (label if lang == "zh" and isinstance(label, str) else ""))


def _sync_parameters(specs: dict, m: Models, now, result: SyncResult) -> None:
    for key, spec in sorted(specs.items()):
        label_zh, label_en = _label(spec.label, "zh") or key, _label(spec.label, "en")
        reference = str(spec.reference or "")[:500]
        parameter = m.Parameter.objects.filter(key=key).first()
        if parameter is None:
            parameter = m.Parameter.objects.create(
                key=key, label_zh=label_zh[:200], label_en=label_en[:200], unit=spec.unit, reference=reference
            )
            result.parameters_added += 1
        elif parameter.unit != spec.unit:
            raise CatalogueInvalid(f"{PARAMETERS_FILE}: {key} has unit {spec.unit}, the database {parameter.unit}")
        elif not parameter.is_local and (parameter.label_zh, parameter.label_en, parameter.reference) != (
            label_zh[:200],
            label_en[:200],
            reference,
        ):
            # Descriptions are not rules: the shipped wording follows the release.
            parameter.label_zh, parameter.label_en, parameter.reference = label_zh[:200], label_en[:200], reference
            parameter.save(update_fields=["label_zh", "label_en", "reference"])
        # A start date is taken when a value for it is in force, or the system already shipped one
        # (an administrator may since have replaced or superseded it: that stands).
        taken = set(
            m.ParameterValue.objects.filter(parameter=parameter, status=APPROVED).values_list("start_date", flat=True)
        ) | set(
            m.ParameterValue.objects.filter(parameter=parameter, proposed_by__isnull=True).values_list(
                "start_date", flat=True
            )
        )
        for value in spec.values:
            start = value.start if isinstance(value.start, dt.date) else dt.date.fromisoformat(str(value.start))
            if start in taken:
                continue
            row = m.ParameterValue.objects.create(
                parameter=parameter,
                start_date=start,
                value=value.value,
                reference=str(value.reference or "")[:500],
                status=APPROVED,
                note=SHIPPED,
                proposed_at=now,
                decided_at=now,
            )
            taken.add(start)
            result.values_added += 1
            result.created.append(
                ("parameter_value", row.pk, {"key": key, "start_date": start.isoformat(), "value": value.value})
            )


def _sync_policy(shipped: ShippedPolicy, m: Models, now, result: SyncResult) -> None:
    d = shipped.definition
    policy = m.Policy.objects.filter(code=d.code).first()
    if policy is None:
        policy = m.Policy.objects.create(code=d.code, is_local=False)
        result.policies_added += 1
    elif m.PolicyVersion.objects.filter(policy=policy, version_hash=d.version_hash).exists():
        return
    current = m.PolicyVersion.objects.filter(policy=policy, status=APPROVED).first()
    by_admin = current is not None and current.decided_by_id is not None
    if not by_admin and current is not None:
        current.status = SUPERSEDED
        current.save(update_fields=["status"])
    version = m.PolicyVersion.objects.create(
        policy=policy,
        text=shipped.text,
        version_hash=d.version_hash,
        status=PROPOSED if by_admin else APPROVED,
        note=SHIPPED,
        proposed_at=now,
        decided_at=None if by_admin else now,
    )
    if by_admin:
        result.versions_proposed += 1
    else:
        result.versions_added += 1
    result.created.append(
        ("policy_version", version.pk, {"code": d.code, "version_hash": d.version_hash, "status": version.status})
    )


def sync(*, directory: Path = CATALOGUE_DIR, models: Models) -> SyncResult:
    """Add what the shipped catalogue has and the database does not. Call inside a transaction."""
    specs, policies = read(directory)
    now = timezone.now()
    result = SyncResult()
    _sync_parameters(specs, models, now, result)
    for shipped in policies:
        _sync_policy(shipped, models, now, result)
    return result
