"""Expression trees: what the parser builds (raw) and what the checker resolves it into.

Every node keeps `pos`/`end`, offsets into the expression text, so errors and explanations can point at it.
"""

from dataclasses import dataclass

# ---- raw tree (parser output) ----


@dataclass(frozen=True, slots=True)
class Lit:
    pos: int
    end: int
    value: object
    type: str  # int | double | bool | string


@dataclass(frozen=True, slots=True)
class Name:
    pos: int
    end: int
    name: str


@dataclass(frozen=True, slots=True)
class Select:
    pos: int
    end: int
    operand: object
    field: str
    field_pos: int


@dataclass(frozen=True, slots=True)
class Call:
    pos: int
    end: int
    function: str
    args: tuple
    target: object = None  # a method call: target.function(args)
    name_pos: int = -1


@dataclass(frozen=True, slots=True)
class ListLit:
    pos: int
    end: int
    items: tuple


@dataclass(frozen=True, slots=True)
class Unary:
    pos: int
    end: int
    op: str  # "!" | "-"
    operand: object


@dataclass(frozen=True, slots=True)
class Binary:
    pos: int
    end: int
    op: str  # + - * / % < <= > >= == != && || in
    left: object
    right: object


@dataclass(frozen=True, slots=True)
class Ternary:
    pos: int
    end: int
    cond: object
    then: object
    otherwise: object


# ---- resolved tree (checker output); Lit, Unary, Binary, Ternary are shared ----


@dataclass(frozen=True, slots=True)
class Input:
    pos: int
    end: int
    name: str


@dataclass(frozen=True, slots=True)
class Local:
    pos: int
    end: int
    name: str


@dataclass(frozen=True, slots=True)
class Param:
    pos: int
    end: int
    key: str


@dataclass(frozen=True, slots=True)
class Cross:
    pos: int
    end: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Field:
    pos: int
    end: int
    name: str


@dataclass(frozen=True, slots=True)
class InList:
    pos: int
    end: int
    operand: object
    values: tuple
    item_type: str


@dataclass(frozen=True, slots=True)
class Func:
    pos: int
    end: int
    function: str  # int | double | round | min | max
    args: tuple


@dataclass(frozen=True, slots=True)
class Agg:
    """A per-member aggregate: exists | all | exists_one | count (filter().size()) | sum (of map) | size."""

    pos: int
    end: int
    kind: str
    var: str | None
    body: object  # resolved, reads Field nodes; None for size


def children(node) -> tuple:
    if isinstance(node, Unary):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Ternary):
        return (node.cond, node.then, node.otherwise)
    if isinstance(node, InList):
        return (node.operand,)
    if isinstance(node, Func):
        return node.args
    if isinstance(node, Agg):
        return () if node.body is None else (node.body,)
    return ()


def walk(node):
    """Every node of a resolved tree, parents first."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
