"""Layer-form (matrix) equations of a derivation, checked entry by entry.

``\\frac{\\partial J}{\\partial \\mathbf{W}^{(2)}} = \\boldsymbol{\\delta}^{(2)} \\mathbf{a}^{(1)\\top}`` is read
with every layer symbol a matrix of the network's own symbols (``layers.py``, read by ``matrixread.py``), the algebra done by
the formula package's matrix grammar, and ``dJ/d(matrix)`` taken entry by entry.  The equation then
holds when every entry does: each entry is an ordinary scalar equality, decided as any other step
(exact identity, or at the worked example's values).  Entries that are the same expression once
each delta and activation is replaced by its definition are equal at once (a sound shortcut that
keeps the digits network's 32×64 matrices fast); the rest go through the full check, at most
``MAX_SLOW`` per equation.  Sizes that do not fit are wrong, with the shapes named, in an equation
written as matrices (bold, a layer index, a transpose, ``\\odot``); bare letters alone (``x`` read as
the input vector) may mean numbers, so there they leave the step unchecked.  The layer form is about one
example, as the notes write it, also when the spec has a batch.
"""
from __future__ import annotations

import re
from dataclasses import replace

import sympy as sp

from ..model.formula import Mat
from ..model.formula.mat import shape_text
from .generic import at_layer, has_layer_index
from .lookup import LEARNING_RATE
from .matrixread import MARKS as _MARKS, MatrixReader, MatrixSide, entries as _entries
from .numbers import Literals
from .steps import Reader, Side, judge

MAX_SLOW = 200           # entries per equation that need the full check (not equal at once)


class Canon:
    """Is ``a = b`` an identity at once?  Both sides expanded, with each element-wise activation
    replaced by its function of z and, layer by layer from the lowest, the deltas that only one side
    has replaced by their definitions (so ``\\delta^{(1)}`` meets ``W^{(2)\\top} \\delta^{(2)}`` as the
    same sum).  Every rewrite is a definition, so "same" is sound; "not same" goes to the full check."""

    def __init__(self, c):
        net = c.net
        unitwise = {layer.activation for layer in net.spec.layers} - {"softmax"}
        self.acts = {n.symbol: n.expr for n in net.nodes.values()
                     if n.kind == "act" and net.spec.layers[n.layer - 1].activation in unitwise}
        self.deltas = c.deltas
        self.rank = {net.delta_symbol(n): net.nodes[n].layer or 0 for n in net.delta_nodes}

    def same(self, a: sp.Expr, b: sp.Expr) -> bool:
        if a == b:
            return True
        try:
            a, b = a.xreplace(self.acts), b.xreplace(self.acts)
            for _ in range(4):
                if sp.expand(a - b) == 0:
                    return True
                only = (a.free_symbols ^ b.free_symbols) & self.rank.keys()
                if not only:
                    return False
                low = min(self.rank[d] for d in only)
                subs = {d: self.deltas[d].xreplace(self.acts) for d in only if self.rank[d] == low}
                a, b = a.xreplace(subs), b.xreplace(subs)
        except (TypeError, ValueError, ArithmeticError):
            return False
        return False


def _update(c, left: dict, right: dict) -> dict:
    """``W = W - \\alpha dJ/dW``, entry by entry: each parameter on the left is its value after the step."""
    trained = set(c.net.trainable)
    out = {}
    for k, p in left.items():
        r = right.get(k)
        if isinstance(p, sp.Symbol) and p.name in trained and r is not None and \
                LEARNING_RATE in r.free_symbols and p in r.free_symbols:
            out[k] = p
    return out


def _where(k, v) -> str:
    i, j = k
    if not isinstance(v, Mat):
        return ""
    rows, cols = v.shape
    return f"entry {i}" if cols == 1 else f"entry {j}" if rows == 1 else f"entry ({i}, {j})"


def _short(s: str, n: int = 60) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."


def _step(c, reader: Reader, canon: Canon, line: int, a: MatrixSide, b: MatrixSide, Step):
    """The verdict on ``a = b``, entry by entry; wrong as written when a side has a slip of the pen (typos.py)."""
    if a.typo or b.typo:
        from dataclasses import replace
        from .typos import flagged
        st = _step(c, reader, canon, line, replace(a, typo=""), replace(b, typo=""), Step)
        status, note = flagged(st.status, st.note, a.typo or b.typo)
        return replace(st, status=status, note=note)
    # sizes that do not fit are a wrong step only in an equation written as matrices: with bare letters
    # alone (x read as the input vector) the writer may mean numbers, so it is not checked
    sized = "wrong" if a.written_as_matrix or b.written_as_matrix else "unchecked"
    bare = "" if sized == "wrong" else " (bare letters like x are read as the layer's vector here)"
    for s in (a, b):
        if not s.ok:
            return Step(line, a.text, b.text, sized if s.shape_error else "unchecked",
                        note=s.error + (bare if s.shape_error else ""))
    va, vb = a.value, b.value
    if (va.shape if isinstance(va, Mat) else (1, 1)) != (vb.shape if isinstance(vb, Mat) else (1, 1)):
        flipped = isinstance(va, Mat) and isinstance(vb, Mat) and va.shape == vb.shape[::-1]
        return Step(line, a.text, b.text, sized,
                    note=f"the shapes differ: the left side is {shape_text(va)}, the right side {shape_text(vb)}"
                         + (" (a transpose?)" if flipped else "") + bare)
    left, right = _entries(va), _entries(vb)
    for k, p in _update(c, left, right).items():     # one example's step, as the layer form is written
        left[k] = p - LEARNING_RATE * c.derivation.gradient(p.name).delta_form
    slow = [k for k in left if not canon.same(left[k], right[k])]
    if len(slow) > MAX_SLOW:
        return Step(line, a.text, b.text, "unchecked",
                    note=f"too big to check: {len(slow)} entries need a full proof (at most {MAX_SLOW})")
    lits = Literals()
    lits.text = {**a.literals.text, **b.literals.text}
    notes = set()
    for k in slow:
        j = judge(c, reader, Side(a.text, left[k], lits), Side(b.text, right[k], lits))
        if j.status == "wrong":
            where = _where(k, va)
            what = (f"{where}: the left side is {_short(c.latex(left[k]))}, the right side "
                    f"{_short(c.latex(right[k]))}") if where else (j.note or "")
            return Step(line, a.text, b.text, "wrong", note=what + (f" ({j.note})" if where and j.note else ""),
                        counterexample=j.counterexample)
        if j.status == "unchecked":
            return Step(line, a.text, b.text, "unchecked", note=f"{_where(k, va) or 'the equation'}: {j.note}")
        if j.note:
            notes.add(j.note)
    size = f"entry by entry ({shape_text(va)})" if isinstance(va, Mat) else ""
    return Step(line, a.text, b.text, "correct", note="; ".join(filter(None, [size, *sorted(notes)])))


