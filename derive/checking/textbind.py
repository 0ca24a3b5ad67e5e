"""A text's leaf names bound to a spec whose names differ: Mazur's ``w_1``, ``i_1``, ``b_1``, ``target_{o1}``
against a spec that calls them ``w11``, ``x1``, ``b1``, ``yt1``.

The text's forward pass is read as when there is no spec (``textnet.py``: ``net_{h1} = w_1 i_1 + w_2 i_2 +
b_1``, its numbers from the text's substitutions).  Its leaves are then bound to the spec's:

- by the text's numbers: a leaf whose value only one spec leaf of the same kind has (i_1 = 0.05 is x1);
- by the forward pass's shape: each defining line is matched, term by term, with the spec's quantities, so a
  leaf the numbers leave open (w_3, in Mazur's picture only) is the spec's leaf in its place (w21), and the
  text's nodes are bound too (net_{h1} is a_1, out_{h1} is z_1, E_{total} the loss).

A binding is taken only when it is the only one consistent with the shape and the numbers; a leaf left open
stays unread.  ``check_bound`` checks the text with its names so bound, and its report says the binding.
"""
from __future__ import annotations

import itertools
import re
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from .textgraph import TextNetwork
from .textnet import read_network

MAX_SOLUTIONS = 2          # two consistent bindings of one line: ambiguous, that line binds nothing
_LEAF_KINDS = ("input", "param", "target")


def _key(ident: str) -> str:
    return re.sub(r"[_{}()\\^\s]", "", ident)


def _same(a: Fraction, b: float) -> bool:
    """The text's number (as written, or solved and rounded) is the spec's, as the spec writes it."""
    return a == Fraction(str(b))


class Binding:
    """Text ident -> spec symbol, with how each was found ("value" or "forward pass")."""

    def __init__(self, c, tn: TextNetwork):
        self.c, self.tn = c, tn
        self.to: dict[str, sp.Expr] = {}
        self.how: dict[str, str] = {}
        self.partial: dict[str, sp.Expr] = {}      # a text node that is part of a spec quantity (E_{o1})
        v = c.net.spec.values
        self.spec_values = {**(v.inputs or {}), **(v.params or {}), **(v.targets or {})} if v else {}
        self.kinds = {s: k for s, k in c.table.kinds.items() if k in _LEAF_KINDS}

    def leaf_ok(self, ident: str, spec: sp.Symbol) -> bool:
        """May the text's leaf be the spec's leaf: same kind of leaf, and the same value where both have one."""
        if spec not in self.kinds or spec in self.to.values() and self.to.get(ident) != spec:
            return False
        kind = self.kinds[spec]
        if (kind == "param") != self.tn.is_param(ident):
            return False
        mine, theirs = self.values.get(ident), self.spec_values.get(spec.name)
        return mine is None or theirs is None or _same(mine, theirs)

    @property
    def values(self) -> dict:
        return {**self.tn.values, **self.tn.solved}

    def summary(self) -> str:
        parts = [f"{self.tn.names.get(k, k)} = {self.c.latex(s)} ({self.how[k]})" for k, s in self.to.items()]
        parts += [f"{self.tn.names.get(k, k)} = ${self.c.latex(e)}$ (one term of the loss)"
                  for k, e in self.partial.items()]
        return "bound the text's names to the spec's: " + ", ".join(parts) if parts else ""

    def entries(self) -> tuple[dict, ...]:
        """The binding as a report's ``bindings`` entries (``readout.bindings``' form; no line: it comes from
        the whole text)."""
        out = [{"name": self.tn.names.get(k, k), "latex": self.c.latex(s), "kind": self.how[k], "line": None}
               for k, s in self.to.items()]
        return tuple(out + [{"name": self.tn.names.get(k, k), "latex": self.c.latex(e),
                             "kind": "one term of the loss", "line": None} for k, e in self.partial.items()])


def bind(c, text: str) -> Binding | None:
    """The binding of a text's names to the spec's network (None when the text has no forward pass)."""
    try:
        tn = read_network(text)
    except DeriveError:
        return None
    try:
        from .nospec import _solve
        _solve(tn, text)
    except (DeriveError, ValueError, ArithmeticError):
        pass
    b = Binding(c, tn)
    leaves = [x for x in tn.leaves if x not in tn.nodes]
    for ident in leaves:                                   # by the text's numbers: a value only one spec leaf has
        if ident in b.values:
            fits = [s for s in b.kinds if b.spec_values.get(s.name) is not None and b.leaf_ok(ident, s)]
            if len(fits) == 1:
                b.to[ident], b.how[ident] = fits[0], "by value"
    for _ in range(3):                                      # by the forward pass's shape, until nothing changes
        before = len(b.to) + len(b.partial)
        for ident, expr in tn.nodes.items():
            if ident not in b.to and ident not in b.partial:
                _bind_node(b, ident, expr)
        if len(b.to) + len(b.partial) == before:
            break
    return b


