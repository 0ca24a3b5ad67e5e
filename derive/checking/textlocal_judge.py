"""How ``textlocal`` judges one step in a text's own letters, and how it names a letter's earlier definition."""
from __future__ import annotations

import itertools
import random
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from ..model import rules
from .judging import Judgement, Side, at_example
from .numbers import overlaps, show, value


class _Values:
    """The letters' stated values, as ``judging.at_example`` asks a worked example for them."""

    def __init__(self, env: dict):
        self.env, self.given = env, {}

    def missing(self, e: sp.Expr) -> list[str]:
        return []                      # asked before: a step with a letter of no value is not judged here


def judge_step(values: dict, a: Side, b: Side) -> Judgement:
    """``a = b`` in the text's letters: at their stated values when it has numbers, else an identity in them
    (a separating point first, certain by interval arithmetic; then sympy's simplify; else unread)."""
    if a.literals.text or b.literals.text or not (a.expr.free_symbols | b.expr.free_symbols):
        known = _Values(values)
        lits = {*a.literals.text, *b.literals.text}
        missing = sorted({s.name for s in a.expr.free_symbols | b.expr.free_symbols
                          if s not in values and s not in lits})
        if missing:
            return Judgement("unchecked", f"no value for ${', '.join(missing)}$ in the text")
        return at_example(known, a, b)
    d = (a.expr - b.expr).replace(rules.sigmoid, lambda u: 1 / (1 + sp.exp(-u)))
    rng = random.Random(0)               # a separating point first (cheap, and certain: interval arithmetic)
    free = sorted(d.free_symbols, key=str)
    signs = list(itertools.islice(itertools.product((1, -1), repeat=len(free)), 16))   # every sign pattern too
    for k in range(6 + len(signs)):
        pt = {s: Fraction(rng.randint(-40, 40), 17) for s in free}
        if k >= 6:
            pt = {s: abs(v or 1) * sign for (s, v), sign in zip(pt.items(), signs[k - 6])}
        try:
            va, vb = value(a.expr, pt), value(b.expr, pt)
        except (ArithmeticError, ValueError, DeriveError, KeyError, TypeError):
            continue
        if not overlaps(va, vb):
            where = ", ".join(f"{s} = {show(v, 4)}" for s, v in pt.items())
            return Judgement("wrong", f"at {where} the left side is {show(va, 6)} and the right side {show(vb, 6)}")
    if sp.simplify(d) == 0:
        return Judgement("correct")
    positive = {x: sp.Symbol(x.name, positive=True) for x in free}
    if any(isinstance(x, (sp.log, sp.Pow)) for x in sp.preorder_traversal(d)) and \
            sp.simplify(sp.expand_log(d.xreplace(positive), force=True)) == 0:
        # \log(ab) = \log a + \log b: holds wherever both sides are real (no point above separated them)
        return Judgement("correct", "wherever both sides are real")
    return Judgement("unchecked", "not decided: no point separates the sides and sympy cannot simplify them")


def which_definition(reading: dict, defs: dict) -> str:
    """The earlier definitions a reading takes (``y as defined at line 55``)."""
    said = []
    for s, d in reading.items():
        at = [line for line, e in defs[s.name] if e == d]
        if at and d != defs[s.name][-1][1]:
            said.append(f"{s.name} as defined at line {at[0]}")
    return ", ".join(said) or "an earlier definition"
