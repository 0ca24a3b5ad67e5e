"""Derivations over a batch of m examples: example i's quantities, sums over examples, batch means.

A spec with ``values.examples`` has m examples; inputs, targets, node values and deltas then have one
copy per example (``{y_1}^{(i)}``, ``x^{(i)}_1``, ``{J}^{(i)}``, read by the parser's sums), while
parameters and the learning rate are shared.  Without a superscript, ``J`` and ``\\partial J / \\partial w``
are the batch's cost and gradient, the mean over the examples; the notes' symbolic steps (``J = ...``,
``\\partial J / \\partial w = \\delta x_1``) are read for one example, as the notes say.  So a step is:
  - about one example when neither side names an example: as before (``Reader``);
  - about the batch when a side names an example (``J = \\frac{1}{m}\\sum_i J^{(i)}``): decided over
    the copies, exactly where the proof can, with a counterexample otherwise;
  - with numbers in it, at the spec's examples: ``{F}^{(2)} = 0.499369``, the mean gradient in an update.
A quantity of no example (``x_1``) next to the batch has no value: that step is left unchecked.
"""
from __future__ import annotations

import random
from fractions import Fraction

import sympy as sp

from ..derivation.direct import ToSymEngine
from ..derivation.proof import Rationalize
from ..errors import DeriveError, FormulaError, ProofError
from ..model.formula import Examples
from ..model.naming import symbol
from .example import Example
from .lookup import LEARNING_RATE
from .numbers import overlaps, show, to_fraction, value
from .steps import Judgement, Reader, Side, at_example, judge

POINTS = 6                 # random points tried before the exact decision (24 more if it cannot decide)


