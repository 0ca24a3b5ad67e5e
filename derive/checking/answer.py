"""Check one typed answer for dE/dparam: every side of every equality, the left-hand side's
parameter, and a numeric answer against the gradient at the spec's values.

``\\frac{\\partial E}{\\partial w_{12}} = \\delta_{z_1} x_2`` names w12: with ``--param w11`` that is
a mistake of its own; without ``--param`` it chooses the parameter.  In ``A = B = C`` every step
is checked (a wrong middle step is reported even when the last side is right), and the last side
is the answer.  A plain number is judged at the worked example's values.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

import sympy as sp

from ..errors import DeriveError, FormulaError
from ..model.formula import split_equalities
from .steps import Reader, Side, at_example, judge
from .verdict import Mistake, Verdict

if TYPE_CHECKING:
    from .checker import Checker


def resolve_param(c: Checker, text: str) -> str:
    """A parameter named as the notes print it (``w11``, ``w_{11}``, ``\\theta^{(1)}_{11}``); a name
    that is not one (a node, another notation's spelling, a typo) is one line saying what it is."""
    if text in c.net.params:
        name = text
    else:
        try:
            sym = c.parse(text)
        except DeriveError:
            sym = None
        name = sym.name if isinstance(sym, sp.Symbol) else ""
        if name not in c.net.params:
            from .spelling import not_a_parameter
            found = isinstance(sym, sp.Symbol) and sym in c.table.kinds
            raise DeriveError(not_a_parameter(c.net, text, sym if found else None,
                                              c.table.kinds.get(sym) if found else None))
    c.derivation.gradient(name)           # a fixed parameter is refused here, with the list
    return name


def _lhs_param(c: Checker, sides: list[Side]) -> str | None:
    """The parameter a side d loss / d param names, if any."""
    for s in sides:
        if s.ok and s.target and s.target[1] == c.net.loss and s.target[2] is None and s.target[0] in c.net.params:
            return s.target[0]
    return None


def check_answer(c: Checker, param: str | None, text: str, diagnose: bool = True,
                 number_asked: bool = False) -> Verdict:
    """The verdict on ``text`` as d loss / d ``param`` (None: the parameter its left side names)."""
    parts = split_equalities(text) if "=" in text or "≈" in text or "\\approx" in text else [text]
    if not parts:
        raise FormulaError("empty answer")
    values, unread = c.net.spec.values, None
    if values is not None and len(values.examples or ()) > 1:      # {x_1}^{(2)}: example 2, not a square
        batch = _over_examples(c, param, text, parts, diagnose)
        if isinstance(batch, Verdict):
            return batch
        unread = batch                          # why it does not read over the examples, if it does not
    reader = Reader(c)
    unit = reader.functions["g"]            # f'(net_{o1}), \phi'(v_j): an answer's f or \phi is the unit's activation
    reader.__dict__["functions"] = reader.functions | {"f": unit, "phi": unit, "varphi": unit}
    notes: list[str] = []
    sides = []
    own = _noting(reader)
    for p in parts:
        s = reader.read(p, notes)
        if not s.ok:
            raise FormulaError(unread or s.error)
        sides.append(s)
    del reader.resolve                         # the class's own again
    named = _lhs_param(c, sides[:-1]) if len(sides) > 1 else None
    if param is not None and param not in c.net.params:
        param = resolve_param(c, param)       # as the notes print it (a class CSV, the web page)
    if param is None:
        if named is None:
            raise DeriveError("give --param, or write the left side, like \\frac{\\partial E}{\\partial w_{11}} = ...")
        param = named
    grad = c.derivation.gradient(param)
    expected = grad.delta_form
    mistakes: list[Mistake] = []
    if named is not None and named != param:
        mistakes.append(_wrong_left_side(c, named, param))
    for i in range(1, len(sides) - 1):        # the steps before the answer; the answer itself below
        a, b = sides[i - 1], sides[i]
        j = judge(c, reader, a, b)
        if j.status == "wrong":
            mistakes.append(Mistake("wrong_step", _which_side(c, param, parts, sides, expected, i)
                                    + f"the step {_short(parts[i - 1])} = {_short(parts[i])} is wrong"
                                    + (f" ({j.note})" if j.note else "")))
    given = sides[-1]
    numeric = not (given.expr.free_symbols - set(given.literals.text))
    if numeric:
        j = at_example(reader.example, Side(f"d{c.net.loss}/d{param}", expected), given)
        if j.status == "unchecked":
            raise DeriveError(f"a number cannot be checked here: {j.note}")
        ok = j.status == "correct"
        if ok and not number_asked:
            mistakes.append(Mistake("number_not_form", "right number at the spec's values"
                                    + (f" ({j.note})" if j.note else "") + "; the symbolic form was asked"))
        elif not ok:
            mistakes.append(_after_one_step(c, reader, param, expected, given) or Mistake("wrong_number", j.note))
        return Verdict(param, text, ok and not mistakes, given.text.strip(),
                       c.net.latex(expected), "at the example's values", tuple(mistakes), None, tuple(notes),
                       _tex(c, param))
    form = given.expr.xreplace({s: sp.Rational(t) for s, t in given.literals.text.items()})   # 0.5 x: x/2
    ok, method, cex = c.compare(form, expected)
    if len(sides) > 1 and not mistakes and ok:
        last = judge(c, reader, sides[-2], given)
        if last.status == "wrong":
            mistakes.append(Mistake("wrong_step", _which_side(c, param, parts, sides, expected, len(sides) - 1)
                                    + f"the step {_short(parts[-2])} = {_short(parts[-1])} is wrong"))
    if not ok and diagnose:
        from .diagnose import diagnose as run
        mistakes += run(c, param, form)
    return Verdict(param, text, ok and not mistakes, _echo(c, form, own), c.net.latex(expected), method,
                   tuple(mistakes), cex, tuple(notes), _tex(c, param))


def _noting(reader: Reader) -> dict:
    """Record, while ``reader`` reads, how the answer spells each symbol: symbol -> its spellings, a spelling
    None where it is the notation's own name (``w_{11}``, ``delta_y1``), else as written (``out_{h1}`` for h1)."""
    own: dict = {}
    resolve, table = reader.resolve, reader.c.table

    def noting(name):
        v = resolve(name)
        if isinstance(v, sp.Symbol) and not (name.time or name.example or name.index):
            notation = table.exact.get(name.base + (("_" + name.sub) if name.sub else "")) == v or \
                table.loose.get(name.key()) == v
            own.setdefault(v, set()).add(None if notation else _as_latex(name))
        return v
    reader.resolve = noting
    return own


def _as_latex(name) -> str:
    """The name as the answer wrote it, in LaTeX that prints so: a word is upright (``out_h1``, ``out_{h1}``:
    ``\\mathrm{out}_{h1}``), anything else as typed."""
    text = (name.text or name.base + name.sub).strip()
    word = re.fullmatch(r"([A-Za-z]{2,})_\{?([A-Za-z0-9]+)\}?", text)
    if word:
        return f"\\mathrm{{{word.group(1)}}}_{{{word.group(2)}}}"
    if "\\" in text or "{" in text or "_" not in text:
        return text
    base, sub = text.split("_", 1)                     # plain text y_1: y_{1}
    return f"{base}_{{{sub}}}"


def _echo(c: Checker, form: sp.Expr, own: dict) -> str:
    """What was understood, in the answer's own symbols where it names a symbol by another name than the
    notation's (Mazur's ``out_{h1}``, ``target_{o1}``, a hatted output): each symbol spelled one way, and no
    two symbols spelled alike; else in the notation's."""
    names = {}
    for sym, spellings in own.items():
        mine = next(iter(spellings)) if len(spellings) == 1 else None
        if mine:
            names[sym] = mine
    clash = {t for t in names.values() if list(names.values()).count(t) > 1}
    names = {s: t for s, t in names.items() if t not in clash}
    return sp.latex(form, symbol_names={**c.net.latex_names, **c.printed, **names})


def _wrong_left_side(c: Checker, named: str, param: str) -> Mistake:
    return Mistake("wrong_left_side", f"the left side is the derivative with respect to ${_tex(c, named)}$, but "
                                      f"the parameter checked is ${_tex(c, param)}$", (named,))


def _after_one_step(c: Checker, reader, param: str, expected, given: Side) -> Mistake | None:
    """A number that is the parameter after one gradient step (seed 001: W1 - 0.1 * 6 = 1.4), not its
    gradient: said as such; None when it is not that (or there is no learning rate to tell)."""
    from .lookup import LEARNING_RATE
    step = c.net.nodes[param].symbol - LEARNING_RATE * expected
    if at_example(reader.example, Side("step", step), given).status != "correct":
        return None
    d = r"\frac{\partial %s}{\partial %s}" % (_tex(c, c.net.loss), _tex(c, param))
    return Mistake("update_not_gradient", f"this is ${_tex(c, param)}$ after one gradient step "
                                          f"(${_tex(c, param)} - \\alpha {d}$), not the gradient ${d}$")


def _over_examples(c: Checker, param: str | None, text: str, parts: list[str], diagnose: bool) -> Verdict | str | None:
    """The verdict on an answer written over the spec's m examples (seed 003: ``\\frac{1}{m}\\sum_{i=1}^{m}
    ({a^{(2)}_1}^{(i)} - {y_1}^{(i)}) {a^{(1)}_1}^{(i)}``), the gradient of the mean cost (asked only of a spec
    with several examples); None when the answer names no example: then it is read as about one example, as the
    notes' symbolic steps are.  A text that does not read here at all gives why (a str), which is said if
    it does not read as about one example either ({x_1}^{(3)} with two examples)."""
    from .batch import BatchReader
    reader = BatchReader(c)
    notes: list[str] = []
    sides = []
    for p in parts:
        s = reader.read(p, notes)
        if not s.ok:
            return s.error
        sides.append(s)
    given, copies = sides[-1], reader.copies
    if given.batch is None or not copies.indexed(given.batch):
        return None
    named = _lhs_param(c, sides[:-1]) if len(sides) > 1 else None
    if param is None and named is None:
        raise DeriveError("give --param, or write the left side, like \\frac{\\partial J}{\\partial w} = ...")
    param = named if param is None else param if param in c.net.params else resolve_param(c, param)
    form = given.batch.xreplace({s: sp.Rational(t) for s, t in given.literals.text.items()})
    plain = copies.plain(form)
    if plain:
        raise FormulaError(f"which example's {c.latex(plain[0])}? With {copies.m} examples write it, like "
                           f"{{{c.latex(plain[0])}}}^{{(1)}}, or sum over the examples")
    expected = c.derivation.gradient(param).delta_form
    mistakes: list[Mistake] = []
    if named is not None and named != param:
        mistakes.append(_wrong_left_side(c, named, param))
    for i in range(1, len(sides) - 1):
        if reader.judge(sides[i - 1], sides[i]).status == "wrong":
            mistakes.append(Mistake("wrong_step", f"the step {_short(parts[i - 1])} = {_short(parts[i])} is wrong"))
    mean = copies.mean(expected)
    ok, method, cex = copies.compare(form, mean)
    if not ok and diagnose and copies.compare(form, copies.m * mean)[0]:
        mistakes.append(Mistake("dropped_mean", f"the sum over the {copies.m} examples is not divided by "
                                                f"$m = {copies.m}$: the gradient of the mean cost is their mean"))
    names = {**c.net.latex_names, **{s: copies.latex(s) for s in form.free_symbols if s in copies.origin}}
    shown = f"\\frac{{1}}{{{copies.m}}} \\sum_{{i=1}}^{{{copies.m}}} \\left[{c.net.latex(expected)}\\right]^{{(i)}}"
    return Verdict(param, text, ok and not mistakes, sp.latex(form, symbol_names=names), shown, method,
                   tuple(mistakes), cex, tuple(notes + ["over the spec's %d examples" % copies.m]), _tex(c, param))


def _which_side(c: Checker, param: str, parts, sides, expected, i: int) -> str:
    """Which side of the wrong step ``sides[i-1] = sides[i]`` is not d loss / d param (every side of an
    answer claims to be it): "side 1 of 2, ..., is not dE/dw11: ", or "" when it cannot be told."""
    wrong = []
    for k in (i - 1, i):
        s = sides[k]
        if s.target is None and not s.literals.text and s.expr is not None:
            ok, _, _ = c.compare(s.expr, expected)
            if not ok:
                wrong.append(k)
    if len(wrong) != 1:
        return ""
    k = wrong[0]
    d = r"\frac{\partial %s}{\partial %s}" % (_tex(c, c.net.loss), _tex(c, param))
    return f"side {k + 1} of {len(sides)}, {_short(parts[k])}, is not ${d}$: "


def _tex(c: Checker, name: str) -> str:
    return c.net.latex(c.net.nodes[name].symbol)


def _short(s: str) -> str:
    s = " ".join(s.split())
    return s if len(s) <= 50 else s[:47] + "..."


__all__ = ["check_answer", "resolve_param"]
