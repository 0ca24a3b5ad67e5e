"""Prove each derived dNAME equal to the direct derivative of the output, entry by entry, exactly.

The program is instantiated at the spec's small sizes with one variable per entry.  Both sides are
rational functions of those variables and of one variable per transcendental value (each exp, log,
tanh, sigmoid, erf of an entry, and each root u^(1/q): a fresh variable r, u^(p/q) = r^p, never a true
root, so no point has to be one where H square roots exist at once).  Two rational functions are
equal when they agree at random points of a large prime field (Schwartz-Zippel: a nonzero difference
of degree d vanishes at a random point with probability at most d/p, p = 2^61 - 1; d is tracked),
and every value here is exact field arithmetic: no rounding.  The derived side evaluates the backward
formulas; the direct side differentiates the forward pass itself, forward mode, along a random
direction over the tensor's entries (every entry at once; see ``prove_backward``) (d exp(u) =
exp(u) du, d erf(u) = 2/sqrt(pi) exp(-u^2) du, d(u v) = u dv + v du, ...): it never sees the rules
table.  Branches (relu, max, comparisons) are fixed by a real-valued shadow of the same point, so each
point proves the identity on an open region of one branch; points fall in different regions.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..errors import DeriveError, ProofError
from .backward import Backward, derive_backward
from .evaluate import evaluate

P = 2**61 - 1          # a prime, 3 mod 4: square roots are u^((P+1)/4)
MAX_ENTRIES = 20_000   # entries over all tensors at the small sizes; more is not what the proof is for
TARGET_LOG2 = -100     # more points (up to MAX_POINTS) until every line's chance of a wrong "proven" is below 2^-100
MAX_POINTS = 16
_inv = np.frompyfunc(lambda x: pow(int(x), P - 2, P), 1, 1)


def _o(x):
    return np.asarray(x, dtype=object)


class FV:
    """A tensor at a proof point: exact field values v, tangents t (None: zero), real shadow f, and d, a bound
    on the degree of every entry's dual number v + e t as a rational function (numerator and denominator)
    of the leaves, the atoms, the direction and e."""
    __slots__ = ("f", "v", "t", "d")

    def __init__(self, f, v, t=None, d=0):
        self.f, self.v, self.t = np.asarray(f, dtype=float), _o(v), None if t is None else _o(t)
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
        return np.frompyfunc(one, 1, 1)(v) if np.ndim(v) else _o(one(v))

    def const(self, q: Fraction):
        return FV(float(q), q.numerator % P * pow(q.denominator, P - 2, P) % P)

    def array(self, a):
        a = np.asarray(a, dtype=float)
        return FV(a, _o(a.astype(np.int64)) % P)

    @staticmethod
    def _t(t, shape):
        return None if t is None else np.broadcast_to(_o(t), shape)

    def _tsum(self, *ts):
        ts = [t for t in ts if t is not None]
        if not ts:
            return None
        out = ts[0]
        for t in ts[1:]:
            out = out + t
        return out % P

    def add(self, a, b):
        v = _o((a.v + b.v) % P)
        return FV(a.f + b.f, v, self._t(self._tsum(a.t, b.t), v.shape), a.d + b.d)

    def neg(self, a):
        return FV(-a.f, (-a.v) % P, None if a.t is None else (-a.t) % P, a.d)

    def sub(self, a, b):
        return self.add(a, self.neg(b))

    def mul(self, a, b):
        v = _o((a.v * b.v) % P)
        t = self._tsum(None if a.t is None else a.t * b.v, None if b.t is None else a.v * b.t)
        return FV(a.f * b.f, v, self._t(t, v.shape), a.d + b.d)

    def div(self, a, b):
        return self.mul(a, self._reciprocal(b))

    def _reciprocal(self, b):
        inv = _inv(b.v) if np.ndim(b.v) else _o(pow(int(b.v), P - 2, P))
        t = None if b.t is None else (-b.t * inv * inv) % P
        with np.errstate(divide="ignore"):
            return FV(1.0 / b.f, inv, t, b.d)

    def pow(self, a, q: Fraction):
        with np.errstate(all="ignore"):
            f = np.power(a.f, float(q))
        if q.denominator == 1:
            k = int(q)
            base = a if k >= 0 else self._reciprocal(FV(a.f, a.v))
            v = _o(1) if k == 0 else _pow(base.v, abs(k))
            dv = _o(0) if k == 0 else (k * _pow(a.v, k - 1)) % P if k > 0 else (k * _pow(base.v, 1 - k)) % P
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
        return FV(f, _o(v) % P, t, d)

    @staticmethod
    def _rpow(r, k: int):
        if k >= 0:
            return _pow(r, k)
        return _pow(_inv(r) if np.ndim(r) else _o(pow(int(r), P - 2, P)), -k)

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
        inv = _inv(a.v) if np.ndim(a.v) else _o(pow(int(a.v), P - 2, P))
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
        mask = _o((a.f > 0).astype(np.int64))
        return FV(np.maximum(a.f, 0), a.v * mask, None if a.t is None else a.t * mask, a.d)

    def compare(self, op, a, b):
        from .evaluate import NumpyOps
        m = NumpyOps().compare(op, a.f, b.f)
        return FV(m, _o(m.astype(np.int64)))

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
        return FV(np.einsum(spec, *[x.f for x in xs]), _o(v), t, k * sum(x.d for x in xs))

    def reshape(self, a, shape):
        return FV(a.f.reshape(shape), a.v.reshape(shape), None if a.t is None else np.reshape(a.t, shape), a.d)

    def broadcast_to(self, a, shape):
        return FV(np.broadcast_to(a.f, shape), np.broadcast_to(a.v, shape),
                  None if a.t is None else np.broadcast_to(a.t, shape), a.d)

    def index(self, a, key):
        t = None if a.t is None else np.broadcast_to(a.t, a.v.shape)[key]
        return FV(a.f[key], a.v[key], t, a.d)

    def scatter(self, g, shape, key):
        f, v = np.zeros(shape), _o(np.zeros(shape, dtype=np.int64))
        np.add.at(f, key, g.f)
        np.add.at(v, key, g.v)
        t = None
        if g.t is not None:      # a forward pad / concatenate carries its tangent
            t = _o(np.zeros(shape, dtype=np.int64))
            np.add.at(t, key, np.broadcast_to(g.t, g.v.shape))
            t = t % P
        return FV(f, v % P, t, _size(g) * g.d)

    def stack(self, parts, axis):
        t = [p.t if p.t is not None else _o(np.zeros(p.v.shape, dtype=np.int64)) for p in parts]
        return FV(np.stack([p.f for p in parts], axis), np.stack([p.v for p in parts], axis),
                  None if all(p.t is None for p in parts) else np.stack([np.broadcast_to(x, parts[0].v.shape) for x in t], axis),
                  max(p.d for p in parts))

    def shape(self, a):
        return a.v.shape


def _pow(v, k: int):
    return np.frompyfunc(lambda x: pow(int(x), k, P), 1, 1)(v) if np.ndim(v) else _o(pow(int(v), k, P))


@dataclass(frozen=True)
class TensorProof:
    """The verdict for one dNAME: every entry equal to the direct derivative at every point."""
    name: str
    entries: int
    proven: bool
    points: int
    seconds: float
    first_failure: tuple | None = None    # the entry's index where the two sides differ
    bound_log2: float = 0.0               # log2 of the chance that "proven" is wrong (see prove_backward)


def _point(prog, rng: random.Random, ops: FieldOps, nrng, sizes: dict) -> dict:
    env = {}
    for t in prog.leaves:
        shape = prog.leaf_shape(t, sizes)
        if t.name in prog.integer_inputs:
            env[t.name] = nrng.integers(0, prog.integer_inputs[t.name], size=shape)
            continue
        f = nrng.standard_normal(shape)
        v = _o(np.array([rng.randrange(1, P) for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape))
        env[t.name] = FV(f, v, None, 1)
    return env


def _direct(prog, line, prefix, env, base, order, ops, sizes, tangent, d0: int):
    """The output's derivative along ``tangent`` (an array over line's entries): forward mode from line's tensor."""
    seed_env = dict(prefix[line.name]) if line.name in order else dict(env)
    x = base[line.name]
    seed_env[line.name] = FV(x.f, x.v, tangent, d0 + 2)       # x + e r: e and r add 2 to the degree
    start = order.index(line.name) + 1 if line.name in order else 0
    for name, tree, _ in prog.forward[start:]:
        seed_env[name] = evaluate(tree, seed_env, ops, sizes)
    out = seed_env[prog.output]
    return (0 if out.t is None else int(out.t) % P), out.d


