"""Name resolution, structure rules and types for one expression.

`resolve` turns the raw tree into one where every name is an input, a local variable, a parameter, another
policy's variable or a member field, and refuses what the language does not allow. `infer` computes types;
it runs when a policy is loaded (parameters and other policies still of unknown type), again in the
catalogue (other policies known) and finally in the plan (parameters known).
"""

import difflib

from django.utils.translation import gettext_lazy as _

from .errors import PolicyError
from .nodes import (
    Agg,
    Binary,
    Call,
    Cross,
    Field,
    Func,
    InList,
    Input,
    ListLit,
    Lit,
    Local,
    Name,
    Param,
    Select,
    Ternary,
    Unary,
    children,
)
from .schema import FIELD_TYPES, INPUT_TYPES

MAX_DEPTH = 12
FUNCTIONS = {"int": 1, "double": 1, "round": 1, "min": 2, "max": 2, "sum": 1, "size": 1}
MACROS = ("exists", "all", "exists_one", "filter", "map")
RESERVED = {"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for", "function", "if"}
RESERVED |= {"import", "let", "loop", "package", "namespace", "return", "var", "void", "while", "p", "members"}
NUMERIC = ("int", "double")
UNKNOWN = ("num", "dyn")  # num: a parameter before its unit is known; dyn: another policy's variable
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
ARITHMETIC = ("+", "-", "*", "/", "%")


def _suggest(name: str, candidates) -> str | None:
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_name(name: str, position: int, candidates) -> PolicyError:
    suggestion = _suggest(name, candidates)
    if suggestion:
        return PolicyError(
            _("unknown name “%(name)s” (did you mean “%(suggestion)s”?)"),
            position=position,
            name=name,
            suggestion=suggestion,
        )
    return PolicyError(_("unknown name “%(name)s”"), position=position, name=name)


def _refuse_dunder(name: str, position: int):
    if name.startswith("__"):
        raise PolicyError(_("names starting with “__” are not allowed: “%(name)s”"), position=position, name=name)


