"""The independent evaluator: the Rust CEL implementation (`cel`) runs each policy's original text for one
household. It shares nothing with the compiler but the dependency order, and must agree with it.

One known difference, where the crate departs from the CEL specification: its all() and exists() stop at
the first member whose condition fails with an error, while the specification (and the plan) lets a false
in all(), or a true in exists(), win over an error whatever the order. Only conditions that can fail per
member reach it (none in the shipped catalogue); test_engine_compiler checks that case against the
specification directly."""

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import cel

from .catalogue import EFFECTIVE
from .schema import HOUSEHOLD_INPUTS, MEMBER_FIELDS

INT64 = 2**63


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _sum(values):
    if not isinstance(values, list) or not all(_number(value) for value in values):
        raise TypeError("sum() adds a list of numbers")
    if any(isinstance(value, float) for value in values):
        if not all(isinstance(value, float) for value in values):
            raise TypeError("sum() of mixed types")
        return sum(values, 0.0)
    return sum(values)


def _pair(a, b):
    if not (_number(a) and _number(b)) or type(a) is not type(b):
        raise TypeError("min()/max() take two numbers of the same type")
    return isinstance(a, float) and (math.isnan(a) or math.isnan(b))


def _min(a, b):
    if _pair(a, b):
        return math.nan
    return a if a <= b else b


def _max(a, b):
    if _pair(a, b):
        return math.nan
    return a if a >= b else b


def _round(value):
    if not isinstance(value, float) or not math.isfinite(value):
        raise TypeError("round() takes a finite double")
    result = int(Decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP))  # half away from zero
    if not -INT64 <= result < INT64:
        raise OverflowError("round() result out of range")
    return result


FUNCTIONS = {"sum": _sum, "min": _min, "max": _max, "round": _round}


@lru_cache(maxsize=4096)
def _program(text: str):
    program = cel.compile(text)
    return program, tuple(program.variables())


def _run(text: str, scope) -> object:
    program, names = _program(text)
    context = dict(FUNCTIONS)
    for name in names:
        value = scope(name)
        if value is not None:
            context[name] = value
    try:
        return program.execute(context)
    except Exception:  # any CEL error is "unknown", as in the compiled plan
        return None


def _outcome(eligible, amount, others) -> int:
    if eligible is False:
        return 0
    if any(outcome == 1 for outcome in others):
        return 0
    if eligible is None or any(outcome == -1 for outcome in others) or amount is None:
        return -1
    return 1


def reference_evaluate(catalogue, params, household: dict, members: list[dict]) -> dict[str, object]:
    """Every variable ("c.v"), "c.outcome" and "c.amount" of every policy for one household."""
    inputs = {name: household.get(name) for name in HOUSEHOLD_INPUTS if household.get(name) is not None}
    member_list = [{name: member.get(name) for name in MEMBER_FIELDS} for member in members]
    nested = params.nested()
    values: dict[str, dict] = {code: {} for code in catalogue.policies}
    outcomes: dict[str, int] = {}

    def other_policy(code) -> dict:
        visible = {name: value for name, value in values[code].items() if name not in EFFECTIVE and value is not None}
        if code in outcomes:
            outcome = outcomes[code]
            if outcome != -1:
                visible["eligible"] = outcome == 1
                visible["amount"] = values[code]["amount"] if outcome == 1 else 0
        return visible

    for node in catalogue.order:
        code = node[1]
        policy = catalogue.policies[code]
        if node[0] == "o":
            own = values[code]
            others = [outcomes[other] for other in policy.excluded_by]
            outcomes[code] = _outcome(own.get("eligible"), own.get("amount"), others)
            continue
        name = node[2]

        def scope(ref, own=values[code], policy=policy):
            if ref in policy.variables:
                return own.get(ref)
            if ref in inputs:
                return inputs[ref]
            if ref == "p":
                return nested
            if ref == "members":
                return member_list
            if ref in catalogue.policies:
                return other_policy(ref)
            return None

        values[code][name] = _run(policy.variables[name].expr, scope)
    result: dict[str, object] = {}
    for code, policy in catalogue.policies.items():
        for name in policy.variables:
            result[f"{code}.{name}"] = values[code][name]
        outcome = outcomes[code]
        result[f"{code}.outcome"] = outcome
        result[f"{code}.amount"] = values[code]["amount"] if outcome == 1 else 0
    return result
