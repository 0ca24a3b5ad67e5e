"""A network read from a derivation's own forward pass, when no spec is given (the graph form).

A text defines its symbols as it computes: ``net_{h1} = w_1 i_1 + w_2 i_2 + b_1``,
``out_{h1} = \\frac{1}{1+e^{-net_{h1}}}``, ``E_{total} = E_{o1} + E_{o2}``.  Each such line (a name, then
an expression of names) becomes a node; the names no line defines are leaves: parameters when the
text differentiates or updates them (or they are spelled w, W, b, \\theta), inputs otherwise.  Numbers
come from the text's own substitutions, aligned token by token with the symbolic side
(``w_1 \\cdot i_1 + ... = 0.15 * 0.05 + ...`` gives w_1 = 0.15 and i_1 = 0.05), and from ``x = 0.05``.

Units the text names but does not compute (``out_{h2} = 0.5969``, "the same process for h2") are
generalised from a sibling: ``net_{h1}``'s line, with h1 read as h2 and its weights as the next block
of the same numbering (w_1, w_2 -> w_3, w_4; w_{11}, w_{12} -> w_{21}, w_{22}); a bias stays shared when
its shifted name belongs to another layer.  Values the text never states are solved from the numbers it
does state (``nospec.py``).  What the text does not determine is named, never guessed.
Reading the sides: ``textread.py``; generalising units: ``textunits.py``; the network as data and its
spec: ``textgraph.py``.
"""
from __future__ import annotations

from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from ..model.formula import Name
from .textgraph import TextNetwork
from .textread import _LOSS_BASES, _RATES, _Reading, bare_sum, bare_sum_text, bare_terms, equalities, named_terms, \
    take_values
from .textunits import generalise


def read_network(text: str) -> TextNetwork:
    """The network a text's forward pass determines (DeriveError naming what is missing)."""
    net = TextNetwork()
    rows = [(line, parts, [_Reading(p) for p in parts]) for line, parts in equalities(text)]
    everywhere: dict[str, Name] = {}
    pending: dict[str, tuple] = {}
    for line, parts, reads in rows:
        for r in reads:
            net.wrt |= r.wrt
            net.of |= r.of
            net.updated |= r.updated
            for k, n in r.names.items():
                if not n.index:
                    everywhere.setdefault(k, n)
                if not n.time:
                    net.names.setdefault(k, n.text or k)
    for line, parts, reads in rows:
        head = reads[0]
        if head.kind == "name":
            key = next(iter(head.names))
            body = next((r for r in reads[1:] if r.kind == "expr"), None)
            if body is None:                                 # the sum written out, for checking the line
                net.sums += [(line, p, w) for p in parts[1:] for w in [bare_sum_text(p, everywhere)] if w]
            if body is None and key not in net.nodes:      # E_{total} = \sum \frac12 (target - output)^2, if nothing else
                summed = next((r for r in (bare_sum(p, everywhere) for p in parts[1:]) if r is not None), None)
                if summed is not None:
                    part = next(p for p in parts[1:] if bare_sum(p, everywhere) is not None)
                    pending.setdefault(key, (line, summed, bare_terms(part, everywhere)))
            backward = any(r.leibniz for r in reads[1:])      # \delta_{o1} = dE/dout * ...: not forward
            if body is not None and not backward and key not in _RATES and key not in body.expr.free_symbols \
                    and _acyclic(net, key, body.expr) and (key not in net.nodes or _through_nodes(net, key, body.expr)):
                net.nodes[key], net.lines[key] = body.expr, line
                net.texts[key] = parts[reads.index(body)] if body in reads else ""
            if net.texts.get(key) and reads[1].kind in ("number", "mixed"):     # net_{h1} = 0.15 * 0.05 + ...
                take_values(net, net.texts[key], parts[1])
            last = reads[-1]
            if last.kind == "number":
                if key in _RATES:
                    net.rate = Fraction(str(last.expr))
                else:
                    net.stated.append((line, key, Fraction(str(last.expr)), parts[-1].strip()))
        for k in range(len(parts) - 1):          # symbolic side, then the same with numbers in
            if reads[k].kind in ("expr", "other", "name") and reads[k + 1].kind in ("number", "mixed"):
                take_values(net, parts[k], parts[k + 1])
    for key, (line, summed, terms) in pending.items():  # a sum over bare names, for a name no line defines
        loose = key in net.nodes and not any(x.name in net.nodes for x in net.nodes[key].free_symbols)
        if (key not in net.nodes or loose) and key not in summed.expr.free_symbols and \
                any(x.name in net.nodes for x in summed.expr.free_symbols):
            net.nodes[key], net.lines[key], net.texts[key] = summed.expr, line, ""
            named_terms(net, key, line, terms, everywhere)
    for line, key, v, _ in net.stated:            # x_1 = 0.05: a leaf's value
        if key not in net.nodes:
            net.values.setdefault(key, v)
    generalise(net, everywhere)
    net.output = _objective(net)
    keep = net.ancestors(net.output)            # \delta_{o1} = -(t - out) out (1 - out): a local name, not a node
    net.nodes = {k: e for k, e in net.nodes.items() if k in keep}
    net.generalised = [(a, b) for a, b in net.generalised if a in keep]
    for leaf in net.leaves:                       # stated values of leaves only; nodes are checked, not taken
        for line, key, v, _ in net.stated:
            if key == leaf:
                net.values.setdefault(leaf, v)
    return net


