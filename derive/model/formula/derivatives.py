"""LaTeX's derivative notation, a mixin of the LaTeX grammar: ``\\frac{\\partial E}{\\partial w}`` (and
``\\frac{d E}{d w}``), the operator ``\\frac{\\partial}{\\partial y}`` applied to the name or the product after it,
and the gradient ``\\nabla_{w} J``.  The derivative itself is the caller's ``derivative`` callback (the plain
grammar's quotients and ``d`` marks are in ``leibniz.py``).
"""
from __future__ import annotations

import sympy as sp

from ...errors import FormulaError
from .name import Name


class DerivativeGrammar:
    def is_leibniz(self) -> bool:
        if not self.at("{"):
            return False
        first = self.d_mark(1)
        if first and self.at("∂", k=1):
            return True
        if not first:
            return False
        j, depth = self.i, 0
        while j < len(self.toks) - 1:
            t = self.toks[j]
            depth += t.kind == "op" and t.val == "{"
            depth -= t.kind == "op" and t.val == "}"
            if depth == 0:
                return self.at("{", k=j + 1 - self.i) and self.d_mark(j + 2 - self.i) != 0
            j += 1
        return False

    def names_one_operand(self) -> bool:
        """After ``\\frac{\\partial}{\\partial y}``: one name (``J(W,b)``, ``(x)``) is the operand, not an expression."""
        start, toks = self.i, list(self.toks)
        try:
            if self.at("("):
                self.next()
                name = self.derivand()[0]
                self.expect(")")
            else:
                name = self.derivand()[0]
            if name.base in (self.functions or {}):        # \operatorname{sqnorm}(...): a function, not a name
                return False
            t = self.peek()
            return t.kind == "end" or (t.kind == "op" and t.val in ("=", "+", "-", ")", "]", "}", ","))
        except FormulaError:
            return False
        finally:
            self.i, self.toks = start, toks

    def operator_derivative(self, y: Name, tok):
        """``\\frac{\\partial}{\\partial y} \\frac12 \\|t - h\\|^2``: the operator applied to the product after it,
        by the chain rule: the sum over the symbols it reads of (d expr / d symbol) (d symbol / d y), each
        d symbol / d y the derivative the caller defines for names (a vector's entries are asked for by
        their symbol's name).  Every symbol of the operand must come from a name or a number literal."""
        if self.derivative is None:
            raise self.err("derivative notation is not allowed here", tok)
        named: dict = {}
        literals: set = set()
        resolve, literal = self.resolve, self.literal

        def noting(name):
            v = resolve(name)
            for x in ([x for row in v.rows for x in row] if hasattr(v, "rows") else [v]):
                if isinstance(x, sp.Symbol):
                    named.setdefault(x, name if x is v else Name(x.name, text=x.name))
                elif x.free_symbols:
                    raise self.err(f"cannot differentiate through {name.text or name.base}: it stands for an "
                                   "expression", tok)
            return v

        def counting(text):
            v = literal(text)
            literals.update(v.free_symbols)
            return v
        self.resolve = noting
        if literal is not None:
            self.literal = counting
        try:
            e = self.term()
        finally:
            self.resolve, self.literal = resolve, literal
        if not isinstance(e, sp.Expr):
            raise self.err("\\frac{\\partial}{\\partial ...} of a vector or matrix is not read", tok)
        if e.free_symbols - set(named) - literals:
            raise self.err("\\frac{\\partial}{\\partial ...} is read before names and numbers only", tok)
        parts = []
        for v in sorted(e.free_symbols & set(named), key=str):
            inner = sp.diff(e, v)
            if inner != 0:
                parts.append(inner * self.guard(self.call(self.derivative, named[v], (), y), tok))
        return self.add(parts, tok) if parts else sp.S.Zero

    def nabla(self):
        """``\\nabla_{w} J`` (``\\nabla_{\\theta^{(2)}_{11}} J``, ``\\nabla_{W^{(2)}} J``): the gradient of J with
        respect to w, read as ``\\frac{\\partial J}{\\partial w}``."""
        tok = self.next()
        if not self.at("_"):
            raise self.err("write the gradient with what it is taken with respect to, like \\nabla_{w} J", tok)
        self.next()
        braced = self.at("{")
        if braced:
            self.next()
        y = self.read_name()
        if braced:
            self.expect("}")
        x, args = self.derivand()
        return self.leibniz(x, args, y, tok)

    def leibniz_frac(self, tok):
        """After ``\\frac``, when ``is_leibniz``: the quotient, or the operator applied to what follows."""
        self.expect("{")
        self.take_d_mark()
        x, args = (None, ()) if self.at("}") else self.derivand()
        self.expect("}")
        self.expect("{")
        self.take_d_mark()
        y = self.read_name()
        self.expect("}")
        if x is None:     # \frac{\partial}{\partial y} x
            if not self.names_one_operand():
                return self.operator_derivative(y, tok)
            if self.at("("):
                self.next()
                x, args = self.derivand()
                self.expect(")")
            else:
                x, args = self.derivand()
        return self.leibniz(x, args, y, tok)
