"""Evaluate a tensor expression tree over a backend: NumPy floats, or exact field values for the proof.

One interpreter walks the tree; a backend supplies the primitive ops (``add``, ``matmul``, ``sum``,
``exp``, ``index``...).  Composite functions (mean, softmax, log_softmax) are written here once from
those primitives, so every backend computes them the same way.  Never ``eval``: the tree is data.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import FormulaError
from .grammar import COMPARISONS, Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice
from .shapes import axes, const_int, dims, keepdims


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


class _Eval:
    def __init__(self, env, ops, sizes):
        self.env, self.ops, self.sizes = env, ops, sizes

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
        if isinstance(node, Bin):
            if node.op == "**":
                return B.pow(self(node.a), _exponent(node.b, self.sizes))
            a, b = self(node.a), self(node.b)
            if node.op in COMPARISONS:
                return B.compare(node.op, a, b)
            return {"+": B.add, "-": B.sub, "*": B.mul, "/": B.div, "@": B.matmul}[node.op](a, b)
        if isinstance(node, Index):
            return B.index(self(node.x), self.key(node.items))
        if isinstance(node, Scatter):
            return B.scatter(self(node.g), B.shape(self(node.x)), self.key(node.items))
        if isinstance(node, Call):
            return self.call(node)
        raise FormulaError(f"cannot evaluate {type(node).__name__}")

    def key(self, items) -> tuple:
        out = []
        for it in items:
            if isinstance(it, Const) and it.value is None:
                out.append(None)
            elif isinstance(it, Slice):
                lo = None if it.lo is None else const_int(it.lo, self.sizes)
                hi = None if it.hi is None else const_int(it.hi, self.sizes)
                out.append(slice(lo, hi))
            elif isinstance(it, Call) and it.fn == "arange":
                out.append(np.arange(const_int(it.args[0], self.sizes)))
            elif isinstance(it, Name) and it.id in self.env:
                out.append(np.asarray(self.env[it.id]).astype(np.int64))
            else:
                out.append(const_int(it, self.sizes))
        return tuple(out)

    def call(self, node: Call):
        B, fn = self.ops, node.fn
        if fn == "one_hot":
            idx = np.asarray(self.env[node.args[0].id]).astype(np.int64)
            return B.array(np.eye(const_int(node.args[1], self.sizes))[idx])
        if fn == "stack":
            parts = [self(x) for x in node.args[0].items]
            return B.stack(parts, const_int(node.get("axis", Num(Fraction(0))), self.sizes))
        x = self(node.args[0])
        if fn in ("exp", "log", "tanh", "sigmoid", "relu"):
            return getattr(B, fn)(x)
        if fn == "sqrt":
            return B.pow(x, Fraction(1, 2))
        if fn == "float":
            return x
        shape = B.shape(x)
        if fn in ("sum", "mean", "max", "softmax", "log_softmax"):
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
            total = B.sum(x, ax, keep)
            if fn == "sum":
                return total
            count = int(np.prod([shape[i] for i in (ax if ax is not None else range(len(shape)))]))
            return B.mul(total, B.const(Fraction(1, count)))
        if fn == "transpose":
            return B.transpose(x)
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
        raise FormulaError(f"cannot evaluate {fn}()")


def _exponent(node, sizes) -> Fraction:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Neg) and isinstance(node.x, Num):
        return -node.x.value
    try:
        return Fraction(const_int(node, sizes))
    except FormulaError:
        raise FormulaError("an exponent must be a number") from None
