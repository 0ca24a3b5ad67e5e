"""Prove chain == direct for every parameter: an exact or a certified randomized identity test.

Both sides are rewritten over the same variables (``atoms``): leaves (inputs, parameters, targets)
and one fresh variable per transcendental atom (a sigmoid's exp(-u) is (1 - s)/s, so that
1/(1+exp(-u)) turns into the plain variable s; tanh(u), log(u), relu's step are variables).  Both
gradients are then rational functions of free variables, and equal as such only if equal at every
value of them: at the atoms' true values in particular, so "proven" is a proof.

Two decisions of that identity, chosen per parameter by the size of the expansion:

* exact (gradients with at most EXACT_MAX_PATHS paths): the numerator of the difference, over
  shared denominators, expands to zero (SymEngine);
* randomized (the rest): both sides evaluated exactly over GF(p) for random primes p ~ 2^80 at
  random points, memoised over the expression DAGs (``field``); a false "equal" has a certified
  probability below 2^bound_log2 (about 2^-110 or less), computed from degree and coefficient
  bounds of the DAG.  The randomized test runs for every parameter, so an exact verdict is
  cross-checked too.

A numeric check in floating point at points inside every function's domain (``numeric``) backs
both; if a proof and the numbers disagree, that is a bug in derive and it is raised.  The chain
side never calls a differentiator: it is the chain rule's deltas and the nodes' forward
expressions; the direct side is SymEngine's derivative of the substituted loss.
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass

import symengine as se

from .atoms import Atoms, fraction
from .chain import ChainDerivation
from .direct import DirectDerivation, ToSymEngine
from .field import Point, Program, ZeroDivision, failure_log2
from .numeric import Points, evaluate, forward_values, random_point  # noqa: F401  (public)
from ..errors import DeriveError, ProofError, SpecError
from ..model.graph import Network

ONE = se.Integer(1)
EXACT_MAX_PATHS = 8        # expand exactly when the gradient has at most this many paths (measured: < 5 ms)
EXACT_MAX_SYMBOLS = 20     # ... and both sides at most this many variables: a relu network hides no layer
#                            behind an atom, its last weight's gradient is a degree-17 polynomial in every
#                            parameter, and expanding it took 0.5-1.5 s per parameter (measured)
FIELD_POINTS = 2
TARGET_LOG2 = -100         # a randomized proof needs P(wrong) below 2^-100: more points until it is
MAX_FIELD_POINTS = 16
REDRAWS = 6


@dataclass(frozen=True)
class Proof:
    """The verdict for one parameter."""
    param: str
    proven: bool                 # chain == direct as rational functions of leaves and atoms
    numeric_max_error: float     # largest relative difference over the float points (inf: a side was not finite)
    points: int                  # float points compared
    seconds: float
    method: str = "exact"        # "exact" (expansion) | "randomized" (GF(p) identity test) | "layer"
    #                              (the layer's every entry at once along random directions: ``layers``)
    bound_log2: float = -math.inf    # log2 of the chance that "proven" is wrong (-inf: exact)

    @property
    def how(self) -> str:
        """The method and its error bound in words: "exact", or "randomized, P(wrong) < 2^-N"."""
        if self.method == "exact":
            return "exact"
        if self.method == "layer":
            return f"layer form, P(wrong) < 2^{math.floor(self.bound_log2)}"
        return f"randomized, P(wrong) < 2^{math.floor(self.bound_log2)}"

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage (derive.jupyter)
        from ..jupyter import html
        return html(self)


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


def _symbols(*qs: Q) -> int:
    """How many variables (leaves and atoms) the quotients' numerators and denominators hold."""
    out: set = set()
    for q in qs:
        out |= q.num.free_symbols
        for f in q.den:
            out |= f.free_symbols
    return len(out)


class Rationalize:
    """symengine expression -> Q over leaves and atom variables (memoised over shared subtrees)."""

    def __init__(self, atoms: Atoms | dict):
        self.atoms = atoms if isinstance(atoms, Atoms) else Atoms(atoms)   # or the exponents dict
        self.memo: dict = {}
        self.vars: dict = {}

    def var(self, key):
        if key not in self.vars:
            self.vars[key] = se.Symbol(f"v_{len(self.vars)}")
        return self.vars[key]

    def __call__(self, e) -> Q:
        hit = self.memo.get(e)
        if hit is None:
            hit = self.memo[e] = self._convert(e)
        return hit

    def _convert(self, e) -> Q:
        if isinstance(e, (se.Symbol, se.Integer)):
            return Q(e)
        if isinstance(e, (se.Rational, se.RealDouble)):
            f = fraction(e)
            return Q(se.Integer(f.numerator), {se.Integer(f.denominator): 1})
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
                parts = self.atoms.exp(k)
                if isinstance(parts, tuple):
                    return Q(self.var(parts))
                out = Q(ONE)
                for key, kind, c in parts:
                    s = self.var(key)
                    out = out * (Q(1 - s, {s: 1}) if kind == "sigmoid" else Q(s)) ** c
                return out
            if isinstance(k, se.Integer) and abs(int(k)) <= 64:
                return self(base) ** int(k)
            root = Atoms.power(e)
            if root is not None:
                return Q(self.var(root[0])) ** root[1]
            return Q(self.var(("pow", e)))
        if isinstance(e, se.Piecewise):
            args = e.args
            if len(args) == 4 and args[2] == 0 and args[3] == se.true:
                return Q(self.var(("step", args[1]))) * self(args[0])
        if isinstance(e, (se.tanh, se.log)):
            return Q(self.var((type(e).__name__, e)))
        if e == se.E:
            return Q(self.var(("e",)))
        raise ProofError(f"cannot prove an expression containing {type(e).__name__}: {e}")


