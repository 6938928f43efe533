"""The compiled plan run on records: one household (or a few) without building frames.

Polars spends about 4 ms planning a catalogue-sized query however few rows it has, which is most of a
household page. So the plan that `compiler` builds for frames is also turned, from the same resolved
nodes, the same dependency order and the same unknown-value flags, into Python closures over one
household's record and its members' records. Every branch below mirrors one in `compiler` — where the
compiler takes a shortcut because a value cannot be unknown, so does this — and the agreement tests run
the frame plan, these closures and the reference evaluator (Rust CEL) on the same households.

A city is never evaluated here: that is one Polars plan (`CompiledPlan.evaluate`).
"""

import math
import operator
from typing import NamedTuple

from .compiler import AGG_DEFAULTS, column, shape
from .nodes import Agg, Binary, Cross, Field, Func, InList, Input, Lit, Local, Param, Ternary, Unary
from .schema import FIELD_TYPES, HOUSEHOLD_INPUTS, INPUT_TYPES

INT64_MIN, INT64_MAX = -(2**63), 2**63
COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _and(a, b):
    if a is False or b is False:
        return False
    if a is None or b is None:
        return None
    return True


def _or(a, b):
    if a is True or b is True:
        return True
    if a is None or b is None:
        return None
    return False


def _to_int(value):
    """Polars' non-strict cast of a double to Int64: truncates; NaN, ±inf and out-of-range are unknown."""
    if value is None or not math.isfinite(value):
        return None
    value = int(value)
    return value if INT64_MIN <= value < INT64_MAX else None


