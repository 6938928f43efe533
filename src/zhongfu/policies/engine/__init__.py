"""The policy engine: parse and check policy files, compile them to one Polars plan, explain results,
and an independent reference evaluator (Rust CEL on the original text). See docs/policies.md."""

from .catalogue import Catalogue
from .compiler import CompiledPlan
from .errors import PolicyError
from .explain import CriterionLine, Explanation
from .parameters import ParameterInForce, ParameterSet, ParameterSpec, ParameterValue, load_parameters
from .policy import PolicyDefinition, VariableDef, load_policy
from .schema import HOUSEHOLD_INPUTS, MEMBER_FIELDS, frames_from_records

__all__ = [
    "HOUSEHOLD_INPUTS",
    "MEMBER_FIELDS",
    "Catalogue",
    "CompiledPlan",
    "CriterionLine",
    "Explanation",
    "ParameterInForce",
    "ParameterSet",
    "ParameterSpec",
    "ParameterValue",
    "PolicyDefinition",
    "PolicyError",
    "VariableDef",
    "frames_from_records",
    "load_parameters",
    "load_policy",
    "reference_evaluate",
]


def __getattr__(name):
    # the reference evaluator needs `cel` (a development dependency): imported only when asked for
    if name == "reference_evaluate":
        from .reference import reference_evaluate

        return reference_evaluate
    raise AttributeError(name)
