"""Check a typed gradient formula: parse it safely, decide it exactly, give a counterexample.

Symbols mean what the spec's notation defines (inputs, parameters, targets, node values,
pre-activations, deltas).  Both the answer and the expected delta form are rewritten over the
leaves, with every delta and node replaced by its definition, and compared as rational
functions, as the proof does.  Random points back this up: a point where the two differ is a
counterexample (and settles "incorrect" without expanding anything); a numerically equal answer
is then proven equal exactly.
"""
from __future__ import annotations

import math
import random
import re
from functools import cached_property
from weakref import WeakKeyDictionary

import mpmath
import sympy as sp

from ..derivation.derivation import Derivation, derive
from ..derivation.direct import ToSymEngine
from ..errors import DeriveError, FormulaError, ProofError
from ..model.formula import Name, parse, split_equalities
from ..model.graph import Network
from .lookup import HAT, LEARNING_RATE, LOSS_ALIASES, SymbolTable, hat_convention
from ..derivation.proof import Rationalize, evaluate, forward_values, random_point
from ..model.rules import relu, sigmoid, step
from .numbers import walk
from .verdict import Mistake, Verdict

TOLERANCE = 1e-7
MAX_SHOWN = 12          # a counterexample shows at most this many leaves
_LOSS_OF_ALL = re.compile(r"(?<![A-Za-z\\])([A-Za-z]+)(\}?\s*\^\s*(?:\{\s*\(\s*[a-z]\s*\)\s*\}|\(\s*[a-z]\s*\)))?"
                          r"\s*\(\s*(?:\\theta|θ|theta|\\mathbf\{w\}|W|w)\s*\)")   # J(θ), J^{(i)}(θ)


