"""One equality ``left = right`` of student work, read and judged.

Each side is read with the spec's symbols, the names the text defined (``... = \\delta_h``), the
learning rate (``\\alpha``, ``\\eta``), update steps (``w(t+1)`` means ``w - \\alpha dE/dw``) and its number
literals kept apart (``numbers.py``).  A step between two symbolic sides is an identity over the
leaves, decided exactly; a step with numbers in it is judged at the worked example's values, with
rounded decimals accepted when they round correctly (``judging.py``).  What cannot be decided is
"unchecked", never "wrong".
"""
from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from fractions import Fraction
from typing import TYPE_CHECKING

import sympy as sp

from ..errors import DeriveError, FormulaError
from ..model.formula import Name, default_functions, parse
from ..model.naming import symbol
from .example import Example
from .lookup import LEARNING_RATE
from .numbers import Literals, half_unit, iv, value
from .layerfn import LayerActivation
from .judging import Judgement, Side, _mp, at_example, judge
from .textnames import TextNames, _prefixed

if TYPE_CHECKING:
    from .checker import Checker


class Reader(TextNames):
    """Reads sides about one network, remembering what the text defines and states."""

    def __init__(self, c: Checker, example: Example | None = None):
        self.c = c
        self.example = example or Example(c)
        self.defs: dict[str, tuple[sp.Symbol, sp.Expr, str]] = {}   # key -> (symbol, meaning, as written)
        self.nexts: dict[sp.Symbol, sp.Expr] = {}
        self._leibniz: list[tuple] = []
        self.options: dict = {}                                     # more for parse (batch.py: examples)
        self.families: dict[tuple, tuple] = {}                      # (base, sup) -> (name, text) of a unit's definition
        self.bound: dict[str, sp.Symbol] = {}                       # a text's own name -> the network quantity it is
        self._generalising = False
        self.context = ""                                           # the equation a side is read in (all its sides)

    def next_symbol(self, param: sp.Symbol) -> sp.Symbol:
        """The symbol for ``param`` after one gradient step, meaning param - alpha * dE/dparam."""
        s = symbol(param.name + "__next")
        if param.name not in self.c.net.trainable:
            raise FormulaError(f"{self.c.latex(param)} is not trained (fixed), so it has no update step")
        if s not in self.nexts:
            g = self.c.derivation.gradient(param.name).delta_form
            self.nexts[s] = param - LEARNING_RATE * g
        return s

    def resolve(self, name: Name) -> sp.Expr:
        if name.key() in self.bound and not name.time:
            return self.bound[name.key()]
        if name.key() in self.defs and not name.time:
            return self.defs[name.key()][0]
        try:
            sym = self.bound.get(name.key()) if name.time else None       # w_5^{+}: the bound parameter's step
            sym = sym if sym is not None else self.c.table(replace(name, time=""))
        except FormulaError:
            alt = _prefixed(name)
            if alt.key() in self.defs and not name.time:
                return self.defs[alt.key()][0]
            if alt.key() in self.bound and not name.time:     # out_o in \sum_o, out_{o1} bound to the spec's y1
                return self.bound[alt.key()]
            made = None if name.time else self.instance(alt)
            if made is not None:
                return made
            weight = None if name.time else self.connection(name)
            if weight is not None:          # w_{ho} inside \sum_o: the weight from the unit h1 the equation names
                return weight
            if not (len(name.index) == 1 and name.sub.isdigit()):
                raise
            # \sum_o out_o over units named o1, o2 (Mazur): the index letter is the units' own prefix
            sym = self.c.table(replace(_prefixed(name), time=""))
        if not name.time:
            return sym
        if self.c.table.kinds.get(sym) != "param":
            raise FormulaError(f"{name.text}: (t) and (t+1) are read only after a parameter")
        if name.time == "t":
            return sym
        self._updates.append(sym)
        return self.next_symbol(sym)

    def derivative(self, of: Name, args: tuple, wrt: Name) -> sp.Expr:
        # a name the text bound to a network quantity: d E_{total} / d net_{h1} is d E / d a_1
        of, wrt = (Name(self.bound[n.key()].name, text=n.text) if n.key() in self.bound else n for n in (of, wrt))
        if of.key() in self.defs and not args and wrt.key() not in self.defs:
            return self._local_derivative(self.defs[of.key()][1], wrt)
        try:
            v = self.c.leibniz(of, args, wrt)
        except FormulaError:
            if not any(len(n.index) == 1 and n.sub.isdigit() for n in (of, wrt)):
                raise
            of, wrt = _prefixed(of), _prefixed(wrt)          # \partial out_o inside \sum_o, units o1, o2
            of, wrt = (Name(self.bound[n.key()].name, text=n.text) if n.key() in self.bound else n for n in (of, wrt))
            v = self.c.leibniz(of, args, wrt)
        upper = self.c.loss_node(of) or self.c.node_of(of)
        self._leibniz.append((self.c.node_of(wrt), upper, args[0].name if args else None, v))
        return v

    def _local_derivative(self, meaning: sp.Expr, wrt: Name) -> sp.Expr:
        """d(a name the text defined)/d wrt, by the chain rule through the network quantities its meaning uses
        (Mazur's E_{o1}, one output's term of the loss, differentiated by out_{h1})."""
        kinds = self.c.table.kinds
        total = sp.S.Zero
        for s in meaning.free_symbols:
            inner = sp.diff(meaning, s)
            if inner == 0 or s not in kinds:
                continue
            if kinds[s] in ("input", "param", "target"):
                total += inner * (1 if s == self.c.table(wrt) else 0)
            else:
                total += inner * self.c.leibniz(Name(s.name, text=s.name), (), wrt)
        return total

    @cached_property
    def functions(self) -> dict:
        """The grammar's functions and g, h: the activation of the unit whose weighted sum they are given."""
        return default_functions() | {"g": LayerActivation(self.c.net, strict=True)}

    def read(self, text: str, notes: list | None = None) -> Side:
        """A side's meaning: definitions and update steps replaced by what they stand for."""
        self._leibniz, self._updates = [], []
        saved = self.context
        if text not in saved:               # read alone (not as a side of the chain ``check_chain`` set)
            self.context = text
        lits = Literals()
        try:
            e = self.c.parse(text, self.resolve, self.derivative, numbers=lits, update_steps=True, notes=notes,
                             **{"functions": self.functions, **self.options})
        except DeriveError as err:
            e = self._scalar_of_layers(text, lits, notes) if "sqnorm" in text or "\\|" in text else None
            if e is None:
                return self._mended(text, err)
        finally:
            self.context = saved
        target = self._leibniz[0][:3] if len(self._leibniz) == 1 and e == self._leibniz[0][3] else None
        e = e.xreplace({sym: meaning for sym, meaning, _ in self.defs.values()}).xreplace(self.nexts)
        return Side(text, e, lits, target, updates=tuple(self._updates))

    def _mended(self, text: str, err: DeriveError) -> Side:
        """A side with one slip of the pen (an unbalanced parenthesis, a denominator without its \\partial):
        read as meant when that is unambiguous (``typos.py``), with the slip kept; else why it is unread."""
        from .typos import mended
        if getattr(self, "_mending", False):
            return Side(text, None, error=str(err))
        self._mending = True
        try:
            got = mended(text, lambda t: (lambda side: side if side.ok else None)(self.read(t)),
                         lambda x, y: self.c.compare(x.expr, y.expr)[0])
        finally:
            self._mending = False
        if got is None:
            return Side(text, None, error=str(err))
        side, slip = got
        return replace(side, text=text, typo=slip)

    def _scalar_of_layers(self, text: str, lits: Literals, notes: list | None) -> sp.Expr | None:
        """A number made of layer vectors entry by entry (``\\frac12 \\|y - h_{W,b}(x)\\|^2`` inside a line about
        unit i): read with the layer symbols as vectors; None unless it is one number and no matrix algebra
        (a product of vectors) was needed to make it."""
        from ..model.formula.matrix import MATRIX_ALGEBRA
        from .matrixread import MatrixReader
        m = MatrixReader(self)
        self._leibniz, self._updates = [], []
        said: list[str] = []
        try:
            e = self.c.parse(text, m.resolve, m.derivative, numbers=lits, update_steps=True, functions=m.functions,
                             notes=said, **(self.options | {"matrices": True, "mode": "latex"}))
        except DeriveError:
            return None
        if not isinstance(e, sp.Expr) or any(n.startswith(MATRIX_ALGEBRA) for n in said):
            return None
        if notes is not None:
            notes.extend(said)
        return e

    def update(self, side: Side, param: sp.Symbol):
        """``w(t+1) = w(t) - \\alpha ...``: the left side is the parameter after the step."""
        side.expr = self.nexts[self.next_symbol(param)]

    def judge(self, a: Side, b: Side) -> Judgement:
        return judge(self.c, self, a, b)

    def bare_new_name(self, text: str) -> Name | None:
        """The name, if ``text`` is one name the network does not know (a definition's new side)."""
        seen: list[Name] = []
        try:
            e = parse(text, lambda n: seen.append(n) or sp.Symbol("_new"))
        except DeriveError:
            return None
        if len(seen) == 1 and e == sp.Symbol("_new") and self.c.table.find(seen[0]) is None:
            return seen[0]
        return None

    def statement(self, a: Side, b: Side):
        """``x_1 = 0.05``: a leaf given a plain number (its value, else None).  A decimal that is
        not the spec's own value may be rounded: it stands for the interval that rounds to it."""
        if not (a.ok and b.ok and a.expr.is_Symbol and self.example.is_leaf(a.expr)):
            return None
        try:
            v = value(b.expr, b.literals.exact())
        except (KeyError, ArithmeticError, ValueError, DeriveError):
            return None
        if not isinstance(v, Fraction):
            return None
        if b.literals.text and self.example.from_spec.get(a.expr) != v:   # a decimal: maybe rounded
            h = max(half_unit(t) for t in b.literals.text.values())
            return iv.mpf([_mp(v - h), _mp(v + h)])
        return v


__all__ = ["Judgement", "Reader", "Side", "at_example", "judge"]
