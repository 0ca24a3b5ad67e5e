"""Prove chain == direct for every parameter: an exact rational-function identity, plus numbers.

Both sides are rewritten over the same variables: leaves (inputs, parameters, targets) and one
fresh variable per transcendental atom.  Each exp(v) that the direct side wrote (sigmoid's
exp(-u), softmax's exp(u)) becomes (1 - s)/s for a fresh s: a bijection of (0, inf) onto (0, 1),
and the reason 1/(1+exp(-u)) turns into the plain variable s.  An exp(w) in a derivative is read
back as a product of those (SymEngine merges exp(a)*exp(b) into exp(a+b)).  tanh(u) and log(u)
become fresh variables; "u if u > 0 else 0" becomes step*u with a fresh step.  Both gradients
are then quotients of polynomials; they are equal when the numerator of their difference expands
to zero (SymEngine, exact).  Identical rational functions of free variables are equal at every
value of them, so "proven" is a proof.  A numeric check at random points backs it: the chain side
evaluated by a forward pass over the node expressions, the direct side from the direct
derivative; if the two verdicts disagree, that is a bug and it is raised.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import symengine as se
import sympy as sp

from .chain import ChainDerivation
from .direct import DirectDerivation, ToSymEngine
from ..errors import ProofError
from ..model.graph import Network
from ..model.rules import relu, sigmoid, step

ONE = se.Integer(1)


@dataclass(frozen=True)
class Proof:
    """The verdict for one parameter."""
    param: str
    proven: bool                 # exact symbolic identity chain == direct
    numeric_max_error: float     # largest relative difference over the random points
    points: int
    seconds: float


class Q:
    """A quotient num / prod(factor**power), denominators kept as factors so sums share them."""
    __slots__ = ("num", "den")

    def __init__(self, num, den: dict | None = None):
        self.num = num
        self.den = den or {}

    def __mul__(self, other: "Q") -> "Q":
        den = dict(self.den)
        for f, k in other.den.items():
            den[f] = den.get(f, 0) + k
        return Q(self.num * other.num, den)

    def __pow__(self, k: int) -> "Q":
        if k >= 0:
            return Q(self.num**k, {f: p * k for f, p in self.den.items()})
        inv = Q(se.Mul(*[f**p for f, p in self.den.items()]), {} if self.num == ONE else {self.num: 1})
        return inv ** -k

    @staticmethod
    def sum(parts: list["Q"]) -> "Q":
        lcm: dict = {}
        for q in parts:
            for f, k in q.den.items():
                lcm[f] = max(lcm.get(f, 0), k)
        return Q(se.Add(*[q.num * se.Mul(*[f ** (k - q.den.get(f, 0)) for f, k in lcm.items()])
                          for q in parts]), lcm)

    def equals(self, other: "Q") -> bool:
        """Exact: num1 * (L/den1) - num2 * (L/den2) expands to zero, L the least common multiple."""
        lcm = {f: max(self.den.get(f, 0), other.den.get(f, 0)) for f in {**self.den, **other.den}}
        a = self.num * se.Mul(*[f ** (k - self.den.get(f, 0)) for f, k in lcm.items()])
        b = other.num * se.Mul(*[f ** (k - other.den.get(f, 0)) for f, k in lcm.items()])
        return se.expand(a - b) == 0


class Rationalize:
    """symengine expression -> Q over leaves and atom variables (memoised over shared subtrees)."""

    def __init__(self, exponents: dict):
        self.exponents = exponents
        self.memo: dict = {}
        self.atoms: dict = {}
        self._bases = None

    def _fresh(self, key, prefix):
        if key not in self.atoms:
            self.atoms[key] = se.Symbol(f"{prefix}_{len(self.atoms)}")
        return self.atoms[key]

    def __call__(self, e) -> Q:
        hit = self.memo.get(e)
        if hit is None:
            hit = self.memo[e] = self._convert(e)
        return hit

    def _exp(self, v) -> Q:
        """exp(v) as a product of powers of the exponentials the direct side wrote, exactly.

        v is split into a linear combination of those exponents (term by term, as SymEngine
        distributes and merges them); anything left over makes exp(v) a fresh atom (sound, but
        then the identity may go unproven).  A sigmoid's exp(-u) becomes (1 - s)/s, so that
        1/(1 + exp(-u)) is the plain variable s; a softmax's exp(u) is a positive variable E.
        """
        if self._bases is None:
            self._bases = sorted(((_linear(b), b, kind) for b, kind in self.exponents.items()),
                                 key=lambda t: (-len(t[0]), str(t[1])))
        rest = _linear(v)
        out = Q(ONE)
        for B, b, kind in self._bases:
            t0 = next(iter(B))
            if t0 not in rest:
                continue
            c = rest[t0] / B[t0]
            if c == int(c) and abs(c) <= 64 and all(rest.get(t) == c * k for t, k in B.items()):
                for t in B:
                    del rest[t]
                s = self._fresh(("exp", b), "s" if kind == "sigmoid" else "E")
                base = Q(1 - s, {s: 1}) if kind == "sigmoid" else Q(s)
                out = out * base ** int(c)
        if rest:
            return Q(self._fresh(("exp", v), "e"))
        return out

    def _convert(self, e) -> Q:
        if isinstance(e, (se.Symbol, se.Integer)):
            return Q(e)
        if isinstance(e, se.Rational):
            n, d = sp.fraction(e._sympy_())
            return Q(se.Integer(int(n)), {se.Integer(int(d)): 1})
        if isinstance(e, se.Add):
            return Q.sum([self(a) for a in e.args])
        if isinstance(e, se.Mul):
            out = Q(ONE)
            for a in e.args:
                out = out * self(a)
            return out
        if isinstance(e, se.Pow):
            base, k = e.args
            if base == se.E:
                return self._exp(k)
            if isinstance(k, se.Integer) and abs(int(k)) <= 64:
                return self(base) ** int(k)
            return Q(self._fresh(e, "p"))
        if isinstance(e, se.Piecewise):
            args = e.args
            if len(args) == 4 and args[2] == 0 and args[3] == se.true:
                return Q(self._fresh(args[1], "step")) * self(args[0])
        if isinstance(e, (se.tanh, se.log)):
            return Q(self._fresh(e, "f"))
        raise ProofError(f"cannot prove an expression containing {type(e).__name__}: {e}")


def _linear(v) -> dict:
    """v as {term: coefficient}, sums inside sums flattened: -(a + b) + c -> {a: -1, b: -1, c: 1}."""
    out: dict = {}
    for t, c in v.as_coefficients_dict().items():
        inner = _linear(t) if isinstance(t, se.Add) else {t: 1}
        for u, k in inner.items():
            out[u] = out.get(u, 0) + c * k
    return {t: c for t, c in out.items() if c != 0}


_NUMERIC = {sigmoid: lambda x: 1 / (1 + math.exp(-x)), sp.tanh: math.tanh, sp.exp: math.exp,
            sp.log: math.log, relu: lambda x: max(x, 0.0), step: lambda x: 1.0 if x > 0 else 0.0}


def evaluate(e: sp.Expr, env, memo: dict) -> float:
    """Float value of a sympy expression with symbols from ``env``; memoised."""
    hit = memo.get(e)
    if hit is not None:
        return hit
    if e.is_Symbol:
        v = env(e)
    elif e.is_Number:
        v = float(e)
    elif isinstance(e, sp.Add):
        v = math.fsum(evaluate(a, env, memo) for a in e.args)
    elif isinstance(e, sp.Mul):
        v = 1.0
        for a in e.args:
            v *= evaluate(a, env, memo)
    elif isinstance(e, sp.Pow):
        v = evaluate(e.base, env, memo) ** evaluate(e.exp, env, memo)
    elif e.func in _NUMERIC:
        v = _NUMERIC[e.func](evaluate(e.args[0], env, memo))
    else:
        raise ProofError(f"cannot evaluate {e.func}")
    memo[e] = v
    return v


def random_point(net: Network, rng: random.Random) -> dict[sp.Symbol, float]:
    """Leaf values: inputs and parameters in [-1, 1], targets in (0, 1) (valid for every loss)."""
    pt = {}
    for n in net.nodes.values():
        if n.kind == "target":
            pt[n.symbol] = rng.uniform(0.05, 0.95)
        elif n.leaf:
            pt[n.symbol] = rng.uniform(-1, 1)
    if net.spec.loss == "ce":   # targets that sum to 1, like a probability vector
        ts = [net.nodes[t].symbol for t in net.spec.targets]
        s = sum(pt[t] for t in ts)
        pt.update({t: pt[t] / s for t in ts})
    return pt


def forward_values(net: Network, point: dict[sp.Symbol, float]) -> dict[sp.Symbol, float]:
    """Every node's value by a forward pass over the node expressions (no substitution)."""
    vals = dict(point)
    for node in net.nodes.values():
        if not node.leaf:
            vals[node.symbol] = evaluate(node.expr, vals.__getitem__, {})
    return vals


