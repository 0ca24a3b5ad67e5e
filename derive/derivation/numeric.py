"""The numeric check behind every proof: both gradients in floating point at random points.

The chain side is evaluated from the node expressions and delta definitions (a forward pass, then
the deltas); the direct side from the SymEngine derivative, memoised over its DAG.  Points are
drawn inside every function's domain: a point counts only when the whole forward pass is finite
and real (log of a positive number, a fractional power of a positive base, no exp overflow);
after a few failures the draws move to positive leaves.  A point where both gradients overflow is
drawn again; one where only one side is finite is a failed check (NaN never passes).  No valid
point at all is reported as one clear error.
"""
from __future__ import annotations

import math
import random

import symengine as se
import sympy as sp

from ..errors import DeriveError, ProofError
from ..model.graph import Network
from ..model.rules import relu, sigmoid, step

ATTEMPTS = 64


class Undefined(ArithmeticError):
    """A value outside a function's domain, an overflow or a complex result."""


def _exp(x):
    try:
        return math.exp(x)
    except OverflowError:
        raise Undefined("exp overflows") from None


def _log(x):
    if not x > 0:
        raise Undefined("log of a number that is not positive")
    return math.log(x)


def _pow(a, b):
    try:
        v = a ** b
    except ZeroDivisionError:
        raise Undefined("division by zero") from None
    except OverflowError:
        raise Undefined("overflow") from None
    if isinstance(v, complex):
        raise Undefined("a fractional power of a negative number")
    return v


def _sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x > -700 else 0.0


_NUMERIC = {sigmoid: _sigmoid, sp.tanh: math.tanh, sp.exp: _exp, sp.log: _log,
            relu: lambda x: max(x, 0.0), step: lambda x: 1.0 if x > 0 else 0.0}


def evaluate(e: sp.Expr, env, memo: dict) -> float:
    """Float value of a sympy expression with symbols from ``env``; memoised; Undefined outside the domain."""
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
        v = _pow(evaluate(e.base, env, memo), evaluate(e.exp, env, memo))
    elif e.func in _NUMERIC:
        v = _NUMERIC[e.func](evaluate(e.args[0], env, memo))
    else:
        raise ProofError(f"cannot evaluate {e.func}")
    memo[e] = v
    return v


def evaluate_se(e, env: dict, memo: dict) -> float:
    """Float value of a SymEngine expression (the direct derivative), memoised over its DAG."""
    hit = memo.get(e)
    if hit is not None:
        return hit
    kind = type(e)
    if isinstance(e, se.Symbol):
        v = env[e.name]
    elif kind is se.Add:
        v = math.fsum([evaluate_se(a, env, memo) for a in e.args])
    elif kind is se.Mul:
        v = 1.0
        for a in e.args:
            v *= evaluate_se(a, env, memo)
    elif kind is se.Pow:
        b, k = e.args
        x = evaluate_se(k, env, memo)
        v = _exp(x) if b == se.E else _pow(evaluate_se(b, env, memo), x)
    elif isinstance(e, (se.Integer, se.Rational, se.RealDouble)):     # Zero, One, Half... are subclasses
        v = float(e)
    elif kind is se.Piecewise:
        value, cond = e.args[0], e.args[1]
        lo, hi = (evaluate_se(a, env, memo) for a in cond.args)
        v = evaluate_se(value, env, memo) if lo < hi else 0.0
    elif kind is se.tanh:
        v = math.tanh(evaluate_se(e.args[0], env, memo))
    elif kind is se.log:
        v = _log(evaluate_se(e.args[0], env, memo))
    elif e == se.E:
        v = math.e
    else:
        raise ProofError(f"cannot evaluate {kind.__name__}")
    memo[e] = v
    return v


def random_point(net: Network, rng: random.Random, attempt: int = 0) -> dict[sp.Symbol, float]:
    """Leaf values: inputs and parameters in [-1, 1] (later attempts: positive, then small
    positive), targets in (0, 1) (valid for every loss; one-hot for cross-entropy)."""
    lo, hi = (-1.0, 1.0) if attempt < 16 else (0.05, 1.0) if attempt < 40 else (0.01, 0.2)
    pt = {}
    for n in net.nodes.values():
        if n.kind == "target":
            pt[n.symbol] = rng.uniform(0.05, 0.95)
        elif n.leaf:
            pt[n.symbol] = rng.uniform(lo, hi)
    ts = [net.nodes[t].symbol for t in net.spec.targets]
    if net.spec.loss == "ce" and len(ts) > 1:   # one-hot targets, as classification data has them
        hot = rng.randrange(len(ts))
        pt.update({t: float(i == hot) for i, t in enumerate(ts)})
    return pt


def forward_values(net: Network, point: dict[sp.Symbol, float]) -> dict[sp.Symbol, float]:
    """Every node's value by a forward pass over the node expressions (no substitution);
    Undefined when a value is not a finite real number."""
    vals = dict(point)
    for node in net.nodes.values():
        if not node.leaf:
            v = vals[node.symbol] = evaluate(node.expr, vals.__getitem__, {})
            if not math.isfinite(v):
                raise Undefined(f"{node.name} is not finite")
    return vals


class Points:
    """Up to ``count`` random points inside the domain, with the chain side's node and delta values."""

    def __init__(self, net: Network, deltas: dict, count: int = 3, seed: int = 0):
        rng = random.Random(seed)
        self.points: list[tuple[dict, dict, dict, dict]] = []   # (vals, leaf env, chain memo, direct memo)
        reasons: dict[str, int] = {}
        for attempt in range(ATTEMPTS):
            if len(self.points) == count:
                break
            leaves = random_point(net, rng, attempt)
            try:
                vals = forward_values(net, leaves)
                memo: dict = {}
                for sym, definition in deltas.items():
                    vals[sym] = evaluate(definition, vals.__getitem__, memo)
            except Undefined as e:
                reasons[str(e)] = reasons.get(str(e), 0) + 1
                continue
            self.points.append((vals, {s.name: v for s, v in leaves.items()}, {}, {}))
        if not self.points:
            why = max(reasons, key=reasons.get) if reasons else "no leaves"
            raise DeriveError(f"no point found where the network is defined: {ATTEMPTS} random points tried, "
                              f"most often {why} (log and fractional powers need positive arguments, "
                              f"exp overflows above 709)")

    def compare(self, chain_expr: sp.Expr, direct_expr) -> tuple[float, int]:
        """Largest relative difference and the number of points compared (inf if one side is not finite)."""
        worst, used = 0.0, 0
        for vals, env, cmemo, dmemo in self.points:
            try:
                a = evaluate(chain_expr, vals.__getitem__, cmemo)
            except Undefined:
                a = math.nan
            try:
                b = evaluate_se(direct_expr, env, dmemo)
            except Undefined:
                b = math.nan
            if not (math.isfinite(a) or math.isfinite(b)):
                continue                      # both overflow here: this point says nothing
            used += 1
            err = abs(a - b) / max(1.0, abs(a), abs(b))
            worst = max(worst, math.inf if math.isnan(err) else err)   # NaN is the worst error
        return worst, used