class Checker:
    """Everything needed to check answers about one network, built once and reused."""

    def __init__(self, net_or_derivation: Network | Derivation | str, seed: int = 0):
        d = net_or_derivation if isinstance(net_or_derivation, Derivation) else derive(net_or_derivation)
        self.derivation, self.net = d, d.net
        self.table = SymbolTable(self.net)
        self.deltas = d.chain.delta_definitions()
        self.rng = random.Random(seed)
        self._points: list[dict] = []
        self.examples = self._example_points()
        self.printed: dict[sp.Symbol, str] = {}   # symbol -> LaTeX for messages only (a text's own names)

    # -- reading -----------------------------------------------------------------------------------
    def loss_node(self, name: Name) -> str | None:
        sym = self.table.find(name)
        if sym is not None and sym.name == self.net.loss:
            return self.net.loss
        return self.net.loss if (name.base in LOSS_ALIASES and not name.sub) else None

    def node_of(self, name: Name) -> str:
        sym = self.table(name)
        if sym.name not in self.net.nodes:
            raise FormulaError(f"cannot differentiate with respect to {name.text or sym.name}: not a node")
        return sym.name

    def leibniz(self, of: Name, args: tuple, wrt: Name) -> sp.Expr:
        """d of / d wrt as the graph defines it: the sum over every path of the local factors.

        ``error(y_1)`` (an argument on the loss) keeps only the paths through node y1, as seed 002
        writes the part of the error that flows through y1.
        """
        upper = self.loss_node(of) or self.node_of(of)
        lower = self.node_of(wrt)
        through = [self._node_symbol(a) for a in args]
        expr = self.total(lower, upper)
        if through:
            mid = through[0]
            expr = self.total(lower, mid) * self.total(mid, upper)
        return expr

    def _node_symbol(self, e: sp.Expr) -> str:
        if not (isinstance(e, sp.Symbol) and e.name in self.net.nodes):
            raise FormulaError(f"in error(...) give one node, not {e}")
        return e.name

    def total(self, lower: str, upper: str) -> sp.Expr:
        """Sum over paths lower -> upper of the products of local derivatives (memoised)."""
        memo = self.__dict__.setdefault("_total", {})
        key = (lower, upper)
        if key not in memo:
            if lower == upper:
                memo[key] = sp.S.One
            else:
                memo[key] = sp.Add(*[self.net.nodes[c].local_of(lower) * self.total(c, upper)
                                     for c in self.net.consumers[lower]])
        return memo[key]

    def parse(self, text: str, resolve=None, derivative=None, **options) -> sp.Expr:
        """The answer as a sympy expression in the network's symbols (FormulaError if unreadable)."""
        if isinstance(text, str) and len(text) <= 100_000:   # J(\theta): the loss as a function of all weights
            text = _LOSS_OF_ALL.sub(lambda m: m.group(1) + (m.group(2) or "")
                                    if m.group(1) in LOSS_ALIASES + (self.net.loss,) else m.group(0), text)
        resolve = resolve or self.table
        hats = set(HAT.findall(text)) if isinstance(text, str) and "hat" in text[:100_000] else set()
        if hats and self.net.spec.targets:
            resolve = hat_convention(self.net, resolve, hats)
        return parse(text, resolve, derivative=derivative or self.leibniz, **options)

    def parse_answer(self, text: str) -> sp.Expr:
        """An answer, of which only the last side counts if it is written ``dE/dw = ... = answer``."""
        parts = split_equalities(text) if isinstance(text, str) and "=" in text else [text]
        return self.parse(parts[-1] if parts else text)

    # -- values ------------------------------------------------------------------------------------
    def _complete(self, leaves: dict) -> dict:
        vals = forward_values(self.net, leaves)
        memo: dict = {}
        for sym, definition in self.deltas.items():
            vals[sym] = evaluate(definition, vals.__getitem__, memo)
        vals.setdefault(LEARNING_RATE, 0.25)
        return vals

    def _example_points(self) -> list[dict]:
        """Readable points for counterexamples: the spec's worked example, then 2-decimal ones."""
        out, rng = [], random.Random(1)
        v = self.net.spec.values
        if v is not None:
            given = {**v.inputs, **v.params, **v.targets}
            base = random_point(self.net, rng)
            out.append({s: float(given.get(s.name, x)) for s, x in base.items()}
                       | {LEARNING_RATE: float(v.learning_rate if v.learning_rate is not None else 0.5)})
        targets = {self.net.nodes[t].symbol for t in self.net.spec.targets}
        for _ in range(4):
            out.append({s: x if s in targets else (round(x, 2) or 0.37)
                        for s, x in random_point(self.net, rng).items()} | {LEARNING_RATE: 0.1})
        return [p for p in (self._safe(self._complete, p) for p in out) if p is not None]

    @staticmethod
    def _safe(fn, *args):
        try:
            return fn(*args)
        except (ArithmeticError, ValueError, ProofError):
            return None

    def points(self, k: int) -> list[dict]:
        """k generic random points (every leaf, node and delta value), the same on every call."""
        while len(self._points) < k:
            leaves = random_point(self.net, self.rng) | {LEARNING_RATE: self.rng.uniform(0.05, 0.95)}
            p = self._safe(self._complete, leaves)
            if p is not None:
                self._points.append(p)
        return self._points[:k]

    @staticmethod
    def value(expr: sp.Expr, point: dict) -> float:
        """expr's float value at point, NaN where it is undefined there."""
        try:
            v = evaluate(expr, point.__getitem__, {})
        except (ArithmeticError, ValueError, TypeError, KeyError, ProofError):
            return math.nan
        return v if isinstance(v, float) and math.isfinite(v) else math.nan

    # -- deciding ----------------------------------------------------------------------------------
    @cached_property
    def _env(self) -> tuple[dict, dict]:
        direct = self.derivation.direct
        env = {n.symbol: direct.leaf[n.name] for n in self.net.nodes.values() if not n.leaf}
        conv = ToSymEngine(env, dict(direct.exponents))
        targets = [self.net.nodes[t].symbol for t in self.net.spec.targets]
        if self.net.spec.loss == "ce" and len(targets) > 1:   # targets are a probability vector
            env[targets[-1]] = 1 - sum(conv(t) for t in targets[:-1])
        for sym, definition in self.deltas.items():   # nearest the loss first: each is defined
            env[sym] = conv(definition)
        return env, conv.exponents

    def exact_equal(self, a: sp.Expr, b: sp.Expr) -> bool | None:
        """Exact identity over the leaves (None when an expression is outside what can be proven)."""
        env, exponents = self._env
        conv = ToSymEngine(env, dict(exponents))
        try:
            x, y = conv(a), conv(b)
            rat = Rationalize(conv.exponents)
            return rat(x).equals(rat(y))
        except ProofError:
            return None

    def differs(self, a: float, b: float) -> bool:
        return abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b))

    def confirmed(self, given: sp.Expr, expected: sp.Expr, pt: dict) -> bool:
        """A float difference confirmed with 60 digits (floats cancel catastrophically in big sums)."""
        leaves = {s: v for s, v in pt.items() if self.net.nodes.get(s.name) and self.net.nodes[s.name].leaf}
        leaves[LEARNING_RATE] = pt.get(LEARNING_RATE, 0.25)
        with mpmath.workdps(60):
            vals = dict(leaves)
            for node in self.net.nodes.values():
                if not node.leaf:
                    vals[node.symbol] = _mp(node.expr, vals)
            for sym, definition in self.deltas.items():
                vals[sym] = _mp(definition, vals)
            try:
                g, e = _mp(given, vals), _mp(expected, vals)
            except (ArithmeticError, ValueError, TypeError):
                return True
            return abs(g - e) > TOLERANCE * max(1, abs(g), abs(e))

    def compare(self, given: sp.Expr, expected: sp.Expr) -> tuple[bool, str, dict | None]:
        """(equal, method, counterexample): a differing point first, else the exact decision."""
        for pt in self.examples + self.points(4):
            g, e = self.value(given, pt), self.value(expected, pt)
            if not math.isnan(g) and not math.isnan(e) and self.differs(g, e) and self.confirmed(given, expected, pt):
                return False, "counterexample", self._counterexample(pt, e, g, (given, expected))
        exact = self.exact_equal(given, expected)
        if exact:
            return True, "exact", None
        partial = _partial_domain(given) or _partial_domain(expected)
        both = 0
        for pt in self.points(24):   # exact said no (or could not tell): look harder
            g, e = self.value(given, pt), self.value(expected, pt)
            if math.isnan(g) != math.isnan(e) and partial:
                continue             # log(ab) = log a + log b where a < 0: one side has no real value, no evidence
            if math.isnan(g) != math.isnan(e) or (not math.isnan(g) and self.differs(g, e)
                                                   and self.confirmed(given, expected, pt)):
                return False, "counterexample", self._counterexample(pt, e, g, (given, expected))
            both += not math.isnan(g)
        if partial and not both and exact is False:
            return False, "counterexample", None          # never both real: exact's no stands
        return True, "numeric", None

    def leaves_of(self, *exprs) -> list[str]:
        """The leaves (inputs, parameters, targets, learning rate) the expressions depend on, in spec order."""
        seen, stack = set(), [s for e in exprs for s in e.free_symbols]
        while stack:
            s = stack.pop()
            if s in seen:
                continue
            seen.add(s)
            node = self.net.nodes.get(s.name)
            if node is not None and node.symbol == s and not node.leaf:
                stack += node.expr.free_symbols
            elif s in self.deltas:
                stack += self.deltas[s].free_symbols
        order = [n.symbol for n in self.net.nodes.values() if n.leaf] + [LEARNING_RATE]
        return [s.name for s in order if s in seen]

    def written_in(self, *exprs) -> list[sp.Symbol]:
        """The symbols the expressions are written in (nodes, deltas, the learning rate), first one's first."""
        order = {s: i for i, s in enumerate(self.net.latex_names)}
        out: list[sp.Symbol] = []
        for e in exprs:
            out += sorted((s for s in e.free_symbols if s not in out and (s in order or s == LEARNING_RATE)),
                          key=lambda s: order.get(s, len(order)))
        return out

    def _counterexample(self, pt: dict, expected: float, given: float, exprs=()) -> dict:
        """The point, as a person can check it: the leaves both sides depend on when there are at most
        12 (the spec's own values first), else the values of the symbols the two sides are written in
        (given first) at that point; at most 12 either way, in the notation's symbols."""
        leaves = self.leaves_of(*exprs) if exprs else [n.name for n in self.net.nodes.values() if n.leaf]
        syms = [s for s in (self.net.nodes[n].symbol if n in self.net.nodes else LEARNING_RATE for n in leaves)]
        kind = "leaves"
        if len(leaves) > MAX_SHOWN and exprs:
            written = [s for s in self.written_in(*exprs[:2]) if s in pt]
            if written and len(written) < len(leaves):
                syms, kind = written, "symbols"
        shown = syms[:MAX_SHOWN]
        spec = bool(self.net.spec.values) and bool(self.examples) and pt is self.examples[0]
        return {"point": {s.name: round(float(pt[s]), 6) for s in shown if s in pt},
                "leaves": [s.name for s in shown], "symbols": {s.name: self.latex(s) for s in shown},
                "more": len(syms) - len(shown), "kind": kind, "leaf_count": len(leaves),
                "at": "spec" if spec else "random", "expected": expected, "given": given}

    def check(self, param: str | None, text: str, diagnose: bool = True, number_asked: bool = False) -> Verdict:
        """Check ``text`` as dE/d``param`` (None: the parameter its left side names); raise
        FormulaError/DeriveError for unusable input."""
        from .answer import check_answer
        return check_answer(self, param, text, diagnose, number_asked)

    def latex(self, expr) -> str:
        """LaTeX in the notation's symbols (the learning rate as alpha; ``printed`` names first)."""
        return sp.latex(expr, symbol_names={**self.net.latex_names, **self.printed, LEARNING_RATE: "\\alpha"})


