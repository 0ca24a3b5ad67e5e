"""The functions every backend computes from primitives, written once: softmax, log-softmax, mean, var,
min, |x| and sign, maximum/minimum/where (as masks), clip, concatenate (as sums of scatters).

``evaluate._Eval`` inherits these; a backend (``NumpyOps``, the proof's field) supplies only the
primitives (``add``, ``compare``, ``sum``, ``max``, ``scatter``...), and may supply a faster one
(``NumpyOps.maximum``) that computes the same values.  The masks carry the gradient convention
PyTorch uses (relu'(0) = 0, |x|'(0) = 0, a tie of maximum splits it in half, clip passes it at the bounds).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .axes import ddof
from .shapes import axes, const_int, joined, keepdims
from .tree import Call, Const, Num


class Composite:
    """Mixin for the evaluator: ``self.ops`` the backend, ``self.sizes``, ``self(node)`` evaluates."""

    def reduce(self, node: Call, x, shape):
        B, fn = self.ops, node.fn
        ax = axes(node, len(shape), self.sizes)
        if fn in ("softmax", "log_softmax"):
            ax = ax if ax is not None else tuple(range(len(shape)))
            shifted = B.sub(x, B.max(x, ax, True))
            e = B.exp(shifted)
            s = B.sum(e, ax, True)
            return B.div(e, s) if fn == "softmax" else B.sub(shifted, B.log(s))
        keep = keepdims(node)
        if fn == "max":
            return B.max(x, ax, keep)
        if fn == "min":
            return B.neg(B.max(B.neg(x), ax, keep))
        count = int(np.prod([shape[i] for i in (ax if ax is not None else range(len(shape)))]))
        if fn == "var":
            d = B.sub(x, B.mul(B.sum(x, ax, True), B.const(Fraction(1, count))))
            return B.mul(B.sum(B.mul(d, d), ax, keep), B.const(Fraction(1, count - ddof(node))))
        total = B.sum(x, ax, keep)
        if fn == "sum":
            return total
        return B.mul(total, B.const(Fraction(1, count)))

    def sign(self, x, fn):
        """sign(x) = [x > 0] - [x < 0]; |x| = x sign(x), whose derivative at 0 is 0 (PyTorch's)."""
        B = self.ops
        if fn == "abs" and hasattr(B, "abs"):
            return B.abs(x)
        zero = B.const(Fraction(0))
        s = B.sub(B.compare(">", x, zero), B.compare("<", x, zero))
        return s if fn == "sign" else B.mul(x, s)

    def elementwise(self, node: Call):
        """maximum/minimum (a tie splits the gradient in half, as PyTorch does), where, einsum."""
        B, fn = self.ops, node.fn
        if fn == "einsum":
            return B.einsum(node.args[0].value, *[self(x) for x in node.args[1:]])
        args = [self(x) for x in node.args]
        if hasattr(B, fn):
            return getattr(B, fn)(*args)
        one = B.const(Fraction(1))
        if fn == "where":
            c, a, b = args
            m = B.compare("!=", c, B.const(Fraction(0)))
        else:
            a, b = args
            m = B.add(B.compare(">" if fn == "maximum" else "<", a, b),
                      B.mul(B.const(Fraction(1, 2)), B.compare("==", a, b)))
        return B.add(B.mul(m, a), B.mul(B.sub(one, m), b))

    def clip(self, node: Call, x):
        """clip(x, lo, hi): the gradient passes where lo <= x <= hi (PyTorch's clamp)."""
        B = self.ops
        out = x
        for key, op in (("min", "<"), ("max", ">")):
            v = node.get(key)
            if v is None or isinstance(v, Const) and v.value is None:
                continue
            bound = self(v)
            out_of = B.compare(op, x, bound)
            out = B.add(B.mul(B.sub(B.const(Fraction(1)), out_of), out), B.mul(out_of, bound))
        return out

    def join(self, node: Call, parts: list):
        B = self.ops
        shapes_ = [tuple(B.shape(p)) for p in parts]
        axis = const_int(node.get("axis", Num(Fraction(0))), self.sizes)
        if node.fn == "stack":
            return B.stack(parts, axis % (len(shapes_[0]) + 1))
        out = joined(node, shapes_, self.sizes)
        axis %= len(out)
        total, at = None, 0
        for p, sh in zip(parts, shapes_):
            key = (slice(None),) * axis + (slice(at, at + sh[axis]),)
            piece = B.scatter(p, out, key)
            total = piece if total is None else B.add(total, piece)
            at += sh[axis]
        return total


