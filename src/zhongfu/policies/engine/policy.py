"""A policy file: YAML read safely, every expression parsed and checked on its own."""

import hashlib
import re
from dataclasses import dataclass, field

import yaml
from django.utils.translation import gettext_lazy as _

from .checker import FUNCTIONS, RESERVED, Typer, resolve
from .errors import PolicyError
from .nodes import Cross, Input, Local, Param, walk
from .parser import parse
from .schema import INPUT_TYPES

IDENTIFIER = re.compile(r"^[a-z][a-z0-9_]*$")
AID_TYPES = ("baseline", "expenditure", "emergency", "development", "care")
DECIDING_LEVELS = ("city", "district", "street")
PERIODS = ("monthly", "one_off", "yearly")
UNITS = ("fen", "count", "ratio", "months", "years", "m2", "days")
INT_UNITS = ("fen", "count", "months", "years", "m2", "days")
KNOWN_KEYS = {"code", "name", "aid_type", "unit", "deciding_level", "source", "period", "displaced_by"}
KNOWN_KEYS |= {"requires_not", "variables", "criteria"}
VARIABLE_KEYS = {"label", "unit", "expr", "type"}


@dataclass(frozen=True)
class VariableDef:
    name: str
    label: dict[str, str]
    unit: str | None
    expr: str
    type: str  # int | double | bool | string ("dyn" until the catalogue knows the other policies' types)
    node: object = field(compare=False, repr=False, default=None)  # resolved expression tree
    metadata: dict = field(default_factory=dict, compare=False)

    def label_in(self, language: str) -> str:
        return label_in(self.label, language) or self.name


@dataclass(frozen=True)
class PolicyDefinition:
    code: str
    name: dict[str, str]
    aid_type: str
    unit: str
    deciding_level: str
    source: str
    period: str
    displaced_by: tuple[str, ...]
    requires_not: tuple[str, ...]
    variables: dict[str, VariableDef]
    criteria: tuple[str, ...]
    text: str = field(repr=False)
    version_hash: str
    metadata: dict = field(default_factory=dict)

    @property
    def excluded_by(self) -> tuple[str, ...]:
        """Every policy whose eligibility makes this one not eligible."""
        return tuple(dict.fromkeys(self.displaced_by + self.requires_not))


def label_in(label: dict[str, str], language: str) -> str:
    key = "en" if str(language).lower().startswith("en") else "zh"
    return label.get(key) or label.get("zh") or label.get("en") or ""


def _label(value, *, what, policy=None, variable=None) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"zh": value}
    if isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return dict(value)
    if isinstance(value, dict):
        empty = next((str(k) for k, v in value.items() if not isinstance(v, str)), "")
        raise PolicyError(
            _("%(what)s has an entry “%(key)s” without text (inside { } a comma needs quotes)"),
            policy=policy,
            variable=variable,
            what=what,
            key=empty,
        )
    raise PolicyError(_("%(what)s must be text or {zh: …, en: …}"), policy=policy, variable=variable, what=what)


def _codes(data, key, code) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(item, str) and IDENTIFIER.match(item) for item in value):
        raise PolicyError(_("“%(key)s” must be a list of policy codes"), policy=code, key=key)
    if code in value:
        raise PolicyError(_("a policy cannot exclude itself (“%(key)s”)"), policy=code, key=key)
    return tuple(value)


def _required_text(data, key, code) -> str:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise PolicyError(_("“%(key)s” is required"), policy=code, key=key)
    if not isinstance(value, str):
        raise PolicyError(_("“%(key)s” must be text"), policy=code, key=key)
    return value


def _choice(data, key, choices, code, default=None) -> str:
    value = data.get(key, default)
    if value is None:
        raise PolicyError(_("“%(key)s” is required"), policy=code, key=key)
    if value not in choices:
        raise PolicyError(
            _("“%(key)s” must be one of %(choices)s, not “%(value)s”"),
            policy=code,
            key=key,
            choices=", ".join(choices),
            value=value,
        )
    return value


def check_name(name, *, code=None, what="variable"):
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise PolicyError(_("“%(name)s” is not a lower-case identifier"), policy=code, name=name)
    if name in INPUT_TYPES or name in RESERVED or name in FUNCTIONS:
        raise PolicyError(_("“%(name)s” is already a name in the language"), policy=code, name=name)


def _expression_text(value, code, name) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):
        raise PolicyError(_("“expr” is required and must be text"), policy=code, variable=name)
    return value


