"""The tensor grammar's tree: immutable nodes, so a program prints the same every run.

``grammar`` parses text into these nodes; every other tensor module reads them.  ``walk`` visits a
tree parents first, ``names`` lists the names it reads, ``const_fraction`` folds a constant
exponent or factor (``1/2``, ``-3/2``, ``(N - 1)``) into an exact fraction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import FormulaError, NotRead


@dataclass(frozen=True)
class Num:
    value: Fraction
    text: str | None = field(default=None, compare=False)    # as written (0.044715), for printing


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Const:               # True, False, None as keyword values
    value: object


@dataclass(frozen=True)
class Neg:
    x: object


@dataclass(frozen=True)
class Bin:                 # + - * / ** @ and comparisons > < >= <= == !=
    op: str
    a: object
    b: object


@dataclass(frozen=True)
class Call:                # fn(args..., key=value...)
    fn: str
    args: tuple
    kw: tuple = ()         # ((key, node), ...)

    def get(self, key, default=None):
        return next((v for k, v in self.kw if k == key), default)


@dataclass(frozen=True)
class Tuple:
    items: tuple


@dataclass(frozen=True)
class Slice:               # lo:hi:step inside [...]; None means open
    lo: object
    hi: object
    step: object = None


@dataclass(frozen=True)
class Index:               # x[items]; an item is a node, Slice(None, None) for ':', Const(None) for None
    x: object
    items: tuple


@dataclass(frozen=True)
class Scatter:             # backward only: zeros shaped like x, with g added at x[items] (np.add.at)
    g: object
    x: object
    items: tuple


COMPARISONS = (">", "<", ">=", "<=", "==", "!=")


def walk(node):
    """Every node of a tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node) -> tuple:
    if isinstance(node, Neg):
        return (node.x,)
    if isinstance(node, Bin):
        return (node.a, node.b)
    if isinstance(node, Call):
        return node.args + tuple(v for _, v in node.kw)
    if isinstance(node, Tuple):
        return node.items
    if isinstance(node, Slice):
        return tuple(x for x in (node.lo, node.hi, node.step) if x is not None)
    if isinstance(node, Index):
        return (node.x,) + node.items
    if isinstance(node, Scatter):
        return (node.g, node.x) + node.items
    return ()


def names(node) -> list[str]:
    """Names a tree reads, in order of first use."""
    return list(dict.fromkeys(n.id for n in walk(node) if isinstance(n, Name)))


def const_fraction(node, sizes: dict | None = None) -> Fraction:
    """An exact constant over numbers, size names, + - * / and integer powers (an exponent: -3/2)."""
    sizes = sizes or {}
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Name) and node.id in sizes:
        return Fraction(sizes[node.id])
    if isinstance(node, Neg):
        return -const_fraction(node.x, sizes)
    if isinstance(node, Call) and node.fn == "float" and node.args:
        return const_fraction(node.args[0], sizes)
    if isinstance(node, Bin) and node.op in ("+", "-", "*", "/", "**"):
        a, b = const_fraction(node.a, sizes), const_fraction(node.b, sizes)
        if node.op == "+":
            return a + b
        if node.op == "-":
            return a - b
        if node.op == "*":
            return a * b
        if node.op == "/":
            if b == 0:
                raise NotRead("division by zero in a constant")
            return a / b
        if b.denominator == 1 and abs(b) <= 64 and (a != 0 or b >= 0):
            return a ** int(b)
    raise NotRead("an exponent must be a number (2, 0.5, 1/2, -3/2)")
