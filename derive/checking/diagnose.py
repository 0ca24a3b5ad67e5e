"""Say what is wrong with a wrong gradient: match it against the path decomposition.

The expected value is a sum over paths of products of local factors.  A wrong answer is fitted,
at random points, as a linear combination of those path products, first as they are, then with
one or two usual mistakes made in a factor (the activation derivative dropped or written as the
activation, a weight or input of the wrong index or layer), plus terms for paths that do not
exist (the parameter feeding a sibling unit).  The coefficients name the rest: 0 is a missing
path, -1 a flipped sign, a common 2 or 1/2 or 1/m a constant factor.  The simplest explanation
that fits exactly (re-verified symbolically) wins; more than three mistakes is no explanation.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from ..model.rules import sigmoid
from .verdict import Mistake

if TYPE_CHECKING:   # diagnose works for a Checker; it never imports one at run time
    from .checker import Checker

MAX_PATHS = 32
MAX_COST = 3
MAX_PAIRS = 2000
SECONDS = 2.0          # search budget: the best explanation found by then (checks have a hard limit)


@dataclass(frozen=True)
class Mutation:
    edge: tuple[str, str]            # (upper, lower)
    value: sp.Expr
    mistake: Mistake


def paths_between(c: Checker, lower: str, upper: str, through: str | None = None):
    """Every path lower -> upper (through a node, if given) as (nodes, edges), or None if too many."""
    net, out = c.net, []

    def walk(name, nodes, edges):
        if len(out) > MAX_PATHS:
            return
        if name == upper:
            if through is None or through in nodes:
                out.append((tuple(nodes), tuple(edges)))
            return
        for u in net.consumers[name]:
            walk(u, nodes + [u], edges + [(u, name)])
    walk(lower, [lower], [])
    return out if len(out) <= MAX_PATHS else None


def _label(paths, i, units: set) -> tuple[str, ...]:
    """The nodes that tell path i apart from the others (unit outputs preferred)."""
    common = set.intersection(*[set(p[0]) for p in paths]) if len(paths) > 1 else set()
    own = [n for n in paths[i][0][1:-1] if n not in common]
    return tuple(n for n in own if n in units) or tuple(own)


def _mutations(c: Checker, edges) -> list[Mutation]:
    net = c.net
    pos = _positions(net)
    out: list[Mutation] = []
    for u, l in edges:
        node, value = net.nodes[u], net.nodes[u].local_of(l)
        if u == net.loss:
            continue
        if node.kind == "act" or (node.kind == "node" and isinstance(node.expr, sp.Function)):
            if value != 1:
                out.append(Mutation((u, l), sp.S.One, Mistake(
                    "activation_derivative_dropped", f"the activation derivative d{u}/d{l} = {value} is missing", (u,))))
                out.append(Mutation((u, l), node.symbol, Mistake(
                    "activation_derivative_as_value", f"the activation derivative d{u}/d{l} is written as {u} "
                                                      f"instead of {value}", (u,))))
                if isinstance(node.expr, sigmoid):
                    s = sigmoid(node.symbol)
                    out.append(Mutation((u, l), s * (1 - s), Mistake(
                        "activation_derivative_at_output", f"sigma' is taken at {u} instead of at {l}: "
                                                           f"d{u}/d{l} = {value}", (u,))))
        if isinstance(value, sp.Symbol) and value.name in net.nodes:
            out += _swaps(c, (u, l), value.name, pos)
    return out


def _positions(net) -> dict[str, tuple]:
    pos = {}
    for li, L in enumerate(net.spec.layers or (), 1):
        for j, row in enumerate(L.weights, 1):
            for i, w in enumerate(row, 1):
                pos[w] = (li, j, i)
        for j, b in enumerate(L.biases, 1):
            if b:
                pos.setdefault(b, (li, j, 0))
    return pos


def _swaps(c: Checker, edge, name: str, pos) -> list[Mutation]:
    net, node = c.net, c.net.nodes[name]
    out = []
    if node.kind == "param":
        here = pos.get(name)
        for q in net.params:
            if q == name:
                continue
            there = pos.get(q)
            if here and there and here[0] != there[0]:
                if sorted(there[1:]) != sorted(here[1:]):
                    continue
                kind, why = "wrong_weight_layer", "wrong layer"
            else:
                kind, why = ("wrong_weight_index", "wrong index") if here else ("wrong_weight", "wrong parameter")
            out.append(Mutation(edge, net.nodes[q].symbol, Mistake(kind, f"{q} is used instead of {name} ({why})",
                                                                   (name, q))))
        return out
    family = ("input", "act", "node") if node.kind in ("input", "act", "node") else (node.kind,)
    for other in net.nodes.values():
        if other.name != name and other.kind in family and other.kind != "loss":
            out.append(Mutation(edge, other.symbol, Mistake("wrong_symbol", f"{other.name} is used instead of {name}",
                                                            (name, other.name))))
    return out


def _nice(x: float) -> Fraction | None:
    f = Fraction(x).limit_denominator(64)
    return f if abs(float(f) - x) <= 1e-7 * max(1.0, abs(x)) else None


def _fit(cols: list[np.ndarray], a: np.ndarray) -> list[Fraction] | None:
    M = np.column_stack(cols)
    scale = np.linalg.norm(M, axis=0)
    if not np.all(np.isfinite(M)) or np.any(scale == 0):
        return None
    Mn = M / scale
    if np.linalg.matrix_rank(Mn, tol=1e-8) < len(cols):
        return None
    coef, *_ = np.linalg.lstsq(Mn, a, rcond=None)
    if np.linalg.norm(Mn @ coef - a) > 1e-9 * max(np.linalg.norm(a), 1e-300):
        return None
    nice = [_nice(x) for x in coef / scale]
    return None if any(f is None for f in nice) else nice


def _constant(k: Fraction, c: Checker) -> Mistake:
    loss, m = c.net.spec.loss, len(c.net.spec.outputs)
    hints = {Fraction(2): "an extra factor 2" + (" (the 1/2 in the loss cancels the 2 of the square)"
                                                  if loss == "half_sse" else ""),
             Fraction(1, 2): "a factor 2 is missing" + (" (d/dy (y - t)^2 = 2(y - t))" if loss in ("sse", "mse")
                                                         else " (or an extra 1/2)")}
    if loss == "mse" and m > 1:
        hints[Fraction(m)] = f"the 1/m of the mean is missing (m = {m} outputs)"
        hints.setdefault(Fraction(m, 2), f"the 2/m of the mean is missing (m = {m} outputs)")
    if k == -1:
        return Mistake("sign_flipped", "the sign is flipped (t - y instead of y - t, or an ascent step)")
    neg = k < 0
    text = hints.get(abs(k), f"off by a constant factor {abs(k)}")
    return Mistake("constant_factor", ("the sign is flipped and " if neg else "") + text)


def _explain(c, coef, labels, phantom_names, k_default=Fraction(1)) -> list[Mistake] | None:
    n = len(labels)
    path_c = coef[:n]
    nonzero = [x for x in path_c if x != 0]
    if not nonzero:
        return [Mistake("missing_path", "every path's term is missing", ())]
    k = max(set(nonzero), key=lambda x: (nonzero.count(x), x == k_default, x > 0))
    out = [] if k == 1 else [_constant(k, c)]
    for lab, x in zip(labels, path_c):
        where = " and ".join(lab) or "the other nodes"
        if x == 0:
            out.append(Mistake("missing_path", f"the term for the path through {where} is missing", lab))
        elif x == -k:
            out.append(Mistake("sign_flipped", f"the sign of the term for the path through {where} is flipped", lab))
        elif x != k:
            out.append(Mistake("term_factor", f"the term for the path through {where} has an extra factor {x / k}",
                               lab))
    for (name, why), x in zip(phantom_names, coef[n:]):
        if x != 0:
            out.append(Mistake("extra_path", f"there is an extra term for a path through {name}, "
                                             f"which {why} does not reach", (name,)))
    return out


def diagnose(c: Checker, param: str, given: sp.Expr, lower: str | None = None, upper: str | None = None,
             through: str | None = None) -> tuple[Mistake, ...]:
    """The usual mistakes that explain ``given`` as d upper / d lower (default: d loss / d param)."""
    net = c.net
    lower, upper = lower or param, upper or net.loss
    paths = paths_between(c, lower, upper, through)
    if not paths:
        return ()
    units = {n for n, node in net.nodes.items() if node.kind in ("act", "node")}
    labels = [_label(paths, i, units) for i in range(len(paths))]
    phantoms = _phantoms(c, lower, upper) if through is None else []
    edges = list(dict.fromkeys(e for p in paths for e in p[1]))
    k = len(paths) + len(phantoms) + 8
    pts = c.points(k)
    a = np.array([c.value(given, p) for p in pts])
    if not np.all(np.isfinite(a)):
        return ()
    cache: dict = {}

    def vec(expr):
        if expr not in cache:
            cache[expr] = np.array([c.value(expr, p) for p in pts])
        return cache[expr]

    base = {e: net.nodes[e[0]].local_of(e[1]) for e in edges}
    edge_vec = {e: vec(v) for e, v in base.items()}
    path_edges = [set(p[1]) for p in paths]
    base_cols = [np.prod([edge_vec[e] for e in p[1]], axis=0) for p in paths]
    phantom_cols = [vec(e) for _, e in phantoms]
    best: list[Mistake] | None = None

    def consider(muts: tuple[Mutation, ...]):
        nonlocal best
        vals = dict(base)
        for m in muts:
            vals[m.edge] = m.value
        touched = {m.edge for m in muts}
        ev = {**edge_vec, **{m.edge: vec(m.value) for m in muts}}
        cols = [np.prod([ev[e] for e in p[1]], axis=0) if touched & path_edges[i] else base_cols[i]
                for i, p in enumerate(paths)] + phantom_cols
        coef = _fit(cols, a)
        if coef is None:
            return
        found = _explain(c, coef, labels, [p for p, _ in phantoms])
        if found is None:
            return
        mistakes = [m.mistake for m in muts] + found
        if not mistakes or len(mistakes) > MAX_COST or (best and len(mistakes) >= len(best)):
            return
        exprs = [sp.Mul(*[vals[e] for e in p[1]]) for p in paths] + [e for _, e in phantoms]
        claim = sp.Add(*[sp.Rational(x.numerator, x.denominator) * e for x, e in zip(coef, exprs)])
        if c.exact_equal(given, claim) is False:
            return
        best = mistakes

    consider(())
    if upper == net.loss and lower in net.params and (best is None or len(best) > 1):
        for q in net.trainable:
            if q != lower:
                coef = _fit([vec(c.derivation.gradient(q).delta_form)], a)
                if coef and coef[0] != 0 and (best is None or len(best) > 1 + (coef[0] != 1)):
                    extra = [] if coef[0] == 1 else [_constant(coef[0], c)]
                    best = [Mistake("other_parameter", f"this is the gradient of {q}, not of {lower}", (q,))] + extra
    muts = _mutations(c, edges)
    deadline = time.monotonic() + SECONDS
    if best is None or len(best) > 1:
        for m in muts:
            if time.monotonic() > deadline or (best and len(best) == 1):
                break
            consider((m,))
    if best is None:
        for count, (m1, m2) in enumerate(itertools.combinations(muts, 2)):
            if count >= MAX_PAIRS or time.monotonic() > deadline:
                break
            if m1.edge != m2.edge:
                consider((m1, m2))
    return tuple(best) if best else ()


def _phantoms(c: Checker, lower: str, upper: str) -> list[tuple[tuple[str, str], sp.Expr]]:
    """Terms for paths that do not exist: ``lower`` (a weight) feeding the sibling units of its unit."""
    net = c.net
    if upper != net.loss or net.nodes[lower].kind != "param" or not net.spec.layers:
        return []
    users = net.consumers[lower]
    if len(users) != 1 or net.nodes[users[0]].kind != "pre":
        return []
    pre = net.nodes[users[0]]
    out = []
    for other in net.nodes.values():
        if other.kind == "pre" and other.layer == pre.layer and other.name != pre.name:
            unit = net.delta_label(other.name)
            out.append(((unit, lower), pre.local_of(lower) * net.delta_symbol(other.name)))
    return out


__all__ = ["diagnose", "paths_between", "Mutation"]
