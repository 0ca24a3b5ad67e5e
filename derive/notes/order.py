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
                 params_last: bool = False, values: dict | None = None, linear: bool = False):
        super().__init__({"symbol_names": names})
        self._back, self._fwd, self._params_last = back, fwd, params_last
        self._values = values or {}
        self._params = params
        self._linear = linear      # a / b and plain brackets: a paragraph can break it across lines

    # -- ordering keys --------------------------------------------------------------------------
    def _rank(self, e) -> float:
        return max((self._back.get(s, -1.0) for s in e.free_symbols), default=-2.0)

    def _first(self, e) -> float:
        return min((self._fwd.get(s, 1e9) for s in e.free_symbols), default=-1.0)

    def _as_ordered_terms(self, expr, order=None):
        return sorted(expr.args, key=lambda t: (t.could_extract_minus_sign(), self._first(t),
                                                sp.default_sort_key(t)))

    def _factors(self, e) -> list:
        fs = sorted(sp.Mul.make_args(e), key=lambda f: (not f.is_Number, -self._rank(f), f.is_Add,
                                                        sp.default_sort_key(f)))
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

    def _product(self, e, framed: bool = False) -> str:
        """The factors of ``e`` in order; ``framed`` (a fraction's own numerator or denominator):
        a lone sum needs no brackets."""
        sep = r" \cdot " if self._values else " "
        factors = self._factors(e)
        out = []
        for k, f in enumerate(factors):
            t = self._print(f)
            if (f.is_Add and not (framed and len(factors) == 1)) or (k and self._negative_value(f)):
                t = r"\left(%s\right)" % t
            out.append(t)
        return sep.join(out)

    def _over(self, num: str, den: str, den_expr) -> str:
        if not self._linear:
            return r"\frac{%s}{%s}" % (num, den)
        if len(self._factors(den_expr)) > 1 or den_expr.is_Add:
            den = "(%s)" % den
        return "%s / %s" % (num, den)

    def doprint(self, expr):
        out = super().doprint(expr)
        return out.replace(r"\left(", "(").replace(r"\right)", ")") if self._linear else out

    def _print_Mul(self, expr):
        args = sp.Mul.make_args(expr)
        flips = [f for f in args if f.is_Add and all(t.could_extract_minus_sign() for t in f.args)]
        if flips:    # (- a - b) x is written - (a + b) x
            flipped = sp.Mul(*[-f if f in flips else f for f in args], evaluate=False)
            inner = self._print_Mul(flipped)
            return inner if len(flips) % 2 == 0 else (inner[2:] if inner.startswith("- ") else "- " + inner)
        c, rest = expr.as_coeff_Mul()
        if c.is_negative:
            inner = self._print_Mul(-expr) if (-expr).is_Mul else self._print(-expr)
            if (-expr).is_Add:
                inner = r"\left(%s\right)" % inner
            return "- " + inner
        num, den = sp.fraction(rest, exact=True)
        if den != 1:
            if c.is_Rational and c != 1:     # 2/(a b), not 2 \frac{1}{a b}
                num, den, c = c.p * num, c.q * den, sp.S.One
            top = self._product(num, framed=True) if num != 1 else "1"
            if self._linear and (num.is_Add or len(self._factors(num)) > 1):
                top = "(%s)" % top
            body = self._over(top, self._product(den, framed=True), den)
        else:
            body = self._product(num)
        if c == 1:
            return body
        sep = r" \cdot " if self._values else " "
        coeff = r"\frac{%d}{%d}" % (c.p, c.q) if c.is_Rational and c.q != 1 else self._print(c)
        return coeff + sep + body

    def _print_ExpBase(self, expr, exp=None):
        if self._linear:      # \exp(...) keeps the exponent on the line, where TeX may break it
            return r"\exp\left(%s\right)" % self._print(expr.args[0])
        return super()._print_ExpBase(expr, exp)

    def _print_Pow(self, expr):
        if self._linear and expr.exp.is_Rational and expr.exp.is_negative:
            return self._print_Mul(sp.Mul(1, expr, evaluate=False)) if expr.exp != -1 else \
                self._over("1", self._product(expr.base, framed=True), expr.base)
        if expr.base in self._values and expr.exp.is_Integer and expr.exp > 0:
            base = self._values[expr.base]
            if base.lstrip().startswith("-") or "\\" in base:
                base = r"\left(%s\right)" % base
            return "%s^{%s}" % (base, self._print(expr.exp))
        return super()._print_Pow(expr)


def printer(net, values: dict | None = None, names: dict | None = None, linear: bool = False) -> Printer:
    """A textbook-order printer for ``net``'s symbols (``values``: symbol -> LaTeX of its number;
    ``linear``: fractions as ``a / b`` with plain brackets, for a long derivative set as a paragraph)."""
    back, fwd = ranks(net)
    params = frozenset(net.symbol(p) for p in net.params)
    return Printer(names or net.latex_names, back, fwd, params, net.notation.preset == "ihv", values, linear)