def prove_backward(program, points: int = 3, seed: int = 0, sizes: dict | None = None) -> dict[str, TensorProof]:
    """Prove every line of the derived backward pass; name -> TensorProof.

    ``sizes`` overrides the spec's sizes (``{"H": 64}``).  Each dNAME is proven as a whole: with a random
    direction r over its entries, sum(r * dNAME) (the derived side) against the derivative of the output
    along r (the direct side, forward mode from NAME): one forward pass per tensor, however many entries.
    The difference is a rational function of the leaves, the atoms (one fresh variable per exp, log,
    tanh, sigmoid, erf and root of a value; u^(p/q) is r^p for the atom r = u^(1/q)) and r, nonzero when any
    entry differs; its degree is bounded by tracking, per tensor, the degree of each dual number (``FV.d``).
    By Schwartz-Zippel a wrong line passes one point with probability at most degree / P (P = 2^61 - 1),
    unless P divides every coefficient of the difference (P is fixed, not drawn); independent points
    multiply, and points are added (up to MAX_POINTS) until the product is below 2^TARGET_LOG2.
    ``bound_log2`` is log2 of that product.  A line that fails is searched entry by entry for
    the first wrong index.
    """
    bw = program if isinstance(program, Backward) else derive_backward(program)
    prog = bw.program
    sizes = {**dict(prog.sizes), **(sizes or {})}
    shapes = prog.shapes(sizes) if sizes != dict(prog.sizes) else None
    shape_of = {x.name: (shapes[x.name].shape if shapes and x.name in shapes else x.shape) for x in bw.lines}
    total = sum(int(np.prod(shape_of[x.name])) for x in bw.lines)
    if total > MAX_ENTRIES:
        raise DeriveError(f"{total} gradient entries at the spec's sizes: make the sizes smaller to prove it "
                          f"(at most {MAX_ENTRIES})")
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    order = [name for name, _, _ in prog.forward]
    ok = {x.name: True for x in bw.lines}
    failure: dict = {}
    took = {x.name: 0.0 for x in bw.lines}
    bound = {x.name: 0.0 for x in bw.lines}
    used = 0
    for k in range(MAX_POINTS):
        if k >= points and all(not ok[n] or bound[n] <= TARGET_LOG2 for n in ok):
            break
        used += 1
        ops = FieldOps(rng)
        env = _point(prog, rng, ops, nrng, sizes)
        base = dict(env)
        prefix = {}
        for name, tree, _ in prog.forward:
            prefix[name] = dict(base)
            base[name] = evaluate(tree, base, ops, sizes)
        derived = dict(base)
        for line in bw.lines:
            derived[line.target] = evaluate(line.tree, derived, ops, sizes)
        for line in bw.lines:
            if not ok[line.name] or (k >= points and bound[line.name] <= TARGET_LOG2):
                continue
            t0 = time.perf_counter()
            shape = shape_of[line.name]
            dv = derived[line.target]
            d = np.broadcast_to(dv.v, shape)
            r = _o(np.array([rng.randrange(P) for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape))
            lhs = int(np.sum(r * d) % P) if d.size else 0
            direct, dout = _direct(prog, line, prefix, env, base, order, ops, sizes, r, base[line.name].d)
            degree = max(1, d.size * (dv.d + 1) + 2 * dout)
            bound[line.name] += math.log2(degree) - math.log2(P)
            if lhs != direct:
                ok[line.name] = False
                failure[line.name] = _first_wrong(prog, line, prefix, env, base, order, ops, sizes, d)
            took[line.name] += time.perf_counter() - t0
    proofs = {}
    for line in bw.lines:
        proofs[line.name] = TensorProof(line.target, int(np.prod(shape_of[line.name])), ok[line.name], used,
                                        took[line.name], failure.get(line.name),
                                        min(0.0, bound[line.name]) if ok[line.name] else 0.0)
    return proofs


def _first_wrong(prog, line, prefix, env, base, order, ops, sizes, d) -> tuple | None:
    """The first entry where the derived value differs from the direct derivative (one pass per entry)."""
    for idx in np.ndindex(*d.shape):
        tangent = _o(np.zeros(d.shape, dtype=np.int64))
        tangent[idx] = 1
        direct, _ = _direct(prog, line, prefix, env, base, order, ops, sizes, tangent, 0)
        if int(d[idx]) % P != direct:
            return idx
    return None


def assert_proven(proofs: dict):
    bad = [p.name for p in proofs.values() if not p.proven]
    if bad:
        raise ProofError("derived backward pass not equal to the direct derivative for " + ", ".join(bad))
