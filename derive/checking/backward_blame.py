"""Place a wrong gradient's mistake on its own line.

A gradient built in several statements (``d = probs - Y`` then ``d /= N``, a helper value, a helper
function's ``return``, a loop's accumulation) is judged where it is complete.  When it is wrong, each
statement it was built from is changed in the small ways a mistake undoes (``mutate``, a sign, a
missing constant, a missing activation derivative); the first change that makes the gradient right
names the statement (and its line) and the mistake.  The other lines are then right as written.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..errors import DeriveError, FormulaError
from ..tensor.printer import to_code
from ..tensor.tree import Bin, Name, Neg, Num
from .backward_program import Runner
from .backward_swaps import flips, swaps
from .mutate import activation_factors, mutations

MAX_VARIANTS = 80


def place(verdict, judged, parsed, bw, truths, grads, everything=()) -> list:
    """The verdicts for a wrong judged gradient: the wrong statement's line, the others right (a change
    that makes it right but another of ``everything``, the file's judged gradients, wrong is no repair)."""
    from .backward_truth import LineVerdict, same
    keeps = Keeps(everything, truths[0])
    ids = [i for i in judged.stmts if i in parsed.stmts]
    if len(ids) <= 1:
        return [verdict]
    truth = truths[0]
    want = truth.env[judged.target]
    order = sorted(ids, key=lambda i: _order(parsed.stmts[i]))
    # first the edits of a statement's own text, then a factor missing from a whole statement (which
    # could stand in for a mistake made elsewhere: a masked entry -1 for 0 looks like a missing relu')
    for sid, (message, variant, extra) in [(i, v) for rank in (0, 1) for i in order
                                           for v in _all_variants(parsed.stmts[i], bw, truth, rank, parsed)]:
        st = parsed.stmts[sid]
        if st is not None:
            key = ("mask", sid) if message.startswith(("the mask", "the position")) else sid
            try:
                again = Runner(parsed, truth.sizes, set(grads), {key: variant}, truth.shapes).run()
            except (DeriveError, FormulaError):
                continue
            tree = next((j.tree for j in again if j.target == judged.target and j.line == judged.line), None)
            if tree is None:
                continue
            try:
                got = truth.value(tree, judged.target, extra)
            except (FormulaError, ValueError, IndexError, TypeError):
                continue
            if same(got, want) and keeps(again, extra):
                kind = "mask" if isinstance(key, tuple) else "placed"
                if st.line == judged.line:     # its own line: a generic 'not equal' gives way to the cause
                    generic = verdict.diagnosis[0]["kind"] == "value"
                    return [LineVerdict(st.line, judged.target, False, [{"kind": kind, "message": message}])
                            if generic else verdict]
                name = st.targets[0]
                what = f"{name} (used by {judged.target})" if name != judged.target else name
                out = [LineVerdict(st.line, what, False, [{"kind": kind, "message": message}])]
                out.append(LineVerdict(judged.line, judged.target, True))
                return out
    return [verdict]


class Keeps:
    """Whether a changed run keeps right every judged gradient that was right as written."""

    def __init__(self, judged, truth):
        self.judged, self.truth, self.right = list(judged), truth, None

    def _same(self, tree, target, extra) -> bool:
        from .backward_truth import same
        try:
            return same(self.truth.value(tree, target, extra), self.truth.env[target])
        except (DeriveError, FormulaError, ValueError, IndexError, TypeError):
            return False

    def __call__(self, again, extra) -> bool:
        if self.right is None:
            self.right = {(j.target, j.line) for j in self.judged if self._same(j.tree, j.target, {})}
        trees = {(j.target, j.line): j.tree for j in again}
        return all(k in trees and self._same(trees[k], k[0], extra) for k in self.right)


def shared(wrong: list, parsed, bw, truths, grads, everything=()):
    """Several gradients wrong through one statement every one of them ran (a helper's line, run for each
    layer): (its line, one verdict there) when one change of it makes them all right; None otherwise."""
    from .backward_truth import LineVerdict, same
    if len(wrong) < 2:
        return None
    truth = truths[0]
    keeps = Keeps(everything, truth)
    common = set.intersection(*({i for i in j.stmts if isinstance(i, int) and i in parsed.stmts} for j in wrong))
    for sid in sorted(common, key=lambda i: _order(parsed.stmts[i])):     # as place() does
        st = parsed.stmts[sid]
        for message, variant, extra in (v for rank in (0, 1) for v in _all_variants(st, bw, truth, rank, parsed)):
            key = ("mask", sid) if message.startswith(("the mask", "the position")) else sid
            try:
                again = Runner(parsed, truth.sizes, set(grads), {key: variant}, truth.shapes).run()
                trees = [next(x.tree for x in again if x.target == j.target and x.line == j.line) for j in wrong]
                if all(same(truth.value(t, j.target, extra), truth.env[j.target]) for t, j in zip(trees, wrong)) \
                        and keeps(again, extra):
                    names = ", ".join(dict.fromkeys(j.target for j in wrong))
                    return st.line, LineVerdict(st.line, f"{st.targets[0]} (used by {names})", False,
                                                [{"kind": "placed", "message": message}])
            except (DeriveError, FormulaError, StopIteration, ValueError, IndexError, TypeError):
                continue
    return None


