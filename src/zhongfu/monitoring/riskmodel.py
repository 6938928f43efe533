"""A risk model file: signals, points and tiers as data, checked with the policy engine's parser and checker.

A signal is `{name, label, when, points, explain}`: `when` is a CEL boolean over the signal inputs
(`inputs.INPUTS`), `points` an integer or a CEL integer expression, `explain` a template per language whose
`{input}` placeholders show the input's value with its unit. Nothing is run with eval/exec: expressions go
through `policies.engine.parser.parse` and `checker.resolve`/`Typer`; a refusal names the signal, the key
and the position. docs/monitoring.md describes the file.
"""

import hashlib
import string
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext_lazy as _

from zhongfu.policies.engine.checker import Typer, resolve
from zhongfu.policies.engine.errors import PolicyError, Text
from zhongfu.policies.engine.nodes import Agg, Cross, Input, Lit, Local, Param, walk
from zhongfu.policies.engine.parser import parse
from zhongfu.policies.engine.policy import IDENTIFIER, label_in
from zhongfu.policies.engine.schema import INPUT_TYPES

from .inputs import INPUTS_BY_NAME

TIER_ORDER = ("red", "orange", "yellow")  # most urgent first
MODEL_KEYS = {"code", "name", "signals", "tiers"}
SIGNAL_KEYS = {"name", "label", "when", "points", "explain"}
TIER_KEYS = {"name", "label", "min_score"}
MAX_POINTS = 1000
# Inputs the policy engine does not know become "locals" of the checker; the rest it already resolves.
LOCAL_INPUTS = tuple(name for name in INPUTS_BY_NAME if name not in INPUT_TYPES)


class RiskModelError(PolicyError):
    """A risk model the checker refuses; `str()` says which signal, which key and where in it."""

    def __init__(self, message, *, signal=None, key=None, **params):
        super().__init__(message, **params)
        self.signal, self.key = signal, key

    @classmethod
    def from_engine(cls, error: PolicyError, *, signal, key, expression) -> "RiskModelError":
        text: Text = error._text
        return cls(text.msgid, signal=signal, key=key, position=error.position, expression=expression, **text.params)

    def where(self) -> str:
        if not self.signal:
            return ""
        here = str(_("signal %(signal)s") % {"signal": self.signal})
        if self.key:
            here = f"{here} ({self.key})"
        if self.line is not None and self.line > 1:
            position = _("line %(line)s, column %(column)s") % {"line": self.line, "column": self.column}
            here = str(_("%(variable)s %(position)s") % {"variable": here, "position": position})
        elif self.column is not None:
            position = _("column %(column)s") % {"column": self.column}
            here = str(_("%(variable)s %(position)s") % {"variable": here, "position": position})
        return here


@dataclass(frozen=True)
class Signal:
    name: str
    label: dict[str, str]
    when: str
    points: str  # the text: an integer literal or an expression
    explain: dict[str, str]
    when_node: object = field(compare=False, repr=False, default=None)
    points_node: object = field(compare=False, repr=False, default=None)

    def label_in(self, language: str) -> str:
        return label_in(self.label, language) or self.name


@dataclass(frozen=True)
class Tier:
    name: str
    label: dict[str, str]
    min_score: int

    def label_in(self, language: str) -> str:
        return label_in(self.label, language) or self.name


@dataclass(frozen=True)
class RiskModel:
    code: str
    name: dict[str, str]
    signals: tuple[Signal, ...]
    tiers: tuple[Tier, ...]  # most urgent first
    text: str = field(repr=False)
    content_hash: str = ""

    def tier(self, name: str | None) -> Tier | None:
        return next((tier for tier in self.tiers if tier.name == name), None)


def _label(value, *, what, signal=None) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"zh": value}
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        if value.get("zh", "").strip():
            return dict(value)
    raise RiskModelError(_("%(what)s needs a Chinese text: {zh: …, en: …}"), signal=signal, what=what)


def _identifier(value, *, what, signal=None) -> str:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        raise RiskModelError(
            _("%(what)s must be a lower-case identifier, not “%(value)s”"), signal=signal, what=what, value=value
        )
    return value


def _unknown_keys(data: dict, known: set, *, signal=None) -> None:
    extra = sorted(str(key) for key in data if key not in known)
    if extra:
        raise RiskModelError(
            _("unknown key “%(name)s” (known: %(known)s)"), signal=signal, name=extra[0], known=", ".join(sorted(known))
        )


def _refused(node, message) -> PolicyError:
    return PolicyError(message, position=node.pos)


def check_expression(text: str, wanted: str, *, signal: str, key: str):
    """Parse, resolve and type one expression over the signal inputs; it must give `wanted` (bool | int)."""
    try:
        node = resolve(parse(text), LOCAL_INPUTS)
        for item in walk(node):
            if isinstance(item, Agg):
                raise _refused(item, _("a risk signal reads the household's signal inputs, not its members"))
            if isinstance(item, Param):
                raise _refused(item, _("a risk model reads no parameters: write the number itself"))
            if isinstance(item, Cross):
                raise PolicyError(_("unknown name “%(name)s”"), position=item.pos, name=item.code)
            if isinstance(item, Input) and item.name not in INPUTS_BY_NAME:
                raise PolicyError(
                    _("“%(name)s” is a policy input, not a signal input (docs/monitoring.md lists them)"),
                    position=item.pos,
                    name=item.name,
                )
        typer = Typer(lambda item: INPUTS_BY_NAME[item.name].type, None, None)
        found = typer.infer(node)
    except PolicyError as error:
        raise RiskModelError.from_engine(error, signal=signal, key=key, expression=text) from None
    if found != wanted:
        message = _("“when” must be true/false, not %(type)s") if wanted == "bool" else None
        message = message or _("“points” must be an integer, not %(type)s")
        raise RiskModelError(message, signal=signal, key=key, position=0, expression=text, type=found)
    return node


