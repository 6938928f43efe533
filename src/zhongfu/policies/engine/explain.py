"""Explanations: one line per criterion, in words a caseworker can check against the file.

The explanation is stored with a determination in the language asked for, like the policy's own
{zh, en} labels, so its few connecting words are kept here in both languages rather than in gettext.
"""

from dataclasses import dataclass, field

from .catalogue import var_node
from .nodes import Agg, Binary, Cross, Func, InList, Input, Lit, Local, Param, Ternary, Unary
from .policy import label_in
from .schema import INPUT_LABELS, INPUT_UNITS

WORDS = {
    "zh": {
        "yes": "是",
        "no": "否",
        "unknown": "未知",
        "and": " 且 ",
        "or": " 或 ",
        "colon": "：",
        "in": "属于",
        "not": "非",
        "since": "（{date} 起）",
        "open": "(",
        "close": ")",
        "fen": "{value} 元",
        "months": "{value} 个月",
        "years": "{value} 年",
        "m2": "{value} 平方米",
        "days": "{value} 天",
    },
    "en": {
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "and": " and ",
        "or": " or ",
        "colon": ": ",
        "in": "in",
        "not": "not",
        "since": " (since {date})",
        "open": "(",
        "close": ")",
        "fen": "{value} yuan",
        "months": "{value} months",
        "years": "{value} years",
        "m2": "{value} m²",
        "days": "{value} days",
    },
}
SYMBOLS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠", "+": "+", "-": "-", "*": "×", "/": "÷"}
SYMBOLS["%"] = "%"
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
COMPARE = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "%": 2}


@dataclass
class CriterionLine:
    variable: str
    label: str
    passed: bool | None
    text: str
    inputs: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)


@dataclass
class Explanation:
    code: str
    outcome: int
    amount_fen: int
    criteria: list[CriterionLine]
    missing_inputs: list[str]
    displaced_by: list[str]


def fen_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(int(fen))
    return f"{sign}{fen // 100:,}.{fen % 100:02d}"


