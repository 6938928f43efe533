"""Resolved expressions → Polars expressions; one lazy plan for one household or a whole city.

Per-member macros of every policy are aggregated in one members group_by, joined once; variables are then
computed layer by layer (a layer holds every variable whose inputs are ready). Unknown is null, and the
translation keeps CEL's meaning of it: Kleene && and ||, a null condition gives null, int division
truncates and `% ` takes the dividend's sign, division by zero is null.
"""

import dataclasses

import polars as pl
from django.utils.translation import gettext_lazy as _

from .catalogue import EFFECTIVE, Catalogue, outcome_node, var_node
from .checker import _suggest
from .errors import PolicyError
from .nodes import Agg, Binary, Cross, Field, Func, InList, Input, Lit, Local, Param, Ternary, Unary, walk
from .policy import _check_required_types
from .schema import DTYPE_OF_TYPE

AGG_DEFAULTS = {"exists": False, "all": True, "exists_one": False, "count": 0, "size": 0}
ORDERING = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def column(code: str, name: str) -> str:
    """Frame column of a variable; a policy's own `amount` is kept aside until precedence is applied."""
    return f"{code}._amount" if name == "amount" else f"{code}.{name}"


def shape(node):
    """A node without positions: equal shapes compute the same thing (used to share aggregates)."""
    if dataclasses.is_dataclass(node):
        return (type(node).__name__,) + tuple(
            shape(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name not in ("pos", "end")
        )
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    return node


def _null(type_: str) -> pl.Expr:
    return pl.lit(None, dtype=DTYPE_OF_TYPE[type_])


class ExpressionCompiler:
    def __init__(self, plan: "CompiledPlan"):
        self.plan = plan
        self.aggs: dict = {}  # shape -> (column name, aggregate expr, default)

    def compile(self, node, code: str) -> tuple[pl.Expr, str]:
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node, code)

    def _lit(self, node: Lit, code):
        return pl.lit(node.value, dtype=DTYPE_OF_TYPE[node.type]), node.type

    def _input(self, node: Input, code):
        return pl.col(node.name), self.plan.input_type(node.name)

    def _field(self, node: Field, code):
        return pl.col(node.name), self.plan.field_type(node.name)

    def _local(self, node: Local, code):
        return pl.col(column(code, node.name)), self.plan.types[(code, node.name)]

    def _param(self, node: Param, code):
        value = self.plan.params[node.key]
        return pl.lit(value.value, dtype=DTYPE_OF_TYPE[value.type]), value.type

    def _cross(self, node: Cross, code):
        outcome = pl.col(f"{node.code}.outcome")
        if node.name == "eligible":
            return pl.when(outcome != -1).then(outcome == 1), "bool"
        if node.name == "amount":
            raw = pl.col(column(node.code, "amount"))
            return pl.when(outcome == 1).then(raw).when(outcome == 0).then(0).otherwise(None), "int"
        return pl.col(column(node.code, node.name)), self.plan.types[(node.code, node.name)]

    def _unary(self, node: Unary, code):
        inner, type_ = self.compile(node.operand, code)
        return (inner.not_() if node.op == "!" else -inner), type_

    def _binary(self, node: Binary, code):
        left, left_type = self.compile(node.left, code)
        right, right_type = self.compile(node.right, code)
        op = node.op
        if op == "&&":
            return left & right, "bool"
        if op == "||":
            return left | right, "bool"
        if op in ("+", "-", "*"):
            return {"+": left + right, "-": left - right, "*": left * right}[op], left_type
        if op == "/":
            if left_type == "double":
                return left / right, "double"
            return _int_div(left, right), "int"
        if op == "%":
            return _int_mod(left, right), "int"
        return _compare(op, left, right, left_type == "double", right_type == "double"), "bool"

    def _ternary(self, node: Ternary, code):
        cond, _t = self.compile(node.cond, code)
        then, type_ = self.compile(node.then, code)
        otherwise, _o = self.compile(node.otherwise, code)
        return pl.when(cond).then(then).when(cond.not_()).then(otherwise).otherwise(_null(type_)), type_

    def _inlist(self, node: InList, code):
        inner, _t = self.compile(node.operand, code)
        values = pl.Series(list(node.values), dtype=DTYPE_OF_TYPE[node.item_type])
        return inner.is_in(values.implode()), "bool"

    def _func(self, node: Func, code):
        args = [self.compile(arg, code) for arg in node.args]
        (first, first_type) = args[0]
        name = node.function
        if name == "int":
            return (first if first_type == "int" else first.cast(pl.Int64, strict=False)), "int"
        if name == "double":
            return (first if first_type == "double" else first.cast(pl.Float64)), "double"
        if name == "round":
            return first.round(0, mode="half_away_from_zero").cast(pl.Int64, strict=False), "int"
        second = args[1][0]
        pick_first = first <= second if name == "min" else first >= second
        pick_second = first > second if name == "min" else first < second
        expr = pl.when(pick_first).then(first).when(pick_second).then(second).otherwise(_null(first_type))
        if first_type == "double":  # NaN wins, as in the reference's min/max
            expr = pl.when(first.is_nan() | second.is_nan()).then(pl.lit(float("nan"))).otherwise(expr)
        return expr, first_type

    def _agg(self, node: Agg, code):
        key = shape(node)
        if key not in self.aggs:
            name = f"_agg{len(self.aggs)}"
            if node.kind == "size":
                expr, type_ = pl.len().cast(pl.Int64), "int"
            else:
                body, body_type = self.compile(node.body, code)
                any_unknown = body.is_null().any()
                if node.kind == "exists":
                    expr, type_ = body.any(ignore_nulls=False), "bool"
                elif node.kind == "all":
                    expr, type_ = body.all(ignore_nulls=False), "bool"
                elif node.kind == "exists_one":
                    expr, type_ = pl.when(any_unknown).then(None).otherwise(body.sum() == 1), "bool"
                elif node.kind == "count":
                    expr, type_ = pl.when(any_unknown).then(None).otherwise(body.sum().cast(pl.Int64)), "int"
                else:
                    expr, type_ = pl.when(any_unknown).then(None).otherwise(body.sum()), body_type
            default = AGG_DEFAULTS.get(node.kind, 0.0 if type_ == "double" else 0)
            self.aggs[key] = (name, expr.cast(DTYPE_OF_TYPE[type_]), pl.lit(default, dtype=DTYPE_OF_TYPE[type_]), type_)
        name, _expr, _default, type_ = self.aggs[key]
        return pl.col(name), type_