def _points(value, *, signal: str):
    if isinstance(value, bool) or value is None or not isinstance(value, int | str):
        raise RiskModelError(_("“points” is an integer or an integer expression"), signal=signal, key="points")
    if isinstance(value, int):
        text, node = str(value), Lit(0, len(str(value)), value, "int")
    else:
        text = value
        node = check_expression(text, "int", signal=signal, key="points")
    if isinstance(node, Lit) and abs(node.value) > MAX_POINTS:
        raise RiskModelError(
            _("points are at most %(limit)s either way"), signal=signal, key="points", limit=MAX_POINTS
        )
    return text, node


def _explain(value, *, signal: str) -> dict[str, str]:
    templates = _label(value, what="explain", signal=signal)
    for language, template in templates.items():
        try:
            parts = list(string.Formatter().parse(template))
        except ValueError:
            raise RiskModelError(
                _("the %(language)s explanation has an unmatched brace (write {{ or }} for a brace)"),
                signal=signal,
                key="explain",
                language=language,
            ) from None
        for _literal, name, spec, conversion in parts:
            if name is None:
                continue
            if name not in INPUTS_BY_NAME or spec or conversion:
                raise RiskModelError(
                    _("the explanation shows “{%(name)s}”, which is not a signal input"),
                    signal=signal,
                    key="explain",
                    name=name,
                )
    return templates


def _signal(raw, seen: set) -> Signal:
    if not isinstance(raw, dict):
        raise RiskModelError(_("each signal is a mapping with name, label, when, points and explain"))
    name = _identifier(raw.get("name"), what="name")
    if name in seen:
        raise RiskModelError(_("two signals are named “%(name)s”"), signal=name, name=name)
    if name in INPUTS_BY_NAME:
        raise RiskModelError(_("“%(name)s” is the name of an input: choose another"), signal=name, name=name)
    _unknown_keys(raw, SIGNAL_KEYS, signal=name)
    for key in ("label", "when", "points", "explain"):
        if key not in raw:
            raise RiskModelError(_("“%(name)s” is required"), signal=name, name=key)
    when = raw["when"]
    if isinstance(when, bool):
        when = "true" if when else "false"
    if not isinstance(when, str):
        raise RiskModelError(_("“when” is an expression that gives true/false"), signal=name, key="when")
    when_node = check_expression(when, "bool", signal=name, key="when")
    points, points_node = _points(raw["points"], signal=name)
    return Signal(
        name=name,
        label=_label(raw["label"], what="label", signal=name),
        when=when,
        points=points,
        explain=_explain(raw["explain"], signal=name),
        when_node=when_node,
        points_node=points_node,
    )


def _tiers(raw) -> tuple[Tier, ...]:
    if not isinstance(raw, list) or not raw:
        raise RiskModelError(_("“tiers” is required: a list of {name, label, min_score}"))
    tiers = {}
    for item in raw:
        if not isinstance(item, dict):
            raise RiskModelError(_("“tiers” is required: a list of {name, label, min_score}"))
        _unknown_keys(item, TIER_KEYS)
        name = item.get("name")
        if name not in TIER_ORDER:
            raise RiskModelError(
                _("a tier is one of %(choices)s, not “%(value)s”"), choices=", ".join(TIER_ORDER), value=name
            )
        if name in tiers:
            raise RiskModelError(_("tier “%(name)s” is given twice"), name=name)
        score = item.get("min_score")
        if isinstance(score, bool) or not isinstance(score, int) or score < 1:
            raise RiskModelError(_("tier “%(name)s” needs min_score, a whole number of at least 1"), name=name)
        tiers[name] = Tier(name, _label(item.get("label") or name, what="label"), score)
    ordered = tuple(tiers[name] for name in TIER_ORDER if name in tiers)
    for higher, lower in zip(ordered, ordered[1:], strict=False):
        if higher.min_score <= lower.min_score:
            raise RiskModelError(
                _("tier “%(higher)s” needs a higher min_score than “%(lower)s”"), higher=higher.name, lower=lower.name
            )
    return ordered


def load_risk_model(text: str) -> RiskModel:
    """Read and check a risk model file; raises RiskModelError naming the signal and position."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise RiskModelError(
            _("the file is not valid YAML (line %(line)s): %(problem)s"),
            line=mark.line + 1 if mark else "?",
            problem=getattr(error, "problem", None) or str(error),
        ) from None
    if not isinstance(data, dict):
        raise RiskModelError(_("a risk model file is a YAML mapping with code, name, signals and tiers"))
    _unknown_keys(data, MODEL_KEYS)
    code = _identifier(data.get("code"), what="code")
    raw_signals = data.get("signals")
    if not isinstance(raw_signals, list) or not raw_signals:
        raise RiskModelError(_("“signals” is required: a list of signals"))
    signals, seen = [], set()
    for raw in raw_signals:
        signal = _signal(raw, seen)
        seen.add(signal.name)
        signals.append(signal)
    return RiskModel(
        code=code,
        name=_label(data.get("name"), what="name"),
        signals=tuple(signals),
        tiers=_tiers(data.get("tiers")),
        text=text,
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
    )


def inputs_read(model: RiskModel) -> list[str]:
    """The inputs the model's signals read (in the order of the inputs table)."""
    used = set()
    for signal in model.signals:
        for node in (signal.when_node, signal.points_node):
            used |= {item.name for item in walk(node) if isinstance(item, Input | Local)}
        for template in signal.explain.values():
            used |= {name for _l, name, _s, _c in string.Formatter().parse(template) if name}
    return [name for name in INPUTS_BY_NAME if name in used]