def _targets(c) -> list:
    """Spec quantities a text node may be: every node, and each term of the loss (one output's error)."""
    out = [(n.symbol, n.expr) for n in c.net.nodes.values() if n.expr is not None]
    loss = next((n for n in c.net.nodes.values() if n.kind == "loss"), None)
    if loss is not None and isinstance(loss.expr, sp.Add):
        out += [(None, t) for t in loss.expr.args]
    return out


def _bind_node(b: Binding, ident: str, expr: sp.Expr):
    text = expr.xreplace({s: b.to[s.name] for s in expr.free_symbols if s.name in b.to and s.name in b.tn.nodes})
    text = text.xreplace({s: b.partial[s.name] for s in text.free_symbols if s.name in b.partial})
    found = []
    for node, target in _targets(b.c):
        for sol in _unify(b, text, target, {}):
            found.append((node, target, sol))
            if len(found) >= MAX_SOLUTIONS:
                break
        if len(found) >= MAX_SOLUTIONS:
            break
    if len(found) == 1:
        node, target, sol = found[0]
        for leaf, spec in sol.items():
            b.to[leaf], b.how[leaf] = spec, "by the forward pass"
        if node is not None:
            b.to[ident], b.how[ident] = node, "by the forward pass"
        else:
            b.partial[ident] = target
        return
    # an activation: one bound node inside, compared as a function (1/(1+e^{-x}) is sigmoid(x))
    inner = [s for s in text.free_symbols if s in b.c.table.kinds]
    if len(inner) == 1 and not (text.free_symbols - set(inner)):
        for n in b.c.net.nodes.values():
            if n.expr is not None and n.expr.free_symbols == set(inner) and b.c.compare(text, n.expr)[0]:
                b.to[ident], b.how[ident] = n.symbol, "by the forward pass"
                return


def _unify(b: Binding, t: sp.Expr, s: sp.Expr, sol: dict):
    """Every extension of ``sol`` (text leaf -> spec leaf) that makes ``t`` the spec's ``s`` term by term."""
    if isinstance(t, sp.Symbol) and t.name not in b.to and t.name not in b.tn.nodes and t not in b.c.table.kinds:
        if not isinstance(s, sp.Symbol):
            return
        if t.name in sol:
            if sol[t.name] == s:
                yield sol
            return
        if s not in sol.values() and b.leaf_ok(t.name, s):
            yield {**sol, t.name: s}
        return
    if isinstance(t, sp.Symbol) and t.name in b.to and t.name not in b.tn.nodes:
        t = b.to[t.name]
    if t.is_Atom or s.is_Atom:
        if t == s:
            yield sol
        return
    if t.func != s.func or len(t.args) != len(s.args):
        return
    if isinstance(t, (sp.Add, sp.Mul)) and len(t.args) <= 6:
        for perm in itertools.permutations(s.args):
            yield from _unify_all(b, list(t.args), list(perm), sol)
        return
    yield from _unify_all(b, list(t.args), list(s.args), sol)


def _unify_all(b, ts, ss, sol):
    if not ts:
        yield sol
        return
    for first in _unify(b, ts[0], ss[0], sol):
        yield from _unify_all(b, ts[1:], ss[1:], first)


def check_bound(network, text: str, binding: Binding | None = None):
    """Check ``text`` against ``network`` with the text's names bound to the spec's; the report's ``read`` line
    says the binding (and says that nothing was bound when the text has no forward pass to bind by)."""
    from .batch import BatchReader
    from .checker import Checker, checker_for
    from .derivation import DerivationReport, check_lines
    c = network if isinstance(network, Checker) else checker_for(network)
    b = binding or bind(c, text)
    reader = BatchReader(c)
    if b is not None:
        from ..model.naming import symbol
        from .lookup import _latex_key
        for ident, spec in b.to.items():
            reader.bound[_key(ident)] = spec
            written = _latex_key(b.tn.names.get(ident, ""))   # a^{(L-1)}_1 as the reader keys it (aL-11), not a_1_L1
            if written:
                reader.bound.setdefault(written, spec)
        for ident, meaning in b.partial.items():          # E_{o1}: one output's term of the loss
            reader.defs[_key(ident)] = (symbol("local_" + _key(ident)), meaning, b.tn.names.get(ident, ident))
    report = check_lines(c, text, reader)
    said = b.summary() if b is not None else ""
    return DerivationReport(report.steps, read=said or "no forward pass to bind the text's names by",
                            bound=b.entries() if b is not None else ())


__all__ = ["Binding", "bind", "check_bound"]
