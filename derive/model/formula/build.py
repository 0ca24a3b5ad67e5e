"""The one builder both grammars share: parsed pieces to sympy, safely.

Every sympy object a formula becomes is made here, under the limits: numbers of bounded size, exponents
of bounded height, no division by zero, no sympy call that could compute something huge.  Grammars call
these methods; they never call sympy constructors themselves.
"""
from __future__ import annotations

import math

import sympy as sp

from ...errors import DeriveError, FormulaError
from .limits import Limits

BAD = {sp.zoo, sp.nan, sp.oo, -sp.oo}


class CallbackError(Exception):
    """Carries a caller callback's own (non-Derive) exception through the parser's safety net."""


class Builder:
    """Safe construction of sympy expressions under ``limits``."""

    def __init__(self, limits: Limits):
        self.lim = limits
        self.big = 10 ** limits.max_digits

    def err(self, msg: str, tok=None) -> FormulaError:
        """The error to raise; a grammar overrides it to say where (a column)."""
        return FormulaError(msg)

    def guard(self, r, tok=None):
        if isinstance(r, int) and not isinstance(r, bool):
            r = sp.Integer(r)
        if not isinstance(r, sp.Basic):
            raise self.err(f"not an expression ({type(r).__name__})", tok)
        for node in (r, *(r.args if r.is_Mul or r.is_Add else ())):
            if node in BAD:
                raise self.err("division by zero or undefined value", tok)
            if node.is_Rational and (abs(node.p) > self.big or node.q > self.big):
                raise self.err(f"number too large (more than {self.lim.max_digits} digits)", tok)
            if node.is_Pow and node.exp.is_Number and not node.base.is_Number and abs(node.exp) > self.lim.max_exponent:
                raise self.err(f"exponent {node.exp} too large (at most {self.lim.max_exponent})", tok)
        return r

    def build(self, fn, args, tok=None):
        try:
            r = fn(*args)
        except (DeriveError, CallbackError, RecursionError):
            raise
        except Exception as e:
            raise self.err(f"cannot build {getattr(fn, '__name__', 'expression')} ({type(e).__name__})", tok) from None
        return self.guard(r, tok)

    def check_log_coeff(self, e, tok):
        """sympy turns exp(n*log(a)) into a**n and computes it: refuse a big n before it does."""
        for term in sp.Add.make_args(e):
            c, rest = term.as_coeff_Mul()
            if c.is_Number and abs(c) > self.lim.max_exponent and rest.has(sp.log):
                raise self.err(f"coefficient {c} too large next to a log", tok)

    def pow(self, b, e, tok=None):
        if e.is_Number:
            if b.is_Rational and abs(b) not in (0, 1) and e.is_Rational:
                if abs(e) * math.log10(max(abs(b.p), b.q)) > self.lim.max_digits:
                    raise self.err(f"number too large (more than {self.lim.max_digits} digits)", tok)
            elif not b.is_Number and abs(e) > self.lim.max_exponent:
                raise self.err(f"exponent {e} too large (at most {self.lim.max_exponent})", tok)
        else:
            self.check_log_coeff(e, tok)
        return self.build(sp.Pow, (b, e), tok)

    def mul(self, factors, tok=None):
        coeff, rest = sp.S.One, []
        for f in factors:
            if f.is_Number:
                coeff = self.build(sp.Mul, (coeff, f), tok)
            else:
                rest.append(f)
        return self.build(sp.Mul, (coeff, *rest), tok) if rest else coeff

    def add(self, terms, tok=None):
        return self.build(sp.Add, terms, tok) if len(terms) > 1 else terms[0]

    def neg(self, v, tok=None):
        return self.mul([sp.S.NegativeOne, v], tok)

    def reciprocal(self, v, tok=None):
        return self.pow(v, sp.S.NegativeOne, tok)

    def apply(self, fname, fn, args, tok):
        for a in args:
            self.check_log_coeff(a, tok)
        try:
            r = fn(*args)
        except (DeriveError, RecursionError):
            raise
        except Exception:
            raise self.err(f"cannot apply {fname} to {len(args)} argument(s)", tok) from None
        return self.guard(r, tok)

    def derivative_of(self, fname, fn, arg, tok):
        """f'(arg) for a one-argument function of the table (``\\sigma'(z)``)."""
        prime = getattr(fn, "prime", None)     # a function that knows its own derivative (g' of a layer)
        if prime is not None:
            return self.build(lambda: prime(arg), (), tok)
        t = sp.Dummy("t")
        d = self.build(lambda: sp.diff(fn(t), t).xreplace({t: arg}), (), tok)
        if d.has(t):
            raise self.err(f"cannot differentiate {fname}", tok)
        return d

    def call(self, fn, *args):
        try:
            return fn(*args)
        except DeriveError:
            raise
        except Exception as e:
            raise CallbackError(e) from e

    @staticmethod
    def number(text: str):
        whole, _, frac = text.partition(".")
        return sp.Rational(int((whole or "0") + frac), 10 ** len(frac))