def _divide(a: float, b: float) -> float:
    """IEEE division, as Polars does it: x/0 is ±inf and 0/0 is NaN (Python would raise)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _int_div(a, b):
    if a is None or b is None:
        return None
    return _to_int(_divide(float(a), float(b)))


def _int_mod(a, b):
    quotient = _int_div(a, b)
    return None if quotient is None else a - b * quotient


def _round(value):
    """Half away from zero, exactly (x - floor(x) is exact for doubles), then the cast to int."""
    if value is None or not math.isfinite(value):
        return None
    whole = math.floor(abs(value))
    if abs(value) - whole >= 0.5:
        whole += 1
    return _to_int(math.copysign(whole, value))


def _is_nan(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


class Row(NamedTuple):
    function: object  # f(env, member) -> value
    type: str
    nullable: bool  # as in compiler.Compiled: decides the same shortcuts


class RowCompiler:
    """Resolved nodes → closures f(env, member): env maps frame column names to one household's values,
    member is one member's record inside an aggregate. Types and unknown-flags follow `compiler` exactly."""

    def __init__(self, plan):
        self.plan = plan
        self.aggs: dict = {}  # aggregate column -> (f(members), default for a household without members)

    def compile(self, node, code: str) -> Row:
        return getattr(self, "_" + type(node).__name__.lower())(node, code)

    def _lit(self, node: Lit, code):
        value = node.value
        return Row(lambda env, member: value, node.type, False)

    def _input(self, node: Input, code):
        name = node.name
        return Row(lambda env, member: env.get(name), INPUT_TYPES[name], HOUSEHOLD_INPUTS[name][1])

    def _field(self, node: Field, code):
        name = node.name
        return Row(lambda env, member: member.get(name), FIELD_TYPES[name], False)

    def _local(self, node: Local, code):
        key, name = (code, node.name), column(code, node.name)
        return Row(lambda env, member: env[name], self.plan.types[key], self.plan.nullable[key])

    def _param(self, node: Param, code):
        param = self.plan.params[node.key]
        value = float(param.value) if param.type == "double" else param.value
        return Row(lambda env, member: value, param.type, False)

    def _cross(self, node: Cross, code):
        effective = f"{node.code}._effective"
        nullable = self.plan.nullable[(node.code, "_effective")]
        if node.name == "eligible":
            return Row(lambda env, member: env[effective], "bool", nullable)
        if node.name == "amount":
            raw = column(node.code, "amount")
            if not nullable:  # when(effective).then(raw).otherwise(0)
                return Row(lambda env, member: env[raw] if env[effective] else 0, "int", False)

            def amount(env, member):
                state = env[effective]
                return None if state is None else (env[raw] if state else 0)

            return Row(amount, "int", True)
        key, name = (node.code, node.name), column(node.code, node.name)
        return Row(lambda env, member: env[name], self.plan.types[key], self.plan.nullable[key])

    def _unary(self, node: Unary, code):
        inner = self.compile(node.operand, code)
        function = inner.function
        if node.op == "!":

            def negation(env, member):
                value = function(env, member)
                return None if value is None else not value

            return inner._replace(function=negation)

        def minus(env, member):
            value = function(env, member)
            return None if value is None else -value

        return inner._replace(function=minus)

    def _binary(self, node: Binary, code):
        left, right, op = self.compile(node.left, code), self.compile(node.right, code), node.op
        a, b = left.function, right.function
        either = left.nullable or right.nullable
        if op == "&&":
            return Row(lambda env, member: _and(a(env, member), b(env, member)), "bool", either)
        if op == "||":
            return Row(lambda env, member: _or(a(env, member), b(env, member)), "bool", either)
        if op in ARITHMETIC:
            function = ARITHMETIC[op]

            def arithmetic(env, member):
                x, y = a(env, member), b(env, member)
                return None if x is None or y is None else function(x, y)

            return Row(arithmetic, left.type, either)
        if op == "/" and left.type == "double":

            def divide(env, member):
                x, y = a(env, member), b(env, member)
                return None if x is None or y is None else _divide(x, y)

            return Row(divide, "double", either)
        if op in ("/", "%"):
            safe = isinstance(node.right, Lit) and node.right.value != 0
            function = _int_div if op == "/" else _int_mod
            return Row(lambda env, member: function(a(env, member), b(env, member)), "int", either or not safe)
        compare = COMPARE[op]
        doubles = left.type == "double" or right.type == "double"
        ordering = op in ("<", "<=", ">", ">=")
        if not doubles:

            def comparison(env, member):
                x, y = a(env, member), b(env, member)
                return None if x is None or y is None else compare(x, y)

            return Row(comparison, "bool", either)

        def double_comparison(env, member):
            # CEL: NaN orders with nothing (unknown), equals nothing, differs from everything
            x, y = a(env, member), b(env, member)
            if x is None or y is None:
                return None
            if _is_nan(x) or _is_nan(y):
                return None if ordering else op == "!="
            return compare(x, y)

        return Row(double_comparison, "bool", either or ordering)

    def _ternary(self, node: Ternary, code):
        cond, then, otherwise = (self.compile(part, code) for part in (node.cond, node.then, node.otherwise))
        nullable = cond.nullable or then.nullable or otherwise.nullable
        c, t, o = cond.function, then.function, otherwise.function
        if not cond.nullable:  # when(cond).then(…).otherwise(…)

            def choose(env, member):
                return t(env, member) if c(env, member) else o(env, member)

            return Row(choose, then.type, nullable)

        def choose_known(env, member):
            state = c(env, member)
            if state is None:
                return None
            return t(env, member) if state else o(env, member)

        return Row(choose_known, then.type, nullable)

    def _inlist(self, node: InList, code):
        inner = self.compile(node.operand, code)
        function, values = inner.function, frozenset(node.values)

        def contained(env, member):
            value = function(env, member)
            return None if value is None else value in values

        return Row(contained, "bool", inner.nullable)

    def _func(self, node: Func, code):
        args = [self.compile(arg, code) for arg in node.args]
        first, name = args[0], node.function
        f = first.function
        if name == "int":
            if first.type == "int":
                return first
            return Row(lambda env, member: _to_int(f(env, member)), "int", True)
        if name == "double":
            if first.type == "double":
                return first

            def to_double(env, member):
                value = f(env, member)
                return None if value is None else float(value)

            return Row(to_double, "double", first.nullable)
        if name == "round":
            return Row(lambda env, member: _round(f(env, member)), "int", True)
        second = args[1]
        g = second.function
        nullable = first.nullable or second.nullable
        if first.type == "int" and not nullable:  # min_horizontal / max_horizontal: nulls ignored
            pick = min if name == "min" else max

            def horizontal(env, member):
                values = [value for value in (f(env, member), g(env, member)) if value is not None]
                return pick(values) if values else None

            return Row(horizontal, "int", False)
        first_wins = operator.le if name == "min" else operator.ge
        second_wins = operator.gt if name == "min" else operator.lt
        double = first.type == "double"

        def chosen(env, member):
            x, y = f(env, member), g(env, member)
            if double and (_is_nan(x) or _is_nan(y)):  # NaN wins, as in the reference's min/max
                return math.nan
            if x is None or y is None:
                return None
            if first_wins(x, y):
                return x
            return y if second_wins(x, y) else None

        return Row(chosen, first.type, nullable)

    def _agg(self, node: Agg, code):
        aggregate = self.plan.compiler.aggs[shape(node)]
        name = aggregate.name
        if name not in self.aggs:
            default = AGG_DEFAULTS.get(node.kind, 0.0 if aggregate.type == "double" else 0)
            self.aggs[name] = (self._aggregate(node, code, aggregate), default)
        return Row(lambda env, member: env[name], aggregate.type, aggregate.nullable)

    def _aggregate(self, node: Agg, code, aggregate):
        """f(members) for a household with at least one member."""
        kind = node.kind
        if kind == "size":
            return len
        body = self.compile(node.body, code).function
        nullable = aggregate.nullable
        if kind == "exists":
            if not nullable:  # any(ignore_nulls=True)
                return lambda members: any(body(None, m) for m in members)

            def exists(members):
                values = [body(None, m) for m in members]
                return True if True in values else (None if None in values else False)

            return exists
        if kind == "all":
            if not nullable:  # all(ignore_nulls=True)
                return lambda members: all(value for m in members if (value := body(None, m)) is not None)

            def every(members):
                values = [body(None, m) for m in members]
                return False if False in values else (None if None in values else True)

            return every
        double = aggregate.type == "double"

        def total(members):
            values = [body(None, m) for m in members]
            if None in values:
                if nullable:  # one unknown member makes the count or the sum unknown
                    return None
                values = [value for value in values if value is not None]  # list.sum skips nulls
            result = sum(int(value) if isinstance(value, bool) else value for value in values)
            if kind == "exists_one":
                return result == 1
            return float(result) if double else result

        return total


