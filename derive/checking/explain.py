"""Say why a wrong step is wrong when the gradient diagnosis has nothing to say: an update step, a forward-pass
line, any two symbolic sides.  Never an empty diagnosis.

    w(t+1) = w + \\alpha dE/dw             an ascent step (the gradient added, not subtracted)
    w(t+1) = w - \\alpha (a wrong gradient) the gradient's own mistakes (``diagnose``), named as the update's
    net_{h1} = w_1 i_1 + w_3 i_2 + b_1     w_3 is used instead of w_2 (one name put for another)
    a = -b                                 the sign is flipped
    anything else                          more than one thing differs: the closest single fix is said when one
                                           substitution or sign makes the two sides nearer, else the right
                                           side's meaning is shown
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import sympy as sp

from .lookup import LEARNING_RATE
from .verdict import Mistake

if TYPE_CHECKING:
    from .checker import Checker
    from .steps import Reader, Side

MAX_SWAPS = 600


def explain(c: Checker, reader: Reader, a: Side, b: Side) -> tuple[Mistake, ...]:
    """The mistakes that make ``a = b`` wrong, in the text's notation (at least one)."""
    for upd, other in ((a, b), (b, a)):
        if len(upd.updates) == 1:
            found = _update(c, upd.updates[0], other.expr)
            if found:
                return found
    swap = _one_swap(c, a.expr, b.expr)
    if swap:
        return swap
    if c.compare(b.expr, -a.expr)[0]:
        return (Mistake("sign_flipped", "the sign is flipped: the right side is minus the left side"),)
    from .twofaults import two_faults
    both = two_faults(c, a.expr, b.expr)
    if both:
        return both
    closest = _closest(c, a.expr, b.expr)
    return (Mistake("several", "more than one thing differs: the left side is "
                               f"{_meaning(c, reader, a.expr)} here, the right side ${_tex(c, reader, b.expr)}$"
                    + (f"; the closest single fix: {closest}" if closest else "")),)


def _distance(c: Checker, left: sp.Expr, right: sp.Expr) -> float:
    """How far apart two sides are at a few random points (mean relative difference)."""
    import math
    total = 0.0
    for pt in c.points(4):
        x, y = c.value(left, pt), c.value(right, pt)
        if math.isnan(x) or math.isnan(y):
            return math.inf
        total += abs(x - y) / max(1.0, abs(x))
    return total


def _closest(c: Checker, left: sp.Expr, right: sp.Expr) -> str:
    """The one edit (one name for another, or the sign) that brings the right side nearest the left."""
    base = _distance(c, left, right)
    best, say = base, ""
    if _distance(c, left, -right) < best * 0.5:       # a sign is the closest fix only when it halves the gap
        best, say = _distance(c, left, -right), "flip the sign"
    names = sorted(right.free_symbols & set(c.table.kinds), key=lambda s: s.name)
    pool = sorted({s for s, k in c.table.kinds.items() if k in ("param", "input", "target")}, key=lambda s: s.name)
    tried = 0
    for s in names:
        for t in pool:
            if t == s or c.table.kinds.get(t) != c.table.kinds.get(s):
                continue
            tried += 1
            if tried > MAX_SWAPS // 4:
                break
            d = _distance(c, left, right.xreplace({s: t}))
            if d < best * 0.9:
                best, say = d, f"${c.latex(t)}$ for ${c.latex(s)}$"
    return say


def _update(c: Checker, p: sp.Symbol, new: sp.Expr) -> tuple[Mistake, ...]:
    from .diagnose import diagnose
    if p.name not in c.net.trainable:
        return ()
    g = c.derivation.gradient(p.name).delta_form
    step = sp.expand(new - p)
    if step == 0:
        return (Mistake("no_step", f"the update leaves ${c.latex(p)}$ unchanged: the step "
                                   f"$-\\alpha\\,\\partial/\\partial {c.latex(p)}$ is missing"),)
    rate = LEARNING_RATE if LEARNING_RATE in step.free_symbols else sp.S.One
    used = sp.cancel(-step / rate)
    if LEARNING_RATE in used.free_symbols:
        return ()
    if c.compare(used, -g)[0]:
        return (Mistake("ascent_step", f"an ascent step: ${c.latex(p)} + \\alpha\\,\\partial E/\\partial {c.latex(p)}$ "
                                       "climbs the error; gradient descent subtracts the gradient"),)
    from .twofaults import two_faults
    inner = diagnose(c, p.name, used)
    climbs = diagnose(c, p.name, -used) or two_faults(c, g, -used)     # the gradient added: an ascent step, and
    if climbs and (not inner or len(climbs) < len(inner) or any(m.kind == "sign_flipped" for m in inner)):
        return (Mistake("ascent_step", "an ascent step: the gradient is added, not subtracted (gradient descent "
                                       "subtracts it)"),) + _in_update(climbs)
    if inner:
        return _in_update(inner)
    both = two_faults(c, g, used)
    if both:
        return _in_update(both)
    return (Mistake("update_gradient", f"the update's gradient is not $\\partial E/\\partial {c.latex(p)}$ = "
                                       f"${c.latex(g)}$"),)


