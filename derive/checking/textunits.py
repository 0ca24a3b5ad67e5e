"""Units a text names but does not compute (``out_{h2} = 0.5969``, "the same process for h2"), generalised from a
sibling's line: h1 read as h2, its weights as the next block of the same numbering (w_1, w_2 -> w_3, w_4;
w_{11}, w_{12} -> w_{21}, w_{22}); a numbered bias stays one per layer when the next number is another layer's.
"""
from __future__ import annotations

import re

import sympy as sp

from ..model.formula import Name
from .textread import _UNIT, ident

def units_of(names) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for n in names.values():
        m = _UNIT.fullmatch(n.sub or "") if not n.index else None     # not a sum's own index (\sum_o w_{ho})
        if m:
            out.setdefault(m.group(1), set()).add(int(m.group(2)))
    return out


def generalise(net, everywhere: dict[str, Name]):      # net: a textgraph.TextNetwork (which imports this)
    units = units_of(everywhere)
    layer_of: dict[str, str] = {}                 # a parameter leaf -> the unit prefix whose line uses it
    for key, e in net.nodes.items():
        m = _UNIT.fullmatch(everywhere[key].sub or "") if key in everywhere else None
        if m:
            for s in e.free_symbols:
                layer_of.setdefault(s.name, m.group(1))
    layer_of["?shared"] = _bias_convention(net, everywhere, layer_of)
    changed = True
    while changed:
        changed = False
        for key in list(net.nodes):
            name = everywhere.get(key)
            m = _UNIT.fullmatch(name.sub or "") if name else None
            if not m:
                continue
            prefix, k = m.group(1), int(m.group(2))
            for k2 in sorted(units.get(prefix, ())):
                new = ident(Name(name.base, f"{prefix}{k2}", name.sup))
                if new in net.nodes or k2 == k:
                    continue
                expr = _shifted(net, net.nodes[key], prefix, k, k2, everywhere, layer_of)
                if expr is None:
                    continue
                net.nodes[new], net.lines[new] = expr, 0
                net.generalised.append((new, key))
                everywhere[new] = Name(name.base, f"{prefix}{k2}", name.sup, text="")
                net.names.setdefault(new, (name.text or key).replace(f"{prefix}{k}", f"{prefix}{k2}"))
                changed = True


def _shifted(net, expr, prefix, k, k2, everywhere, layer_of):
    """``expr`` (unit prefix+k's line) for unit prefix+k2, or None when its parameters cannot be renamed."""
    subst = {}
    weights = []
    for s in expr.free_symbols:
        n = everywhere.get(s.name)
        if n is None:
            return None
        m = _UNIT.fullmatch(n.sub or "")
        if m and m.group(1) == prefix and int(m.group(2)) == k:
            subst[s] = sp.Symbol(ident(Name(n.base, f"{prefix}{k2}", n.sup)))
        elif net.is_param(s.name) and s.name not in net.nodes and re.fullmatch(r"\d+", n.sub or ""):
            weights.append((s, n))
    if weights:
        bias = [(s, n) for s, n in weights if _is_bias(expr, s)]
        plain = [(s, n) for s, n in weights if (s, n) not in bias]
        if plain and all(len(n.sub) == 2 and int(n.sub[0]) == k for _, n in plain):      # w_{kj}: row k
            for s, n in plain:
                subst[s] = sp.Symbol(ident(Name(n.base, f"{k2}{n.sub[1]}", n.sup)))
        elif plain:                                                                    # w_1, w_2: a block
            idx = sorted(int(n.sub) for _, n in plain)
            if idx != list(range(idx[0], idx[0] + len(idx))):
                return None
            step = (k2 - k) * len(idx)
            for s, n in plain:
                subst[s] = sp.Symbol(ident(Name(n.base, str(int(n.sub) + step), n.sup)))
        for s, n in bias:         # b_1: one per layer, or one per unit, as the text's other lines show
            if layer_of["?shared"] is None:
                return None
            if not layer_of["?shared"]:
                subst[s] = sp.Symbol(ident(Name(n.base, str(int(n.sub) + (k2 - k)), n.sup)))
    return expr.xreplace(subst)


def _bias_convention(net, everywhere, layer_of) -> bool | None:
    """True: a numbered bias is one per layer (b_1 in h1's line, b_2 in o1's); False: one per unit (b_2 is
    written in the same layer); None: the text does not say."""
    for key, e in net.nodes.items():
        name = everywhere.get(key)
        m = _UNIT.fullmatch(name.sub or "") if name else None
        if not m:
            continue
        for s in e.free_symbols:
            n = everywhere.get(s.name)
            if n is None or not re.fullmatch(r"\d+", n.sub or "") or not net.is_param(s.name) or not _is_bias(e, s):
                continue
            nxt = ident(Name(n.base, str(int(n.sub) + 1), n.sup))
            if layer_of.get(nxt, m.group(1)) != m.group(1):
                return True
            if nxt in everywhere:
                return False
    return None


def _is_bias(expr: sp.Expr, s: sp.Symbol) -> bool:
    """A term of the weighted sum that is the parameter alone (times a number)."""
    for term in sp.Add.make_args(sp.expand(expr)):
        if s in term.free_symbols and len(term.free_symbols) == 1:
            return True
    return False



__all__ = ["generalise", "units_of"]