class Copies:
    """Example k's copy of each per-example symbol (inputs, targets, nodes, deltas), k = 1..m."""

    def __init__(self, c):
        self.c = c
        v = c.net.spec.values
        self.rows = tuple(v.examples) if v is not None and v.examples else ()
        self.m = max(1, len(self.rows))
        self.own = {n.symbol for n in c.net.nodes.values() if n.kind != "param"} | set(c.deltas)
        self.origin: dict[sp.Symbol, tuple[sp.Symbol, int]] = {}
        self._copy: dict[tuple, sp.Symbol] = {}

    def copy(self, sym: sp.Symbol, k: int) -> sp.Symbol:
        key = (sym, k)
        if key not in self._copy:
            s = self._copy[key] = symbol(f"{sym.name}__example{k}")
            self.origin[s] = key
        return self._copy[key]

    def at(self, expr: sp.Expr, k: int) -> sp.Expr:
        """``expr`` for example k (one example: itself)."""
        if self.m == 1:
            return expr
        return expr.xreplace({s: self.copy(s, k) for s in expr.free_symbols if s in self.own})

    def mean(self, expr: sp.Expr) -> sp.Expr:
        return sp.Add(*[self.at(expr, k) for k in range(1, self.m + 1)]) / self.m

    def indexed(self, expr: sp.Expr) -> bool:
        return any(s in self.origin for s in expr.free_symbols)

    def plain(self, expr: sp.Expr) -> list[sp.Symbol]:
        """The per-example symbols of ``expr`` that name no example (x_1 beside the batch)."""
        return sorted((s for s in expr.free_symbols if s in self.own), key=str)

    def latex(self, sym: sp.Symbol) -> str:
        if sym in self.origin:
            base, k = self.origin[sym]
            return f"{{{self.c.latex(base)}}}^{{({k})}}"
        return self.c.latex(sym)

    # -- the batch's values -------------------------------------------------------------------------
    def leaf_values(self, rng: random.Random) -> dict:
        """Random leaf values (2 decimals, exact), shared parameters, m examples' inputs and targets."""
        out: dict = {LEARNING_RATE: Fraction(rng.randint(5, 95), 100)}
        nodes = self.c.net.nodes.values()
        for n in nodes:
            if n.kind == "param":
                out[n.symbol] = Fraction(rng.randint(-100, 100), 100) or Fraction(37, 100)
        targets = [self.c.net.nodes[t].symbol for t in self.c.net.spec.targets]
        for k in range(1, self.m + 1):
            for n in nodes:
                if n.kind == "input":
                    out[self.copy(n.symbol, k)] = Fraction(rng.randint(-100, 100), 100) or Fraction(37, 100)
            hot = rng.randrange(len(targets)) if targets else 0
            for j, t in enumerate(targets):
                v = Fraction(int(j == hot)) if self.c.net.spec.loss == "ce" and len(targets) > 1 else \
                    Fraction(rng.randint(5, 95), 100)
                out[self.copy(t, k)] = v
        return out

    def spec_values(self) -> dict:
        v = self.c.net.spec.values
        out = {self.c.net.nodes[p].symbol: to_fraction(x) for p, x in (v.params if v else {}).items()}
        for k, (ins, ts) in enumerate(self.rows, 1):
            for name, x in {**ins, **ts}.items():
                out[self.copy(self.c.net.nodes[name].symbol, k)] = to_fraction(x)
        return out

    def complete(self, leaves: dict) -> dict:
        """Every copy's value (exact or a 60-digit interval) from the leaves (which may be copies)."""
        env = dict(leaves)
        memo: dict = {}
        put = Example._put          # a value that cannot be computed (or is not finite) is left out
        for k in range(1, self.m + 1):
            for n in self.c.net.nodes.values():
                if not n.leaf:
                    put(env, self.copy(n.symbol, k) if self.m > 1 else n.symbol, self.at(n.expr, k), memo)
            for sym, definition in self.c.deltas.items():
                put(env, self.copy(sym, k) if self.m > 1 else sym, self.at(definition, k), memo)
        return env

    # -- deciding an identity about the batch -------------------------------------------------------
    def compare(self, given: sp.Expr, expected: sp.Expr) -> tuple[bool, str, dict | None]:
        """(equal, method, counterexample) for expressions in the copies and the shared parameters."""
        rng = random.Random(3)
        for n in range(POINTS + 24):
            if n == POINTS:
                exact = self.exact_equal(given, expected)
                if exact is not None:
                    return exact, "exact" if exact else "counterexample", None
            leaves = self.leaf_values(rng)
            if n == 0:                     # the spec's own examples (and parameters) first
                leaves |= self.spec_values()
            env = self.complete(leaves)
            try:
                g, e = value(given, env, {}), value(expected, env, {})
            except (KeyError, ArithmeticError, ValueError, DeriveError):
                continue
            if not overlaps(g, e):
                return False, "counterexample", self._counterexample(env, e, g, (given, expected))
        return True, "numeric", None

    def exact_equal(self, a: sp.Expr, b: sp.Expr) -> bool | None:
        env: dict = {}
        conv = ToSymEngine(env, {})
        targets = [self.c.net.nodes[t].symbol for t in self.c.net.spec.targets]
        try:
            for k in range(1, self.m + 1):
                if self.c.net.spec.loss == "ce" and len(targets) > 1:
                    env[self.copy(targets[-1], k)] = 1 - sum(conv(self.copy(t, k)) for t in targets[:-1])
                for n in self.c.net.nodes.values():
                    if not n.leaf:
                        env[self.copy(n.symbol, k)] = conv(self.at(n.expr, k))
                for sym, definition in self.c.deltas.items():
                    env[self.copy(sym, k)] = conv(self.at(definition, k))
            x, y = conv(a), conv(b)
            rat = Rationalize(conv.exponents)
            return bool(rat(x).equals(rat(y)))
        except ProofError:
            return None

    def _counterexample(self, env: dict, expected, given, exprs) -> dict:
        """The point in the notation's symbols: the leaves the two sides depend on (at most 12)."""
        back = {s: o for s, (o, _) in self.origin.items()}
        shown = []
        for name in self.c.leaves_of(*(e.xreplace(back) for e in exprs)):
            sym = LEARNING_RATE if name == LEARNING_RATE.name else self.c.net.nodes[name].symbol
            per = sym in self.own
            shown += [self.copy(sym, k) for k in range(1, self.m + 1)] if per else [sym]
        more = max(0, len(shown) - 12)
        shown = [s for s in shown[:12] if s in env]
        return {"point": {s.name: _float(env[s]) for s in shown}, "leaves": [s.name for s in shown],
                "symbols": {s.name: self.latex(s) for s in shown}, "more": more,
                "expected": _float(expected), "given": _float(given)}


def _float(v) -> float:
    return float(v) if isinstance(v, Fraction) else float(show(v, 17))


class BatchExample(Example):
    """The worked example over the spec's m examples: every copy's value, parameters shared."""

    def __init__(self, c, copies: Copies):
        self.copies = copies
        super().__init__(c)
        if copies.m > 1:
            for k, (ins, ts) in enumerate(copies.rows, 1):
                for name, x in {**ins, **ts}.items():
                    self.given[copies.copy(c.net.nodes[name].symbol, k)] = to_fraction(x)
            self.from_spec = dict(self.given)

    def is_leaf(self, sym: sp.Symbol) -> bool:
        return super().is_leaf(self.copies.origin.get(sym, (sym,))[0])

    @property
    def env(self) -> dict:
        if self._env is None:
            self._env = self.copies.complete(dict(self.given)) if self.copies.m > 1 else super().env
        return self._env


