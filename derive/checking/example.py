"""The worked example a derivation computes with: the spec's values, then the values it states.

Every leaf (input, parameter, target, the learning rate) may have a value; nodes and deltas are
computed from them exactly where the arithmetic is rational and as 60-digit intervals otherwise.
A value the derivation states (``$x_1 = 0.05$``) replaces the spec's for the rest of the document.
"""
from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp

from ..errors import ProofError
from .lookup import LEARNING_RATE
from .numbers import finite, show, to_fraction, value

if TYPE_CHECKING:
    from .checker import Checker


class Example:
    """Leaf values (exact fractions) and, computed on demand, every node's and delta's value."""

    def __init__(self, c: Checker):
        self.c = c
        self.given: dict[sp.Symbol, Fraction] = {}
        v = c.net.spec.values
        if v is not None:
            batch = len(getattr(v, "examples", ()) or ()) > 1      # m examples: no single input value
            for name, x in {**({} if batch else {**v.inputs, **v.targets}), **v.params}.items():
                self.given[c.net.nodes[name].symbol] = to_fraction(x)
            if v.learning_rate is not None:
                self.given[LEARNING_RATE] = to_fraction(v.learning_rate)
        self.from_spec = dict(self.given)
        self.stated_nodes: dict = {}        # a quantity whose leaves have no value, as the text states it (nospec)
        self._env: dict | None = None

    def is_leaf(self, sym: sp.Symbol) -> bool:
        node = self.c.net.nodes.get(sym.name)
        return sym == LEARNING_RATE or bool(node and node.leaf and node.symbol == sym)

    def state(self, sym: sp.Symbol, x) -> str:
        """Take a value the derivation states; a note when it differs from the spec's."""
        before = self.from_spec.get(sym)
        self.given[sym] = x
        self._env = None
        if before is not None and before != x:
            return (f"the spec has ${self.c.latex(sym)} = {show(before)}$; this derivation's value is used from "
                    f"here on")
        return ""

    @property
    def env(self) -> dict:
        if self._env is None:
            env: dict = dict(self.given)
            memo: dict = {}
            for node in self.c.net.nodes.values():
                if not node.leaf:
                    self._put(env, node.symbol, node.expr, memo)
                    if node.symbol not in env and node.symbol in self.stated_nodes:
                        env[node.symbol] = self.stated_nodes[node.symbol]
            for sym, definition in self.c.deltas.items():
                self._put(env, sym, definition, memo)
            self._env = env
        return self._env

    @staticmethod
    def _put(env, sym, expr, memo):
        try:
            v = value(expr, env, memo)
        except (KeyError, ArithmeticError, ValueError, ProofError):
            return
        if finite(v):
            env[sym] = v

    def missing(self, expr: sp.Expr) -> list[str]:
        """The leaves ``expr`` needs that have no value (empty when it can be evaluated)."""
        out: list[str] = []
        seen: set = set()

        def walk(e):
            for s in e.free_symbols:
                if s in seen or s in self.env:
                    continue
                seen.add(s)
                if self.is_leaf(s):
                    out.append(s.name)
                    continue
                node = self.c.net.nodes.get(s.name)
                if node is not None and node.expr is not None:
                    walk(node.expr)
                elif s in self.c.deltas:
                    walk(self.c.deltas[s])
        walk(expr)
        return sorted(out)


__all__ = ["Example"]