def number_text(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    return f"{value:,.4f}".rstrip("0").rstrip(".")


def value_text(value, unit, words) -> str:
    if value is None:
        return words["unknown"]
    if isinstance(value, bool):
        return words["yes"] if value else words["no"]
    if isinstance(value, str):
        return value if value else "“”"
    if unit == "fen" and isinstance(value, int):
        return words["fen"].format(value=fen_text(value))
    if unit in words:
        return words[unit].format(value=number_text(value))
    return number_text(value)


class Renderer:
    def __init__(self, plan, row, code, language):
        self.plan, self.row, self.code = plan, row, code
        self.lang = "en" if str(language).lower().startswith("en") else "zh"
        self.words = WORDS[self.lang]
        self.policies = plan.catalogue.policies

    def source(self, node) -> str:
        return self.text[node.pos : node.end]

    def unit_of(self, node) -> str | None:
        if isinstance(node, Local | Cross | Input):
            return self.fact(node)[2]
        if isinstance(node, Param):
            return self.plan.params[node.key].unit
        if isinstance(node, Binary) and node.op in ("+", "-"):
            return self.unit_of(node.left) or self.unit_of(node.right)
        if isinstance(node, Binary) and node.op in ("*", "/"):
            left, right = self.unit_of(node.left), self.unit_of(node.right)
            if node.op == "*" and "fen" in (left, right):
                return "fen"
            return left if node.op == "/" and right != "fen" else None
        return None

    def comparison(self, node) -> str:
        """Both sides; a bare integer compared with money is money too (50000 → 500.00 元)."""
        left, right = node.left, node.right
        texts = []
        for side, other in ((left, right), (right, left)):
            if isinstance(side, Lit) and side.type == "int" and self.unit_of(other) == "fen":
                texts.append(value_text(side.value, "fen", self.words))
            else:
                texts.append(self.operand(side))
        op = node.op
        if self.holds(node) is False:
            # Show the relation that is true: "7,808.95 元 ≥ 低保标准 1,300.00 元", never a false "<".
            op = NEGATED[op]
        return f"{texts[0]} {SYMBOLS[op]} {texts[1]}"

    def simple_value(self, node):
        """The value of a name, parameter or literal; None for anything computed."""
        if isinstance(node, Local | Cross | Input):
            return self.fact(node)[1]
        if isinstance(node, Param):
            return self.plan.params[node.key].value
        if isinstance(node, Lit):
            return node.value
        return None

    def holds(self, node) -> bool | None:
        """Whether a comparison of two simple sides is true; None when a side is computed or unknown."""
        left, right = self.simple_value(node.left), self.simple_value(node.right)
        if left is None or right is None:
            return None
        try:
            return COMPARE[node.op](left, right)
        except TypeError:
            return None

    # -- one side of a comparison --
    def operand(self, node) -> str:
        if isinstance(node, Local | Cross | Input):
            label, value, unit = self.fact(node)
            return f"{label} {value_text(value, unit, self.words)}"
        if isinstance(node, Param):
            param = self.plan.params[node.key]
            since = self.words["since"].format(date=param.start.isoformat())
            label = label_in(param.label, self.lang) or node.key
            return f"{label} {value_text(param.value, param.unit, self.words)}{since}"
        if isinstance(node, Binary) and node.op in PRECEDENCE:
            left = self.wrapped(node.left, PRECEDENCE[node.op])
            right = self.wrapped(node.right, PRECEDENCE[node.op] + 1)
            return f"{left} {SYMBOLS[node.op]} {right}"
        if isinstance(node, Unary) and node.op == "-":
            return f"-{self.wrapped(node.operand)}"
        return self.source(node)  # literals as written; calls and macros as written

    def wrapped(self, node, least=3) -> str:
        """An operand, in brackets unless its operator binds at least as tightly as `least`."""
        text = self.operand(node)
        if isinstance(node, Binary) and PRECEDENCE.get(node.op, 0) < least:
            return f"{self.words['open']}{text}{self.words['close']}"
        return text

    def fact(self, node):
        if isinstance(node, Input):
            return label_in(INPUT_LABELS[node.name], self.lang), self.row.get(node.name), INPUT_UNITS.get(node.name)
        code = self.code if isinstance(node, Local) else node.code
        variable = self.policies[code].variables[node.name]
        return variable.label_in(self.lang), self.row.get(f"{code}.{node.name}"), variable.unit

    # -- a true/false part of a criterion --
    def leaf(self, node, parent_op=None) -> str:
        if isinstance(node, Binary) and node.op in COMPARISONS:
            return self.comparison(node)
        if isinstance(node, Binary) and node.op in ("&&", "||"):
            text = self.joined(node)
            if parent_op is not None and parent_op != node.op:
                return f"{self.words['open']}{text}{self.words['close']}"
            return text
        if isinstance(node, Local | Cross | Input):
            label, value, unit = self.fact(node)
            return f"{label}{self.words['colon']}{value_text(value, unit, self.words)}"
        if isinstance(node, Unary) and node.op == "!":
            if isinstance(node.operand, Local | Cross | Input):
                return self.leaf(node.operand)  # the fact itself says whether the negation holds
            return f"{self.words['not']}{self.words['open']}{self.leaf(node.operand)}{self.words['close']}"
        if isinstance(node, InList):
            values = ", ".join(str(value) for value in node.values)
            return f"{self.operand(node.operand)} {self.words['in']} [{values}]"
        if isinstance(node, Agg | Func | Ternary | Lit):
            return self.source(node)
        return self.source(node)

    def joined(self, node) -> str:
        parts, stack = [], [node]
        while stack:  # flatten a && b && c, keeping order
            current = stack.pop()
            if isinstance(current, Binary) and current.op == node.op:
                stack += [current.right, current.left]
            else:
                parts.append(self.leaf(current, node.op))
        return self.words["and" if node.op == "&&" else "or"].join(parts)

    def criterion(self, name: str) -> CriterionLine:
        variable = self.policies[self.code].variables[name]
        self.text = variable.expr
        node = variable.node
        passed = self.row.get(f"{self.code}.{name}")
        label = variable.label_in(self.lang)
        if isinstance(node, Binary) and node.op in COMPARISONS:
            text = self.leaf(node)
        elif isinstance(node, Binary) and node.op in ("&&", "||"):
            text = self.joined(node)
        else:
            text = f"{label}{self.words['colon']}{value_text(passed, None, self.words)}"
        input_names, parameters = self.reads(name)
        inputs = {item: self.row.get(item) for item in input_names}
        return CriterionLine(name, label, passed, text, inputs, {key: dict(value) for key, value in parameters.items()})

    def reads(self, name: str) -> tuple[list[str], dict]:
        """The inputs a criterion reads (transitively) and the parameters it uses with their values: the same
        for every household under one plan, so worked out once per plan and language."""
        key = (self.code, name, self.lang)
        cache = self.plan.explain_cache
        if key not in cache:
            catalogue = self.plan.catalogue
            nodes = catalogue.reachable([var_node(self.code, name)])
            parameters = {}
            for item in catalogue.params_of(nodes):
                param = self.plan.params[item]
                parameters[item] = {
                    "value": param.value,
                    "start": param.start.isoformat(),
                    "unit": param.unit,
                    "label": label_in(param.label, self.lang),
                }
            cache[key] = (catalogue.inputs_of(nodes), parameters)
        return cache[key]


def explain(plan, row: dict, code: str, language: str = "zh-hans") -> Explanation:
    policy = plan.catalogue.policies[code]
    renderer = Renderer(plan, row, code, language)
    names = policy.criteria or ("eligible",)
    outcome = row.get(f"{code}.outcome")
    return Explanation(
        code=code,
        outcome=outcome,
        amount_fen=row.get(f"{code}.amount") or 0,
        criteria=[renderer.criterion(name) for name in names],
        missing_inputs=plan.missing_inputs(row, code) if outcome == -1 else [],
        displaced_by=[other for other in policy.excluded_by if row.get(f"{other}.outcome") == 1],
    )