def load_policy(text: str) -> PolicyDefinition:
    """Parse a policy file and check each expression on its own (other policies are checked by Catalogue)."""
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
        raise PolicyError(_("a policy file is a YAML mapping with code, name, variables, …"))
    code = data.get("code")
    if not isinstance(code, str) or not code:
        raise PolicyError(_("“%(key)s” is required"), key="code")
    check_name(code, what="code")
    name = _label(data.get("name"), what="name", policy=code)
    if not name.get("zh"):
        raise PolicyError(_("“%(key)s” is required"), policy=code, key="name.zh")
    aid_type = data.get("aid_type") or ""
    if aid_type:
        _choice(data, "aid_type", AID_TYPES, code)
    variables = _variables(data.get("variables"), code)
    criteria = data.get("criteria") or []
    if not isinstance(criteria, list) or not all(isinstance(item, str) for item in criteria):
        raise PolicyError(_("“criteria” must be a list of variable names"), policy=code)
    for item in criteria:
        if item not in variables:
            raise PolicyError(_("criterion “%(name)s” is not a variable"), policy=code, name=item)
        if variables[item].type not in ("bool", "dyn"):
            raise PolicyError(_("criterion “%(name)s” is not true/false"), policy=code, variable=item, name=item)
    return PolicyDefinition(
        code=code,
        name=name,
        aid_type=aid_type,
        unit=_required_text(data, "unit", code),
        deciding_level=_choice(data, "deciding_level", DECIDING_LEVELS, code),
        source=_required_text(data, "source", code),
        period=_choice(data, "period", PERIODS, code, default="monthly"),
        displaced_by=_codes(data, "displaced_by", code),
        requires_not=_codes(data, "requires_not", code),
        variables=variables,
        criteria=tuple(criteria),
        text=text,
        version_hash=hashlib.sha256(text.encode()).hexdigest(),
        metadata={key: value for key, value in data.items() if key not in KNOWN_KEYS},
    )


def _variables(raw, code) -> dict[str, VariableDef]:
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(_("“variables” is required"), policy=code)
    for required in ("eligible", "amount"):
        if required not in raw:
            raise PolicyError(_("variable “%(name)s” is required"), policy=code, name=required)
    specs = {}
    for name, spec in raw.items():
        check_name(name, code=code)
        if name == code:
            raise PolicyError(_("a variable cannot be named like its policy"), policy=code, variable=name)
        if not isinstance(spec, dict):
            spec = {"expr": spec}
        unit = spec.get("unit")
        if unit is not None and unit not in UNITS:
            raise PolicyError(
                _("unit must be one of %(choices)s, not “%(value)s”"),
                policy=code,
                variable=name,
                choices=", ".join(UNITS),
                value=unit,
            )
        if name == "amount":
            if unit not in (None, "fen"):
                raise PolicyError(_("amount is money: its unit is fen"), policy=code, variable=name)
            unit = "fen"
        expr = _expression_text(spec.get("expr"), code, name)
        specs[name] = (spec, unit, expr)
    nodes = {}
    for name, (_spec, _unit, expr) in specs.items():
        try:
            nodes[name] = resolve(parse(expr), specs.keys())
        except PolicyError as error:
            raise error.located(policy=code, variable=name, expression=expr) from None
    order = local_order(nodes, code, {name: expr for name, (_s, _u, expr) in specs.items()})
    types = {}
    typer = Typer(lambda node: types[node.name], lambda node: "num", lambda node: "dyn")
    for name in order:
        try:
            inferred = typer.infer(nodes[name])
        except PolicyError as error:
            raise error.located(policy=code, variable=name, expression=specs[name][2]) from None
        types[name] = settle_type(name, inferred, specs[name][1])
    _check_required_types(types, code)
    variables = {}
    for name, (spec, unit, expr) in specs.items():
        variables[name] = VariableDef(
            name=name,
            label=_label(spec.get("label"), what="label", policy=code, variable=name),
            unit=unit,
            expr=expr,
            type=types[name],
            node=nodes[name],
            metadata={key: value for key, value in spec.items() if key not in VARIABLE_KEYS},
        )
    return variables


def settle_type(name, inferred, unit) -> str:
    """A type still open after inference: a parameter's comes from the unit (ratio → double), else int."""
    if inferred == "num":
        return "double" if unit == "ratio" else "int"
    return inferred


def _check_required_types(types, code):
    if types["eligible"] not in ("bool", "dyn"):
        raise PolicyError(
            _("“eligible” must be true/false, not %(type)s"), policy=code, variable="eligible", type=types["eligible"]
        )
    if types["amount"] not in ("int", "dyn"):
        raise PolicyError(
            _("“amount” must be an integer number of fen, not %(type)s (hint: round(…))"),
            policy=code,
            variable="amount",
            type=types["amount"],
        )


def local_order(nodes: dict, code: str, texts: dict) -> list[str]:
    """Variables in dependency order; a cycle is refused with the cycle spelled out."""
    deps = {name: [n for n in walk(node) if isinstance(n, Local)] for name, node in nodes.items()}
    order, state = [], {}

    def visit(name, path):
        state[name] = "visiting"
        for ref in deps[name]:
            if state.get(ref.name) == "visiting":
                cycle = path[path.index(ref.name) :] + [ref.name] if ref.name in path else [name, ref.name]
                raise PolicyError(
                    _("cycle: %(cycle)s"),
                    policy=code,
                    variable=name,
                    position=ref.pos,
                    expression=texts[name],
                    cycle=" → ".join(cycle),
                )
            if ref.name not in state:
                visit(ref.name, path + [ref.name])
        state[name] = "done"
        order.append(name)

    for name in nodes:
        if name not in state:
            visit(name, [name])
    return order


def references(node) -> dict[str, set]:
    """Names a resolved expression reads directly."""
    found = {"locals": set(), "inputs": set(), "params": set(), "cross": set()}
    for current in walk(node):
        if isinstance(current, Local):
            found["locals"].add(current.name)
        elif isinstance(current, Param):
            found["params"].add(current.key)
        elif isinstance(current, Cross):
            found["cross"].add((current.code, current.name))
        elif isinstance(current, Input):
            found["inputs"].add(current.name)
    return found