def matrix_steps(c, reader: Reader, lines: list[int], parts: list[str], scalar: list[Side], Step) -> list | None:
    """Steps (made by ``Step``, the derivation's step type) for a chain in the layer form, or None when
    it is not one (no side is a matrix).

    A side neither reading can read keeps the scalar reading's reason unless it is written as a
    matrix (bold, a transpose, ``\\odot``): ``\\sigma(x)`` with a generic x is not the input vector.
    """
    mr = MatrixReader(reader)
    if any(has_layer_index(p) for p in parts):
        return _every_layer(c, reader, mr, lines, parts, Step)
    sides = [mr.read(p) for p in parts]
    if not any(isinstance(s.value, Mat) or s.shape_error or s.ok and s.written_as_matrix and not _number(s)
               for s in sides) and not all(s.ok for s in sides):
        return None                       # (a 1×1 product of layer vectors, (t - a)^T (t - a), is a layer-form side)
    for s, old in zip(sides, scalar):
        if not s.ok and not s.shape_error and not _MARKS.search(s.text):
            s.error = old.error
    canon = Canon(c)
    return [_step(c, reader, canon, lines[i - 1], sides[i - 1], sides[i], Step) for i in range(1, len(sides))]


_CDOT = re.compile(r"\\cdot(?![A-Za-z])")


def cdot_elementwise(c, reader: Reader, lines: list[int], parts: list[str], steps: list, Step) -> list:
    """``W^T \\delta \\cdot g'(z)`` where the other side is a vector: a dot product of two vectors would be one number,
    so the writer means the element-wise product; a step wrong only by the shapes of that reading is read so."""
    if len(steps) != len(parts) - 1:
        return steps
    out = []
    for i, st in enumerate(steps):
        if st.status == "wrong" and st.note.startswith("the shapes differ") and _CDOT.search(parts[i] + parts[i + 1]):
            a, b = (_CDOT.sub(r"\\odot", p) for p in parts[i:i + 2])
            again = matrix_steps(c, reader, [lines[i]], [a, b], [reader.read(a), reader.read(b)], Step)
            if again and len(again) == 1 and again[0].status == "correct":
                st = replace(st, status="correct", diagnosis=(), counterexample=None,
                             note="\\cdot read as the element-wise product: of two vectors it would be one number, "
                                  "and the other side is a vector; " + again[0].note)
        out.append(st)
    return out


def _number(side) -> bool:
    return not isinstance(side.value, Mat) and not (side.value.free_symbols - set(side.literals.text))


def _every_layer(c, reader: Reader, mr: MatrixReader, lines: list[int], parts: list[str], Step) -> list | None:
    """A chain in a generic layer l: checked at every l where all its symbols exist."""
    layers = mr.layers
    last = int(layers.shown(len(c.net.spec.layers))) if c.net.spec.layered else 0
    numbers = sorted({int(k[1]) for k in layers.families if k[1].isdigit()})
    generic = any(has_layer_index(p, "l") for p in parts)
    if not generic:
        numbers = [last]                  # only L: the last layer
    canon = Canon(c)
    by_layer: dict[int, list] = {}
    for l in numbers:
        sides = [mr.read(at_layer(p, l, last)) for p in parts]
        if all(s.ok or s.shape_error for s in sides):
            by_layer[l] = [_step(c, reader, canon, lines[i - 1], sides[i - 1], sides[i], Step)
                           for i in range(1, len(sides))]
    if not by_layer:
        return None
    out = []
    for i in range(1, len(parts)):
        steps = {l: s[i - 1] for l, s in by_layer.items()}
        where = ", ".join(map(str, steps))
        wrong = next(((l, s) for l, s in steps.items() if s.status == "wrong"), None)
        unchecked = next(((l, s) for l, s in steps.items() if s.status == "unchecked"), None)
        status, cex = "correct", None
        note = f"for every layer, l = {where}" if generic else f"for the last layer, L = {last}"
        if wrong:
            status, note, cex = "wrong", f"for l = {wrong[0]}: {wrong[1].note}".rstrip(": "), wrong[1].counterexample
        elif unchecked:
            status, note = "unchecked", f"for l = {unchecked[0]}: {unchecked[1].note}"
        out.append(Step(lines[i - 1], parts[i - 1], parts[i], status, note=note, counterexample=cex))
    return out


__all__ = ["cdot_elementwise", "matrix_steps"]
