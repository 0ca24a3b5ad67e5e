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
Reading the sides: ``textread.py``; generalising units: ``textunits.py``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from ..model.formula import Name
from .textread import (_LOSS_BASES, _PARAM_BASES, _RATES, _Reading, bare_sum, bare_sum_text, bare_terms, equalities,
                       named_terms, take_values)
from .textunits import generalise

_GRAPH_LOSS = "L"           # the graph notation's loss (naming.py): with loss 'none' it is the output's value

@dataclass
class TextNetwork:
    """What a text's forward pass determines: nodes, leaves, values; ``spec`` is the graph-form dict."""
    nodes: dict[str, sp.Expr] = field(default_factory=dict)       # in the text's order
    lines: dict[str, int] = field(default_factory=dict)           # where each node is defined (0: generalised)
    texts: dict[str, str] = field(default_factory=dict)           # each node's defining side, as written
    names: dict[str, str] = field(default_factory=dict)           # ident -> as first written
    values: dict[str, Fraction] = field(default_factory=dict)
    rate: Fraction | None = None
    wrt: set = field(default_factory=set)
    updated: set = field(default_factory=set)
    stated: list = field(default_factory=list)                    # (line, ident, Fraction, text): X = number
    generalised: list = field(default_factory=list)               # (node, from node)
    solved: dict = field(default_factory=dict)                    # leaf -> Fraction (textsolve)
    sums: list = field(default_factory=list)                      # (line, \sum (target - output)^2, unit by unit)
    output: str | None = None

    @property
    def leaves(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.nodes.values():
            for s in sorted(e.free_symbols, key=lambda s: s.name):
                if s.name not in self.nodes and s.name not in _RATES:
                    seen[s.name] = None
        return list(seen)

    def is_param(self, leaf: str) -> bool:
        base = re.match(r"[A-Za-z]*", leaf).group(0) if "_" not in leaf else leaf.split("_")[0]   # w1, w_1: w
        return leaf in self.wrt or leaf in self.updated or base in _PARAM_BASES

    def repeated_inputs(self) -> list[tuple[str, str, str | None]]:
        """Weighted sums that use one input twice (``y1 = w5 h1 + w6 h1 + b2``): (node, the input, a sibling of
        that input the text names but no quantity uses, if there is one)."""
        used = {s.name for e in self.nodes.values() for s in e.free_symbols}
        named = set(self.names) | set(self.nodes)
        out = []
        def param(name):
            return name not in self.nodes and self.is_param(name)
        for node, e in self.nodes.items():
            terms = sp.Add.make_args(e)
            seen: dict[str, int] = {}
            linear = True                     # a weighted sum: every term one parameter times at most one input
            for term in terms:
                syms = term.free_symbols
                ps = [f for f in syms if param(f.name)]
                if len(ps) != 1 or len(syms) > 2 or sp.Poly(term, *syms).total_degree() != len(syms):
                    linear = False
                    break
                for f in syms - set(ps):
                    seen[f.name] = seen.get(f.name, 0) + 1
            if not linear:
                continue
            for u, n in seen.items():
                if n < 2 or len(terms) < 3:
                    continue
                m = re.fullmatch(r"(.*?)(\d+)", u)
                idle = None
                if m:
                    idle = next((x for x in sorted(named) if x != u and x not in used and
                                 re.fullmatch(re.escape(m.group(1)) + r"\d+", x)), None)
                out.append((node, u, idle))
        return out

    def taken(self) -> dict[str, tuple]:
        """Quantities whose leaves the text leaves without values, at the value it states (first statement)."""
        missing = {x for x in self.leaves if x not in self.values and x not in self.solved}
        out: dict[str, tuple] = {}
        for _, key, v, t in self.stated:
            if key in self.nodes and key not in out and any(
                    s.name in missing for n in self.ancestors(key) for s in self.nodes[n].free_symbols):
                out[key] = (v, t)
        return out

    def ancestors(self, node: str) -> set[str]:
        """``node`` and every node it is computed from."""
        out, todo = set(), [node]
        while todo:
            n = todo.pop()
            if n in self.nodes and n not in out:
                out.add(n)
                todo += [s.name for s in self.nodes[n].free_symbols]
        return out

    def ordered(self) -> list[str]:
        """The nodes, each after the nodes it uses."""
        out: list[str] = []

        def visit(n, depth=0):
            if n in out or depth > len(self.nodes):
                return
            for s in sorted(self.nodes[n].free_symbols, key=lambda s: s.name):
                if s.name in self.nodes:
                    visit(s.name, depth + 1)
            out.append(n)
        for n in self.nodes:
            visit(n)
        return out

    def spec(self) -> dict:
        leaves = self.leaves
        params = [x for x in leaves if self.is_param(x)]
        inputs = [x for x in leaves if x not in params]
        values = {**self.values, **self.solved}
        unknown = [x for x in inputs if x not in values]      # an input with no value yet: a fixed parameter
        inputs = [x for x in inputs if x in values]
        nodes = {n: _node_text(self.nodes[n]) for n in self.ordered()}
        output = self.output
        if output == _GRAPH_LOSS:      # the text calls its objective L, the graph form's own name for it:
            output = _GRAPH_LOSS + "_out"              # the node is renamed, and the text's L reads as the loss
            while output in nodes or output in leaves:
                output += "_"
            nodes = {output if n == _GRAPH_LOSS else n: e for n, e in nodes.items()}
        out: dict = {"name": "read from the text", "notation": "graph", "fixed": unknown,
                     "graph": {"inputs": inputs, "params": params + unknown, "nodes": nodes, "output": [output]},
                     "loss": "none",
                     "values": {"inputs": {k: _num(values[k]) for k in inputs if k in values},
                                "params": {k: _num(values[k]) for k in params if k in values}}}
        if self.rate is not None:
            out["values"]["learning_rate"] = _num(self.rate)
        return out

    def summary(self) -> str:
        leaves = self.leaves
        params = [x for x in leaves if self.is_param(x)]
        inputs = [x for x in leaves if x not in params]

        def listed(xs):
            return ", ".join(f"{self.names.get(x, x)} = {_show(self.values[x])}" if x in self.values else
                             f"{self.names.get(x, x)} (solved)" if x in self.solved else
                             f"{self.names.get(x, x)}" for x in xs) or "none"
        hidden = [n for n in self.nodes if n != self.output]
        text = (f"read from the text: inputs {listed(inputs)}; parameters {listed(params)}; "
                f"{len(hidden)} quantities ({', '.join(self.names.get(n, n) for n in hidden)}); "
                f"loss {self.names.get(self.output, self.output)}")
        if self.rate is not None:
            text += f"; learning rate {_show(self.rate)}"
        if self.generalised:
            text += "; generalised " + ", ".join(f"{self.names.get(a, a)} from {self.names.get(b, b)}"
                                                for a, b in self.generalised)
        if self.solved:
            text += "; solved from the text's numbers: " + ", ".join(
                f"{self.names.get(k, k)} = {_show(v)}" for k, v in self.solved.items())
        missing = [x for x in leaves if x not in self.values and x not in self.solved]
        if missing:
            text += "; no value for " + ", ".join(self.names.get(x, x) for x in missing)
            taken = self.taken()
            if taken:
                text += "; so these values are taken as the text states them: " + ", ".join(
                    f"{self.names.get(k, k)} = {t}" for k, (_, t) in taken.items())
        return text


def _num(v: Fraction):
    return int(v) if v.denominator == 1 else float(v)


def _show(v: Fraction) -> str:
    return str(_num(v))


def _node_text(e: sp.Expr) -> str:
    """A node expression in the spec's grammar (numbers, names, + - * / **, sigmoid tanh relu exp log)."""
    s = sp.sstr(e, order="none")
    if re.search(r"[A-Za-z_]+\(", s.replace("sigmoid(", "").replace("tanh(", "").replace("relu(", "")
                 .replace("exp(", "").replace("log(", "")):
        raise DeriveError(f"cannot write {s} as a node of the graph form")
    return s


def read_network(text: str) -> TextNetwork:
    """The network a text's forward pass determines (DeriveError naming what is missing)."""
    net = TextNetwork()
    rows = [(line, parts, [_Reading(p) for p in parts]) for line, parts in equalities(text)]
    everywhere: dict[str, Name] = {}
    pending: dict[str, tuple] = {}
    for line, parts, reads in rows:
        for r in reads:
            net.wrt |= r.wrt
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
            if body is not None and not backward and key not in net.nodes and key not in _RATES \
                    and key not in body.expr.free_symbols and _acyclic(net, key, body.expr):
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
    if best < 3:
        raise DeriveError(f"the loss {net.names.get(out, out)} is not written in terms of the network's "
                          "outputs (no line like E = 1/2 (t - out)^2): give a spec")
    return out


__all__ = ["TextNetwork", "read_network"]
