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
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import sympy as sp

from .lookup import LEARNING_RATE
from .mistakes import Mutation, mutations, partial, shown
from .verdict import Mistake

if TYPE_CHECKING:   # diagnose works for a Checker; it never imports one at run time
    from .checker import Checker

MAX_PATHS = 32
MAX_COST = 3
MAX_PAIRS = 2000
SECONDS = 2.0          # search budget: the best explanation found by then (checks have a hard limit)


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
             Fraction(1, 2): "a factor 2 is missing" + (" ($\\frac{d}{dy}(y - t)^2 = 2(y - t)$)" if loss in ("sse", "mse")
                                                         else " (or an extra 1/2)")}
    if loss == "mse" and m > 1:
        hints[Fraction(m)] = f"the 1/m of the mean is missing (m = {m} outputs)"
        hints.setdefault(Fraction(m, 2), f"the 2/m of the mean is missing (m = {m} outputs)")
    if k == -1:
        return Mistake("sign_flipped", "the sign is flipped (t - y instead of y - t, or an ascent step)")
    neg = k < 0
    text = hints.get(abs(k), f"off by a constant factor {abs(k)}")
    lr = c.net.spec.values.learning_rate if c.net.spec.values else None
    if lr is not None and abs(k) == Fraction(str(lr)) and abs(k) != 1:
        text += f" (the learning rate {abs(k)} folded in?)"
    return Mistake("constant_factor", ("the sign is flipped and " if neg else "") + text)


def _explain(c, coef, labels, phantom_names, k_default=Fraction(1)) -> list[Mistake] | None:
    n = len(labels)
    path_c = coef[:n]
    nonzero = [x for x in path_c if x != 0]
    if not nonzero:
        return None          # nothing of the right paths: another story (another parameter) or none
    k = max(set(nonzero), key=lambda x: (nonzero.count(x), x == k_default, x > 0))
    out = [] if k == 1 else [_constant(k, c)]
    for lab, x in zip(labels, path_c):
        where = " and ".join(shown(c, n) for n in lab) or "the other nodes"
        if x == 0:
            out.append(Mistake("missing_path", f"the term for the path through {where} is missing", lab))
        elif x == -k:
            out.append(Mistake("sign_flipped", f"the sign of the term for the path through {where} is flipped", lab))
        elif x != k:
            out.append(Mistake("term_factor", f"the term for the path through {where} has an extra factor {x / k}",
                               lab))
    for (name, why), x in zip(phantom_names, coef[n:]):
        if x != 0:
            out.append(Mistake("extra_path", f"there is an extra term for a path through {shown(c, name)}, "
                                             f"which {shown(c, why)} does not reach", (name,)))
    return out


def diagnose(c: Checker, param: str, given: sp.Expr, lower: str | None = None, upper: str | None = None,
             through: str | None = None) -> tuple[Mistake, ...]:
    """The usual mistakes that explain ``given`` as d upper / d lower (default: d loss / d param)."""
    net = c.net
    if LEARNING_RATE in given.free_symbols:       # alpha * gradient: the update step, not the gradient
        rest = sp.cancel(given / LEARNING_RATE)
        if LEARNING_RATE in rest.free_symbols:
            return ()
        folded = Mistake("learning_rate", "the learning rate $\\alpha$ is folded in: the gradient has no $\\alpha$ "
                                          "($\\alpha$ times the gradient is the size of the update step)")
        whole = lower in (None, param) and upper in (None, net.loss)
        if whole and c.compare(rest, c.derivation.gradient(param).delta_form)[0]:
            return (folded,)
        more = diagnose(c, param, rest, lower, upper, through)
        return (folded, *more) if more and len(more) < MAX_COST else ()
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
        coef, extra = _fit(cols, a), phantoms
        if coef is None and phantoms:     # softmax: the deltas of a layer sum to 0, so the sibling terms
            coef, extra = _fit(cols[:len(paths)], a), []    # are a combination of the paths' own
        if coef is None:
            return
        found = _explain(c, coef, labels, [p for p, _ in extra])
        if found is None:
            return
        mistakes = [m.mistake for m in muts] + found
        if not mistakes or len(mistakes) > MAX_COST or (best and len(mistakes) >= len(best)):
            return
        exprs = [sp.Mul(*[vals[e] for e in p[1]]) for p in paths] + [e for _, e in extra]
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
                    best = [Mistake("other_parameter", f"this is the gradient of {shown(c, q)} "
                                                       f"(${partial(c, net.loss, q)}$), not of {shown(c, lower)}",
                                    (q,))] + extra
    muts = mutations(c, edges)
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