def _order(st) -> tuple:
    """Statements tried latest line first; those that only move a value (Z = cache, A_prev, W, b = cache,
    current_cache = caches[l], grads["dW" + str(l)] = dW_temp) after those that compute one: a sign put on
    Z = cache would stand in for a mask turned round where Z is compared."""
    from ..tensor.tree import Index, Tuple
    def moves(t):
        return isinstance(t, Name) or isinstance(t, Tuple) and all(moves(x) for x in t.items) or \
            isinstance(t, Index) and moves(t.x) and all(isinstance(x, (Name, Num)) for x in t.items)
    from ..tensor.tree import Const, walk
    keyed = st.op == "mask" and not st.add and any(isinstance(n, Const) and isinstance(n.value, str) for n in walk(st.mask))
    return moves(st.tree) and (st.op == "=" or keyed), -st.line


def _all_variants(st, bw, truth, rank: int, parsed=None):
    yield from variants(st.tree, bw, truth, rank)
    if rank == 0 and st.op == "mask":
        yield from ((message, mask, {}) for message, mask in flips(st.mask, st.targets[0]))
        yield from mask_variants(st, truth)
        yield from local_mask_variants(st, parsed)


def local_mask_variants(st, parsed):
    """In a helper: d[x <= 0] = 0 with the comparison on another of the helper's names (deeplearning.ai's
    ``dZ[dA <= 0] = 0`` for ``dZ[Z <= 0] = 0``)."""
    from ..tensor.tree import COMPARISONS
    from .backward_values import top_level
    m = st.mask
    h = next((h for h in getattr(parsed, "helpers", {}).values() if st.id in set(top_level(h.body))), None)
    if h is None or not (isinstance(m, Bin) and m.op in COMPARISONS):
        return
    ids = set(top_level(h.body))
    names = list(dict.fromkeys([t for i in sorted(ids) for t in parsed.stmts[i].targets] + list(h.params)))
    for side in ("a", "b"):
        here = getattr(m, side)
        for other in names if isinstance(here, Name) and here.id in names else ():
            if other not in (here.id, st.targets[0]):
                new = Bin(m.op, Name(other), m.b) if side == "a" else Bin(m.op, m.a, Name(other))
                yield f"the mask compares {here.id}, not {other}: {to_code(new)} is right", new, {}


def mask_variants(st, truth):
    """d[h <= 0] = 0 with the comparison on another array of the same shape (dh <= 0 for hpre <= 0)."""
    from ..tensor.tree import COMPARISONS
    m = st.mask
    name = st.targets[0]
    if not (isinstance(m, Bin) and m.op in COMPARISONS and name[1:] in truth.forward):
        return
    shape = np.shape(truth.forward[name[1:]])
    for side in ("a", "b"):
        here = getattr(m, side)
        if not isinstance(here, Name):
            continue
        for other, value in truth.forward.items():
            if other != here.id and np.shape(value) == shape and other not in truth.integer:
                new = Bin(m.op, Name(other), m.b) if side == "a" else Bin(m.op, m.a, Name(other))
                yield (f"the mask compares {here.id}, not a forward value: {to_code(new)} is right",
                       new, {})


def variants(tree, bw, truth, rank: int = 0):
    """(message, changed tree, extra names) for the small changes that undo a one-line mistake;
    rank 0: edits of the text, rank 1: a factor the whole statement misses."""
    from ..tensor.tree import Num as _Num
    if rank == 1:
        prog = bw.program
        for shape in dict.fromkeys(np.shape(v) for v in truth.forward.values()):
            for factor_name, factor in activation_factors(prog, truth.forward, shape):
                yield f"missing {factor_name}", Bin("*", tree, Name("__factor")), {"__factor": factor}
        from .backward_diagnose import term_variants
        for kind, variant, message in term_variants(tree, truth.sizes, prog):
            if kind == "activation":
                yield message, variant, {}
        return
    count = 0
    if isinstance(tree, _Num) and tree.value != 0:
        yield f"{to_code(tree)} where 0 belongs (a masked entry has no gradient)", _Num(Fraction(0)), {}
    yield "wrong sign", Neg(tree), {}
    yield from ((message, variant, {}) for message, variant in swaps(tree))
    for kind, variant, message in mutations(tree, truth.forward, truth.sizes):
        count += 1
        if count > MAX_VARIANTS:
            break
        yield message + f": {to_code(variant)} is right", variant, {}
    from .backward_diagnose import term_variants
    for kind, variant, message in term_variants(tree, truth.sizes):
        yield message, variant, {}
    for label, value in constants(bw, truth):
        yield f"missing the factor 1/{label}", Bin("/", tree, Num(value)), {}
        yield f"divides by {label} once too often", Bin("*", tree, Num(value)), {}


def constants(bw, truth) -> list:
    """(label, value) of each constant the program divides by or averages over, named as written."""
    from ..tensor.axes import const_int
    from ..tensor.shapes import axes
    from ..tensor.tree import Call, walk
    prog = bw.program
    out, seen = [], set()
    for name, tree, _ in prog.forward:
        for node in walk(tree):
            if isinstance(node, Bin) and node.op == "/":
                try:
                    v = const_int(node.b, truth.sizes)
                except FormulaError:
                    continue
                label = to_code(node.b)
            elif isinstance(node, Call) and node.fn == "mean":
                shape = np.shape(truth.forward.get(node.args[0].id)) if isinstance(node.args[0], Name) else None
                if shape is None:
                    continue
                ax = axes(node, len(shape), truth.sizes)
                v = int(np.prod([shape[i] for i in (ax if ax is not None else range(len(shape)))]))
                label = next((s for s, n in truth.sizes.items() if n == v), str(v))
            else:
                continue
            if v > 1 and v not in seen:
                seen.add(v)
                out.append((label, Fraction(v)))
    return out