_MP = {sigmoid: lambda x: 1 / (1 + mpmath.exp(-x)), sp.tanh: mpmath.tanh, sp.exp: mpmath.exp,
       sp.log: mpmath.log, relu: lambda x: max(x, 0), step: lambda x: 1 if x > 0 else 0}


def _mp(e: sp.Expr, vals: dict):
    """e's value with mpmath at the working precision (symbols from vals; memo-free, small trees)."""
    env = {s: mpmath.mpf(vals[s]) for s in e.free_symbols}
    return walk(e, env, _MP, _mp_number, mpmath.fsum, mpmath.fprod)


def _mp_number(e):
    if e.is_Rational:
        return mpmath.mpf(e.p) / e.q
    raise ValueError(f"cannot evaluate the float {e}")


def _partial_domain(e: sp.Expr) -> bool:
    """``e`` has a part with no real value somewhere (a log, a root, a fractional power): sympy's exact
    equality then reasons over the complex numbers, where log(ab) = log a + log b fails."""
    return any(isinstance(x, sp.log) or (isinstance(x, sp.Pow) and not x.exp.is_integer) for x in sp.preorder_traversal(e))


_CHECKERS: WeakKeyDictionary = WeakKeyDictionary()


def checker_for(net_or_derivation) -> Checker:
    """A cached Checker for a Network/Derivation (or a new one for a spec path or example name)."""
    if isinstance(net_or_derivation, (Network, Derivation)):
        if net_or_derivation not in _CHECKERS:
            _CHECKERS[net_or_derivation] = Checker(net_or_derivation)
        return _CHECKERS[net_or_derivation]
    c = Checker(net_or_derivation)
    _CHECKERS[c.derivation] = c
    return c