class Prover:
    """Proves chain == direct parameter by parameter, sharing all memoised conversions."""

    def __init__(self, net: Network, chain: ChainDerivation, direct: DirectDerivation,
                 points: int = 3, seed: int = 0, field_points: int = FIELD_POINTS,
                 exact_max_paths: int = EXACT_MAX_PATHS, method: str = "auto",
                 exact_max_symbols: int = EXACT_MAX_SYMBOLS):
        """method: "auto" (exact up to ``exact_max_paths`` paths, randomized beyond, the randomized
        test run for every parameter as a cross-check), or only "exact" (the expansion alone, as
        derive proved before 2026-11-25; the benchmarks' baseline) or only "randomized"."""
        if method not in ("auto", "exact", "randomized"):
            raise ValueError(f"unknown proof method {method!r}")
        self.net, self.chain, self.direct = net, chain, direct
        self.method = method
        self.exact_max_paths = {"auto": exact_max_paths, "exact": math.inf, "randomized": -1}[method]
        self.exact_max_symbols = exact_max_symbols if method == "auto" else math.inf
        deltas = chain.delta_definitions()
        env = {n.symbol: direct.leaf[n.name] for n in net.nodes.values() if not n.leaf}
        self.to_se = ToSymEngine(env, direct.exponents)
        for sym, definition in deltas.items():       # deltas after them come first: defined
            env[sym] = self.to_se(definition)
        self.atoms = Atoms(direct.exponents)
        self.rational = Rationalize(self.atoms)
        self.program = Program(self.atoms)
        self.rng = random.Random(seed)
        self.field = [Point(self.rng) for _ in range(field_points)]
        if method != "exact":
            self._check_denominators()
        self.numeric = Points(net, deltas, points, seed)

    def _run(self, what: str = "") -> None:
        """Evaluate the program's new instructions at every field point, redrawing a point that divides by 0."""
        for i in range(len(self.field)):
            for _ in range(REDRAWS):
                try:
                    self.field[i].run(self.program)
                    break
                except ZeroDivision as z:
                    culprit = self.program.divisors[z.instruction]
                    self.field[i] = Point(self.rng)
            else:
                raise DeriveError(f"{what}a denominator is zero at every random point tried ({REDRAWS}, "
                                  f"each over a fresh prime field): {culprit} is identically zero")

    def _check_denominators(self) -> None:
        """Every node's substituted expression, evaluated exactly: an identically zero denominator is an error."""
        for name, node in self.net.nodes.items():
            if not node.leaf:
                self.program.lower(self.direct.leaf[name])
                field = f"graph.nodes.{name}" if node.kind == "node" else name
                try:
                    self._run()
                except DeriveError as e:
                    raise SpecError(field, str(e)) from None

    def prove(self, param: str) -> Proof:
        t0 = time.perf_counter()
        chain_expr = self.chain.gradients[param].delta_form
        direct_expr = self.direct.gradient(param)
        chain_se = self.to_se(chain_expr)
        proven = None
        if self.method != "exact":
            a, b = self.program.lower(chain_se), self.program.lower(direct_expr)
            self._run(f"d/d{param}: ")
            proven = all(pt.values[a] == pt.values[b] for pt in self.field)
            per_point = failure_log2(self.program, a, b)
            while proven and per_point < 0 and per_point * len(self.field) > TARGET_LOG2 \
                    and len(self.field) < MAX_FIELD_POINTS:
                self.field.append(Point(self.rng))          # a fresh prime and point, kept for later parameters
                self._run(f"d/d{param}: ")
                proven = self.field[-1].values[a] == self.field[-1].values[b]
            bound = per_point * len(self.field)
            if bound > TARGET_LOG2:      # degrees too large for the field: nothing certified, no proof
                proven = False
            method = "randomized"
        if self.chain.gradients[param].path_count <= self.exact_max_paths and \
                (proven is None or _symbols(self.rational(chain_se), self.rational(direct_expr))
                 <= self.exact_max_symbols):
            exact = self.rational(chain_se).equals(self.rational(direct_expr))
            if proven is not None and exact != proven:
                raise ProofError(f"{param}: the exact and the randomized identity tests disagree: a bug in derive")
            proven, method, bound = exact, "exact", -math.inf
        worst, used = self.numeric.compare(chain_expr, direct_expr)
        if proven and not worst < 1e-8:
            raise ProofError(f"{param}: proof and numeric check disagree ({worst:.3g}): a bug in derive")
        return Proof(param, proven, worst, used, time.perf_counter() - t0, method, bound)
