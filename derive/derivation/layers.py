"""The layer (matrix) form of the proof: every entry of a layer's gradient at once, at random points.

Per parameter, the randomized test of ``proof`` differentiates the whole substituted loss once per
parameter: params x (size of the loss), which is params^2 for a layered network.  Here a layer's
parameters G are proven together.  Give each p in G a fresh variable r_p and compare

    chain side:   sum_p r_p * C_p        (C_p: the chain rule's delta form of dJ/dp, deltas memoised)
    direct side:  d/dt J(theta + t r)|_{t=0}

The direct side is the derivative of the substituted loss along the direction r, computed exactly
by forward-mode differentiation of the loss's DAG (dual numbers: d(uv) = u dv + v du, d exp(u) =
exp(u) du, d tanh(u) = (1 - tanh^2 u) du, d log u = du / u, d u^k = k u^(k-1) du): it never reads
the chain rule's deltas nor the rules table's local derivatives, and equals sum_p r_p D_p with D_p
the direct derivative dJ/dp, over the same leaves and atom variables as the per-parameter proof
(``atoms``).  Both sides become instructions of one straight-line program (``field.Program``)
evaluated over random prime fields.  The difference sum_p r_p (C_p - D_p) is a rational function
that is not zero when any single entry is wrong (the r_p are free variables), so the certified
bound of ``field.failure_log2`` (Schwartz-Zippel with the program's degree bound, plus the chance
that the random prime divides every coefficient) bounds the chance that a wrong layer proves.
Cost: one pass over the loss per layer, so layers x (size of the network): near-linear.

A layer that does not prove is split in halves, each proven with fresh directions, down to groups
of ``SINGLE`` parameters proven one by one: a wrong entry is named, in about 2 log2(n) passes.
A numeric check backs every group: central differences of the float loss along r against the
chain side in floats; if a proof and the numbers disagree, that is a bug in derive and it is raised.
"""
from __future__ import annotations

import math
import random
import time
from fractions import Fraction

import symengine as se

from ..errors import ProofError
from .atoms import fraction
from .field import Point, failure_log2
from .numeric import Undefined, evaluate, evaluate_se
from .report import fold

SINGLE = 8          # a failing group this small is proven parameter by parameter
STEP = 1e-6         # central-difference step of the numeric check (relative to the point's scale)
NUMERIC_TOL = 1e-5  # |chain - finite difference| / max(1, |chain|, |fd|) beyond this: a bug in derive


def groups(net) -> list[tuple[str, tuple[str, ...]]]:
    """A layered network's trainable parameters by layer (weights and biases of layer l together)."""
    trainable = set(net.trainable)
    out = []
    for li, L in enumerate(net.spec.layers, 1):
        ps = [w for row in L.weights for w in row] + [b for b in L.biases if b]
        ps = [p for p in dict.fromkeys(ps) if p in trainable]
        if ps:
            out.append((f"layer {li}", tuple(ps)))
    return out


class Tangent:
    """Instructions for d e along direction r (only the parameters in ``direction`` move); None is 0."""

    def __init__(self, program, direction: dict, moves=None):
        self.prog = program
        self.direction = direction          # parameter name -> instruction of its r variable
        self.moves = moves                  # e -> False when no parameter of the direction is in e
        self.memo: dict = {}

    def __call__(self, e):
        if e in self.memo:
            return self.memo[e]
        out = self.memo[e] = self._tangent(e) if self.moves is None or self.moves(e) else None
        return out

    def _tangent(self, e):
        P = self.prog
        if isinstance(e, se.Symbol):
            return self.direction.get(e.name)
        if isinstance(e, (se.Integer, se.Rational, se.RealDouble)) or e == se.E:
            return None
        args = e.args
        if isinstance(e, se.Add):
            ts = [t for t in map(self, args) if t is not None]
            return P.add(ts) if ts else None
        if isinstance(e, se.Mul):
            ts = [self(a) for a in args]
            if all(t is None for t in ts):
                return None
            vals = [P.lower(a) for a in args]
            terms = [P.mul([t] + vals[:i] + vals[i + 1:]) for i, t in enumerate(ts) if t is not None]
            return P.add(terms)
        if isinstance(e, se.Pow):
            base, k = args
            if base == se.E:                                    # d exp(v) = exp(v) dv
                t = self(k)
                return None if t is None else P.mul([P.lower(e), t])
            tb, tk = self(base), self(k)
            if tb is None and tk is None:
                return None
            if isinstance(k, (se.Integer, se.Rational, se.RealDouble)):   # d b^k = k b^(k-1) db
                # b^(k-1) written as SymEngine writes it, so that a root is the same atom as on the chain side
                return P.mul([P.const(fraction(k)), P.lower(base ** (k - 1)), tb])
            parts = []                                          # d b^k = b^k (dk log b + k db / b)
            if tk is not None:
                parts.append(P.mul([tk, P.lower(se.log(base))]))
            if tb is not None:
                parts.append(P.mul([P.lower(k), tb, P.pow(P.lower(base), -1, base)]))
            return P.mul([P.lower(e), P.add(parts)])
        if isinstance(e, se.Piecewise):                         # relu: step(u) * u, the step locally constant
            t = self(args[0])
            return None if t is None else P.mul([P.var(("step", args[1])), t])
        if isinstance(e, se.tanh):
            t = self(args[0])
            if t is None:
                return None
            v = P.lower(e)
            one_minus = P.add([P.const(Fraction(1)), P.mul([P.const(Fraction(-1)), v, v])])
            return P.mul([one_minus, t])
        if isinstance(e, se.log):
            t = self(args[0])
            return None if t is None else P.mul([t, P.pow(P.lower(args[0]), -1, args[0])])
        raise ProofError(f"cannot differentiate an expression containing {type(e).__name__}")