class Resolver:
    def __init__(self, local_names):
        self.locals = set(local_names)
        self.var = None  # the member variable while inside a macro

    # -- entry --
    def resolve(self, node):
        method = getattr(self, "_" + type(node).__name__.lower())
        return method(node)

    def _lit(self, node):
        return node

    def _name(self, node: Name):
        name = node.name
        _refuse_dunder(name, node.pos)
        if self.var is not None:
            if name == self.var:
                raise PolicyError(
                    _("“%(var)s” is a member: read one of its fields, e.g. %(var)s.age"), position=node.pos, var=name
                )
            if name in INPUT_TYPES or name in self.locals:
                raise PolicyError(
                    _("inside a members macro only member fields, parameters and literals can be used, not “%(name)s”"),
                    position=node.pos,
                    name=name,
                )
        if name in INPUT_TYPES:
            return Input(node.pos, node.end, name)
        if name in self.locals:
            return Local(node.pos, node.end, name)
        if name == "members":
            raise PolicyError(
                _("members can only be used in a macro (members.exists(m, …)), sum(members.map(…)) or size(members)"),
                position=node.pos,
            )
        if name == "p":
            raise PolicyError(_("p needs a parameter key, e.g. p.dibao.standard"), position=node.pos)
        if name in FUNCTIONS:
            raise PolicyError(_("“%(name)s” is a function: call it with ( )"), position=node.pos, name=name)
        candidates = set(INPUT_TYPES) | self.locals | {"members", "p"}
        raise unknown_name(name, node.pos, candidates)

    def _select(self, node: Select):
        path, root = [node.field], node.operand
        positions = [node.field_pos]
        while isinstance(root, Select):
            path.insert(0, root.field)
            positions.insert(0, root.field_pos)
            root = root.operand
        for segment, position in zip(path, positions, strict=True):
            _refuse_dunder(segment, position)
        if not isinstance(root, Name):
            raise PolicyError(_("unknown attribute “%(name)s”"), position=positions[0], name=path[0])
        _refuse_dunder(root.name, root.pos)
        if root.name == "p":
            for segment, position in zip(path, positions, strict=True):
                if not segment.islower() or not segment[0].isalpha():
                    raise PolicyError(_("not a parameter key: “%(name)s”"), position=position, name=segment)
            return Param(node.pos, node.end, ".".join(path))
        if self.var is not None and root.name == self.var:
            if len(path) > 1:
                raise PolicyError(_("unknown attribute “%(name)s”"), position=positions[1], name=path[1])
            if path[0] not in FIELD_TYPES:
                suggestion = _suggest(path[0], FIELD_TYPES)
                raise PolicyError(
                    _("unknown member field “%(name)s”")
                    if not suggestion
                    else _("unknown member field “%(name)s” (did you mean “%(suggestion)s”?)"),
                    position=positions[0],
                    name=path[0],
                    suggestion=suggestion,
                )
            return Field(node.pos, node.end, path[0])
        if root.name == "members":
            raise PolicyError(
                _("members has no attribute “%(name)s”: use members.exists(m, …), members.all(m, …), …"),
                position=positions[0],
                name=path[0],
            )
        if root.name in INPUT_TYPES or root.name in self.locals:
            raise PolicyError(
                _("“%(name)s” has no attribute “%(attribute)s”"),
                position=positions[0],
                name=root.name,
                attribute=path[0],
            )
        if self.var is not None:
            raise PolicyError(
                _("inside a members macro only member fields, parameters and literals can be used, not “%(name)s”"),
                position=root.pos,
                name=f"{root.name}.{path[0]}",
            )
        if len(path) > 1:
            raise PolicyError(_("unknown attribute “%(name)s”"), position=positions[1], name=path[1])
        if root.name in RESERVED or root.name in FUNCTIONS:
            raise unknown_name(root.name, root.pos, set(INPUT_TYPES) | self.locals)
        return Cross(node.pos, node.end, root.name, path[0])  # another policy's variable: checked by the catalogue

    def _unary(self, node: Unary):
        return Unary(node.pos, node.end, node.op, self.resolve(node.operand))

    def _binary(self, node: Binary):
        if node.op == "in":
            return self._in(node)
        left, right = self.resolve(node.left), self.resolve(node.right)
        if node.op in ("/", "%") and self.var is not None:
            if any(isinstance(n, Field) for n in _nodes(right)):
                raise PolicyError(
                    _("inside a members macro divide only by literals or parameters, not by member fields"),
                    position=node.right.pos,
                )
        if node.op in ("/", "%") and isinstance(right, Lit) and right.value == 0:
            raise PolicyError(_("division by zero"), position=node.right.pos)
        return Binary(node.pos, node.end, node.op, left, right)

    def _in(self, node: Binary):
        if not isinstance(node.right, ListLit):
            raise PolicyError(_("“in” needs a literal list after it, such as [1, 2]"), position=node.right.pos)
        items = node.right.items
        if not items:
            raise PolicyError(_("the list after “in” is empty"), position=node.right.pos)
        types = set()
        for item in items:
            if not isinstance(item, Lit) or item.type not in ("int", "string"):
                raise PolicyError(_("the list after “in” holds only string or integer literals"), position=item.pos)
            types.add(item.type)
        if len(types) > 1:
            raise PolicyError(_("the list after “in” mixes strings and integers"), position=node.right.pos)
        operand = self.resolve(node.left)
        return InList(node.pos, node.end, operand, tuple(item.value for item in items), types.pop())

    def _ternary(self, node: Ternary):
        return Ternary(
            node.pos, node.end, self.resolve(node.cond), self.resolve(node.then), self.resolve(node.otherwise)
        )

    def _listlit(self, node: ListLit):
        raise PolicyError(_("a list is only allowed after “in”"), position=node.pos)

    def _call(self, node: Call):
        _refuse_dunder(node.function, node.name_pos)
        if node.target is not None:
            return self._method(node)
        function = node.function
        if function not in FUNCTIONS:
            suggestion = _suggest(function, FUNCTIONS)
            raise PolicyError(
                _("unknown function “%(name)s” (did you mean “%(suggestion)s”?)")
                if suggestion
                else _("unknown function “%(name)s”"),
                position=node.pos,
                name=function,
                suggestion=suggestion,
            )
        if len(node.args) != FUNCTIONS[function]:
            raise PolicyError(
                _("%(name)s() takes %(expected)s argument(s), not %(given)s"),
                position=node.pos,
                name=function,
                expected=FUNCTIONS[function],
                given=len(node.args),
            )
        if function == "sum":
            arg = node.args[0]
            if isinstance(arg, Call) and isinstance(arg.target, Call) and arg.target.function in MACROS:
                raise PolicyError(_("macros cannot be nested or chained"), position=arg.name_pos)
            if not (isinstance(arg, Call) and arg.function == "map" and _is_members(arg.target)):
                raise PolicyError(_("sum() takes members.map(m, …)"), position=arg.pos)
            return self._macro(arg, "sum", node)
        if function == "size":
            arg = node.args[0]
            if isinstance(arg, Name) and arg.name == "members":
                self._no_nesting(node)
                return Agg(node.pos, node.end, "size", None, None)
            if isinstance(arg, Call) and arg.function == "filter" and _is_members(arg.target):
                return self._macro(arg, "count", node)
            raise PolicyError(_("size() takes members or members.filter(m, …)"), position=arg.pos)
        return Func(node.pos, node.end, function, tuple(self.resolve(arg) for arg in node.args))

    def _method(self, node: Call):
        target, method = node.target, node.function
        if method == "size" and not node.args:
            if _is_members(target):
                self._no_nesting(node)
                return Agg(node.pos, node.end, "size", None, None)
            if isinstance(target, Call) and target.function == "filter" and _is_members(target.target):
                return self._macro(target, "count", node)
        if not _is_members(target):
            if isinstance(target, Call) and target.function in MACROS:
                raise PolicyError(_("macros cannot be nested or chained"), position=node.name_pos)
            raise PolicyError(
                _("methods can only be called on members, not “.%(name)s(…)”"), position=node.name_pos, name=method
            )
        if method == "filter":
            raise PolicyError(_("members.filter(…) must be followed by .size()"), position=node.pos)
        if method == "map":
            raise PolicyError(_("members.map(…) must be inside sum(…)"), position=node.pos)
        if method not in MACROS:
            raise PolicyError(_("members has no method “%(name)s”"), position=node.name_pos, name=method)
        return self._macro(node, method, node)

    def _no_nesting(self, node):
        if self.var is not None:
            raise PolicyError(_("macros cannot be nested"), position=node.pos)

    def _macro(self, call: Call, kind: str, outer):
        self._no_nesting(call)
        if len(call.args) != 2 or not isinstance(call.args[0], Name):
            raise PolicyError(
                _("members.%(name)s takes a member name and an expression, e.g. members.%(name)s(m, m.age >= 60)"),
                position=call.pos,
                name=call.function,
            )
        var = call.args[0].name
        _refuse_dunder(var, call.args[0].pos)
        if var in INPUT_TYPES or var in self.locals or var in RESERVED or var in FUNCTIONS:
            raise PolicyError(
                _("“%(name)s” is already a name: choose another member name, e.g. m"),
                position=call.args[0].pos,
                name=var,
            )
        self.var = var
        try:
            body = self.resolve(call.args[1])
        finally:
            self.var = None
        return Agg(outer.pos, outer.end, kind, var, body)


