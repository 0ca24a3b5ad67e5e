"""The verdict on one equality ``a = b`` already read (``steps.py`` reads the sides): an identity between two
symbolic sides, decided exactly; a step with numbers in it judged at the worked example's values, rounded
decimals accepted when they round correctly; a side read through a slip of the pen (``typos.py``) wrong as written.
What cannot be decided is "unchecked", never "wrong".
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp

from ..errors import DeriveError
from .lookup import LEARNING_RATE
from .numbers import Literals, half_unit, iv, overlaps, show, value

if TYPE_CHECKING:
    from .checker import Checker
    from .example import Example
    from .steps import Reader


@dataclass
class Side:
    """One side of an equality as read: its meaning (``expr``) or why it could not be read."""
    text: str
    expr: sp.Expr | None = None
    literals: Literals = field(default_factory=Literals)
    target: tuple | None = None      # (lower, upper, through) when the side is one Leibniz derivative
    error: str = ""
    updates: tuple = ()              # parameters written after an update step, w(t+1)
    batch: sp.Expr | None = None     # over a batch of examples: J and dJ/dw as means (batch.py)
    typo: str = ""                   # read through one slip of the pen (typos.py): wrong as written

    @property
    def ok(self) -> bool:
        return self.expr is not None


@dataclass(frozen=True)
class Judgement:
    status: str                      # correct | wrong | unchecked
    note: str = ""
    counterexample: dict | None = None
    diagnosable: bool = True         # a wrong step whose mistake may be named (not one about the batch)



def _network_symbols(side: Side) -> set:
    return side.expr.free_symbols - set(side.literals.text)


def judge(c: Checker, reader: Reader, a: Side, b: Side) -> Judgement:
    """Is ``a = b`` right?  Symbolic sides: an identity.  Numbers: at the worked example's values.  A side read
    through a slip of the pen makes the step wrong as written, with what the mended step is."""
    if a.typo or b.typo:
        from .typos import flagged
        j = judge(c, reader, replace(a, typo=""), replace(b, typo=""))
        status, note = flagged(j.status, j.note, a.typo or b.typo)
        return Judgement(status, note, j.counterexample, diagnosable=False)
    numeric = bool(a.literals.text or b.literals.text) or not _network_symbols(a) or not _network_symbols(b)
    if not numeric or not (a.literals.text or b.literals.text):
        ok, method, cex = c.compare(b.expr, a.expr)
        if ok:
            return Judgement("correct", "" if method == "exact" else method)
        rate = _other_rate(c, a, b)
        if rate is not None:
            return Judgement("correct", f"an update step with learning rate {rate}")
        if not numeric:
            return Judgement("wrong", counterexample=cex)
    return at_example(reader.example, a, b)


def _other_rate(c: Checker, a: Side, b: Side):
    """``w(t+1) = w(t) - dE/dw`` (seed 002): an update written with its own constant learning rate."""
    for upd, other in ((a, b), (b, a)):
        if len(upd.updates) != 1 or LEARNING_RATE in other.expr.free_symbols or other.literals.text:
            continue
        p = upd.updates[0]
        g = c.derivation.gradient(p.name).delta_form
        ratios = {round(c.value((p - other.expr) / g, pt), 9) for pt in c.points(3)}
        if len(ratios) == 1:
            k = Fraction(ratios.pop()).limit_denominator(1000)
            if k > 0 and c.compare(other.expr, p - sp.Rational(k.numerator, k.denominator) * g)[0]:
                return k
    return None


def at_example(ex: Example, a: Side, b: Side) -> Judgement:
    """``a = b`` at the example's values: exact, else with decimals read as rounded."""
    missing = sorted(set(ex.missing(a.expr)) | set(ex.missing(b.expr)))
    if missing:
        names = {s.name: t for s, t in ex.c.net.latex_names.items()}
        shown = "$" + ", ".join(names.get(n, n) for n in missing[:6]) + "$" + (" ..." if len(missing) > 6 else "")
        return Judgement("unchecked", f"no value for {shown}: state it (like $x_1 = 0.5$) or give the spec values")
    env = ex.env
    lits = {**a.literals.text, **b.literals.text}
    exact = {s: Fraction(t) for s, t in lits.items()}
    try:
        va, vb = value(a.expr, env | exact), value(b.expr, env | exact)
    except (ArithmeticError, ValueError, DeriveError, KeyError) as e:
        return Judgement("unchecked", f"cannot evaluate at the example's values ({e})")
    if overlaps(va, vb):
        return Judgement("correct", "at the worked example's values" if _network_symbols(a) or _network_symbols(b)
                         else "")
    given = {v for v in ex.given.values() if isinstance(v, Fraction)}
    rounded = {s: (exact[s] if exact[s] in given else iv.mpf([_mp(exact[s] - half_unit(t)), _mp(exact[s] + half_unit(t))]))
               for s, t in lits.items()}
    try:
        ra, rb = value(a.expr, env | rounded), value(b.expr, env | rounded)
    except (ArithmeticError, ValueError, DeriveError, KeyError):
        ra = rb = None
    if ra is not None and overlaps(ra, rb):
        return Judgement("correct", "rounded")
    if ra is not None and lits and all(_digits(t) >= SLIP_DIGITS for t in lits.values()):
        # a worked example carried with 9-digit intermediates may end one unit off in its last digit
        slip = {s: iv.mpf([_mp(exact[s] - 3 * half_unit(t)), _mp(exact[s] + 3 * half_unit(t))]) for s, t in lits.items()}
        try:
            if overlaps(value(a.expr, env | slip), value(b.expr, env | slip)):
                return Judgement("correct", "rounded (the last digit one off, as rounded intermediate values give)")
        except (ArithmeticError, ValueError, DeriveError, KeyError):
            pass
    return Judgement("wrong", _wrong_number(a, b, va, vb))


SLIP_DIGITS = 7       # significant digits from which a last digit one off is a rounding slip, not a mistake


def _digits(t: str) -> int:
    return len(re.sub(r"^[-0.]*", "", t).replace(".", ""))


def _mp(x: Fraction):
    return iv.mpf(x.numerator) / x.denominator


def _claim(side: Side) -> str | None:
    """The number text if the side is one number literal (possibly negative)."""
    e = side.expr
    neg = e.could_extract_minus_sign() and (-e).is_Symbol
    core = -e if neg else e
    if core in side.literals.text:
        return ("-" if neg else "") + side.literals.text[core]
    if e.is_Rational:
        return str(e)
    return None


def _wrong_number(a: Side, b: Side, va, vb) -> str:
    for claim_side, other, v in ((b, a, va), (a, b, vb)):
        t = _claim(claim_side)
        if t is not None:
            digits = len(re.sub(r"^[-0.]*", "", t).replace(".", "")) or 1
            return f"{_short(other.text)} is {show(v, max(digits, 3), '.' not in t)} here, not {t}"
    digits = 6                                # as many digits as it takes to see them differ
    while digits < 15 and show(va, digits) == show(vb, digits):
        digits += 2
    return f"the left side is {show(va, digits)} here and the right side {show(vb, digits)}"


def _short(s: str) -> str:
    s = " ".join(s.split())
    return s if len(s) <= 40 else s[:37] + "..."


__all__ = ["Judgement", "Side", "at_example", "judge"]
