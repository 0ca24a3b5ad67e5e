"""Sums in LaTeX formulas, expanded as they are read: over examples (``\\sum_{i=1}^{m}``) and units (``\\sum_j``).

    sum   := \\sum ('_' (letter | '{' [letter ['=' int]] '}'))? ('^' (int | letter | '{' [int | letter] '}'))? body
    body  := term (('+' | '-') term)*      the terms after the first only while they use the index

The body is read once per value of the index, with the value written into the names: ``x_j`` is
x_1, x_2, ...; an index written as a superscript ``x^{(i)}``, ``{y_1}^{(i)}``, ``\\partial J^{(i)}``
names example i (``Examples``, given by the caller, says how many there are and what example i's
copy of a quantity is).  An example sum runs over the examples (its upper bound ``m`` or any letter is
their number; a number must not exceed it); a unit sum runs from its lower bound (1) to a numeric
upper bound, or, without one, over every value for which the body's names exist -- all of them at
once, or the sum is refused (at once when every name exists, ``free_names``: a text read with no
network).  ``\\sum_{}^{}`` with no index takes the first of i, j, k the body uses.  The letter l as a
superscript, ``a^{(l)}``, is a layer.  ``free`` gives letters a value for a whole formula
(``checking/indices.py``: an equation for every unit).  Ranges (``MAX_TERMS``), nesting and
the total work of expanding (10 x ``MAX_TERMS`` terms, 10 x ``Limits.max_nodes`` tokens) are bounded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

import sympy as sp

from ...errors import FormulaError

MAX_TERMS = 1_000          # values of one index
_GUESSES = ("i", "j", "k")


def _count(n: int) -> str:
    return "is 1 example" if n == 1 else f"are {n} examples"


@dataclass(frozen=True)
class Examples:
    """The examples a formula may index: how many, and example k's copy of an expression (k = 1..count)."""
    count: int
    at: Callable[[sp.Expr, int], sp.Expr]