def _is_members(node) -> bool:
    return isinstance(node, Name) and node.name == "members"


def _nodes(node):
    yield node
    for child in children(node):
        yield from _nodes(child)


def depth(node) -> int:
    """Height of the tree; a chain of the same associative operator (a && b && c) counts as one level."""

    def operands(current, op):
        if isinstance(current, Binary) and current.op == op:
            return operands(current.left, op) + operands(current.right, op)
        return [current]

    if isinstance(node, Binary) and node.op in ("&&", "||", "+", "*"):
        return 1 + max(depth(child) for child in operands(node, node.op))
    kids = children(node)
    return 1 + max((depth(child) for child in kids), default=0)


def resolve(raw, local_names):
    node = Resolver(local_names).resolve(raw)
    if depth(node) > MAX_DEPTH:
        raise PolicyError(
            _("the expression is nested more than %(limit)s levels deep"), position=raw.pos, limit=MAX_DEPTH
        )
    return node


# ---- types ----


def _type_error(message, node, **params):
    return PolicyError(message, position=node.pos, **params)


def _mixed(op, node, left, right):
    return _type_error(
        _("“%(op)s” mixes %(left)s and %(right)s: convert one side with double(…) or int(…)"),
        node,
        op=op,
        left=left,
        right=right,
    )


def _numeric(op, node, left, right) -> str:
    for side, other in ((left, right), (right, left)):
        if side not in NUMERIC + UNKNOWN:
            raise _type_error(_("“%(op)s” needs numbers, not %(type)s"), node, op=op, type=side)
        if side in UNKNOWN and other in NUMERIC:
            return other
    if left in UNKNOWN:
        return "num"
    if left != right:
        raise _mixed(op, node, left, right)
    return left


