"""Whole-layer symbols as the notes and textbooks write them: ``\\mathbf{W}^{(2)}``, ``b^{[1]}``,
``\\boldsymbol{\\delta}^{(l)}``, ``\\mathbf{x}``, ``\\mathbf{y}``, ``\\hat{\\mathbf{y}}``, and the
single-output readings ``y``, ``\\hat{y}``, ``h_w(x)``.

A layer quantity is named by its letter (the base glyph of its entries' LaTeX in the preset: ``a``,
``z``, ``h``, ``\\Theta`` ...) and the layer number as the preset prints it (``(l)`` or ``[l]``).
Weights are also ``W``/``\\Theta`` in every preset.  Vectors are columns; a layer of one unit is its
one entry.  A letter that names two things (w-delta's ``y``: outputs or targets) is ambiguous and
said so, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp

from ..model.formula import Name, parse
from ..model.formula.matrix import TRANSPOSED
from ..model.graph import Network


@dataclass(frozen=True)
class Family:
    """One layer quantity: its kind, its entries (rows of symbols) and, for parameters, the
    pre-activation each entry feeds (so that dJ/dW is taken entry by entry)."""
    kind: str                       # weights | biases | pre | act | delta | input | target | output
    layer: int                      # spec layer 1..L (0: inputs, -1: targets)
    rows: tuple[tuple[sp.Symbol, ...], ...]
    feeds: tuple[tuple[str, ...], ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0])

    @property
    def scalar(self) -> sp.Symbol | None:
        """The one symbol when every entry is the same one (a single unit, a shared bias)."""
        first = self.rows[0][0]
        return first if all(e == first for r in self.rows for e in r) else None


def _name_of(tex: str) -> Name | None:
    seen: list[Name] = []
    try:
        parse(tex, lambda n: seen.append(n) or sp.Symbol("_"), mode="latex")
    except Exception:
        return None
    return seen[0] if len(seen) == 1 else None


def _column(syms) -> tuple[tuple[sp.Symbol, ...], ...]:
    return tuple((s,) for s in syms)


_KIND_WORDS = {"weights": "the weights", "biases": "the biases", "pre": "the weighted sums",
               "act": "the unit outputs", "delta": "the deltas", "input": "the inputs",
               "target": "the targets", "output": "the network's outputs"}


class LayerTable:
    """The layer symbols of a layered network, by (letter, layer as printed)."""

    def __init__(self, net: Network):
        self.net = net
        self.families: dict[tuple[str, str], list[Family]] = {}
        self.outputs: Family | None = None
        self.targets: Family | None = None
        if net.spec.targets:
            self.targets = Family("target", -1, _column(net.symbol(t) for t in net.spec.targets))
        if net.spec.outputs:
            self.outputs = Family("output", len(net.spec.layers), _column(net.symbol(o) for o in net.spec.outputs))
        if net.spec.layered:
            self._build()

    def shown(self, layer: int) -> str:
        """The layer number as the preset prints it: theta counts the inputs as layer 1 (seed 000)."""
        return str(layer + 1 if self.net.notation.preset == "theta" else layer)

    def _letter(self, name: str) -> tuple[str, str]:
        n = _name_of(self.net.latex_names[self.net.symbol(name)])
        return (n.base, n.sup) if n else ("", "")

    def _add(self, letter: str, layer: str, fam: Family):
        if not letter:
            return
        known = self.families.setdefault((letter, layer), [])
        if all(f.rows != fam.rows for f in known):
            known.append(fam)

    def _build(self):
        net, layers = self.net, self.net.spec.layers
        sym = net.symbol
        for li, layer in enumerate(layers, 1):
            shown = self.shown(li)
            rows = tuple(tuple(sym(w) for w in row) for row in layer.weights)
            feeds = tuple((pre,) * len(row) for pre, row in zip(layer.pres, layer.weights))
            weights = Family("weights", li, rows, feeds)
            # keyed by the layer number the entries print (theta: Theta^{(1)} maps layer 1 to 2, its
            # units are a^{(2)}), else the preset's layer number
            letter, sup = self._letter(layer.weights[0][0])
            for w in {letter, letter.capitalize(), "W", "Theta" if letter.lower() == "theta" else "W"}:
                self._add(w, sup or shown, weights)
            if not sup:                 # ihv's W and V: the letter alone names the layer's matrix
                self._add(letter, "", weights)
            if all(layer.biases):
                biases = Family("biases", li, _column(sym(b) for b in layer.biases), _column(layer.pres))
                letter, sup = self._letter(layer.biases[0])
                for b in {letter, "b"}:
                    self._add(b, sup or shown, biases)
            for kind, names in (("pre", layer.pres), ("act", layer.units)):
                fam = Family(kind, li, _column(sym(n) for n in names))
                letter, sup = self._letter(names[0])
                self._add(letter, sup or shown, fam)
                if not sup:             # w-delta's z_1 (one hidden layer): \mathbf{z} alone too
                    self._add(letter, "", fam)
            self._add("delta", shown, Family("delta", li, _column(net.delta_symbol(p) for p in layer.pres)))
        inputs = Family("input", 0, _column(sym(x) for x in net.spec.inputs))
        letter = self._letter(net.spec.inputs[0])[0]
        self._add(letter, "", inputs)
        if ("x", "") not in self.families:           # \mathbf{x}: the input vector in every preset
            self._add("x", "", inputs)
        self._add(letter, "i", inputs)               # x^{(i)}: example i, the one checked
        self._add(self._letter(layers[0].units[0])[0], self.shown(0), inputs)   # a^{(1)} (theta), a^{[0]} (ng)
        if self.targets is not None:
            letter = self._letter(net.spec.targets[0])[0]
            self._add(letter, "", self.targets)
            self._add(letter, "i", self.targets)

    # -- lookup --------------------------------------------------------------------------------------
    def find(self, name: Name) -> tuple[Family | None, bool, str]:
        """(family, transposed, why not) for a whole-layer name (no subscript)."""
        sup = name.sup
        transposed = sup.endswith(TRANSPOSED)
        sup = sup[:-len(TRANSPOSED)] if transposed else sup
        if name.sub:
            return None, transposed, ""
        if name.accent == "hat":
            ok = name.base == "y" and self.outputs is not None
            return (self.outputs if ok else None), transposed, ""
        found = self.families.get((name.base, re.sub(r"[\s()\[\]]", "", sup)), [])
        if len(found) == 1:
            return found[0], transposed, ""
        if len(found) > 1:
            readings = " or ".join(f"{_KIND_WORDS[f.kind]} of layer {self.shown(f.layer)}"
                                   if f.layer > 0 else _KIND_WORDS[f.kind] for f in found)
            return None, transposed, f"{name.text or name.base} is ambiguous here: it could be {readings}"
        return None, transposed, ""

    def entry(self, name: Name) -> sp.Symbol | None:
        """One entry of a layer quantity by its indices: ``\\Theta^{(1)}_{12}``, ``W^{[2]}_{1,3}``, ``\\delta^{(2)}_1``."""
        if not name.sub or name.accent not in ("", "bold"):
            return None
        fam, _, _ = self.find(Name(name.base, "", name.sup, name.text))
        if fam is None and name.base == "w":           # w^{(2)}_{jk}, as Nielsen and 3Blue1Brown write W^{(2)}
            fam, _, _ = self.find(Name("W", "", name.sup, name.text))
        if fam is None:
            return None
        rows, cols = fam.shape
        idx = name.sub.split("_") if "_" in name.sub else \
            (list(name.sub) if cols > 1 and len(name.sub) == 2 else [name.sub])
        if not all(i.isdigit() for i in idx):
            return None
        ij = [int(i) for i in idx] + ([1] if len(idx) == 1 and cols == 1 else [])
        if len(idx) == 1 and rows == 1 and cols > 1:      # w^{(L)}_k of a layer with one unit: its k-th weight
            ij = [1, int(idx[0])]
        if len(ij) != 2 or not (1 <= ij[0] <= rows and 1 <= ij[1] <= cols):
            return None
        return fam.rows[ij[0] - 1][ij[1] - 1]

    def readings(self, letter: str) -> list[sp.Symbol]:
        """The single-entry readings of a bare letter (``y``): the target or the output so written."""
        out = []
        for fam in (self.targets, self.outputs):
            if fam is None:
                continue
            for (s,) in fam.rows:
                n = _name_of(self.net.latex_names[s])
                if n and n.base == letter and not n.sup:
                    out.append(s)
        return out


def layer_message(table, name: Name) -> str:
    """Why a whole-layer, bold, hatted or bare-letter name is not one number (``table``: a
    SymbolTable); "" when the name is none of these."""
    layers: LayerTable = table.layers
    shown = name.text or name.base
    latex = table.net.latex_names
    if not name.sub and (name.sup or name.accent):
        fam, _, why = layers.find(name)
        if why:
            return why
        if fam is not None:
            r, c = fam.shape
            what = _KIND_WORDS[fam.kind] + (f" of layer {layers.shown(fam.layer)}"
                                             if fam.layer > 0 and fam.kind != "output" else "")
            return (f"{shown} is {what}, a {r}×{c} {'vector' if c == 1 else 'matrix'}: write one entry, like "
                    f"{latex[fam.rows[0][0]]} (a derivation's layer-form lines are checked entry by entry)")
    if name.accent == "bold":
        return (f"{shown}: no layer quantity here is written so (layer symbols are the notes' own, like "
                f"\\mathbf{{W}}^{{({layers.shown(1)})}})" if layers.families else
                f"{shown}: this network has no layers, so no vectors or matrices")
    if not (name.sub or name.sup or name.accent):
        readings = layers.readings(name.base)
        if len(readings) > 1:
            kinds = {s: "target" if s in {r[0] for r in layers.targets.rows} else "output"
                     for s in readings} if layers.targets else {s: "output" for s in readings}
            if len(set(kinds.values())) == 1:
                kind = next(iter(kinds.values()))
                return (f"{shown} is the {len(readings)} {kind}s here, a vector: write one, like "
                        f"{latex[readings[0]]}" + (r" (or \hat{y}_1 for the output)" if kind == "target" else ""))
            listing = " or ".join(f"the {kinds[s]} {latex[s]}" for s in readings[:6])
            return f"{shown} is ambiguous here: it could be {listing}; write which"
    return ""


__all__ = ["Family", "LayerTable", "layer_message"]
