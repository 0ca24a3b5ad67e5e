"""Two faults in one answer, both named: the usual single edits of the right expression (a unit's weights put for
another unit's, an activation's derivative dropped, the sign flipped, one name put for another), tried alone and
in pairs; the pair that turns the right expression into the written one names both mistakes.

    \\delta_{z_1} = \\delta_{y_1} w_{32} + \\delta_{y_2} w_{42}
        the weights from z_2 (w_{32}, w_{42}) are used instead of those from z_1 (w_{31}, w_{41}); and
        the activation's derivative z_1 (1 - z_1) is missing

Only edits that change the expression are tried, at most ``MAX_TRIES`` comparisons, so a large network costs
no more than a small one; when no pair fits, ``explain`` says that more than one thing differs.
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import sympy as sp

from .verdict import Mistake

if TYPE_CHECKING:
    from .checker import Checker

MAX_TRIES = 400
MAX_NAMES = 12


def _expanded(c: Checker, e: sp.Expr) -> sp.Expr:
    """A delta written as its symbol, one level down (delta_z1 is z1 (1 - z1) (delta_y1 w31 + delta_y2 w41))."""
    deltas = getattr(c, "deltas", {}) or {}
    return e.xreplace({d: deltas[d] for d in e.free_symbols if d in deltas})


def _unit_swaps(c: Checker, e: sp.Expr):
    """The weights from (or into) one unit put for another unit's, as one mistake."""
    here = e.free_symbols
    layers = list(c.net.spec.layers or ())
    for k, layer in enumerate(layers):
        rows = [tuple(c.net.nodes[w].symbol for w in row) for row in layer.weights]
        cols = [tuple(col) for col in zip(*rows)]
        before = list(c.net.spec.inputs) if k == 0 else list(layers[k - 1].units)
        for what, groups, units in (("from", cols, before), ("into", rows, list(layer.units))):
            for i, j in itertools.permutations(range(len(groups)), 2):
                a, b = groups[i], groups[j]
                if not set(a) & here:
                    continue
                names = ", ".join(f"${c.latex(x)}$" for x in b if x in _subs(a, b) .values())
                mine = ", ".join(f"${c.latex(x)}$" for x in a if x in here)
                who = (str(units[i]), str(units[j]))
                yield (lambda x, a=a, b=b: x.xreplace(_subs(a, b)),
                       Mistake("wrong_unit_weights", f"the weights {what} {_unit(c, who[1])} ({names}) are used instead of "
                                                     f"those {what} {_unit(c, who[0])} ({mine})", tuple(map(str, a + b))))


def _unit(c: Checker, who: str) -> str:
    return f"${c.latex(c.net.nodes[who].symbol)}$" if who in c.net.nodes else who


def _subs(a, b) -> dict:
    return dict(zip(a, b))


def _dropped(c: Checker, e: sp.Expr):
    """An activation's derivative (its local factor, z (1 - z) for a sigmoid) dropped."""
    for n in c.net.nodes.values():
        if n.kind != "act" or not n.inputs:
            continue
        d = n.local_of(n.inputs[0])
        if d == 1 or n.symbol not in e.free_symbols:
            continue
        q = sp.cancel(e / d)
        if n.symbol in sp.fraction(q)[1].free_symbols:
            continue
        yield (lambda x, d=d: sp.cancel(x / d),
               Mistake("activation_derivative_dropped", f"the activation's derivative ${sp.latex(d)}$ "
                                                        f"(of ${c.latex(n.symbol)}$) is missing", (n.name,)))


def _renames(c: Checker, e: sp.Expr):
    names = sorted(e.free_symbols & set(c.table.kinds), key=lambda s: s.name)[:MAX_NAMES]
    pool = [s for s, k in c.table.kinds.items() if k in ("param", "input", "target", "act")]
    for s in names:
        for t in pool:
            if t != s and c.table.kinds.get(t) == c.table.kinds.get(s):
                yield (lambda x, s=s, t=t: x.xreplace({s: t}),
                       Mistake("wrong_symbol", f"${c.latex(t)}$ is used instead of ${c.latex(s)}$", (s.name, t.name)))


def two_faults(c: Checker, right: sp.Expr, written: sp.Expr) -> tuple[Mistake, ...]:
    """The two mistakes that turn ``right`` (what the step should be) into ``written``, or ()."""
    e = _expanded(c, right)
    if not isinstance(e, sp.Expr) or not e.free_symbols:
        return ()
    structural = list(_unit_swaps(c, e)) + list(_dropped(c, e)) + [
        (lambda x: -x, Mistake("sign_flipped", "the sign is flipped"))]
    everything = structural + list(itertools.islice(_renames(c, e), MAX_TRIES))
    tries = 0
    for f, m in structural:                       # one fault alone is said as one (explain tried renames and sign)
        tries += 1
        if f(e) != e and c.compare(written, f(e))[0]:
            return (m,)
    for (f, m), (g, n) in itertools.product(structural, everything):
        if m is n or (m.kind == n.kind == "sign_flipped"):
            continue
        tries += 1
        if tries > MAX_TRIES:
            return ()
        try:
            candidate = g(f(e))
        except (TypeError, ValueError, ArithmeticError):
            continue
        if candidate == e or f(e) == e or g(e) == e or candidate == f(e):
            continue
        if c.compare(written, candidate)[0]:
            return (m, n)
    return ()


__all__ = ["two_faults"]
