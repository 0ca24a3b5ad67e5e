"""Exact prime-field arithmetic on tensors for the tensor proof (``tensor.proof``): ``FV`` holds a tensor at
a proof point (field values, forward-mode tangents, a real shadow, a degree bound) and ``FieldOps`` is the
backend ``evaluate`` runs on, as ``evaluate.NumpyOps`` is for floats.  Transcendental values (exp, log,
tanh, sigmoid, erf, roots) are fresh variables: a random function of their argument's field value.
"""
from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

P = 2**61 - 1          # a prime, 3 mod 4: square roots are u^((P+1)/4)
_inv = np.frompyfunc(lambda x: pow(int(x), P - 2, P), 1, 1)


def objects(x):
    """An object array of Python ints (exact field values) from x."""
    return np.asarray(x, dtype=object)


class FV:
    """A tensor at a proof point: exact field values v, tangents t (None: zero), real shadow f, and d, a bound
    on the degree of every entry's dual number v + e t as a rational function (numerator and denominator)
    of the leaves, the atoms, the direction and e."""
    __slots__ = ("f", "v", "t", "d")

    def __init__(self, f, v, t=None, d=0):
        self.f, self.v, self.t = np.asarray(f, dtype=float), objects(v), None if t is None else objects(t)
        self.d = d


def _size(x) -> int:
    return max(1, int(np.prod(np.shape(x.v))))


