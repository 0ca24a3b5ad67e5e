"""Slips a statement's own text shows, each undone by a change of that text: one activation's
derivative written for another's (``dZ = dA * (1 - s ** 2)`` in a sigmoid's backward, ``s * (1 - s)``
for a tanh), a comparison the wrong way round (``dZ[Z > 0] = 0`` for ``dZ[Z <= 0] = 0``,
``np.where(z < 0, 1, 0)``) and an index one off (``caches[l - 1]`` for ``caches[l]``).
``backward_blame`` tries them with its other edits of a statement.
"""
from __future__ import annotations

from fractions import Fraction

from ..tensor.printer import to_code
from ..tensor.tree import Bin, Call, Index, Name, Num, Slice, Tuple, names

MAX_SWAPS = 60
_OPPOSITE = {">": "<=", "<=": ">", "<": ">=", ">=": "<"}
_ONE, _TWO, _ZERO = Num(Fraction(1)), Num(Fraction(2)), Num(Fraction(0))


def derivatives(x) -> list:
    """(whose, tree) of each activation's derivative written in terms of x, its output or its input."""
    return [("sigmoid's, of its output", Bin("*", x, Bin("-", _ONE, x))),
            ("tanh's, of its output", Bin("-", _ONE, Bin("**", x, _TWO))),
            ("relu's", Bin(">", x, _ZERO)),
            ("sigmoid's", Bin("*", Call("sigmoid", (x,)), Bin("-", _ONE, Call("sigmoid", (x,))))),
            ("tanh's", Bin("-", _ONE, Bin("**", Call("tanh", (x,)), _TWO)))]


def _factors(t) -> list:
    return _factors(t.a) + _factors(t.b) if isinstance(t, Bin) and t.op == "*" else [t]


def _product(xs: list):
    out = xs[0]
    for x in xs[1:]:
        out = Bin("*", out, x)
    return out


def swaps(tree):
    """(message, changed tree): the factors of a product that read one name only (s and 1 - s) put back as
    another activation's derivative of that name; a comparison turned round."""
    from ..checking.mutate import _positions
    count = 0
    for node, rebuild in _positions(tree):
        if count > MAX_SWAPS:
            return
        if isinstance(node, Index) and len(node.items) == 1 and not isinstance(node.items[0], (Slice, Tuple)) \
                and (names(node.items[0]) or isinstance(node.items[0], Num)):
            for item in sorted((_fold(Bin(step, node.items[0], _ONE)) for step in "+-"), key=lambda t: len(to_code(t))):
                count += 1              # caches[l - 1] for caches[l], nabla_b[-l + 1]: a layer one off
                new = Index(node.x, (item,))
                yield f"an index one off: {to_code(new)} where {to_code(node)} is written", rebuild(new)
        if isinstance(node, Call) and node.fn in ("max", "min") and isinstance(node.get("axis"), Num):
            for k in (0, 1):             # a softmax's shift by the max over the wrong axis
                if Fraction(k) != node.get("axis").value:
                    count += 1
                    new = Call(node.fn, node.args, tuple((a, Num(Fraction(k)) if a == "axis" else v) for a, v in node.kw))
                    yield f"taken over the wrong axis: {to_code(new)} where {to_code(node)} is written", rebuild(new)
        if isinstance(node, Bin) and node.op in _OPPOSITE:
            count += 1
            new = Bin(_OPPOSITE[node.op], node.a, node.b)
            yield f"the comparison is the wrong way round: {to_code(new)} where {to_code(node)} is written", rebuild(new)
        if not (isinstance(node, Bin) and node.op == "*"):
            continue
        factors = _factors(node)
        for x in dict.fromkeys(n for f in factors for n in names(f) if not n.startswith("d")):  # not a gradient
            mine = [f for f in factors if set(names(f)) == {x} and not _calls(f)]   # a helper's body says its own
            rest = [f for f in factors if set(names(f)) != {x}]
            if not mine or not rest:
                continue
            old = _product(mine)
            for whose, d in derivatives(Name(x)):
                if d != old and count <= MAX_SWAPS:
                    count += 1
                    yield (f"the wrong activation derivative: {to_code(old)} where {to_code(d)} belongs ({whose})",
                           rebuild(_product(rest + [d])))


def _calls(t) -> bool:
    """Whether t calls one of the file's helpers (relu_grad(H_pre)): a slip there is in the helper's body."""
    from ..tensor.tree import walk
    return any(isinstance(n, Call) and n.fn == "call" for n in walk(t))


def _fold(t):
    """l - 1 + 1 as l, 2 + 1 as 3 (the index as a person writes it)."""
    if isinstance(t.a, Num) and isinstance(t.b, Num):
        return Num(t.a.value + t.b.value if t.op == "+" else t.a.value - t.b.value)
    if isinstance(t.a, Bin) and t.a.op in "+-" and isinstance(t.a.b, Num) and t.a.b.value == 1 and t.a.op != t.op:
        return t.a.a
    return t


def flips(mask, name: str):
    """(message, mask) for a boolean mask d[Z > 0] = 0 turned round (d[Z <= 0] = 0), and a position set one
    off (nabla_b[-l + 1] = delta for nabla_b[-l] = delta)."""
    if isinstance(mask, Bin) and mask.op in _OPPOSITE:
        new = Bin(_OPPOSITE[mask.op], mask.a, mask.b)
        yield f"the mask is the wrong way round: {to_code(new)} where {to_code(mask)} is written", new
    elif not isinstance(mask, (Slice, Tuple)) and (names(mask) or isinstance(mask, Num)):
        for new in sorted((_fold(Bin(step, mask, _ONE)) for step in "+-"), key=lambda t: len(to_code(t))):
            yield (f"the position is one off: {name}[{to_code(new)}] where {name}[{to_code(mask)}] is written", new)
