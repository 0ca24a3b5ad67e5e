"""Numbers in student work: the worked example's values, exact fractions, rounded decimals.

A side that substitutes numbers is judged at the example point: the spec's ``values`` (and the
learning rate), overridden by values the derivation itself states (``$x_1 = 0.05$``).  Integers and
fractions are exact and compared exactly.  A decimal literal with d digits after the point stands for
any number that rounds to it (an interval of half a unit in its last place), unless it is exactly
one of the stated values; so ``sigma(0.0275) = 0.506875`` is right ("rounded") and ``= 0.506975``
is wrong, with the right value shown.  Transcendental values are enclosed in intervals at 60 digits
(mpmath's interval arithmetic), so "equal" and "different" are both certain.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import sympy as sp

from ..errors import ProofError
from ..model.rules import relu, sigmoid, step

iv = mpmath.iv
iv.dps = 60


def walk(e: sp.Expr, env: dict, funcs: dict, number, fsum, prod):
    """The value of ``e`` in some arithmetic: symbols from ``env``, numbers through ``number``, sums with
    ``fsum``, products with ``prod``, powers with ``**``, one-argument functions from ``funcs`` (our own
    walk over the expression: nothing is compiled or executed; memo-free, for small trees)."""
    if e.is_Symbol:
        return env[e]
    if e.is_Number:
        return number(e)
    args = [walk(a, env, funcs, number, fsum, prod) for a in e.args]
    if isinstance(e, sp.Add):
        return fsum(args)
    if isinstance(e, sp.Mul):
        return prod(args)
    if isinstance(e, sp.Pow):
        return args[0] ** args[1]
    if e.func in funcs:
        return funcs[e.func](args[0])
    raise ValueError(f"cannot evaluate {e.func}")


class Literals:
    """The ``numbers`` hook for the parser: integers exact, each decimal kept as a symbol."""

    def __init__(self):
        self.text: dict[sp.Symbol, str] = {}

    def __call__(self, text: str) -> sp.Expr:
        whole, dot, frac = text.partition(".")
        if not dot:
            return sp.Integer(int(whole or "0"))
        sym = sp.Dummy(f"num{len(self.text)}", real=True)
        self.text[sym] = text
        return sym

    def exact(self) -> dict[sp.Symbol, Fraction]:
        """Every literal as its exact value."""
        return {s: Fraction(t) for s, t in self.text.items()}


def half_unit(text: str) -> Fraction:
    """Half a unit in the last written place of a decimal: 0.506875 -> 5e-7."""
    frac = text.partition(".")[2]
    return Fraction(1, 2 * 10 ** len(frac))


def to_fraction(v) -> Fraction:
    """A spec value (Fraction, int or float as written in YAML) as an exact fraction."""
    if isinstance(v, float):
        return Fraction(repr(v))
    return Fraction(v)


# -- values: Fraction (exact) or an mpmath interval ---------------------------------------------------
def _iv(v):
    if isinstance(v, Fraction):
        return iv.mpf(v.numerator) / v.denominator
    return v


def _tanh(x):
    e = iv.exp(2 * x)
    return (e - 1) / (e + 1)


def _relu(x):
    x = _iv(x)
    return iv.mpf([max(x.a, 0), max(x.b, 0)])


def _step(x):
    x = _iv(x)
    if x.a > 0:
        return Fraction(1)
    if x.b <= 0:
        return Fraction(0)
    return iv.mpf([0, 1])


def _abs(x):
    if isinstance(x, Fraction):
        return abs(x)
    x = _iv(x)
    if x.a >= 0:
        return x
    if x.b <= 0:
        return -x
    return iv.mpf([0, max(-x.a, x.b)])


_FUNCS = {sp.Abs: _abs, sigmoid: lambda x: 1 / (1 + iv.exp(-x)), sp.tanh: _tanh, sp.exp: iv.exp, sp.log: iv.log,
          relu: _relu, step: _step}


def value(e: sp.Expr, env: dict, memo: dict | None = None):
    """``e`` at the values in ``env`` (symbol -> Fraction or interval): a Fraction when exact."""
    memo = {} if memo is None else memo
    hit = memo.get(e)
    if hit is not None:
        return hit
    if e.is_Symbol:
        if e not in env:
            raise KeyError(e)
        v = env[e]
    elif e.is_Rational:
        v = Fraction(int(e.p), int(e.q))
    elif isinstance(e, (sp.Add, sp.Mul)):
        args = [value(a, env, memo) for a in e.args]
        exact = all(isinstance(a, Fraction) for a in args)
        v = args[0] if exact else _iv(args[0])
        for a in args[1:]:
            if isinstance(e, sp.Add):
                v = v + (a if exact else _iv(a))
            else:
                v = v * (a if exact else _iv(a))
    elif isinstance(e, sp.Pow):
        b, x = value(e.base, env, memo), value(e.exp, env, memo)
        if isinstance(b, Fraction) and isinstance(x, Fraction) and x.denominator == 1:
            if b == 0 and x < 0:
                raise ZeroDivisionError("division by zero")
            v = b ** int(x)
        elif isinstance(x, Fraction) and x.denominator == 1:
            v = _iv(b) ** int(x)
        else:
            v = iv.exp(_iv(x) * iv.log(_iv(b)))
    elif e.func in _FUNCS:
        arg = value(e.args[0], env, memo)
        v = _FUNCS[e.func](arg if e.func is sp.Abs else _iv(arg))
    else:
        raise ProofError(f"cannot evaluate {e.func}")
    memo[e] = v
    return v


def overlaps(a, b) -> bool:
    """Can the two values be equal (exact: equal; intervals: they intersect)?"""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    a, b = _iv(a), _iv(b)
    return a.b >= b.a and b.b >= a.a


def width(v) -> float:
    return 0.0 if isinstance(v, Fraction) else float(mpmath.mpf(v.delta._mpi_[1]))


def show(v, digits: int = 6, fraction: bool = True) -> str:
    """A value as a person writes it: a fraction exactly (if ``fraction``), else a decimal to ``digits``
    significant digits."""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            return str(v.numerator)
        if not fraction or max(abs(v.numerator), v.denominator) > 10 ** 6:
            return f"{float(v):.{digits}g}"
        return f"{v.numerator}/{v.denominator}"
    with mpmath.workdps(60):
        lo, hi = (mpmath.mpf(x) for x in v._mpi_)
        return mpmath.nstr((lo + hi) / 2, digits)


def finite(v) -> bool:
    if isinstance(v, Fraction):
        return True
    return all(mpmath.isfinite(mpmath.mpf(x)) for x in v._mpi_)


__all__ = ["Literals", "half_unit", "overlaps", "show", "to_fraction", "value", "width"]