class LayerProver:
    """Proves a layered network's gradients a layer at a time (see the module docstring)."""

    def __init__(self, prover, seed: int = 1):
        self.p = prover                     # the per-parameter Prover: shared program, points, conversions
        self.rng = random.Random(seed)
        self._bit = {q: 1 << k for k, (_, g) in enumerate(groups(prover.net)) for q in g}
        self._deps: dict = {}
        self._still: dict | None = None

    def deps(self, e) -> int:
        """The layers whose parameters ``e`` holds, as a bit mask (memoised over the DAG, computed once)."""
        bit = self._bit

        def mask(x, masks: list) -> int:
            if isinstance(x, se.Symbol):
                return bit.get(x.name, 0)
            m = 0
            for a in masks:
                m |= a
            return m
        return fold(e, self._deps, mask)

    def prove_all(self, params: list[str]) -> dict:
        from .proof import Proof
        out: dict = {}
        want = set(params)
        for _, group in groups(self.p.net):
            todo = [q for q in group if q in want]
            if todo:
                self._prove(todo, out, Proof)
        for q in params:                    # anything not in a layer (none today): one by one
            if q not in out:
                out[q] = self.p.prove(q)
        return out

    def _prove(self, group: list[str], out: dict, Proof) -> None:
        t0 = time.perf_counter()
        proven, bound, worst, used = self.group(group)
        if proven or len(group) <= SINGLE:
            if not proven:
                for q in group:
                    out[q] = self.p.prove(q)
                return
            each = (time.perf_counter() - t0) / len(group)
            for q in group:
                out[q] = Proof(q, True, worst, used, each, "layer", bound)
            return
        half = len(group) // 2
        self._prove(group[:half], out, Proof)
        self._prove(group[half:], out, Proof)

    def group(self, group: list[str]) -> tuple[bool, float, float, int]:
        """(proven, log2 bound, numeric error, numeric points) for one group of parameters."""
        from .proof import MAX_FIELD_POINTS, TARGET_LOG2
        p = self.p
        prog = p.program
        tag = self.rng.getrandbits(64)      # fresh direction variables for every group tried
        r = {q: prog.var(("direction", tag, q)) for q in group}
        grads = p.chain.gradients
        a = prog.add([prog.mul([r[q], prog.lower(p.to_se(grads[q].delta_form))]) for q in group])
        mask = 0
        for q in group:
            mask |= self._bit.get(q, 0)
        b = Tangent(prog, r, (lambda e: self.deps(e) & mask) if mask else None)(p.direct.loss)
        if b is None:
            b = prog.const(Fraction(0))
        p._run(f"{group[0]}...: ")
        proven = all(pt.values[a] == pt.values[b] for pt in p.field)
        per_point = failure_log2(prog, a, b)
        while proven and per_point < 0 and per_point * len(p.field) > TARGET_LOG2 \
                and len(p.field) < MAX_FIELD_POINTS:
            p.field.append(Point(p.rng))
            p._run(f"{group[0]}...: ")
            proven = p.field[-1].values[a] == p.field[-1].values[b]
        bound = per_point * len(p.field)
        if bound > TARGET_LOG2:
            proven = False
        worst, used = self.numeric(group)
        if proven and not worst < NUMERIC_TOL:
            raise ProofError(f"{group[0]}...: the layer proof and the numeric check disagree ({worst:.3g}): "
                             "a bug in derive")
        return proven, bound, worst, used

    def numeric(self, group: list[str]) -> tuple[float, int]:
        """Central differences of the float loss along a random direction, against the chain side."""
        p = self.p
        worst, used = 0.0, 0
        for vals, env, cmemo, _ in p.numeric.points[:1]:
            r = {q: self.rng.uniform(-1, 1) for q in group}
            norm = math.sqrt(math.fsum(v * v for v in r.values())) or 1.0
            r = {q: v / norm for q, v in r.items()}          # a unit direction: the step is h
            try:
                chain = math.fsum(r[q] * evaluate(p.chain.gradients[q].delta_form, vals.__getitem__, cmemo)
                                  for q in group)
                h = STEP * max(1.0, max(abs(env[q]) for q in group))
                if self._still is None:        # every value of the loss's DAG at the point, once
                    self._still = {}
                    evaluate_se(p.direct.loss, env, self._still)
                    self.deps(p.direct.loss)
                mask = 0
                for q in group:
                    mask |= self._bit.get(q, 0)
                deps = self._deps
                ends = []
                for sign in (1, -1):
                    moved = dict(env)
                    for q in group:
                        moved[q] = env[q] + sign * h * r[q]
                    # what does not hold a moved parameter keeps its value: only the layers above are evaluated
                    kept = {e: v for e, v in self._still.items() if not deps.get(e, -1) & mask} if mask else {}
                    ends.append(evaluate_se(p.direct.loss, moved, kept))
                fd = (ends[0] - ends[1]) / (2 * h)
            except Undefined:
                continue
            if not (math.isfinite(chain) and math.isfinite(fd)):
                continue
            used += 1
            worst = max(worst, abs(chain - fd) / max(1.0, abs(chain), abs(fd)))
        return worst, used
