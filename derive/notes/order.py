"""LaTeX in a person's order: weighted sums weight first, chain products in the chain's order.

sympy prints sums and products in its canonical order (``a^{(2)}_1 \\theta^{(2)}_{11}``,
``(- a + y)^2``). This printer only reorders the factors of a product and the terms of a sum,
which are commutative, so what it prints is the same expression (the notes' parse-back test reads
every printed equation with our own parser and checks it against the derivation):

- a product's factors run from the loss side back to the parameter, the order of the Leibniz
  factors (``(a_1 - y_1) a_1 (1 - a_1) \\theta_{11} x_1``, ``\\delta_{y_1} w_{31}``); a weight
  comes before the value it multiplies (``\\theta a``, ``w_{11} x_1``), except in the ``ihv``
  preset, whose seed writes ``I_1 W_1``;
- a sum's terms run in the network's order (``x_1`` before ``x_2``, biases last), positive terms
  first, so ``(y_1 - a_1)^2`` and ``1 - a`` read as a person writes them and ``+ -`` never appears;
- with ``values`` (the worked example), symbols print as numbers and a negative number gets
  brackets only where it would otherwise read wrong: never inside a function's own brackets.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter


def ranks(net) -> tuple[dict, dict]:
    """(backward rank, forward index) of every symbol of ``net`` (nodes and deltas).

    A leaf ranks just below the first node that reads it (a weight above the value it multiplies),
    a target with the loss; a delta just above its weighted sum.
    """
    order = {name: k for k, name in enumerate(net.nodes)}
    loss = order[net.loss]
    back, fwd = {}, {}
    for name, node in net.nodes.items():
        fwd[node.symbol] = order[name]
        if not node.leaf:
            back[node.symbol] = float(order[name])
            continue
        if node.kind == "target":       # the loss reads the targets
            back[node.symbol] = float(loss)
            continue
        readers = [order[c] for c in net.consumers[name]] or [order[name]]
        back[node.symbol] = min(readers) - {"param": 0.5, "input": 0.6}[node.kind]
    for n in net.delta_nodes:
        s = net.delta_symbol(n)
        back[s] = order[n] + 0.25
        fwd[s] = order[n]
    return back, fwd


class Printer(LatexPrinter):
    """sympy's LaTeX printer with sums and products in textbook order (see the module docstring)."""

    def __init__(self, names: dict, back: dict, fwd: dict, params: frozenset = frozenset(),
                 params_last: bool = False, values: dict | None = None):
        super().__init__({"symbol_names": names})
        self._back, self._fwd, self._params_last = back, fwd, params_last
        self._values = values or {}
        self._params = params

    # -- ordering keys --------------------------------------------------------------------------
    def _rank(self, e) -> float:
        return max((self._back.get(s, -1.0) for s in e.free_symbols), default=-2.0)

    def _first(self, e) -> float:
        return min((self._fwd.get(s, 1e9) for s in e.free_symbols), default=-1.0)

    def _as_ordered_terms(self, expr, order=None):
        return sorted(expr.args, key=lambda t: (t.could_extract_minus_sign(), self._first(t),
                                                sp.default_sort_key(t)))

    def _factors(self, e) -> list:
        fs = sorted(sp.Mul.make_args(e), key=lambda f: (-self._rank(f), f.is_Add, sp.default_sort_key(f)))
        if self._params_last:
            fs = [f for f in fs if f not in self._params] + [f for f in fs if f in self._params]
        return fs

    # -- printing -------------------------------------------------------------------------------
    def _negative_value(self, e) -> bool:
        return e in self._values and self._values[e].lstrip().startswith("-")

    def _print_Symbol(self, expr, style="plain"):
        if expr in self._values:
            return self._values[expr]
        return super()._print_Symbol(expr, style)

    def _print_Add(self, expr, order=None):
        tex = ""
        for i, term in enumerate(self._as_ordered_terms(expr)):
            if i and self._negative_value(term):
                tex += " - " + self._values[term].lstrip()[1:].lstrip()
                continue
            if i == 0:
                pass
            elif term.could_extract_minus_sign():
                tex += " - "
                term = -term
            else:
                tex += " + "
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = r"\left(%s\right)" % term_tex
            if i and term_tex.startswith("-"):      # + (-0.5 x) reads as - 0.5 x: never "+ -"
                tex = tex[:-3] + (" + " if tex.endswith(" - ") else " - ")
                term_tex = term_tex[1:].lstrip()
            tex += term_tex
        return tex

    def _product(self, e) -> str:
        sep = r" \cdot " if self._values else " "
        out = []
        for k, f in enumerate(self._factors(e)):
            t = self._print(f)
            if f.is_Add or (k and self._negative_value(f)):
                t = r"\left(%s\right)" % t
            out.append(t)
        return sep.join(out)

    def _print_Mul(self, expr):
        c, rest = expr.as_coeff_Mul()
        if c.is_negative:
            inner = self._print_Mul(-expr) if (-expr).is_Mul else self._print(-expr)
            if (-expr).is_Add:
                inner = r"\left(%s\right)" % inner
            return "- " + inner
        num, den = sp.fraction(rest, exact=True)
        if den != 1:
            body = r"\frac{%s}{%s}" % (self._product(num) if num != 1 else "1", self._product(den))
        else:
            body = self._product(num)
        if c == 1:
            return body
        sep = r" \cdot " if self._values else " "
        coeff = r"\frac{%d}{%d}" % (c.p, c.q) if c.is_Rational and c.q != 1 else self._print(c)
        return coeff + sep + body

    def _print_Pow(self, expr):
        if expr.base in self._values and expr.exp.is_Integer and expr.exp > 0:
            base = self._values[expr.base]
            if base.lstrip().startswith("-") or "\\" in base:
                base = r"\left(%s\right)" % base
            return "%s^{%s}" % (base, self._print(expr.exp))
        return super()._print_Pow(expr)


def printer(net, values: dict | None = None, names: dict | None = None) -> Printer:
    """A textbook-order printer for ``net``'s symbols (``values``: symbol -> LaTeX of its number)."""
    back, fwd = ranks(net)
    params = frozenset(net.symbol(p) for p in net.params)
    return Printer(names or net.latex_names, back, fwd, params, net.notation.preset == "ihv", values)