def _int_div(left, right):
    """CEL integer division: truncates toward zero; by zero it is unknown.

    Through double: exact while |left| < 2**53 (a non-integer quotient is at least 1/|right| away from the
    next integer), and x/0 gives inf or NaN, which the cast turns into null.
    """
    return (left / right).cast(pl.Int64, strict=False)


def _int_mod(left, right):
    """CEL remainder: the sign of the dividend; by zero it is unknown."""
    return left - right * _int_div(left, right)


def _compare(op, left, right, left_double, right_double):
    result = {
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
        "==": left == right,
        "!=": left != right,
    }[op]
    if not (left_double or right_double):
        return result
    # CEL: NaN orders with nothing (an error → unknown), equals nothing, differs from everything
    nan = (left.is_nan() if left_double else pl.lit(False)) | (right.is_nan() if right_double else pl.lit(False))
    if op in ORDERING:
        return pl.when(nan).then(pl.lit(None, dtype=pl.Boolean)).otherwise(result)
    unknown = left.is_null() | right.is_null()
    return pl.when(unknown).then(pl.lit(None, dtype=pl.Boolean)).when(nan).then(op == "!=").otherwise(result)


class CompiledPlan:
    """Every policy of a catalogue compiled against one parameter set."""

    def __init__(self, catalogue: Catalogue, params):
        self.catalogue = catalogue
        self.params = params
        self.types = catalogue.types(self._param_type)
        for code, policy in catalogue.policies.items():
            own = {name: self.types[(code, name)] for name in policy.variables}
            _check_required_types(own, code)
        self.compiler = ExpressionCompiler(self)
        self.exprs = {}
        for code, policy in catalogue.policies.items():
            for name, variable in policy.variables.items():
                try:
                    self.exprs[(code, name)] = self.compiler.compile(variable.node, code)[0]
                except PolicyError as error:  # pragma: no cover - types were checked above
                    raise error.located(policy=code, variable=name, expression=variable.expr) from None
        self.agg_of = {}  # variable -> aggregate columns it reads
        for code, policy in catalogue.policies.items():
            for name, variable in policy.variables.items():
                self.agg_of[(code, name)] = {
                    self.compiler.aggs[shape(n)][0] for n in walk(variable.node) if isinstance(n, Agg)
                }
        self._pipelines = {}

    def _param_type(self, node: Param) -> str:
        if node.key not in self.params:
            suggestion = _suggest(node.key, list(self.params))
            raise PolicyError(
                _("no value of parameter “%(key)s” is in force (did you mean “%(suggestion)s”?)")
                if suggestion
                else _("no value of parameter “%(key)s” is in force"),
                position=node.pos,
                key=node.key,
                suggestion=suggestion,
            )
        return self.params[node.key].type

    @staticmethod
    def input_type(name):
        from .schema import INPUT_TYPES

        return INPUT_TYPES[name]

    @staticmethod
    def field_type(name):
        from .schema import FIELD_TYPES

        return FIELD_TYPES[name]

    # -- evaluation --
    def _pipeline(self, codes):
        key = None if codes is None else frozenset(codes)
        if key in self._pipelines:
            return self._pipelines[key]
        catalogue = self.catalogue
        chosen = list(catalogue.policies) if codes is None else catalogue.closure(list(codes))
        nodes = catalogue.reachable(catalogue.nodes_of(chosen))
        inputs = catalogue.inputs_of(nodes)
        agg_names = set()
        for node in nodes:
            if node[0] == "v":
                agg_names |= self.agg_of[(node[1], node[2])]
        aggs = [item for item in self.compiler.aggs.values() if item[0] in agg_names]
        level = {}
        for node in nodes:  # in dependency order
            level[node] = 1 + max((level[target] for target, _ref in catalogue.deps[node]), default=0)
        layers: dict[int, list] = {}
        for node in nodes:
            if node[0] == "v":
                code, name = node[1], node[2]
                layers.setdefault(level[node], []).append(self.exprs[(code, name)].alias(column(code, name)))
            else:
                layers.setdefault(level[node], []).extend(self._outcome(node[1]))
        output = [pl.col("household_id")]
        for code in chosen:
            for name in catalogue.policies[code].variables:
                if name == "amount":
                    outcome, raw = pl.col(f"{code}.outcome"), pl.col(column(code, "amount"))
                    output.append(pl.when(outcome == 1).then(raw).otherwise(0).alias(f"{code}.amount"))
                else:
                    output.append(pl.col(f"{code}.{name}"))
            output.append(pl.col(f"{code}.outcome"))
        pipeline = (inputs, aggs, [layers[number] for number in sorted(layers)], output)
        self._pipelines[key] = pipeline
        return pipeline

    def _outcome(self, code: str) -> list[pl.Expr]:
        policy = self.catalogue.policies[code]
        eligible, amount = pl.col(column(code, "eligible")), pl.col(column(code, "amount"))
        others = [pl.col(f"{other}.outcome") for other in policy.excluded_by]
        outcome = pl.when(eligible.not_()).then(0)
        if others:
            outcome = outcome.when(pl.any_horizontal([other == 1 for other in others])).then(0)
        outcome = outcome.when(eligible.is_null()).then(-1)
        if others:
            outcome = outcome.when(pl.any_horizontal([other == -1 for other in others])).then(-1)
        outcome = outcome.when(amount.is_null()).then(-1).otherwise(1).cast(pl.Int8)
        return [outcome.alias(f"{code}.outcome")]

    def evaluate(self, households: pl.LazyFrame, members: pl.LazyFrame, codes=None) -> pl.LazyFrame:
        inputs, aggs, layers, output = self._pipeline(codes)
        frame = households.select(["household_id", *inputs])
        if aggs:
            grouped = members.group_by("household_id").agg(
                pl.len().alias("_members"), *[expr.alias(name) for name, expr, _d, _t in aggs]
            )
            frame = frame.join(grouped, on="household_id", how="left", maintain_order="left").with_columns(
                pl.when(pl.col("_members").is_null()).then(default).otherwise(pl.col(name)).alias(name)
                for name, _e, default, _t in aggs
            )
        for layer in layers:
            frame = frame.with_columns(layer)
        return frame.select(output)

    # -- explanation support --
    def outcome_nodes(self, code):
        return self.catalogue.reachable([outcome_node(code)])

    def missing_inputs(self, row: dict, code: str) -> list[str]:
        """Inputs the policy's outcome depends on (transitively) that are unknown in the row."""
        nodes = self.outcome_nodes(code)
        return [name for name in self.catalogue.inputs_of(nodes) if row.get(name) is None]

    def parameters_used(self, code: str) -> dict:
        nodes = self.outcome_nodes(code)
        used = {}
        for key in sorted(self.catalogue.params_of(nodes)):
            value = self.params[key]
            used[key] = {"value": value.value, "start": value.start.isoformat(), "unit": value.unit}
        return used

    def explain(self, row: dict, code: str, language: str = "zh-hans"):
        from .explain import explain

        return explain(self, row, code, language)


__all__ = ["CompiledPlan", "EFFECTIVE", "var_node"]