def check(network, param: str | None, text: str, *, timeout: float | None = 5.0, diagnose: bool = True,
          number_asked: bool = False) -> Verdict:
    """Check a typed formula for d loss / d ``param`` on ``network`` (Network, Derivation or spec).

    ``param`` may be spelled as the notes print it (``\\theta^{(1)}_{11}``), or None when the answer's
    left side names it.  A plain number is checked at the spec's values (``number_asked``: a number
    was what the question asked for; otherwise it is "right number; the symbolic form was asked").
    The check runs in a child process killed after ``timeout`` seconds (``None``: in this
    process).  Raises FormulaError for an unreadable answer, sandbox.TimeLimit on timeout.
    """
    c = checker_for(network)
    if param is not None:
        from .answer import resolve_param
        param = resolve_param(c, param)    # an unknown parameter fails here, in the caller
    if not isinstance(text, str):
        raise FormulaError(f"an answer must be text, not {type(text).__name__}")
    if timeout is None:
        return c.check(param, text, diagnose, number_asked)
    from .. import sandbox
    c._env                                 # computed once here, inherited by the child
    return sandbox.call(c.check, param, text, diagnose, number_asked, timeout=timeout)


__all__ = ["Checker", "Mistake", "Verdict", "check", "checker_for", "DeriveError"]
