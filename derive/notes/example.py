"""The worked example: one gradient-descent step with the spec's numbers, over its m examples.

Numbers stay exact where the spec's are (seed 001: Q = 8, L = 9/2); parameters the spec leaves out
start from the one seeded start that ``train`` and ``export`` use (``derive.model.start``).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..derivation.derivation import Derivation
from ..derivation.proof import evaluate
from ..errors import SpecError
from ..model.start import random_params, start_values
from .eqs import leibniz, tex, update_eq
from .matrix import BATCH, per_example
from .order import printer

DEFAULT_LR = sp.Rational(1, 10)


@dataclass(frozen=True)
class Line:
    """One row of a worked-example table: ``lhs = formula = numbers = value`` (one value per example)."""
    lhs: str
    formula: str            # "" when the lhs is given directly
    numbers: str            # the formula with the numbers in (single-example notes only), or ""
    values: tuple[str, ...]

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(x for x in (self.lhs, self.formula, self.numbers) if x) + self.values[:1]


@dataclass(frozen=True)
class Example:
    m: int
    params: tuple[Line, ...]               # starting parameter values
    data_names: tuple[str, ...]            # LaTeX of the inputs and targets (table header)
    data: tuple[tuple[str, ...], ...]      # one row of numbers per example
    random: tuple[str, ...]                # LaTeX of parameters given the seeded random start
    alpha: str
    alpha_given: bool
    forward: tuple[Line, ...]
    batch_loss: Line | None                # J over the batch (m > 1)
    deltas: tuple[Line, ...]
    grads: tuple[Line, ...]                # per example, then the batch mean as the last value (m > 1)
    updates: tuple[Line, ...]


def number(v) -> sp.Expr:
    """A spec number as sympy: Fraction -> Rational (exact), float -> Float."""
    return sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sp.Float(v, 15)


def num_latex(v: sp.Expr) -> str:
    """Exact rationals as fractions (9/2 stays 9/2), floats as decimals with 6 significant digits."""
    if v.is_Rational:
        return sp.latex(v)
    s = "%.6g" % float(v)
    if "e" in s:
        mant, exp = s.split("e")
        return r"%s \cdot 10^{%d}" % (mant, int(exp))
    return s


def _value(expr: sp.Expr, vals: dict) -> sp.Expr:
    """Exact when sympy can keep it exact, else a float from a forward evaluation."""
    v = expr.xreplace(vals)
    if v.is_Number:
        return v
    return sp.Float(evaluate(expr, lambda s: float(vals[s]), {}), 15)


def _mean(vs: list) -> sp.Expr:
    total = sp.Add(*vs)
    return total / len(vs) if total.is_Rational else sp.Float(float(total) / len(vs), 15)


def worked_example(d: Derivation, params: list[str]) -> Example | None:
    net = d.net
    spec_vals = net.spec.values
    if spec_vals is None:
        return None
    L = net.latex_names
    start = {net.symbol(p): number(v) for p, v in start_values(net).items()}
    batch = spec_vals.batch
    m = len(batch)
    envs = []
    for ins, ts in batch:
        env = dict(start)
        env.update({net.symbol(k): number(v) for k, v in ins.items()})
        env.update({net.symbol(k): number(v) for k, v in ts.items()})
        envs.append(env)
    leaves = [n for n in net.nodes.values() if n.kind in ("input", "target")]

    def line(lhs: str, expr: sp.Expr, sym: sp.Symbol) -> Line:
        numbers = ""
        if m == 1 and not expr.is_Symbol:
            shown = {s: num_latex(v) for s, v in envs[0].items()}
            numbers = printer(net, values=shown).doprint(expr)
        out = []
        for env in envs:
            try:
                env[sym] = _value(expr, env)
            except (ArithmeticError, ValueError) as e:     # the spec's numbers blow up (overflow, domain)
                raise SpecError("values", f"the worked example cannot evaluate {sym} ({e}); "
                                          "choose smaller values") from None
            out.append(num_latex(env[sym]))
        return Line(lhs, tex(net, expr), numbers, tuple(out))

    forward = tuple(line(L[n.symbol], n.expr, n.symbol) for n in net.nodes.values() if not n.leaf)
    J = net.nodes[net.loss].symbol
    batch_loss = None
    if m > 1:
        mean = _mean([env[J] for env in envs])
        batch_loss = Line(L[J], BATCH + per_example(L[J]), "", (num_latex(mean),))
    deltas = tuple(line(L[dl.symbol], dl.expr, dl.symbol) for dl in d.deltas.values())
    lr = number(spec_vals.learning_rate) if spec_vals.learning_rate is not None else DEFAULT_LR
    alpha = num_latex(lr)
    grads, updates = [], []
    for p in params:
        g = sp.Symbol("grad_" + p)
        row = line(leibniz(net, net.loss, p), d.gradient(p).delta_form, g)
        gv = envs[0][g] if m == 1 else _mean([env[g] for env in envs])
        if m > 1:
            row = Line(row.lhs, row.formula, "", row.values + (num_latex(gv),))
        grads.append(row)
        ps = net.symbol(p)
        new = start[ps] - lr * gv
        paren = lambda t: r"\left(%s\right)" % t if t.startswith("-") else t  # noqa: E731
        up = update_eq(net, p)
        updates.append(Line(up.parts[0], up.parts[1], r"%s - %s \cdot %s" % (
            num_latex(start[ps]), paren(alpha), paren(num_latex(gv))), (num_latex(new),)))
    return Example(m, tuple(Line(L[s], "", "", (num_latex(v),)) for s, v in start.items()),
                   tuple(L[n.symbol] for n in leaves),
                   tuple(tuple(num_latex(env[n.symbol]) for n in leaves) for env in envs),
                   tuple(L[net.symbol(p)] for p in random_params(net)), alpha,
                   spec_vals.learning_rate is not None, forward, batch_loss, deltas, tuple(grads),
                   tuple(updates))
