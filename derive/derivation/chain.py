"""Chain-rule derivation from the graph and the rules table only: paths, Leibniz factors, deltas.

Nothing here calls ``sympy.diff``: every factor is a node's local derivative from ``rules``.
Each delta (dL/d node, for pre-activations and graph nodes) is defined once in terms of the
deltas after it and reused by every parameter below it: backprop's memoisation (seed 003).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, cmp_to_key

import sympy as sp

from ..model.graph import Network

MAX_PATHS = 256     # enumerate individual paths up to this many per parameter


@dataclass(frozen=True)
class Factor:
    """One Leibniz factor d upper / d lower with its local value."""
    upper: str
    lower: str
    value: sp.Expr


@dataclass(frozen=True)
class Path:
    """One route from a parameter to the loss: nodes param..loss, factors loss-first (seed order)."""
    nodes: tuple[str, ...]
    factors: tuple[Factor, ...]

    @property
    def product(self) -> sp.Expr:
        return sp.Mul(*[f.value for f in self.factors])


@dataclass(frozen=True)
class Term:
    """A segment from a node to the next delta node (or the loss): factors, then that delta."""
    factors: tuple[Factor, ...]
    delta: str | None                 # the delta node the segment ends at; None at the loss


@dataclass(frozen=True)
class Delta:
    """dL/d node, defined from the deltas after it; ``expr`` is in delta and node symbols."""
    node: str
    symbol: sp.Symbol
    terms: tuple[Term, ...]
    expr: sp.Expr


@dataclass(frozen=True)
class Gradient:
    """Everything the chain rule says about dL/d param.

    ``paths`` and ``path_sum`` are built on first use: a 64-32-10 network has 20,000 paths that
    training never needs.
    """
    param: str
    symbol: sp.Symbol
    path_count: int
    terms: tuple[Term, ...]
    delta_form: sp.Expr                # in delta symbols and node symbols (memoised form)
    net: Network = field(repr=False, compare=False)

    @cached_property
    def paths(self) -> tuple[Path, ...]:
        """Every route to the loss, in a stable order; empty when there are more than MAX_PATHS."""
        return _paths(self.net, self.param) if self.path_count <= MAX_PATHS else ()

    @cached_property
    def path_sum(self) -> sp.Expr | None:
        """Sum of the path products in node symbols (None when the paths are not enumerated)."""
        if self.path_count and not self.paths:
            return None
        return sp.Add(*[q.product for q in self.paths])

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage (derive.jupyter)
        from ..jupyter import html
        return html(self)

    def _repr_latex_(self) -> str:
        from ..jupyter import latex
        return latex(self)


@dataclass(frozen=True)
class ChainDerivation:
    deltas: dict[str, Delta]           # backward order: nearest the loss first
    gradients: dict[str, Gradient]     # spec order of trainable parameters

    def delta_definitions(self) -> dict[sp.Symbol, sp.Expr]:
        return {d.symbol: d.expr for d in self.deltas.values()}


def _locals(net: Network) -> dict[str, dict]:
    """Every node's local derivatives as a dict, built once (a first-layer unit of a 784-input net
    reads 1,569 values: looking each up in the node's tuple made the chain rule quadratic)."""
    return {n: dict(node.local) for n, node in net.nodes.items()}


def _segments(net: Network, start: str, local: dict) -> tuple[Term, ...]:
    """Routes from ``start`` up to the next delta node or the loss, factors loss-first."""
    out: list[Term] = []

    def walk(name: str, below: tuple[Factor, ...]):
        for c in net.consumers[name]:
            f = Factor(c, name, local[c][name])
            chain = (f,) + below
            if c == net.loss:
                out.append(Term(chain, None))
            elif c in net.delta_nodes:
                out.append(Term(chain, c))
            else:
                walk(c, chain)
    walk(start, ())
    return tuple(out)


_ORDER = cmp_to_key(sp.Basic.compare)


def _term_expr(net: Network, t: Term) -> sp.Expr:
    head = [net.delta_symbol(t.delta)] if t.delta else []
    items = [x for x in (*head, *[f.value for f in t.factors]) if x is not sp.S.One]
    if len(items) <= 2 and all(x.is_Symbol for x in items):
        # delta * activation, a weight's whole gradient: the product SymPy would build, built directly
        # (SymPy's Mul costs 0.1 ms, which a 109,386-parameter network pays once per parameter)
        if len(items) < 2:
            return items[0] if items else sp.S.One
        a, b = items
        if type(a) is type(b) is sp.Symbol and a.name != b.name \
                and a._hashable_content()[1:] == b._hashable_content()[1:]:
            return sp.Mul._from_args((a, b) if a.name <= b.name else (b, a))   # Basic.compare's order
        return sp.Mul._from_args(sorted(items, key=_ORDER))
    return sp.Mul(*items)


def _sum_terms(net: Network, terms: tuple[Term, ...]) -> sp.Expr:
    """Sum of the terms, with a factor every term shares next to the node pulled out.

    Seed 002 writes delta_h = (delta_y1 w31 + delta_y2 w41) z1(1-z1): the activation's
    derivative is common to every route out of a pre-activation.
    """
    if len(terms) > 1 and all(t.factors[-1] == terms[0].factors[-1] for t in terms):
        common = terms[0].factors[-1]
        rest = [Term(t.factors[:-1], t.delta) for t in terms]
        return sp.Mul(sp.Add(*[_term_expr(net, t) for t in rest]), common.value)
    return sp.Add(*[_term_expr(net, t) for t in terms])


def _count_paths(net: Network) -> dict[str, int]:
    counts = {net.loss: 1}
    for name in reversed(list(net.nodes)):
        if name != net.loss:
            counts[name] = sum(counts[c] for c in net.consumers[name])
    return counts


def _paths(net: Network, start: str) -> tuple[Path, ...]:
    out = []

    def walk(name, nodes, factors):
        if name == net.loss:
            out.append(Path(tuple(nodes), tuple(reversed(factors))))
            return
        for c in net.consumers[name]:
            walk(c, nodes + [c], factors + [Factor(c, name, net.nodes[c].local_of(name))])
    walk(start, [start], [])
    return tuple(out)


def derive_chain(net: Network) -> ChainDerivation:
    """Derive every trainable parameter's gradient by the chain rule, deltas memoised."""
    deltas: dict[str, Delta] = {}
    order = reversed(net.delta_nodes)
    if net.spec.layered:   # last layer first, units in order (deltas read only the next layer's)
        order = sorted(net.delta_nodes, key=lambda n: (-net.nodes[n].layer, net.nodes[n].index))
    local = _locals(net)
    for name in order:
        terms = _segments(net, name, local)
        expr = _sum_terms(net, terms)
        deltas[name] = Delta(name, net.delta_symbol(name), terms, expr)
    counts = _count_paths(net)
    grads = {}
    for p in net.trainable:
        terms = _segments(net, p, local)
        grads[p] = Gradient(p, net.symbol(p), counts[p], terms, _sum_terms(net, terms), net)
    return ChainDerivation(deltas, grads)
