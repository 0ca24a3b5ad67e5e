"""Read a name as a student or the notes write it (``w_{31}``, ``\\delta_{y_{1}}``, ``theta1_11``)
and find the network's symbol: every node, parameter, target and delta, in any notation."""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cached_property

import sympy as sp

from ..errors import FormulaError, nearest
from ..model.formula import Name, parse
from ..model.graph import Network
from ..model.naming import symbol
from .layers import LayerTable, layer_message

LEARNING_RATE = symbol("learning_rate")
_LR_NAMES = ("alpha", "eta", "lr")
HAT = re.compile(r"\\(?:hat|widehat)\s*\{?\s*([A-Za-z])")        # \hat{y}, \hat y, \widehat{y}: the letter
_ROLES = {"out": "out", "output": "out", "net": "net", "target": "target"}
LOSS_ALIASES = ("E", "J", "L", "C", "error", "Error", "loss", "Loss", "cost", "Cost")   # the loss, by any name
_LAYER_SUP = re.compile(r"\^\s*\{?\s*[(\[]\s*\d+\s*[)\]]")     # ^{(2)}, ^{[2]}: a layer, never part of an index


def _loose(text: str) -> str:
    return re.sub(r"[_{}()\[\]\\^\s,]", "", text)


def _latex_key(tex: str) -> str | None:
    """Name.key() of a symbol's LaTeX, as the parser would read it (None if it is not a name)."""
    seen: list[Name] = []

    def grab(n: Name):
        seen.append(n)
        return sp.Symbol("_")
    try:
        parse(tex, grab, mode="latex")
    except Exception:
        return None
    return seen[0].key() if len(seen) == 1 else None


