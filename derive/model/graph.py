"""The symbolic graph: one node per input, parameter, pre-activation, activation and the loss."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from . import rules
from ..errors import FormulaError, SpecError, choices
from .naming import symbol
from .spec import Spec

LEAF_KINDS = ("input", "param", "target")


def _times(a: sp.Symbol, b: sp.Symbol) -> sp.Expr:
    """a*b, the very object SymPy's ``*`` builds for two distinct plain symbols (its args ordered by name,
    as ``Basic.compare`` orders them), without Mul's flatten: 0.1 ms each, and a 784-input layer of 128
    units has 100,000 products."""
    if type(a) is type(b) is sp.Symbol and a.name != b.name \
            and a._hashable_content()[1:] == b._hashable_content()[1:]:
        return sp.Mul._from_args((a, b) if a.name < b.name else (b, a))
    return a * b


@dataclass(frozen=True)
class Node:
    """One value of the network: a leaf, or ``expr`` of the symbols of ``inputs``."""
    name: str
    kind: str                                   # input | param | target | pre | act | node | loss
    symbol: sp.Symbol
    expr: sp.Expr | None = None                 # in terms of the input nodes' symbols
    inputs: tuple[str, ...] = ()
    local: tuple[tuple[str, sp.Expr], ...] = () # (input name, d self / d input) from the rules table
    layer: int | None = None                    # 1-based layer of pre/act nodes
    index: int | None = None                    # 1-based unit index within the layer

    @property
    def leaf(self) -> bool:
        return self.kind in LEAF_KINDS

    def local_of(self, name: str) -> sp.Expr:
        return dict(self.local)[name]


class Network:
    """A spec turned into ordered nodes, with the notation's LaTeX for every symbol."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self.notation = spec.notation
        self.nodes: dict[str, Node] = {}
        for n in spec.inputs:
            self._add(Node(n, "input", symbol(n)))
        for p in spec.params:
            self._add(Node(p, "param", symbol(p)))
        for t in spec.targets:
            self._add(Node(t, "target", symbol(t)))
        if spec.layered:
            self._build_layers()
        else:
            self._build_graph()
        self._build_loss()
        self.loss = self.spec.notation.loss_name
        self.delta_nodes = tuple(n.name for n in self.nodes.values()
                                 if n.kind in ("pre", "node"))

    # -- building ------------------------------------------------------------------------------
    def _add(self, node: Node):
        self.nodes[node.name] = node

    def _build_layers(self):
        prev = list(self.spec.inputs)
        for li, L in enumerate(self.spec.layers, 1):
            rule = rules.activation(L.activation)
            zs = [symbol(z) for z in L.pres]
            for j, (z, row, b) in enumerate(zip(L.pres, L.weights, L.biases), 1):
                terms = [_times(symbol(w), symbol(a)) for w, a in zip(row, prev)]
                local = [(w, symbol(a)) for w, a in zip(row, prev)] + \
                        [(a, symbol(w)) for w, a in zip(row, prev)]
                inputs = list(row) + prev
                if b:
                    terms.append(symbol(b))
                    local.append((b, sp.S.One))
                    inputs.append(b)
                self._add(Node(z, "pre", symbol(z), sp.Add(*terms), tuple(inputs), tuple(local), li, j))
            for k, (a, z) in enumerate(zip(L.units, L.pres), 1):
                asym = symbol(a)
                if rule.unitwise:
                    local = ((z, rule.local(asym, symbol(z))),)
                    inputs = (z,)
                else:
                    local = tuple((zj, rule.local(asym, symbol(zj)) if zj == z
                                   else rule.cross(asym, symbol(self.spec.layers[li - 1].units[m])))
                                  for m, zj in enumerate(L.pres))
                    inputs = L.pres
                self._add(Node(a, "act", asym, rule.value(zs, k - 1), tuple(inputs), local, li, k))
            prev = list(L.units)

    def _build_graph(self):
        from . import formula  # the project's own parser; never eval/sympify on user text
        known: dict[str, sp.Symbol] = {n: node.symbol for n, node in self.nodes.items()
                                       if node.kind in ("input", "param")}
        later = {n for n, _ in self.spec.nodes}
        for name, text in self.spec.nodes:
            used: list[str] = []

            def resolve(nm, _name=name, _used=used):
                key = nm.base + (nm.sub or "") if not nm.sup else None
                if key in known:
                    if key not in _used:
                        _used.append(key)
                    return known[key]
                if key in later:
                    raise FormulaError(f"uses {key} before it is defined (a cycle, or nodes out of order)")
                raise FormulaError(f"unknown name {nm.text or key!r}; " + choices(str(key), known, "names here"))
            try:
                expr = formula.parse(text, resolve, mode="node", functions=rules.FUNCTIONS)
            except FormulaError as e:
                raise SpecError(f"graph.nodes.{name}", str(e)) from None
            local = []
            for u in used:
                try:
                    local.append((u, rules.local_derivative(expr, known[u])))
                except KeyError as e:
                    raise SpecError(f"graph.nodes.{name}", str(e.args[0])) from None
            s = symbol(name)
            # write a function node's own derivative via its output, as the seeds do: s*(1-s)
            local = [(u, d.xreplace({expr: s})) if isinstance(expr, sp.Function) else (u, d)
                     for u, d in local]
            self._add(Node(name, "node", s, expr, tuple(used), tuple(local)))
            known[name] = s
            later.discard(name)

    def _build_loss(self):
        rule = rules.loss(self.spec.loss)
        ys = [symbol(y) for y in self.spec.outputs]
        ts = [symbol(t) for t in self.spec.targets]
        n = len(ys)
        name = self.spec.notation.loss_name
        local = tuple((y.name, rule.local(y, t, n)) for y, t in zip(ys, ts or [None] * n))
        self._add(Node(name, "loss", symbol(name), rule.value(ys, ts),
                       tuple(self.spec.outputs), local))

    # -- queries -------------------------------------------------------------------------------
    @cached_property
    def consumers(self) -> dict[str, tuple[str, ...]]:
        """For each node, the nodes that read it, in graph order (stable)."""
        out: dict[str, list[str]] = {n: [] for n in self.nodes}
        for node in self.nodes.values():
            for name, _ in node.local:
                out[name].append(node.name)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def params(self) -> tuple[str, ...]:
        return self.spec.params

    @property
    def trainable(self) -> tuple[str, ...]:
        return self.spec.trainable

    def symbol(self, name: str) -> sp.Symbol:
        return self.nodes[name].symbol if name in self.nodes else symbol(name)

    @cached_property
    def latex_names(self) -> dict[sp.Symbol, str]:
        """Symbol -> LaTeX for every node and delta, in the spec's notation."""
        nota = self.notation
        names = {n.symbol: nota.latex(n.name) for n in self.nodes.values()}
        for d in self.delta_nodes:
            names[symbol(nota.delta(self.delta_label(d)))] = nota.latex(nota.delta(self.delta_label(d)))
        return names

    def delta_label(self, node: str) -> str:
        """Deltas of pre-activations are named after their unit (seed 002: delta_y1)."""
        n = self.nodes[node]
        if n.kind == "pre":
            return self.spec.layers[n.layer - 1].units[n.index - 1]
        return node

    def delta_symbol(self, node: str) -> sp.Symbol:
        return symbol(self.notation.delta(self.delta_label(node)))

    def latex(self, expr, **kw) -> str:
        return sp.latex(expr, symbol_names=self.latex_names, **kw)

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage (derive.jupyter)
        from ..jupyter import html
        return html(self)
