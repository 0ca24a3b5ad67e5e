"""Evaluate a tensor expression tree over a backend: NumPy floats, or exact field values for the proof.

One interpreter walks the tree; a backend supplies the primitive ops (``add``, ``matmul``, ``sum``,
``exp``, ``index``...).  Composite functions (mean, softmax, log_softmax) are written here once from
those primitives, so every backend computes them the same way.  Never ``eval``: the tree is data.
"""
from __future__ import annotations

from fractions import Fraction

import math

import numpy as np

from ..errors import FormulaError, NotRead
from .axes import as_slice, pad_widths, permutation
from .composite import Composite
from .shapes import axes, const_int, dims, expand_ellipsis, keepdims
from .tree import COMPARISONS, Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple, children

TRANSCENDENTAL = ("sqrt", "exp", "log", "tanh", "sigmoid", "erf", "pi")
# NumPy has no erf: the standard library's, entry by entry (exact to its last bit, as math.erf)
erf = np.vectorize(math.erf, otypes=[float])
_FOLDED: dict = {}


class NumpyOps:
    """Float64 NumPy arrays."""

    def const(self, q: Fraction):
        return float(q)

    def array(self, a):
        return np.asarray(a, dtype=float)

    add = staticmethod(np.add)
    sub = staticmethod(np.subtract)
    mul = staticmethod(np.multiply)
    div = staticmethod(np.divide)
    neg = staticmethod(np.negative)
    matmul = staticmethod(np.matmul)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    tanh = staticmethod(np.tanh)
    erf = staticmethod(erf)

    def pow(self, a, q: Fraction):
        return np.power(a, int(q) if q.denominator == 1 else float(q))

    def sigmoid(self, a):
        return 1.0 / (1.0 + np.exp(-a))

    def relu(self, a):
        return np.maximum(a, 0.0)

    def compare(self, op, a, b):
        return {">": np.greater, "<": np.less, ">=": np.greater_equal, "<=": np.less_equal,
                "==": np.equal, "!=": np.not_equal}[op](a, b).astype(float)

    def sum(self, a, ax, keep):
        return np.sum(a, axis=ax, keepdims=keep)

    def max(self, a, ax, keep):
        return np.max(a, axis=ax, keepdims=keep)

    def transpose(self, a):
        return np.transpose(a)

    def permute(self, a, order):
        return np.transpose(a, order)

    def einsum(self, spec, *xs):
        return np.einsum(spec, *xs)

    def where(self, c, a, b):
        return np.where(np.asarray(c) != 0, a, b)

    def maximum(self, a, b):
        return np.maximum(a, b)

    def minimum(self, a, b):
        return np.minimum(a, b)

    def abs(self, a):
        return np.abs(a)

    def reshape(self, a, shape):
        return np.reshape(a, shape)

    def broadcast_to(self, a, shape):
        return np.broadcast_to(a, shape)

    def index(self, a, key):
        return np.asarray(a)[key]

    def scatter(self, g, shape, key):
        out = np.zeros(shape)
        np.add.at(out, key, g)
        return out

    def stack(self, parts, axis):
        return np.stack([np.broadcast_to(p, np.shape(parts[0])) for p in parts], axis=axis)

    def shape(self, a):
        return np.shape(a)


def evaluate(node, env: dict, ops, sizes: dict):
    """The value of ``node`` with names from ``env`` (sizes are constants)."""
    return _Eval(env, ops, sizes)(node)


