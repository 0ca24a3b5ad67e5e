"""A text's own names in a derivation checked against a spec: bound to the network quantity each defining line
equals (``net_{h1} = w_{11} x_1 + w_{12} x_2`` is a_1), a local definition otherwise, generalised from one unit
to its siblings (``\\delta_{h1}`` from the text's ``\\delta_{o1} = ...``; ``net_{h2}`` must be a_2 when
``net_{h1}`` is a_1), and ``out_o`` inside ``\\sum_o`` read as out_{o1}, out_{o2} when the units are so named.
``TextNames`` is the part of the ``Reader`` (``steps.py``) that keeps them.
"""
from __future__ import annotations

import re
from dataclasses import replace

import sympy as sp

from ..model.formula import Name
from ..model.naming import symbol


class TextNames:
    """Definitions, bindings and unit families of the names a text introduces (mixed into ``Reader``)."""

    def define(self, name: Name, meaning: sp.Expr, text: str = ""):
        """A name the text defines: bound to the network quantity it equals (``net_{h1} = w_{11} x_1 + w_{12} x_2``
        is the pre-activation a_1), else a local definition."""
        if text and _UNIT.fullmatch(name.sub or ""):
            self.families.setdefault((name.base, name.sup), (name, text))
        node = self.quantity(meaning)
        if node is not None:
            self.bound[name.key()] = node
            return node
        sym = symbol("local_" + re.sub(r"\W", "_", name.key()))
        self.defs[name.key()] = (sym, meaning, name.text)
        return sym

    def sibling(self, name: Name) -> sp.Symbol | None:
        """The network quantity ``net_{h2}`` must be when the text's ``net_{h1}`` was bound to a_1: the same kind of
        node, numbered 2 where a_1 is numbered 1 (None when the text bound no sibling or the number is ambiguous)."""
        unit = _LABEL.fullmatch(name.sub or "")
        model = self.families.get((name.base, name.sup))
        if not unit or model is None or model[0].key() not in self.bound:
            return None
        was = _LABEL.fullmatch(model[0].sub)
        node = self.bound[model[0].key()].name
        if was is None or was.group(1) != unit.group(1):
            return None
        m = re.fullmatch(rf"(.*?){was.group(2)}", node)
        if m is None:
            return None
        cand = self.c.net.nodes.get(m.group(1) + unit.group(2))
        return cand.symbol if cand is not None and self.c.table.kinds.get(cand.symbol) == \
            self.c.table.kinds.get(self.bound[model[0].key()]) else None

    def quantity(self, meaning: sp.Expr) -> sp.Symbol | None:
        """The network's node (a pre-activation, an activation, the loss) that ``meaning`` is, if one is."""
        if meaning.is_Symbol or not meaning.free_symbols:
            return meaning if meaning.is_Symbol and self.c.table.kinds.get(meaning) in ("pre", "act", "node",
                                                                                       "loss") else None
        for node in self.c.net.nodes.values():
            if node.leaf or node.expr is None or node.kind not in ("pre", "act", "node", "loss"):
                continue
            if not (node.expr.free_symbols <= meaning.free_symbols | set(self.c.net.nodes_symbols())
                    if hasattr(self.c.net, "nodes_symbols") else True):
                continue
            try:
                if self.c.compare(meaning, node.symbol)[0]:
                    return node.symbol
            except Exception:                         # noqa: BLE001 - a comparison that cannot be made binds nothing
                continue
        return None

    def instance(self, name: Name) -> sp.Expr | None:
        """``\\delta_{h1}`` when the text defined ``\\delta_{o1} = ...``: the same definition for unit h1, if it reads."""
        if not _UNIT.fullmatch(name.sub or "") or (name.base, name.sup) not in self.families or self._generalising:
            return None
        model, text = self.families[(name.base, name.sup)]
        pattern = rf"(?<![A-Za-z0-9]){re.escape(model.sub)}(?![0-9])"
        if not re.search(pattern, text):      # nothing in the model's line names its unit: no instance to make
            return None
        text = re.sub(pattern, name.sub, text)
        self._generalising = True
        saved = self._leibniz, self._updates
        try:
            side = self.read(text)
        finally:
            self._generalising = False
            self._leibniz, self._updates = saved
        if not side.ok:
            return None
        return self.define(name, side.expr)


    def connection(self, name: Name) -> sp.Symbol | None:
        """``w_{ho}`` inside ``\\sum_o`` (Mazur): the weight between unit o1 (the sum's index letter is the units'
        prefix) and the one unit h<k> the equation names (``out_{h1}``): the parameter that multiplies a node of
        one unit in a node of the other.  None unless exactly one such parameter exists."""
        written = re.fullmatch(r"[^_]*_\{?\s*([a-z])\s*,?\s*([a-z])\s*\}?", name.text or "")
        if len(name.index) != 1 or not written or not re.fullmatch(r"[A-Za-z]\d+", name.sub or ""):
            return None
        units = []
        for letter in written.groups():
            if letter == name.index:
                units.append(letter + name.sub[1:])
                continue
            named = set(re.findall(rf"_\{{?\s*{letter}(\d+)(?![0-9])", getattr(self, "context", "")))
            if len(named) != 1:                     # the free letter must name one unit in the equation
                return None
            units.append(letter + named.pop())
        if units[0] == units[1]:
            return None
        a, b = (self._nodes_of(u) for u in units)
        found = {p for src, dst in ((a, b), (b, a)) for p in self._weights(src, dst)}
        return found.pop() if len(found) == 1 else None

    def _nodes_of(self, unit: str) -> set:
        """The network's nodes of a unit the text names (``h1``: net_h1, out_h1, or what the text bound them to)."""
        out = {n.symbol for n in self.c.net.nodes.values() if not n.leaf and n.name.endswith("_" + unit)}
        out |= {s for k, s in self.bound.items() if k.endswith(unit) and k[:-len(unit)].isalpha()}
        return out

    def _weights(self, src: set, dst: set) -> set:
        params = set(self.c.net.trainable)
        found = set()
        for node in self.c.net.nodes.values():
            if node.symbol not in dst or node.expr is None:
                continue
            for term in sp.Add.make_args(sp.expand(node.expr)):
                factors = term.free_symbols
                if len(factors) == 2 and term.is_Mul and factors & src:
                    p = (factors - src)
                    if len(p) == 1 and next(iter(p)).name in params:
                        found |= p
        return found


_UNIT = re.compile(r"[A-Za-z]+\d+")
_LABEL = re.compile(r"([A-Za-z]+)(\d+)")


def _prefixed(name: Name) -> Name:
    """``out_o`` read inside ``\\sum_o`` as out_{o1}, out_{o2} when the units are named by the index letter."""
    if len(name.index) == 1 and name.sub.isdigit():
        return replace(name, sub=name.index + name.sub)
    return name


__all__ = ["TextNames"]