class SumGrammar:
    """Mixin for the LaTeX grammar: ``\\sum`` and example superscripts."""

    examples: Examples | None = None
    free_names = False                           # resolve accepts every name: no name is ever missing

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bound: dict[str, int] = {}          # index letter -> its value while a body is read
        self.roles: dict[str, set] = {}          # index letter -> {"example", "unit"} as the body uses it
        self.uses: dict[str, int] = {}
        self.probing: dict[str, list] = {}       # index letter -> [names found, names missing]
        self.work = self.terms = 0

    def free(self, indices):
        """Give index letters a value for the whole formula (an equation about every unit: ``\\delta_j``)."""
        for var, value in indices.items():
            if not (re.fullmatch(r"[a-z]", var) and isinstance(value, int) and 0 <= value <= MAX_TERMS):
                raise FormulaError(f"bad index {var} = {value!r}")
            self.bound[var], self.roles[var], self.uses[var] = value, set(), 0

    # -- names with a bound index ---------------------------------------------------------------
    def use(self, var: str, role: str):
        self.roles[var].add(role)
        self.uses[var] += 1

    def read_name(self):
        name = super().read_name()
        if not self.bound:
            return name
        sup, example = name.sup, name.example
        shift = re.fullmatch(r"l([+-]\d+)", sup.replace(" ", ""))
        if sup == "l" and "l" in self.bound:      # a^{(l)}: layer l
            self.use(sup, "unit")
            sup = str(self.bound["l"])
        elif shift and "l" in self.bound:         # a^{(l-1)}, W^{(l+1)}: the layer before or after
            self.use("l", "unit")
            sup = str(self.bound["l"] + int(shift.group(1)))
        elif sup in self.bound:                   # x^{(i)}: example i's x
            self.use(sup, "example")
            sup, example = "", str(self.bound[sup])
        used = ""
        sub = name.sub
        if re.fullmatch(r"[A-Za-z0-9_]*", sub) and all(len(r) <= 2 for r in re.findall(r"[A-Za-z]+", sub)):
            chars = []
            for ch in sub:
                if ch in self.bound:
                    self.use(ch, "unit")
                    used += ch
                    chars.append(str(self.bound[ch]))
                else:
                    chars.append(ch)
            sub = "".join(chars)
        if not used and (sup, example) == (name.sup, name.example):
            return name
        text = name.text
        for v in used:
            text = re.sub(rf"(?<![A-Za-z\\]){v}(?![A-Za-z])", str(self.bound[v]), text)
        return replace(name, sub=sub, sup=sup, example=example, index=used, text=text)

    def example_sup(self) -> int | None:
        """Consume ``^{(k)}`` / ``^{(i)}`` (i an index bound to examples) after a group; its number, else None."""
        if not (self.at("^") and self.at("{", k=1) and self.at("(", k=2) and self.at(")", k=4) and self.at("}", k=5)):
            return None
        t = self.peek(3)
        if t.kind == "name" and t.val in self.bound:
            self.use(t.val, "example")
            k = self.bound[t.val]
        elif t.kind == "num" and t.val.isdigit() and self.examples is not None:
            k = int(t.val)
        else:
            return None
        self.i += 6
        return k

    def at_example(self, v, k: int, tok):
        if self.examples is None:
            raise self.err("a quantity of one example (^{(i)}) is read only in a derivation checked "
                           "against a spec, or in an answer when the spec has several examples", tok)
        if not 1 <= k <= self.examples.count:
            raise self.err(f"example {k}: there {_count(self.examples.count)}", tok)
        return self.guard(self.call(self.examples.at, v, k), tok)

    def resolved(self, name, tok):
        if name.example:
            return self.at_example(self.resolved(replace(name, example=""), tok), int(name.example), tok)
        if not (name.sub or name.sup or name.accent) and name.base in self.bound:
            return sp.Integer(self.bound[name.base])          # the index itself, as a number
        if name.base == "m" and not (name.sub or name.sup or name.accent) and self.examples is not None:
            try:
                return super().resolved(name, tok)
            except FormulaError:
                return sp.Integer(self.examples.count)        # m: the number of examples
        try:
            return self.probe(lambda: super(SumGrammar, self).resolved(name, tok), name.index, name.text)
        except FormulaError:
            letters = self.letters(name, tok)     # LaTeX's wx is w x
            if letters is None:
                raise
            return letters

    def letters(self, name, tok):
        """``wx`` (two letters no symbol is named) as the product w x, if both letters are symbols."""
        if not re.fullmatch(r"[A-Za-z]{2}", name.base) or name.accent or name.time or name.text.startswith("\\"):
            return None
        try:
            first = super().resolved(replace(name, base=name.base[0], sub="", sup="", text=name.base[0]), tok)
            second = super().resolved(replace(name, base=name.base[1], text=name.base[1]), tok)
        except FormulaError:
            return None
        return self.mul([first, second], tok)

    def probe(self, fn, index: str, text: str):
        """While a sum's range is being found, a missing indexed name is counted, not fatal."""
        live = [v for v in index if v in self.probing]
        if not live:
            return fn()
        try:
            r = fn()
        except FormulaError:
            for v in live:
                self.probing[v][1].append(text)
            return sp.Dummy("missing")
        for v in live:
            self.probing[v][0].append(text)
        return r

    def primary(self):
        t = self.peek()
        if t.kind == "sum":
            return self.nested(self.read_sum)
        if self.at("{", "(", "["):           # {y_1}^{(i)}, (a - y)^{(i)}: example i's value of the group
            v = super().primary()
            k = self.example_sup()
            return v if k is None else self.at_example(v, k, t)
        return super().primary()

    def derivand(self):
        if not self.at("{"):
            return super().derivand()
        self.next()                                # \partial {J}^{(i)}
        name = self.read_name()
        self.expect("}")
        k = self.example_sup()
        if k is not None:
            name = replace(name, example=str(k))
        return name, (self.call_args() if self.at("(") else ())

    def leibniz(self, x, args, y, tok):
        if y.example:
            raise self.err("differentiate with respect to a parameter, not one example's quantity", tok)
        ex = x.example
        v = self.probe(lambda: super(SumGrammar, self).leibniz(replace(x, example=""), args, y, tok),
                       x.index + y.index, f"d{x.text}/d{y.text}")
        return self.at_example(v, int(ex), tok) if ex else v

    # -- \sum ------------------------------------------------------------------------------------
    def bound_value(self, what: str, braced: bool):
        t = self.next() if braced or self.peek().kind not in ("num", "name") else self.split()
        if t.kind == "num" and t.val.isdigit():
            if len(t.val) > 6 or int(t.val) > MAX_TERMS:
                raise self.err(f"a sum's {what} bound {t.val} is too large (at most {MAX_TERMS})", t)
            return int(t.val)
        if t.kind == "name" and what == "upper":
            return t.val
        raise self.err(f"a sum's {what} bound must be a whole number" + (" or a letter (m)" if what == "upper" else ""), t)

    def limits_of_sum(self):
        var, lower, upper = None, 1, None
        if self.at("_"):
            self.next()
            if self.at("{"):
                self.next()
                if not self.at("}"):
                    t = self.next()
                    if t.kind != "name" or not re.fullmatch(r"[a-z]", t.val):
                        raise self.err("a sum's index is one letter, like \\sum_{i=1}^{m}", t)
                    var = t.val
                    if self.at("="):
                        self.next()
                        lower = self.bound_value("lower", True)
                self.expect("}")
            else:
                t = self.split() if self.peek().kind == "name" else self.next()
                if t.kind != "name" or not re.fullmatch(r"[a-z]", t.val):
                    raise self.err("a sum's index is one letter, like \\sum_{i=1}^{m}", t)
                var = t.val
        if self.at("^"):
            self.next()
            if self.at("{"):
                self.next()
                if not self.at("}"):
                    upper = self.bound_value("upper", True)
                    if isinstance(upper, str):         # s_{l+1}, n_l: a layer's size, written with its own index
                        self.skip_scripts()
                self.expect("}")
            else:
                upper = self.bound_value("upper", False)
        if var in self.bound:
            raise self.err(f"the index {var} is already the index of an enclosing sum")
        return var, lower, upper

    def skip_scripts(self):
        """Pass over ``_{l+1}`` / ``^{[l]}`` after a size letter (the sum then runs over every unit there is)."""
        while self.at("_", "^"):
            self.next()
            if not self.at("{"):
                self.next()
                continue
            depth = 0
            while True:
                t = self.next()
                if t.kind == "end":
                    raise self.err("unbalanced braces in a sum's bound", t)
                depth += (t.kind == "op" and t.val == "{") - (t.kind == "op" and t.val == "}")
                if depth == 0:
                    break

    def read_sum(self):
        tok = self.next()
        var, lower, upper = self.limits_of_sum()
        start, snapshot = self.i, list(self.toks)
        for guess in ((var,) if var else _GUESSES):
            self.i, self.toks = start, list(snapshot)
            try:
                _, extra, end, roles, _ = self.sum_body(guess, lower, None, probing=not isinstance(upper, int))
            except FormulaError:
                if var or guess == _GUESSES[-1]:
                    raise
                continue
            if roles or var:
                var = guess
                break
        else:
            raise self.err("this sum's index is not used: write it, like \\sum_{i=1}^{m} x^{(i)}", tok)
        values = self.sum_range(var, lower, upper, roles, start, snapshot, extra, tok)
        terms = []
        for v in values:
            self.i, self.toks = start, list(snapshot)
            terms.append(self.sum_body(var, v, extra, probing=False)[0])
            if self.i != end:
                raise self.err("a sum's body must read the same for every index value", tok)
        return self.add(terms, tok) if terms else sp.S.Zero

    def sum_range(self, var, lower, upper, roles, start, snapshot, extra, tok) -> range:
        if len(roles) > 1:
            raise self.err(f"{var} is used both as an example (^{{({var})}}) and as a unit index (_{var})", tok)
        if "example" in roles or (not roles and upper == "m"):
            if self.examples is None:
                raise self.err("a sum over examples is read only in a derivation checked against a spec, or in "
                               "an answer when the spec has several examples", tok)
            hi = self.examples.count if upper is None or isinstance(upper, str) else upper
            if hi > self.examples.count:
                raise self.err(f"the sum runs to example {hi}, but there {_count(self.examples.count)}", tok)
            return range(lower, hi + 1)
        if isinstance(upper, int):
            return range(lower, upper + 1)
        if not roles:
            raise self.err(f"cannot tell how far {var} runs: give the upper bound", tok)
        v = lower
        while True:                      # every value for which the indexed names exist
            self.i, self.toks = start, list(snapshot)
            found, missing = self.sum_body(var, v, extra, probing=True)[4]
            if found and missing:
                raise self.err(f"{var} has no one range: for {var} = {v} there is {', '.join(dict.fromkeys(found))} "
                               f"but no {', '.join(dict.fromkeys(missing))}", tok)
            if missing or not found:
                break
            if self.free_names:          # every value's names would be found, up to MAX_TERMS: none are made
                raise self.err(f"cannot tell how far {var} runs (every name is free): give the upper bound", tok)
            v += 1
            if v - lower >= MAX_TERMS:
                raise self.err(f"the sum over {var} is too long (at most {MAX_TERMS} terms)", tok)
        if v == lower:
            self.i, self.toks = start, list(snapshot)
            self.sum_body(var, v, extra, probing=False)      # raises the missing name's own error
        return range(lower, v)

    def sum_body(self, var, value, extra, probing):
        """The body at one index value: (expr, extra terms, end token, roles the body gave the index,
        (indexed names found, missing) when ``probing``)."""
        self.bound[var], self.roles[var], self.uses[var] = value, set(), 0
        if probing:
            self.probing[var] = [[], []]
        start = self.i
        try:
            tok = self.peek()
            terms = [self.term()]
            count = 0
            while self.at("+", "-") and (extra is None or count < extra):
                at, toks, uses = self.i, list(self.toks), self.uses[var]
                op = self.next()
                t = self.term()
                if extra is None and self.uses[var] == uses:     # a term without the index ends the body
                    self.i, self.toks = at, toks
                    break
                terms.append(t if op.val == "+" else self.neg(t, op))
                count += 1
            self.work += self.i - start + 1
            self.terms += 1
            if self.work > self.lim.max_nodes * 10 or self.terms > MAX_TERMS * 10:
                raise self.err(f"sums too large to expand (at most {MAX_TERMS * 10} terms in all)")
            return self.add(terms, tok), count, self.i, self.roles[var], tuple(self.probing.get(var, ((), ())))
        finally:
            del self.bound[var]
            self.probing.pop(var, None)