def _acyclic(net: TextNetwork, key: str, expr: sp.Expr) -> bool:
    todo, seen = [s.name for s in expr.free_symbols], set()
    while todo:
        n = todo.pop()
        if n == key:
            return False
        if n in net.nodes and n not in seen:
            seen.add(n)
            todo += [s.name for s in net.nodes[n].free_symbols]
    return True


def _through_nodes(net: TextNetwork, key: str, expr: sp.Expr) -> bool:
    """``e = c * d`` after ``e = (a + b)(b + 1)``, ``c = a + b``, ``d = b + 1``: a node restated through other
    nodes, equal to its first definition once they are written out, is the graph's edges (colah's e = c*d)."""
    if not any(x.name in net.nodes and x.name != key for x in expr.free_symbols):
        return False
    first = _inlined(net, net.nodes[key])
    return first is not None and (again := _inlined(net, expr)) is not None and sp.expand(first - again) == 0


def _inlined(net: TextNetwork, expr: sp.Expr) -> sp.Expr | None:
    for _ in range(20):
        new = expr.xreplace({x: net.nodes[x.name] for x in expr.free_symbols if x.name in net.nodes})
        if new == expr:
            return expr
        expr = new
    return None


def _objective(net: TextNetwork) -> str:
    """The loss: the one unused quantity (or the loss-named one computed from the most of the network)."""
    if not net.nodes:
        raise DeriveError("the text has no forward pass to read a network from (no line like "
                          "net_{h1} = w_1 i_1 + w_2 i_2 + b_1): give a spec")
    used = {s.name for e in net.nodes.values() for s in e.free_symbols}
    tops = [n for n in net.nodes if n not in used]
    if not tops:
        raise DeriveError("the text's forward pass has no loss: give a spec")
    lossy = [n for n in tops if n.split("_")[0] in _LOSS_BASES] or tops
    size = {n: len(net.ancestors(n)) for n in lossy}
    best = max(size.values())
    chosen = [n for n in lossy if size[n] == best]
    if len(chosen) > 1:
        chosen = [n for n in chosen if n.endswith("_total") or "_" not in n] or chosen
    if len(chosen) > 1:
        raise DeriveError("the text's forward pass does not say which quantity is the loss ("
                          + ", ".join(net.names.get(n, n) for n in chosen) + "): give a spec")
    out = chosen[0]
    if best < 3 and (out not in net.of or out.split("_")[0] in _LOSS_BASES):     # f = qz, differentiated: a graph
        raise DeriveError(f"the loss {net.names.get(out, out)} is not written in terms of the network's "
                          "outputs (no line like E = 1/2 (t - out)^2): give a spec")
    return out


__all__ = ["read_network"]
