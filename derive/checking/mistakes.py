"""The usual mistakes made in one factor of a chain-rule path, each a ``Mutation`` with its sentence.

A path's term is a product of local derivatives, one per edge.  A mistake changes one edge's
factor: the activation derivative dropped, written as the activation, with a sign error inside
(``z(1+z)``) or taken at another unit; the input factor dropped or squared; a weight of another
unit, layer or index order.  Sentences name symbols as the notation prints them (``a^{(3)}_{2}``),
never by internal names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Callable

import sympy as sp

from ..model.rules import sigmoid
from .verdict import Mistake

if TYPE_CHECKING:
    from .checker import Checker


@dataclass(frozen=True)
class Mutation:
    edge: tuple[str, str]            # (upper, lower)
    value: sp.Expr
    say: Callable[[], Mistake] = field(compare=False)   # its sentence, printed only if it is the story

    @cached_property
    def mistake(self) -> Mistake:
        return self.say()


@dataclass(frozen=True)
class D:
    """The derivative of node ``upper`` by node ``lower`` in a sentence."""
    upper: str
    lower: str


def say(c: Checker, kind: str, nodes: tuple, template: str, *args) -> Callable[[], Mistake]:
    """A Mistake made when asked: ``template``'s {} filled with the args in the notation's LaTeX."""
    def render(a):
        return partial(c, a.upper, a.lower) if isinstance(a, D) else tex(c, a)
    def make() -> Mistake:
        return Mistake(kind, template.format(*map(render, args)), nodes)
    return make


def tex(c: Checker, name_or_expr) -> str:
    """A node name or an expression in the notation's LaTeX (``y_{2}``, ``a^{(3)}_{2}``), never an internal name."""
    if isinstance(name_or_expr, str):
        node = c.net.nodes.get(name_or_expr)
        return c.latex(node.symbol if node else sp.Symbol(name_or_expr))
    return c.latex(name_or_expr)


def shown(c: Checker, name_or_expr) -> str:
    """As :func:`tex`, marked as maths in a sentence the way Markdown does: ``$y_{2}$``."""
    return f"${tex(c, name_or_expr)}$"


def partial(c: Checker, upper: str, lower: str) -> str:
    """``\\partial y_{1}/\\partial z_{1}``: the derivative of one node by another (LaTeX, unmarked)."""
    return f"\\partial {tex(c, upper)}/\\partial {tex(c, lower)}"


def _is_activation(node) -> bool:
    return node.kind in ("act", "node") and isinstance(node.expr, sp.Function)


def mutations(c: Checker, edges) -> list[Mutation]:
    """Every usual one-factor mistake on the given edges."""
    net = c.net
    pos = _positions(net)
    out: list[Mutation] = []
    for u, l in edges:
        node, value = net.nodes[u], net.nodes[u].local_of(l)
        if u == net.loss:
            continue
        d = D(u, l)
        if _is_activation(node) and value != 1:
            out += _activation(c, (u, l), node, value, d)
        lower = net.nodes[l]
        if node.kind in ("pre", "node") and lower.kind == "param" and isinstance(value, sp.Symbol) \
                and value.name in net.nodes and net.nodes[value.name].kind in ("input", "act", "node"):
            x = value.name
            out.append(Mutation((u, l), sp.S.One, say(c, "input_dropped", (x,), "the input factor ${} = {}$ is missing",
                                                      x, d)))
            out.append(Mutation((u, l), value ** 2, say(c, "input_extra", (x,), "the input factor ${}$ appears twice", x)))
        if isinstance(value, sp.Symbol) and value.name in net.nodes:
            out += _swaps(c, (u, l), value.name, pos)
    return out


def _activation(c: Checker, edge, node, value, d) -> list[Mutation]:
    net, a = c.net, node.symbol
    u = edge[0]
    out = [Mutation(edge, sp.S.One, say(c, "activation_derivative_dropped", (u,),
                                        "the activation derivative ${} = {}$ is missing", d, value)),
           Mutation(edge, a, say(c, "activation_derivative_as_value", (u,),
                                 "the activation derivative ${}$ is written as ${}$ instead of ${}$", d, u, value))]
    flipped = {a * (1 - a): a * (1 + a), 1 - a ** 2: 1 + a ** 2}.get(value)
    if flipped is not None:
        out.append(Mutation(edge, flipped, say(c, "activation_derivative_sign", (u,), "a sign inside the activation "
                                               "derivative is wrong: ${}$ instead of ${}$", flipped, value)))
    if isinstance(node.expr, sigmoid):
        s = sigmoid(a)
        out.append(Mutation(edge, s * (1 - s), say(c, "activation_derivative_at_output", (u,),
                                                   "$\\sigma'$ is taken at ${}$ instead of at ${}$: ${} = {}$",
                                                   u, edge[1], d, value)))
    for other in net.nodes.values():
        if other.name == u or not _is_activation(other) or type(other.expr) is not type(node.expr):
            continue
        swap = {a: other.symbol}
        if node.inputs and other.inputs:
            swap[net.nodes[node.inputs[0]].symbol] = net.nodes[other.inputs[0]].symbol
        wrong = value.xreplace(swap)
        if wrong != value:
            out.append(Mutation(edge, wrong, say(c, "activation_derivative_wrong_unit", (u, other.name),
                                                 "the activation derivative is taken at ${}$ (${}$) instead of at "
                                                 "${}$ (${}$)", other.name, wrong, u, value)))
    return out


def _positions(net) -> dict[str, tuple]:
    pos = {}
    for li, L in enumerate(net.spec.layers or (), 1):
        for j, row in enumerate(L.weights, 1):
            for i, w in enumerate(row, 1):
                pos[w] = (li, j, i)
        for j, b in enumerate(L.biases, 1):
            if b:
                pos.setdefault(b, (li, j, 0))
    return pos


def _swaps(c: Checker, edge, name: str, pos) -> list[Mutation]:
    net, node = c.net, c.net.nodes[name]
    out = []
    if node.kind == "param":
        here = pos.get(name)
        for q in net.params:
            if q == name:
                continue
            there = pos.get(q)
            if here and there and here[0] != there[0]:
                if sorted(there[1:]) != sorted(here[1:]):
                    continue
                kind, why = "wrong_weight_layer", "the wrong layer"
            elif here and there:
                kind = "wrong_weight_index"
                why = ("indices in the wrong order" if here[1:] == there[1:][::-1] else
                       "the weight of another unit" if here[1] != there[1] else "the weight from another input")
            else:
                kind, why = "wrong_weight", "another parameter"
            out.append(Mutation(edge, net.nodes[q].symbol, say(c, kind, (name, q), "${}$ is used instead of ${}$ "
                                                                                   f"({why})", q, name)))
        return out
    family = ("input", "act", "node") if node.kind in ("input", "act", "node") else (node.kind,)
    for other in net.nodes.values():
        if other.name != name and other.kind in family and other.kind != "loss":
            out.append(Mutation(edge, other.symbol, say(c, "wrong_symbol", (name, other.name),
                                                        "${}$ is used instead of ${}$", other.name, name)))
    return out


__all__ = ["Mutation", "mutations", "partial", "shown", "tex"]