class Typer:
    """Types of resolved trees. `local`, `param` and `cross` give the types of names (or raise)."""

    def __init__(self, local, param, cross):
        self.local, self.param, self.cross = local, param, cross

    def infer(self, node) -> str:
        if isinstance(node, Lit):
            return node.type
        if isinstance(node, Input):
            return INPUT_TYPES[node.name]
        if isinstance(node, Field):
            return FIELD_TYPES[node.name]
        if isinstance(node, Local):
            return self.local(node)
        if isinstance(node, Param):
            return self.param(node)
        if isinstance(node, Cross):
            return self.cross(node)
        if isinstance(node, Unary):
            inner = self.infer(node.operand)
            wanted = ("bool", "dyn") if node.op == "!" else NUMERIC + UNKNOWN
            if inner not in wanted:
                raise _type_error(_("“%(op)s” cannot be applied to %(type)s"), node, op=node.op, type=inner)
            return "bool" if node.op == "!" else inner
        if isinstance(node, Binary):
            return self._binary(node)
        if isinstance(node, Ternary):
            return self._ternary(node)
        if isinstance(node, InList):
            inner = self.infer(node.operand)
            allowed = (node.item_type, "dyn") + (("num",) if node.item_type == "int" else ())
            if inner not in allowed:
                raise _type_error(
                    _("“in” compares %(left)s with a list of %(right)s"), node, left=inner, right=node.item_type
                )
            return "bool"
        if isinstance(node, Func):
            return self._func(node)
        if isinstance(node, Agg):
            return self._agg(node)
        raise AssertionError(node)

    def _binary(self, node: Binary) -> str:
        left, right = self.infer(node.left), self.infer(node.right)
        op = node.op
        if op in ("&&", "||"):
            for side, child in ((left, node.left), (right, node.right)):
                if side not in ("bool", "dyn"):
                    raise _type_error(_("“%(op)s” needs true/false, not %(type)s"), child, op=op, type=side)
            return "bool"
        if op in ARITHMETIC:
            result = _numeric(op, node, left, right)
            if op == "%" and result == "double":
                raise _type_error(_("“%%” works on integers only"), node)
            return result
        # comparisons: numbers with numbers (int and double may meet), otherwise the same type
        if "dyn" in (left, right):
            return "bool"
        if left in NUMERIC + ("num",) and right in NUMERIC + ("num",):
            return "bool"
        if left != right:
            raise _type_error(_("“%(op)s” compares %(left)s with %(right)s"), node, op=op, left=left, right=right)
        if left == "bool" and op not in ("==", "!="):
            raise _type_error(_("“%(op)s” cannot order true/false"), node, op=op)
        return "bool"

    def _ternary(self, node: Ternary) -> str:
        cond = self.infer(node.cond)
        if cond not in ("bool", "dyn"):
            raise _type_error(_("the condition before “?” must be true/false, not %(type)s"), node.cond, type=cond)
        then, otherwise = self.infer(node.then), self.infer(node.otherwise)
        if then in UNKNOWN or otherwise in UNKNOWN:
            known = otherwise if then in UNKNOWN else then
            if "num" in (then, otherwise) and known not in NUMERIC + UNKNOWN:
                raise _type_error(_("the two branches of “? :” have different types"), node)
            return known
        if then != otherwise:
            if then in NUMERIC and otherwise in NUMERIC:
                raise _mixed("? :", node, then, otherwise)
            raise _type_error(
                _("the two branches of “? :” have different types: %(left)s and %(right)s"),
                node,
                left=then,
                right=otherwise,
            )
        return then

    def _func(self, node: Func) -> str:
        types = [self.infer(arg) for arg in node.args]
        name = node.function
        if name in ("int", "double"):
            if types[0] not in NUMERIC + UNKNOWN:
                raise _type_error(_("%(name)s() converts numbers, not %(type)s"), node, name=name, type=types[0])
            return name
        if name == "round":
            if types[0] == "int":
                raise _type_error(_("round() takes a double; an integer needs no rounding"), node)
            if types[0] not in ("double",) + UNKNOWN:
                raise _type_error(_("round() takes a double, not %(type)s"), node, type=types[0])
            return "int"
        return _numeric(name + "()", node, types[0], types[1])

    def _agg(self, node: Agg) -> str:
        if node.kind == "size":
            return "int"
        body = self.infer(node.body)
        if node.kind == "sum":
            if body not in NUMERIC + ("num",):
                raise _type_error(_("sum() adds numbers, not %(type)s"), node.body, type=body)
            return body
        if body != "bool":
            raise _type_error(_("the condition of a macro must be true/false, not %(type)s"), node.body, type=body)
        return "int" if node.kind == "count" else "bool"
