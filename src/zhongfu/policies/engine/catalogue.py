"""The approved policies together: names across policies, precedence, one dependency graph, types."""

import dataclasses
import hashlib
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from .checker import Typer, _suggest
from .errors import PolicyError
from .nodes import Cross, Input, Local, Param, walk
from .policy import PolicyDefinition, _check_required_types, settle_type

EFFECTIVE = ("eligible", "amount")  # another policy's eligible/amount are read after its precedence


def var_node(code, name):
    return ("v", code, name)


def outcome_node(code):
    return ("o", code)


def node_label(node) -> str:
    return f"{node[1]}.{node[2]}" if node[0] == "v" else f"{node[1]}.outcome"


class Catalogue:
    def __init__(self, policies: Iterable[PolicyDefinition]):
        self.policies: dict[str, PolicyDefinition] = {}
        for policy in policies:
            if policy.code in self.policies:
                raise PolicyError(_("two policies have the code “%(code)s”"), policy=policy.code, code=policy.code)
            self.policies[policy.code] = policy
        self._check_names()
        self._reachable, self._reads = {}, {}
        self.deps = self._graph()
        self.order = self._order()
        self._settle_types()
        joined = "\n".join(sorted(policy.version_hash for policy in self.policies.values()))
        self.version_hash = hashlib.sha256(joined.encode()).hexdigest()

    # -- names --
    def _check_names(self):
        codes = set(self.policies)
        for policy in self.policies.values():
            for key, listed in (("displaced_by", policy.displaced_by), ("requires_not", policy.requires_not)):
                for code in listed:
                    if code not in codes:
                        raise self._unknown_policy(code, policy.code, None, None, key=key)
            for variable in policy.variables.values():
                if variable.name in codes:
                    raise PolicyError(
                        _("variable “%(name)s” has the name of a policy"),
                        policy=policy.code,
                        variable=variable.name,
                        name=variable.name,
                    )
                for node in walk(variable.node):
                    if isinstance(node, Cross):
                        self._check_cross(policy, variable, node)

    def _unknown_policy(self, code, policy, variable, node, key=None):
        suggestion = _suggest(code, self.policies)
        message = (
            _("unknown policy “%(name)s” (did you mean “%(suggestion)s”?)")
            if suggestion
            else _("unknown policy “%(name)s”")
        )
        expression = self.policies[policy].variables[variable].expr if variable else None
        return PolicyError(
            message,
            policy=policy,
            variable=variable,
            position=node.pos if node else None,
            expression=expression,
            name=code,
            suggestion=suggestion,
        )

    def _check_cross(self, policy, variable, node: Cross):
        if node.code == policy.code:
            raise PolicyError(
                _("write this policy's own variable as “%(name)s”, without the code"),
                policy=policy.code,
                variable=variable.name,
                position=node.pos,
                expression=variable.expr,
                name=node.name,
            )
        if node.code not in self.policies:
            raise self._unknown_policy(node.code, policy.code, variable.name, node)
        other = self.policies[node.code]
        if node.name not in other.variables:
            suggestion = _suggest(node.name, other.variables)
            raise PolicyError(
                _("policy “%(code)s” has no variable “%(name)s” (did you mean “%(suggestion)s”?)")
                if suggestion
                else _("policy “%(code)s” has no variable “%(name)s”"),
                policy=policy.code,
                variable=variable.name,
                position=node.pos,
                expression=variable.expr,
                code=node.code,
                name=node.name,
                suggestion=suggestion,
            )

    # -- graph --
    def _graph(self) -> dict:
        deps = {}
        for policy in self.policies.values():
            code = policy.code
            for variable in policy.variables.values():
                edges = []
                for node in walk(variable.node):
                    if isinstance(node, Local):
                        edges.append((var_node(code, node.name), node))
                    elif isinstance(node, Cross):
                        target = outcome_node(node.code) if node.name in EFFECTIVE else var_node(node.code, node.name)
                        edges.append((target, node))
                deps[var_node(code, variable.name)] = edges
            edges = [(var_node(code, "eligible"), None), (var_node(code, "amount"), None)]
            edges += [(outcome_node(other), None) for other in policy.excluded_by]
            deps[outcome_node(code)] = edges
        return deps

    def _order(self) -> list:
        order, state = [], {}
        for start in self.deps:
            if start in state:
                continue
            stack = [(start, iter(self.deps[start]))]
            path = [start]
            state[start] = 1
            while stack:
                node, edges = stack[-1]
                for target, ref in edges:
                    if state.get(target) == 1:
                        raise self._cycle(path[path.index(target) :] + [target], node, ref)
                    if target not in state:
                        state[target] = 1
                        path.append(target)
                        stack.append((target, iter(self.deps[target])))
                        break
                else:
                    stack.pop()
                    path.pop()
                    state[node] = 2
                    order.append(node)
        return order

    def _cycle(self, cycle, node, ref) -> PolicyError:
        where = {}
        if node[0] == "v" and ref is not None:
            variable = self.policies[node[1]].variables[node[2]]
            where = {"variable": variable.name, "position": ref.pos, "expression": variable.expr}
        return PolicyError(
            _("cycle: %(cycle)s"), policy=node[1], cycle=" → ".join(node_label(item) for item in cycle), **where
        )

    # -- types --
    def types(self, param_type) -> dict:
        """Type of every variable, given the type of a parameter reference (a callable or raising)."""
        types: dict = {}

        def cross(node):
            if node.name == "eligible":
                return "bool"
            if node.name == "amount":
                return "int"
            return types[(node.code, node.name)]

        for item in self.order:
            if item[0] != "v":
                continue
            code, name = item[1], item[2]
            variable = self.policies[code].variables[name]
            typer = Typer(lambda node, code=code: types[(code, node.name)], param_type, cross)
            try:
                inferred = typer.infer(variable.node)
            except PolicyError as error:
                raise error.located(policy=code, variable=name, expression=variable.expr) from None
            types[(code, name)] = settle_type(name, inferred, variable.unit)
        return types

    def _settle_types(self):
        types = self.types(lambda node: "num")
        for code, policy in list(self.policies.items()):
            own = {name: types[(code, name)] for name in policy.variables}
            _check_required_types(own, code)
            for criterion in policy.criteria:
                if own[criterion] != "bool":
                    raise PolicyError(
                        _("criterion “%(name)s” is not true/false"), policy=code, variable=criterion, name=criterion
                    )
            variables = {
                name: dataclasses.replace(variable, type=own[name]) for name, variable in policy.variables.items()
            }
            self.policies[code] = dataclasses.replace(policy, variables=variables)

    # -- closures --
    def reachable(self, starts) -> list:
        """Graph nodes the given nodes depend on (themselves included), in evaluation order."""
        key = tuple(starts)
        if key not in self._reachable:
            self._reachable[key] = self._reach(key)
        return self._reachable[key]

    def _reach(self, starts) -> list:
        seen, stack = set(), list(starts)
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(target for target, _ref in self.deps[node])
        return [node for node in self.order if node in seen]

    def closure(self, codes) -> list[str]:
        """The given policies and every policy they depend on, in catalogue order."""
        unknown = [code for code in codes if code not in self.policies]
        if unknown:
            raise PolicyError(_("unknown policy “%(name)s”"), name=unknown[0])
        nodes = self.reachable(self.nodes_of(codes))
        needed = {node[1] for node in nodes}
        return [code for code in self.policies if code in needed]

    def nodes_of(self, codes) -> list:
        """Every variable and the outcome of the given policies."""
        nodes = []
        for code in codes:
            nodes += [var_node(code, name) for name in self.policies[code].variables] + [outcome_node(code)]
        return nodes

    def _direct(self, node) -> tuple[list, list]:
        """Inputs and parameter keys one variable reads itself."""
        if node not in self._reads:
            inputs, params = [], []
            for item in walk(self.policies[node[1]].variables[node[2]].node):
                if isinstance(item, Input) and item.name not in inputs:
                    inputs.append(item.name)
                elif isinstance(item, Param) and item.key not in params:
                    params.append(item.key)
            self._reads[node] = (inputs, params)
        return self._reads[node]

    def inputs_of(self, nodes) -> list[str]:
        found = {}
        for node in nodes:
            if node[0] == "v":
                found.update(dict.fromkeys(self._direct(node)[0]))
        return list(found)

    def params_of(self, nodes) -> list[str]:
        found = {}
        for node in nodes:
            if node[0] == "v":
                found.update(dict.fromkeys(self._direct(node)[1]))
        return list(found)

    def plan(self, params):
        from .compiler import CompiledPlan

        return CompiledPlan(self, params)
