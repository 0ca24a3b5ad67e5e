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

import numpy as np

from ..errors import DeriveError, ProofError
from .backward import Backward, derive_backward
from .evaluate import evaluate
from .fieldops import FV, P, FieldOps, objects

MAX_ENTRIES = 20_000   # entries over all tensors at the small sizes; more is not what the proof is for
TARGET_LOG2 = -100     # more points (up to MAX_POINTS) until every line's chance of a wrong "proven" is below 2^-100
MAX_POINTS = 16


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
        v = objects(np.array([rng.randrange(1, P) for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape))
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
            r = objects(np.array([rng.randrange(P) for _ in range(int(np.prod(shape)))], dtype=object).reshape(shape))
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
        tangent = objects(np.zeros(d.shape, dtype=np.int64))
        tangent[idx] = 1
        direct, _ = _direct(prog, line, prefix, env, base, order, ops, sizes, tangent, 0)
        if int(d[idx]) % P != direct:
            return idx
    return None


def assert_proven(proofs: dict):
    bad = [p.name for p in proofs.values() if not p.proven]
    if bad:
        raise ProofError("derived backward pass not equal to the direct derivative for " + ", ".join(bad))