class Prover:
    """Proves chain == direct parameter by parameter, sharing all memoised conversions."""

    def __init__(self, net: Network, chain: ChainDerivation, direct: DirectDerivation,
                 points: int = 3, seed: int = 0):
        self.net, self.chain, self.direct = net, chain, direct
        deltas = chain.delta_definitions()
        env = {n.symbol: direct.leaf[n.name] for n in net.nodes.values() if not n.leaf}
        self.to_se = ToSymEngine(env, direct.exponents)
        for sym, definition in deltas.items():       # deltas after them come first: defined
            env[sym] = self.to_se(definition)
        self.rational = Rationalize(direct.exponents)
        rng = random.Random(seed)
        self.points = []
        for _ in range(points):
            leaves = random_point(net, rng)
            vals = forward_values(net, leaves)
            memo: dict = {}
            for sym, definition in deltas.items():
                vals[sym] = evaluate(definition, vals.__getitem__, memo)
            subs = {se.Symbol(s.name): v for s, v in leaves.items()}
            self.points.append((vals, subs))

    def prove(self, param: str) -> Proof:
        t0 = time.perf_counter()
        chain_expr = self.chain.gradients[param].delta_form
        direct_expr = self.direct.gradient(param)
        proven = self.rational(self.to_se(chain_expr)).equals(self.rational(direct_expr))
        worst = 0.0
        for vals, subs in self.points:
            a = evaluate(chain_expr, vals.__getitem__, {})
            b = float(direct_expr.subs(subs))
            worst = max(worst, abs(a - b) / max(1.0, abs(a), abs(b)))
        if proven and not worst < 1e-8:
            raise ProofError(f"{param}: exact proof and numeric check disagree ({worst:.3g}): a bug in derive")
        return Proof(param, proven, worst, len(self.points), time.perf_counter() - t0)