class _Eval(Composite):
    def __init__(self, env, ops, sizes):
        self.env, self.ops, self.sizes = env, ops, sizes
        self.fold = not isinstance(ops, _FloatConstants)

    def __call__(self, node):
        B = self.ops
        if isinstance(node, Num):
            return B.const(node.value)
        if isinstance(node, Name):
            if node.id in self.env:
                return self.env[node.id]
            if node.id in self.sizes:
                return B.const(Fraction(self.sizes[node.id]))
            raise FormulaError(f"unknown name {node.id!r}")
        if isinstance(node, Neg):
            return B.neg(self(node.x))
        if self.fold and isinstance(node, (Bin, Call)) and _foldable(node):
            return B.const(_fold(node, self.sizes))
        if isinstance(node, Bin):
            if node.op == "**":
                return B.pow(self(node.a), _exponent(node.b, self.sizes))
            a, b = self(node.a), self(node.b)
            if node.op in COMPARISONS:
                return B.compare(node.op, a, b)
            return {"+": B.add, "-": B.sub, "*": B.mul, "/": B.div, "@": B.matmul}[node.op](a, b)
        if isinstance(node, Index):
            x = self(node.x)
            return B.index(x, self.key(expand_ellipsis(node.items, len(B.shape(x)))))
        if isinstance(node, Scatter):
            shape = B.shape(self(node.x))
            return B.scatter(self(node.g), shape, self.key(expand_ellipsis(node.items, len(shape))))
        if isinstance(node, Call):
            return self.call(node)
        raise NotRead(f"cannot evaluate {type(node).__name__}")

    def key(self, items) -> tuple:
        out = []
        for it in items:
            if isinstance(it, Const) and it.value is None:
                out.append(None)
            elif isinstance(it, Slice):
                out.append(as_slice(it, self.sizes))
            elif isinstance(it, Call) and it.fn == "arange":
                out.append(np.arange(const_int(it.args[0], self.sizes)))
            elif isinstance(it, Name) and it.id in self.env:
                out.append(np.asarray(self.env[it.id]).astype(np.int64))
            elif isinstance(it, Index) or isinstance(it, Call) and it.fn == "argmax":
                out.append(np.asarray(getattr(self(it), "f", self(it))).astype(np.int64))   # ids[i, j], Y.argmax(1)
            else:
                try:
                    out.append(const_int(it, self.sizes))
                except FormulaError:
                    out.append(self.positions(it))
        return tuple(out)

    def positions(self, it) -> np.ndarray:
        """An index computed from integer tensors (Xb.ravel(), Yb.reshape(-1)): its values, all whole numbers."""
        try:
            v = np.asarray(getattr(self(it), "f", self(it)))
        except (TypeError, ValueError, AttributeError):
            v = np.asarray(0.5)
        if v.dtype == object or not np.all(np.isfinite(v.astype(float))) or np.any(v.astype(float) % 1):
            raise NotRead("expected a constant integer (a number or a size name) or integer positions")
        return v.astype(np.int64)

    def call(self, node: Call):
        B, fn = self.ops, node.fn
        if fn == "one_hot":
            arg = node.args[0]
            idx = self.env[arg.id] if isinstance(arg, Name) and arg.id in self.env else self(arg)
            idx = np.asarray(getattr(idx, "f", idx)).astype(np.int64)
            n = node.args[1]
            if isinstance(n, Index) and isinstance(n.x, Call) and n.x.fn == "shape":
                count = int(np.asarray(getattr(self(n), "f", self(n))))
            else:
                count = const_int(n, self.sizes)
            return B.array(np.eye(count)[idx])
        if fn == "argmax":         # an integer (no gradient): the position of the largest entry
            x = self(node.args[0])
            ax = axes(node, len(B.shape(x)), self.sizes)
            f = np.asarray(getattr(x, "f", x))
            k = np.argmax(f, axis=ax[0]) if ax else np.argmax(f)
            return B.array(np.expand_dims(k, ax[0]) if ax and keepdims(node) else k)
        if fn in ("stack", "concatenate"):
            return self.join(node, [self(x) for x in node.args[0].items])
        if fn in ("maximum", "minimum", "where", "einsum"):
            return self.elementwise(node)
        if fn == "pi":
            return B.const(_fold(node, self.sizes))
        x = self(node.args[0])
        if fn in ("exp", "log", "tanh", "sigmoid", "relu", "erf"):
            return getattr(B, fn)(x)
        if fn == "sqrt":
            return B.pow(x, Fraction(1, 2))
        if fn == "float":
            return x
        if fn in ("abs", "sign"):
            return self.sign(x, fn)
        shape = B.shape(x)
        if fn == "shape":
            return B.array(np.array(shape, dtype=float))
        if fn in ("sum", "mean", "max", "min", "var", "softmax", "log_softmax"):
            return self.reduce(node, x, shape)
        if fn in ("transpose", "permute", "swapaxes"):
            order = permutation(node, len(shape), self.sizes)
            if order == tuple(reversed(range(len(shape)))):
                return B.transpose(x)
            return B.permute(x, order)
        if fn == "reshape" and isinstance(node.args[1], Call) and node.args[1].fn == "shape":
            return B.reshape(x, tuple(B.shape(self(node.args[1].args[0]))))
        if fn == "reshape":
            target = list(dims(node.args[1], self.sizes))
            if -1 in target:
                rest = int(np.prod([d for d in target if d != -1]))
                target[target.index(-1)] = int(np.prod(shape)) // rest
            return B.reshape(x, tuple(target))
        if fn == "broadcast_to":
            return B.broadcast_to(x, dims(node.args[1], self.sizes))
        if fn == "ones_like":
            return B.array(np.ones(shape))
        if fn == "zeros_like":
            return B.array(np.zeros(shape))
        if fn == "pad":
            widths = pad_widths(node, len(shape), self.sizes)
            out = tuple(n + a + b for n, (a, b) in zip(shape, widths))
            return B.scatter(x, out, tuple(slice(a, a + n) for n, (a, _) in zip(shape, widths)))
        if fn == "clip":
            return self.clip(node, x)
        raise NotRead(f"cannot evaluate {fn}()")


def _foldable(node) -> bool:
    """A constant written with a transcendental function or pi (sqrt(2/pi)): one number, no tensor."""
    found, stack = False, [node]
    while stack:             # not walk(): its nested generators made this quadratic in a tree's depth
        n = stack.pop()
        stack.extend(children(n))
        if isinstance(n, Call) and n.fn in TRANSCENDENTAL:
            found = True
        elif isinstance(n, Name) or isinstance(n, (Index, Scatter, Tuple, Const)) \
                or isinstance(n, Call) and n.fn not in TRANSCENDENTAL + ("float",):
            return False
    return found


def _fold(node, sizes: dict) -> Fraction:
    """The constant's float value as an exact fraction: every backend sees the same number."""
    key = (node, tuple(sorted(sizes.items())))
    if key not in _FOLDED:
        if len(_FOLDED) > 10_000:
            _FOLDED.clear()
        with np.errstate(all="ignore"):
            v = float(np.pi) if node == Call("pi", ()) else float(evaluate(node, {}, _FloatConstants(), sizes))
        if not np.isfinite(v):
            raise NotRead("a constant is not a finite number")
        _FOLDED[key] = Fraction(v)
    return _FOLDED[key]


class _FloatConstants(NumpyOps):
    pass


def _exponent(node, sizes) -> Fraction:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg) and isinstance(node.x, Num):
        return -node.x.value
    try:
        return Fraction(const_int(node, sizes))
    except FormulaError:
        raise NotRead("an exponent must be a number") from None
