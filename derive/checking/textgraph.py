"""The network read from a text, as data: its nodes, leaves and values (``TextNetwork``), the graph-form
spec they give (``spec``), and the one line that says what was read (``summary``).  ``textnet.py`` reads it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from .textread import _PARAM_BASES, _RATES

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
    of: set = field(default_factory=set)           # the names the text differentiates (dE/dw: E)
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


__all__ = ["TextNetwork"]