class SymbolTable:
    """Every symbol a formula about ``net`` may use, found by exact or loose spelling."""

    def __init__(self, net: Network):
        self.net = net
        self.kinds: dict[sp.Symbol, str] = {}
        exact: dict[str, sp.Symbol] = {}
        loose: dict[str, set] = {}
        for sym, tex in net.latex_names.items():
            node = net.nodes.get(sym.name)
            self.kinds[sym] = node.kind if node else "delta"
            exact[sym.name] = sym
            keys = {_loose(sym.name), _loose(tex)}
            k = _latex_key(tex)
            if k:
                keys.add(k)
            for key in keys:
                loose.setdefault(key, set()).add(sym)
        for node in net.delta_nodes:        # \delta^{(l)}_j: the delta of the unit printed a^{(l)}_j / z^{(l)}_j
            dsym = net.delta_symbol(node)
            for unit in {node, net.delta_label(node)}:
                k = _latex_key(net.notation.latex(unit))
                m = re.fullmatch(r"[A-Za-z]+(\d+)", k or "")
                if m:
                    loose.setdefault("delta" + m.group(1), set()).add(dsym)
        self.kinds[LEARNING_RATE] = "lr"
        self.exact = exact
        self.loose = {k: next(iter(v)) for k, v in loose.items() if len(v) == 1}
        self.ambiguous = {k: sorted(s.name for s in v) for k, v in loose.items() if len(v) > 1}

    @cached_property
    def layers(self) -> LayerTable:
        return LayerTable(self.net)

    def find(self, name: Name) -> sp.Symbol | None:
        """The symbol ``name`` denotes, or None."""
        if name.accent == "bold" and name.sub:     # \mathbf{W}^{(1)}_{11}: one entry of the matrix
            name = replace(name, accent="")
        if name.accent == "bold":                  # a whole layer: a number only when it has one entry
            fam = self.layers.find(name)[0]
            return fam.scalar if fam is not None else None
        if name.accent:
            return self._accented(name)
        plain = name.base + (("_" + name.sub) if name.sub else "")
        for cand in (name.base if not name.sub and not name.sup else None, plain):
            if cand and cand in self.exact:
                return self.exact[cand]
        if name.sup and not name.sub:               # W^{(2)}, \delta^{(2)}: a whole layer (its one entry)
            fam, transposed, _ = self.layers.find(name)
            if fam is not None or transposed:
                return fam.scalar if fam is not None else None
        layered = bool(name.sub and name.sup and _LAYER_SUP.search(name.text or ""))
        if layered:
            entry = self.layers.entry(name)          # W^{(2)}_{11}, w^{(L)}_1: an entry of layer 2's matrix
            if entry is not None:
                return entry
        hit = self.loose.get(name.key())
        if hit is not None and layered and "^" not in self.net.latex_names.get(hit, "^"):
            hit = None                               # w^{(2)}_1 is not the spec's w_{21}: the layer is no index
        if hit is None and name.base in _LR_NAMES and not (name.sub or name.sup):
            return LEARNING_RATE
        if hit is None and not (name.sub or name.sup):
            readings = self.layers.readings(name.base)   # y: the one target (or output) written y
            return readings[0] if len(readings) == 1 else self._role(name)
        if hit is None and name.sub and name.sup:        # \Theta^{(1)}_{12}: an entry of a layer's matrix
            return self.layers.entry(name)
        return hit if hit is not None else self._role(name)

    def _role(self, name: Name) -> sp.Symbol | None:
        """A name that says a unit's role, as Mazur's step-by-step example and the posts that copy it write
        them: ``out_{h1}`` (``output_{h1}``) unit h1's output, ``net_{h1}`` its weighted input, ``target_{o1}``
        output o1's target, ``E_{total}`` the loss, ``i_1`` the first input (when no name here starts with
        i).  The unit is any spelling of a unit's name this spec accepts (``h1``, ``h_1``, ``h_{1}``)."""
        base, sub = name.base, name.sub
        if name.sup or name.accent or name.time:
            return None
        if not sub and "_" in base:                  # plain text: out_h1, E_total
            base, sub = base.split("_", 1)
        if base in LOSS_ALIASES and sub.lower() in ("total", "tot"):
            return self.exact.get(self.net.loss)
        inputs = self.net.spec.inputs
        if base == "i" and sub.isdigit() and 1 <= int(sub) <= len(inputs) and \
                not any(n[:1] == "i" for n in self.exact):
            return self.exact.get(inputs[int(sub) - 1])
        role = _ROLES.get(base)
        unit = self.exact.get(sub) or self.loose.get(_loose(sub)) if role and sub else None
        if unit is None or self.kinds.get(unit) != "act":
            return None
        node = self.net.nodes[unit.name]
        if role == "out":
            return unit
        if role == "net":
            pre = self.net.spec.layers[node.layer - 1].pres[node.index - 1] if node.layer else None
            return self.exact.get(pre) if pre else None
        outputs = self.net.spec.outputs                  # role == "target"
        return self.exact.get(self.net.spec.targets[outputs.index(unit.name)]) if unit.name in outputs else None

    def _accented(self, name: Name) -> sp.Symbol | None:
        """``\\hat{y}`` (``\\hat{y}_k``): the network's output (output k), as textbooks write the prediction."""
        if name.accent != "hat":
            return None
        outs = self.net.spec.outputs
        index = re.sub(r"\D", "", name.sub) or ("1" if len(outs) == 1 else "")
        if name.sup and not re.fullmatch(r"\(?[i1]\)?", name.sup):
            return None
        if index.isdigit() and 1 <= int(index) <= len(outs) and name.base == "y":
            return self.net.nodes[outs[int(index) - 1]].symbol
        return None

    def __call__(self, name: Name) -> sp.Symbol:
        """Resolver for :func:`derive.model.formula.parse`: the symbol, or a helpful FormulaError."""
        sym = self.find(name)
        if sym is not None:
            return sym
        raise FormulaError(self.unknown_message(name))

    def unknown_message(self, name: Name) -> str:
        shown = name.text or name.base + name.sub
        key = name.key()
        layer = layer_message(self, name)
        if layer:
            return layer
        if name.accent:
            outs = ", ".join(self.net.latex_names[self.net.symbol(o)] for o in self.net.spec.outputs)
            return (f"{shown}: \\{name.accent}{{...}} is read only as the network's output "
                    f"(\\hat{{y}}, \\hat{{y}}_k); outputs here are {outs}")
        if key in self.ambiguous:
            names = {s.name: t for s, t in self.net.latex_names.items()}
            readings = " or ".join(f"{names.get(n, n)} ({n})" for n in self.ambiguous[key])
            return f"{shown} is ambiguous here: it could be {readings}"
        from .spelling import other_notation
        elsewhere = other_notation(self.net, shown)
        if elsewhere:
            return elsewhere
        kind = self._guess_kind(name)
        pool = [s.name for s, k in self.kinds.items() if k == kind] if kind else []
        pool = pool or sorted(s.name for s in self.kinds)
        near = nearest(name.base + name.sup + name.sub, pool)      # by edit distance (w1l: w11, w12)
        swapped = re.fullmatch(r"([A-Za-z]+)(\d)(\d)", name.base + name.sub)   # w13 for w31: indices swapped
        if swapped and swapped.expand(r"\1\3\2") in pool:
            near = [swapped.expand(r"\1\3\2")] + [n for n in near if n != swapped.expand(r"\1\3\2")][:2]
        label = {"param": "parameters", "input": "inputs", "target": "targets", "act": "unit outputs",
                 "pre": "pre-activations", "delta": "deltas"}.get(kind, "symbols")
        listing = ", ".join(pool) if len(pool) <= 12 else f"{len(pool):,}: {', '.join(pool[:3])}, ..., {pool[-1]}"
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        return f"unknown symbol {shown}; {label} here are {listing}{hint}"

    def _guess_kind(self, name: Name) -> str | None:
        """The kind of the known symbols whose names start like ``name`` (w13 -> weights)."""
        head = re.match(r"[A-Za-z]+", name.base)
        if not head:
            return None
        kinds = [k for s, k in self.kinds.items() if s.name.startswith(head.group(0))]
        return max(set(kinds), key=kinds.count) if kinds else None

    def names_of(self, kind: str) -> list[str]:
        return [s.name for s, k in self.kinds.items() if k == kind]


def hat_convention(net: Network, resolve, hats: set[str]):
    """``resolve`` for a formula that writes the output with a hat (``\\hat{y}_1``): the same letter without it is
    the target, as every text with that convention means (``(\\hat{y}_1 - y_1)``), also where the network's
    outputs are named y1, y2 (seed 002): never the output twice, which would make the factor 0."""
    outputs, targets = list(net.spec.outputs), list(net.spec.targets)

    def unhatted(name):
        sym = resolve(name)
        if not name.accent and name.base in hats and isinstance(sym, sp.Symbol) and sym.name in outputs \
                and len(targets) == len(outputs):
            return net.nodes[targets[outputs.index(sym.name)]].symbol
        return sym
    return unhatted