class BatchReader(Reader):
    """A Reader that also reads example i's quantities and keeps, for each side, its batch reading."""

    def __init__(self, c):
        self.copies = Copies(c)
        super().__init__(c, BatchExample(c, self.copies))
        self.means: dict[sp.Symbol, sp.Expr] = {}      # placeholder -> d loss / d w for one example
        self._mean: dict[sp.Symbol, sp.Expr] = {}
        self._placeholders: dict[sp.Expr, sp.Symbol] = {}
        self.options = {"examples": Examples(self.copies.m, self.at_example)}

    def resolve(self, name):
        try:
            return super().resolve(name)
        except FormulaError:
            only = self.only_one(name)
            if only is None:
                raise
            return only

    def only_one(self, name):
        """``x``, ``y``, ``w``, ``b`` (seed 003's h_w(x) = wx + b): the network's one input, target,
        weight or bias of that letter, when it has exactly one."""
        if name.sub or name.sup or name.accent or name.time or len(name.base) != 1:
            return None
        hits = [s for s, k in self.c.table.kinds.items() if k in ("input", "target", "param")
                and s.name[0] == name.base]
        return hits[0] if len(hits) == 1 else None

    def at_example(self, expr: sp.Expr, k: int) -> sp.Expr:
        return self.copies.at(expr.xreplace(self.means), k)

    def derivative(self, of, args, wrt):
        v = super().derivative(of, args, wrt)
        if self.copies.m == 1 or args or self.c.loss_node(of) is None:
            return v
        ph = self.placeholder(v)                 # the batch's gradient: a mean, unless an example is named
        self._leibniz[-1] = self._leibniz[-1][:3] + (ph,)
        return ph

    def placeholder(self, v: sp.Expr) -> sp.Symbol:
        ph = self._placeholders.get(v)
        if ph is None:
            ph = self._placeholders[v] = symbol(f"batch_mean_{len(self.means)}")
            self.means[ph] = v
        return ph

    def next_symbol(self, param):
        s = super().next_symbol(param)
        if self.copies.m > 1 and not self.nexts[s].has(*self.means):
            self.nexts[s] = param - LEARNING_RATE * self.placeholder(self.c.derivation.gradient(param.name).delta_form)
        return s

    def read(self, text: str, notes: list | None = None) -> Side:
        side = super().read(text, notes)
        if not side.ok or self.copies.m == 1:
            return side
        e = side.expr.xreplace(self.nexts)
        side.batch = self.batch_of(e)
        side.expr = e.xreplace({ph: self.means[ph] for ph in e.free_symbols if ph in self.means})
        if self.copies.indexed(side.expr):
            side.target = None
        return side

    def batch_of(self, e: sp.Expr) -> sp.Expr:
        """``e`` over the batch: the loss and each d loss / d w of no example as the mean over the examples."""
        loss = self.c.net.nodes[self.c.net.loss].symbol
        subs = {}
        for s in e.free_symbols:
            if s in self.means or s == loss:
                if s not in self._mean:
                    self._mean[s] = self.copies.mean(self.means.get(s, s))
                subs[s] = self._mean[s]
        return e.xreplace(subs)

    def update(self, side: Side, param: sp.Symbol):
        """``w(t+1) = w(t) - \\alpha ...``: the left side is the parameter after the step."""
        super().update(side, param)
        if self.copies.m > 1:
            side.batch = self.batch_of(side.expr)
            side.expr = side.expr.xreplace({ph: self.means[ph] for ph in side.expr.free_symbols if ph in self.means})

    def judge(self, a: Side, b: Side) -> Judgement:
        if self.copies.m == 1 or a.batch is None or b.batch is None:
            return judge(self.c, self, a, b)
        indexed = self.copies.indexed(a.expr) or self.copies.indexed(b.expr)       # a side names an example
        numeric = bool(a.literals.text or b.literals.text) or not _network(a) or not _network(b)
        if not (indexed or numeric):
            return judge(self.c, self, a, b)
        plain = self.copies.plain(a.batch) + self.copies.plain(b.batch)
        if plain:
            names = ", ".join(dict.fromkeys(self.c.latex(s) for s in plain[:4]))
            return Judgement("unchecked", f"which example's {names}? With {self.copies.m} examples write it, "
                                          f"like {{{self.c.latex(plain[0])}}}^{{(1)}}", diagnosable=False)
        sa, sb = _as_batch(a), _as_batch(b)
        if numeric:
            j = at_example(self.example, sa, sb)
            return Judgement(j.status, j.note, j.counterexample, diagnosable=False)
        ok, method, cex = self.copies.compare(sb.expr, sa.expr)
        if ok:
            return Judgement("correct", "over the batch" + ("" if method == "exact" else f" ({method})"),
                             diagnosable=False)
        return Judgement("wrong", "over the batch", cex, diagnosable=False)


def _as_batch(s: Side) -> Side:
    return Side(s.text, s.batch, s.literals, None, s.error, s.updates)


def _network(side: Side) -> set:
    return side.expr.free_symbols - set(side.literals.text)


__all__ = ["BatchExample", "BatchReader", "Copies"]