class RowProgram:
    """The plan's variables as closures, in dependency order; `evaluate` gives what `CompiledPlan.evaluate`
    gives for one household."""

    def __init__(self, plan):
        self.plan = plan
        compiler = RowCompiler(plan)
        catalogue = plan.catalogue
        self.steps = {}  # graph node -> (column, f(env, member))
        for node in catalogue.order:
            if node[0] == "v":
                code, name = node[1], node[2]
                row = compiler.compile(catalogue.policies[code].variables[name].node, code)
                self.steps[node] = (column(code, name), row.function)
            else:
                self.steps[node] = (f"{node[1]}._effective", self._effective(node[1]))
        self.aggregates = [(name, function, default) for name, (function, default) in compiler.aggs.items()]
        self._programs = {}

    def _effective(self, code):
        """As `CompiledPlan._effective`: eligible && !excluding._effective && (amount known), Kleene-style."""
        plan = self.plan
        eligible = column(code, "eligible")
        others = [f"{other}._effective" for other in plan.catalogue.policies[code].excluded_by]
        amount = column(code, "amount") if plan.nullable[(code, "amount")] else None

        def effective(env, member):
            state = env[eligible]
            for other in others:
                excluded = env[other]
                state = _and(state, None if excluded is None else not excluded)
            if amount is not None:
                state = _and(state, True if env[amount] is not None else None)
            return state

        return effective

    def _program(self, codes):
        key = None if codes is None else frozenset(codes)
        if key not in self._programs:
            catalogue = self.plan.catalogue
            chosen = list(catalogue.policies) if codes is None else catalogue.closure(list(codes))
            steps = [self.steps[node] for node in catalogue.reachable(catalogue.nodes_of(chosen))]
            output = []  # (result column, env column, effective column for the amount)
            for code in chosen:
                for name in catalogue.policies[code].variables:
                    if name == "amount":
                        output.append((f"{code}.amount", column(code, "amount"), f"{code}._effective"))
                    else:
                        output.append((f"{code}.{name}", column(code, name), None))
            self._programs[key] = (steps, output, chosen)
        return self._programs[key]

    def evaluate(self, household: dict, members: list[dict], codes=None) -> dict:
        """household_id, every "code.variable", "code.outcome" (1, 0, -1) and "code.amount" (fen)."""
        steps, output, chosen = self._program(codes)
        env = {name: household.get(name) for name in HOUSEHOLD_INPUTS}
        for name, function, default in self.aggregates:
            env[name] = function(members) if members else default
        for name, function in steps:
            env[name] = function(env, None)
        row = {"household_id": household.get("household_id")}
        for target, source, effective in output:
            if effective is None:
                row[target] = env[source]
            else:  # when(effective).then(raw).otherwise(0)
                row[target] = env[source] if env[effective] else 0
        for code in chosen:
            state = env[f"{code}._effective"]
            row[f"{code}.outcome"] = -1 if state is None else int(state)
        return row
