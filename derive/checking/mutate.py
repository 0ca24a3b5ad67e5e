"""Small changes to a student's backward line, each tagged with the mistake it would undo.

``mutations(tree, ...)`` yields (kind, changed tree, message): matmul operands swapped or transposed,
a sum over another axis or with keepdims toggled, a sign flipped.  The checker evaluates each; the
first that makes the line right names the mistake.  ``activation_factors`` gives each activation's
derivative in the program (relu: [x > 0], tanh: 1 - y^2, ...) to find a missing one.
"""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np

from ..tensor.evaluate import NumpyOps, evaluate
from ..tensor.grammar import Bin, Call, Const, Name, Neg, Num, Tuple

MAX_MUTATIONS = 300
_FIELDS = {"Neg": ("x",), "Bin": ("a", "b"), "Index": ("x",), "Scatter": ("g", "x")}


def _positions(tree, rebuild=lambda t: t):
    """(node, rebuild) for every node: rebuild(new) is the whole tree with that node replaced."""
    yield tree, rebuild
    kind = type(tree).__name__
    if kind in _FIELDS:
        for f in _FIELDS[kind]:
            child = getattr(tree, f)
            yield from _positions(child, lambda new, f=f, tree=tree, rb=rebuild:
                                  rb(dataclasses.replace(tree, **{f: new})))
    elif isinstance(tree, Call):
        for i, child in enumerate(tree.args):
            yield from _positions(child, lambda new, i=i, tree=tree, rb=rebuild:
                                  rb(dataclasses.replace(tree, args=tree.args[:i] + (new,) + tree.args[i + 1:])))


def _T(t):
    return t.args[0] if isinstance(t, Call) and t.fn == "transpose" else Call("transpose", (t,))


def _axis(k):
    return Num(Fraction(k))


def mutations(tree, forward: dict, sizes: dict):
    """Changed versions of ``tree``: (kind, tree, what the change says about the original)."""
    count = 0
    for node, rebuild in _positions(tree):
        if count > MAX_MUTATIONS:
            return
        if isinstance(node, Bin) and node.op == "@":
            A, B = node.a, node.b
            for a, b in ((_T(A), B), (A, _T(B)), (B, A), (_T(B), _T(A)), (_T(A), _T(B)), (B, _T(A)), (_T(B), A)):
                count += 1
                yield "matmul", rebuild(Bin("@", a, b)), "transposed or on the wrong side of a matmul"
        elif isinstance(node, Call) and node.fn in ("sum", "mean"):
            kw = dict(node.kw)
            here = kw.get("axis")
            for k in range(4):
                if here == _axis(k):
                    continue
                for keep in (False, True):
                    new = {**kw, "axis": _axis(k)}
                    new.pop("keepdims", None)
                    if keep:
                        new["keepdims"] = Const(True)
                    count += 1
                    what = "the whole tensor" if here is None else f"axis {_code(here)}"
                    yield "axis", rebuild(Call(node.fn, node.args, tuple(new.items()))), \
                        f"summed over the wrong axis: over {what} instead of axis {k}"
            if "keepdims" in kw:
                new = {k: v for k, v in kw.items() if k != "keepdims"}
                yield "axis", rebuild(Call(node.fn, node.args, tuple(new.items()))), "keepdims=True keeps an axis that must go"
        elif isinstance(node, Neg):
            count += 1
            yield "sign", rebuild(node.x), "a wrong sign"
        elif isinstance(node, Bin) and node.op in ("+", "-"):
            count += 1
            yield "sign", rebuild(Bin("-" if node.op == "+" else "+", node.a, node.b)), "a wrong sign"


def _code(t) -> str:
    if isinstance(t, Num):
        return str(int(t.value)) if t.value.denominator == 1 else str(float(t.value))
    if isinstance(t, Tuple):
        return ", ".join(_code(x) for x in t.items)
    return "?"


# activation -> (its derivative from the forward values, how a lecturer writes it)
_DERIVATIVES = {
    "relu": (lambda x, y: (x > 0).astype(float), "relu's derivative ({x} > 0)"),
    "tanh": (lambda x, y: 1 - y**2, "tanh's derivative (1 - {y}**2)"),
    "sigmoid": (lambda x, y: y * (1 - y), "sigmoid's derivative {y} * (1 - {y})"),
    "exp": (lambda x, y: y, "exp's derivative (times {y})"),
}


def activation_factors(prog, forward: dict, shape: tuple):
    """(description, factor) for every named activation in the program whose output has ``shape``."""
    from ..tensor.printer import to_code
    sizes = prog.realistic()
    for name, tree, _ in prog.forward:
        if isinstance(tree, Call) and tree.fn in _DERIVATIVES and forward[name].shape == shape:
            fn, text = _DERIVATIVES[tree.fn]
            with np.errstate(all="ignore"):
                x = np.asarray(evaluate(tree.args[0], forward, NumpyOps(), sizes), float)
            arg = to_code(tree.args[0])
            arg = arg if isinstance(tree.args[0], Name) else f"({arg})"
            yield "the activation's derivative: times " + text.format(x=arg, y=name), fn(x, forward[name])