class FieldOps:
    """The backend the evaluator runs on for the proof (see ``evaluate.NumpyOps`` for the float one)."""

    def __init__(self, rng: random.Random):
        self.rng, self.table = rng, {}

    def oracle(self, fn: str, v):
        """A random function of the value: the same argument always gives the same result."""
        def one(x):
            key = (fn, int(x))
            if key not in self.table:
                self.table[key] = self.rng.randrange(1, P)
            return self.table[key]
        return np.frompyfunc(one, 1, 1)(v) if np.ndim(v) else objects(one(v))

    def const(self, q: Fraction):
        return FV(float(q), q.numerator % P * pow(q.denominator, P - 2, P) % P)

    def array(self, a):
        a = np.asarray(a, dtype=float)
        return FV(a, objects(a.astype(np.int64)) % P)

    @staticmethod
    def _t(t, shape):
        return None if t is None else np.broadcast_to(objects(t), shape)

    def _tsum(self, *ts):
        ts = [t for t in ts if t is not None]
        if not ts:
            return None
        out = ts[0]
        for t in ts[1:]:
            out = out + t
        return out % P

    def add(self, a, b):
        v = objects((a.v + b.v) % P)
        return FV(a.f + b.f, v, self._t(self._tsum(a.t, b.t), v.shape), a.d + b.d)

    def neg(self, a):
        return FV(-a.f, (-a.v) % P, None if a.t is None else (-a.t) % P, a.d)

    def sub(self, a, b):
        return self.add(a, self.neg(b))

    def mul(self, a, b):
        v = objects((a.v * b.v) % P)
        t = self._tsum(None if a.t is None else a.t * b.v, None if b.t is None else a.v * b.t)
        return FV(a.f * b.f, v, self._t(t, v.shape), a.d + b.d)

    def div(self, a, b):
        return self.mul(a, self._reciprocal(b))

    def _reciprocal(self, b):
        inv = _inv(b.v) if np.ndim(b.v) else objects(pow(int(b.v), P - 2, P))
        t = None if b.t is None else (-b.t * inv * inv) % P
        with np.errstate(divide="ignore"):
            return FV(1.0 / b.f, inv, t, b.d)

    def pow(self, a, q: Fraction):
        with np.errstate(all="ignore"):
            f = np.power(a.f, float(q))
        if q.denominator == 1:
            k = int(q)
            base = a if k >= 0 else self._reciprocal(FV(a.f, a.v))
            v = objects(1) if k == 0 else _pow(base.v, abs(k))
            dv = objects(0) if k == 0 else (k * _pow(a.v, k - 1)) % P if k > 0 else (k * _pow(base.v, 1 - k)) % P
            d = abs(k) * a.d
        else:
            # u^(p/q) = r^p for a fresh variable r (the atom u^(1/q), the same r for the same u), and
            # d u^(p/q) = (p/q) r^(p-q) du: written without r^q = u, as the backward formulas write it
            # (q x^(q-1) g), so no point needs a true root (H roots exist together with chance 2^-H)
            r = self.oracle(f"root{q.denominator}", a.v)
            v = self._rpow(r, q.numerator)
            qq = q.numerator % P * pow(q.denominator, P - 2, P) % P
            dv = (qq * self._rpow(r, q.numerator - q.denominator)) % P
            d = abs(q.numerator) + abs(q.numerator - q.denominator) + 2 * a.d + 1
        t = None if a.t is None else (dv * a.t) % P
        return FV(f, objects(v) % P, t, d)

    @staticmethod
    def _rpow(r, k: int):
        if k >= 0:
            return _pow(r, k)
        return _pow(_inv(r) if np.ndim(r) else objects(pow(int(r), P - 2, P)), -k)

    def matmul(self, a, b):
        v = (a.v @ b.v) % P
        t = self._tsum(None if a.t is None else a.t @ b.v, None if b.t is None else a.v @ b.t)
        return FV(a.f @ b.f, v, t, int(np.shape(a.v)[-1]) * (a.d + b.d))

    def _unary(self, fn, a, f, dv):
        v = self.oracle(fn, a.v)
        return FV(f, v, None if a.t is None else (dv(v) * a.t) % P, 3 + 2 * a.d)

    def exp(self, a):
        return self._unary("exp", a, np.exp(a.f), lambda v: v)

    def log(self, a):
        out = self.oracle("log", a.v)
        inv = _inv(a.v) if np.ndim(a.v) else objects(pow(int(a.v), P - 2, P))
        with np.errstate(all="ignore"):
            return FV(np.log(a.f), out, None if a.t is None else (inv * a.t) % P, 3 + 3 * a.d)

    def tanh(self, a):
        return self._unary("tanh", a, np.tanh(a.f), lambda v: (1 - v * v) % P)

    def sigmoid(self, a):
        return self._unary("sigmoid", a, 1 / (1 + np.exp(-a.f)), lambda v: (v * (1 - v)) % P)

    def erf(self, a):
        """erf(u): a fresh variable E; dE = 2/sqrt(pi) X du, X the exp atom of -u^2 (the variable a backward
        formula's exp(-x**2) reads) and 2/sqrt(pi) written here, not taken from the rules table, and folded
        to one number as every constant is (so the table's 2/sqrt(pi) must be the same number)."""
        from .evaluate import _fold, erf
        from .tree import Bin, Call, Num
        k = self.const(_fold(Bin("/", Num(Fraction(2)), Call("sqrt", (Call("pi", ()),))), {})).v
        x = self.oracle("exp", (-(a.v * a.v)) % P)
        # E + e k X t over the denominator of t: degree at most 2 + 2 d (as tanh's 3 + 2 d, one more for X)
        return FV(erf(a.f), self.oracle("erf", a.v), None if a.t is None else (k * x * a.t) % P, 4 + 2 * a.d)

    def relu(self, a):
        mask = objects((a.f > 0).astype(np.int64))
        return FV(np.maximum(a.f, 0), a.v * mask, None if a.t is None else a.t * mask, a.d)

    def compare(self, op, a, b):
        from .evaluate import NumpyOps
        m = NumpyOps().compare(op, a.f, b.f)
        return FV(m, objects(m.astype(np.int64)))

    def sum(self, a, ax, keep):
        v = np.sum(a.v, axis=ax, keepdims=keep) % P
        k = max(1, _size(a) // max(1, int(np.prod(np.shape(v)))))      # entries added into each
        return FV(np.sum(a.f, axis=ax, keepdims=keep), v,
                  None if a.t is None else np.sum(a.t, axis=ax, keepdims=keep) % P, k * a.d)

    def max(self, a, ax, keep):
        axes_ = tuple(range(a.f.ndim)) if ax is None else ax
        f, v = a.f, a.v
        t = None if a.t is None else np.broadcast_to(a.t, a.v.shape)
        for k in sorted(axes_, reverse=True):
            i = np.expand_dims(np.argmax(f, axis=k), k)
            f, v = np.take_along_axis(f, i, k), np.take_along_axis(v, i, k)
            t = None if t is None else np.take_along_axis(t, i, k)
        if not keep:
            f, v = np.squeeze(f, axes_), np.squeeze(v, axes_)
            t = None if t is None else np.squeeze(t, axes_)
        return FV(f, v, t, a.d)

    def transpose(self, a):
        return FV(a.f.T, a.v.T, None if a.t is None else a.t.T, a.d)

    def permute(self, a, order):
        t = None if a.t is None else np.transpose(np.broadcast_to(a.t, a.v.shape), order)
        return FV(np.transpose(a.f, order), np.transpose(a.v, order), t, a.d)

    def einsum(self, spec, *xs):
        v = np.einsum(spec, *[x.v for x in xs]) % P
        t = self._tsum(*[None if x.t is None else np.einsum(spec, *[y.v if y is not x else np.broadcast_to(x.t, x.v.shape)
                                                                  for y in xs]) for x in xs])
        k = max(1, int(np.prod([_size(x) for x in xs])) // max(1, int(np.prod(np.shape(v)))))
        return FV(np.einsum(spec, *[x.f for x in xs]), objects(v), t, k * sum(x.d for x in xs))

    def reshape(self, a, shape):
        return FV(a.f.reshape(shape), a.v.reshape(shape), None if a.t is None else np.reshape(a.t, shape), a.d)

    def broadcast_to(self, a, shape):
        return FV(np.broadcast_to(a.f, shape), np.broadcast_to(a.v, shape),
                  None if a.t is None else np.broadcast_to(a.t, shape), a.d)

    def index(self, a, key):
        t = None if a.t is None else np.broadcast_to(a.t, a.v.shape)[key]
        return FV(a.f[key], a.v[key], t, a.d)

    def scatter(self, g, shape, key):
        f, v = np.zeros(shape), objects(np.zeros(shape, dtype=np.int64))
        np.add.at(f, key, g.f)
        np.add.at(v, key, g.v)
        t = None
        if g.t is not None:      # a forward pad / concatenate carries its tangent
            t = objects(np.zeros(shape, dtype=np.int64))
            np.add.at(t, key, np.broadcast_to(g.t, g.v.shape))
            t = t % P
        return FV(f, v % P, t, _size(g) * g.d)

    def stack(self, parts, axis):
        t = [p.t if p.t is not None else objects(np.zeros(p.v.shape, dtype=np.int64)) for p in parts]
        return FV(np.stack([p.f for p in parts], axis), np.stack([p.v for p in parts], axis),
                  None if all(p.t is None for p in parts) else np.stack([np.broadcast_to(x, parts[0].v.shape) for x in t], axis),
                  max(p.d for p in parts))

    def shape(self, a):
        return a.v.shape


def _pow(v, k: int):
    return np.frompyfunc(lambda x: pow(int(x), k, P), 1, 1)(v) if np.ndim(v) else objects(pow(int(v), k, P))
