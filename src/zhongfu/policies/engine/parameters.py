"""Dated parameters in OpenFisca's YAML layout, and the set of values in force on a date."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import yaml
from django.utils.translation import gettext_lazy as _

from .errors import PolicyError
from .policy import IDENTIFIER, INT_UNITS, UNITS, _label

NODE_KEYS = {"description", "metadata", "documentation", "reference"}


@dataclass(frozen=True)
class ParameterValue:
    start: dt.date
    value: int | float | None  # None: no value in force from this date on
    reference: str | None = None


@dataclass(frozen=True)
class ParameterSpec:
    key: str
    label: dict[str, str]
    unit: str
    reference: str | None
    values: tuple[ParameterValue, ...]

    def in_force(self, on: dt.date) -> ParameterValue | None:
        current = None
        for value in self.values:
            if value.start <= on:
                current = value
        return current if current is not None and current.value is not None else None


@dataclass(frozen=True)
class ParameterInForce:
    key: str
    value: int | float
    unit: str
    start: dt.date
    label: dict[str, str]
    reference: str | None

    @property
    def type(self) -> str:
        return "int" if self.unit in INT_UNITS else "double"

    def as_json(self) -> dict:
        return {
            "value": self.value,
            "unit": self.unit,
            "start": self.start.isoformat(),
            "label": dict(self.label),
            "reference": self.reference,
        }


def _fail(message, key, **params):
    return PolicyError(message, parameter=key, **params)


def _date(value, key) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _fail(_("“%(value)s” is not a date (YYYY-MM-DD)"), key, value=value) from None


def _value(raw, unit, key):
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise _fail(_("a value must be a number, not “%(value)s”"), key, value=raw)
    if unit in INT_UNITS:
        if isinstance(raw, float):
            raise _fail(_("a value in %(unit)s is a whole number, not %(value)s"), key, unit=unit, value=raw)
        if unit == "fen" and raw <= 0:
            raise _fail(_("money values must be positive"), key)
        return raw
    return float(raw)


def _description(value, key) -> dict[str, str]:
    try:
        return _label(value, what="description")
    except PolicyError as error:
        error.parameter = key
        raise


def _leaf(key, node) -> ParameterSpec:
    metadata = node.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise _fail(_("“metadata” must be a mapping"), key)
    unit = metadata.get("unit")
    if unit not in UNITS:
        raise _fail(_("unit must be one of %(choices)s, not “%(value)s”"), key, choices=", ".join(UNITS), value=unit)
    raw_values = node.get("values")
    if not isinstance(raw_values, dict) or not raw_values:
        raise _fail(_("a parameter needs dated values"), key)
    values = []
    for start, entry in raw_values.items():
        if start is None:
            raise _fail(_("a value needs a start date"), key)
        if isinstance(entry, dict):
            raw, entry_meta = entry.get("value"), entry.get("metadata") or {}
            reference = entry_meta.get("reference") if isinstance(entry_meta, dict) else None
        else:
            raw, reference = entry, None
        values.append(ParameterValue(_date(start, key), _value(raw, unit, key), reference))
    values.sort(key=lambda value: value.start)
    if len({value.start for value in values}) != len(values):
        raise _fail(_("two values start on the same date"), key)
    return ParameterSpec(
        key=key,
        label=_description(node.get("description"), key),
        unit=unit,
        reference=metadata.get("reference"),
        values=tuple(values),
    )


def load_parameters(text: str) -> dict[str, ParameterSpec]:
    """OpenFisca-layout YAML → {"dibao.standard": ParameterSpec}."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise PolicyError(
            _("the file is not valid YAML (line %(line)s): %(problem)s"),
            line=mark.line + 1 if mark else "?",
            problem=getattr(error, "problem", None) or str(error),
        ) from None
    if not isinstance(data, dict):
        raise PolicyError(_("a parameter file is a YAML mapping of parameter names"))
    specs: dict[str, ParameterSpec] = {}

    def visit(prefix, node):
        if not isinstance(node, dict):
            raise _fail(_("a parameter node must be a mapping"), prefix or None)
        if "values" in node:
            specs[prefix] = _leaf(prefix, node)
            return
        for name, child in node.items():
            if name in NODE_KEYS:
                continue
            if not isinstance(name, str) or not IDENTIFIER.match(name):
                raise _fail(_("“%(name)s” is not a lower-case identifier"), prefix or None, name=name)
            visit(f"{prefix}.{name}" if prefix else name, child)

    visit("", data)
    return specs


class ParameterSet(Mapping):
    """The parameter values in force on one date: key → ParameterInForce. A key with no value is absent."""

    def __init__(self, values: dict[str, ParameterInForce]):
        self._values = dict(sorted(values.items()))

    @classmethod
    def at(cls, specs: dict[str, ParameterSpec], on: dt.date) -> "ParameterSet":
        values = {}
        for key, spec in specs.items():
            current = spec.in_force(on)
            if current is not None:
                values[key] = ParameterInForce(
                    key=key,
                    value=current.value,
                    unit=spec.unit,
                    start=current.start,
                    label=dict(spec.label),
                    reference=current.reference or spec.reference,
                )
        return cls(values)

    def __getitem__(self, key: str) -> ParameterInForce:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"ParameterSet({ {key: value.value for key, value in self._values.items()} })"

    def as_json(self) -> dict:
        """Stable JSON (sorted keys, ISO dates), for storing the parameters a decision used."""
        return {key: value.as_json() for key, value in self._values.items()}

    @classmethod
    def from_json(cls, data: dict) -> "ParameterSet":
        values = {}
        for key, item in data.items():
            values[key] = ParameterInForce(
                key=key,
                value=item["value"],
                unit=item["unit"],
                start=dt.date.fromisoformat(item["start"]),
                label=dict(item.get("label") or {}),
                reference=item.get("reference"),
            )
        return cls(values)

    def nested(self) -> dict:
        """{"dibao": {"standard": 130000}}: the shape CEL reads `p.dibao.standard` from."""
        tree: dict = {}
        for key, value in self._values.items():
            *path, last = key.split(".")
            node = tree
            for part in path:
                node = node.setdefault(part, {})
            if isinstance(node, dict):
                node[last] = value.value
        return tree