def _in_update(mistakes) -> tuple[Mistake, ...]:
    return tuple(Mistake(m.kind, "in the update's gradient: " + m.message, m.nodes) for m in mistakes)


def _one_swap(c: Checker, left: sp.Expr, right: sp.Expr) -> tuple[Mistake, ...]:
    """One network name put for another (``w_3`` for ``w_2``): the swap that makes the sides equal."""
    names = sorted(right.free_symbols & set(c.table.kinds), key=lambda s: s.name)
    pool = sorted({s for s, k in c.table.kinds.items() if k in ("param", "input", "target")}, key=lambda s: s.name)
    tried = 0
    for s in names:
        kind = c.table.kinds.get(s)
        for t in pool:
            if t == s or c.table.kinds.get(t) != kind:
                continue
            tried += 1
            if tried > MAX_SWAPS:
                return ()
            terms = sp.Add.make_args(sp.expand(right))
            tries = [right.xreplace({s: t})] + ([sp.expand(right) - term + term.xreplace({s: t})
                                                 for term in terms if s in term.free_symbols] if len(terms) > 1 else [])
            if any(c.compare(x, left)[0] for x in tries):      # every occurrence, or the one in a single term
                return (Mistake("wrong_symbol", f"${c.latex(s)}$ is used instead of ${c.latex(t)}$", (s.name, t.name)),)
    return ()


def _meaning(c: Checker, reader: Reader, e: sp.Expr) -> str:
    """A side in the text's names; a single network quantity also as what it is (a^{(1)}_1 = w_{11} x_1 + ...)."""
    node = c.net.nodes.get(e.name) if isinstance(e, sp.Symbol) else None
    if node is not None and node.expr is not None and node.kind in ("pre", "act", "node", "loss"):
        return f"${_tex(c, reader, e)} = {_tex(c, reader, node.expr)}$"
    return f"${_tex(c, reader, e)}$"


def _tex(c: Checker, reader: Reader, e: sp.Expr) -> str:
    local = {sym: text for sym, _, text in reader.defs.values()}
    names = {**{s: c.latex(s) for s in e.free_symbols if s not in local}, **local}
    return sp.latex(e, symbol_names=names)


_MATRIX = re.compile(r"(W|w|\\Theta)\^\{\(([^{}()]*)\)\}(?!\s*\)?\s*\^\s*(?:\{?\s*(?:T|\\top|\\intercal)))")
_LAYER = re.compile(r"\^\{\(([lL])\)\}")


def layer_fixes(left: str, right: str):
    """Edits of a layer-form right side, each with the mistake it undoes: first every single edit, then every
    pair of two different kinds (a transpose missing and the sign flipped: both named, in one mistake)."""
    singles = list(_layer_singles(left, right))
    yield from singles
    for fixed, first in singles:
        for twice, second in _layer_singles(left, fixed):
            if second.kind != first.kind:
                yield twice, Mistake("two_faults", f"two things differ from the right layer form: {first.message}; "
                                                   f"and {second.message}")


def _layer_singles(left: str, right: str):
    """Single edits of a layer-form right side, each with the mistake it undoes: a transpose added to one
    weight matrix, the activation's derivative put back, the sign flipped, one l read as L or L as l."""
    for m in _MATRIX.finditer(right):
        fixed = right[:m.start()] + "(" + m.group(0) + ")^{\\top}" + right[m.end():]
        yield fixed, Mistake("missing_transpose", f"a transpose is missing: $({m.group(0)})^\\top$, not ${m.group(0)}$")
    layer = re.search(r"\^\{\(([^{}()]*)\)\}", left)
    if layer and re.match(r"\s*\\(delta|boldsymbol\{\\delta\})", left) and "sigma'" not in right:
        z = "z^{(%s)}" % layer.group(1)
        yield f"({right}) \\odot \\sigma'({z})", Mistake(
            "missing_activation_derivative", f"the activation's derivative $\\odot\\,\\sigma'({z})$ is missing")
    yield f"-({right})", Mistake("sign_flipped", "the sign is flipped (the right side is minus the right layer form)")
    for m in _LAYER.finditer(right):
        other = "L" if m.group(1) == "l" else "l"
        fixed = right[:m.start()] + "^{(%s)}" % other + right[m.end():]
        yield fixed, Mistake("wrong_layer", f"${m.group(1)}$ is written where ${other}$ belongs "
                                            f"(layer {m.group(1)} for layer {other})")


__all__ = ["explain", "layer_fixes"]
