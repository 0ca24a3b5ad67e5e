"""A derivation's sides read in the layer form: every layer symbol a matrix of the network's own symbols.

``MatrixReader`` reads one side with ``W^{(2)}``, ``\\delta^{(2)}``, ``a^{(1)}`` as matrices (``layers.py``), the
algebra done by the formula package's matrix grammar; ``matrix.py`` checks whole layer-form equations with it,
and ``steps.py`` reads a number made of layer vectors (``\\frac12 \\|y - h\\|^2``) through it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import sympy as sp

from ..errors import DeriveError, FormulaError
from ..model.formula import Mat, Name, default_functions
from ..model.formula.mat import ShapeError
from ..model.formula.matrix import MATRIX_ALGEBRA
from .layerfn import LayerActivation
from .numbers import Literals

if TYPE_CHECKING:
    from .steps import Reader

MARKS = re.compile(r"\\(mathbf|boldsymbol|bm|top|intercal|odot|circ)(?![A-Za-z])|\\begin\{[pbB]?matrix\}"
                   r"|\^\s*\{?\s*T(?![A-Za-z])|[⊙⊤ᵀ∘]")    # written as a matrix (bmatrix: its entries written out)


@dataclass
class MatrixSide:
    """One side as read in the layer form: a scalar expression or a ``Mat``, or why not."""
    text: str
    value: object = None
    literals: Literals = field(default_factory=Literals)
    error: str = ""
    shape_error: bool = False
    written_as_matrix: bool = False  # bold, a layer index, a transpose or \odot: not only bare letters (x)
    typo: str = ""                   # read through one slip of the pen (typos.py): wrong as written

    @property
    def ok(self) -> bool:
        return self.value is not None


class MatrixReader:
    """Reads sides with layer symbols as matrices, on top of a derivation's ``Reader``."""

    def __init__(self, reader: Reader):
        self.reader, self.c = reader, reader.c
        self.layers = self.c.table.layers
        self.functions = default_functions() | {"g": LayerActivation(self.c.net), "examplesum": self._examplesum}

    def _one_example(self, what: str):
        """Ng's batch matrices (one column per example) read as one column: right only when there is one example."""
        copies = getattr(self.reader, "copies", None)
        if copies is not None and copies.m > 1:
            raise FormulaError(f"{what} sums over the {copies.m} examples' columns, and a layer symbol here is one "
                               "example's column: check it with a spec of one example")

    def _examplesum(self, x):
        """np.sum(., axis=1, keepdims=True): the sum of the examples' columns, the column itself for one example."""
        self._one_example("np.sum(..., axis=1)")
        return x

    def _family(self, name: Name):
        if name.sub or name.time or name.key() in self.reader.defs:
            return None, False
        fam, transposed, why = self.layers.find(name)
        if why:
            raise FormulaError(why)
        return fam, transposed

    def resolve(self, name: Name):
        fam, transposed = self._family(name)
        if fam is None and name.base == "m" and not (name.sub or name.sup or name.accent):
            try:
                return self.reader.resolve(name)
            except FormulaError:
                self._one_example("1/m with the examples as columns")
                return sp.Integer(1)                  # m, the number of examples: one
        if fam is None:
            return self.reader.resolve(name)
        if fam.scalar is not None:
            return fam.scalar
        self._strong |= bool(name.sup) or name.accent == "bold"
        m = Mat(fam.rows, name.text)
        return m.T if transposed else m

    def derivative(self, of: Name, args: tuple, wrt: Name):
        if self._family(of)[0] is not None and self._family(of)[0].scalar is None:
            raise FormulaError(f"the derivative of the vector {of.text} (a Jacobian) is not checked; "
                               "write the loss's derivative")
        fam, transposed = self._family(wrt)
        if fam is None or fam.scalar is not None or args:
            return self.reader.derivative(of, args, wrt)
        upper = self.c.loss_node(of) or self.c.node_of(of)
        self._strong |= bool(wrt.sup) or wrt.accent == "bold"
        m = Mat([[self._entry(upper, s, fam.feeds[i][j] if fam.feeds else None) for j, s in enumerate(row)]
                 for i, row in enumerate(fam.rows)], f"d{of.text}/d{wrt.text}")
        return m.T if transposed else m

    def _entry(self, upper: str, s: sp.Symbol, feeds: str | None) -> sp.Expr:
        """d upper / d (one entry): a parameter through the weighted sum it feeds, a node as the graph says."""
        net = self.c.net
        node = feeds or s.name
        if node in net.delta_nodes and upper == net.loss:
            d = net.delta_symbol(node)       # the delta is dJ/dz by definition
        else:
            d = self.c.total(node, upper)
        return d * net.nodes[feeds].local_of(s.name) if feeds else d

    _strong = False

    def read(self, text: str) -> MatrixSide:
        lits = Literals()
        self.reader._leibniz, self.reader._updates = [], []
        self._strong = bool(MARKS.search(text))
        notes: list[str] = []
        try:
            v = self.c.parse(text, self.resolve, self.derivative, numbers=lits, update_steps=True,
                             functions=self.functions, matrices=True, mode="latex", notes=notes)
            algebra = [n[len(MATRIX_ALGEBRA):] for n in notes if n.startswith(MATRIX_ALGEBRA)]
            if algebra and not self._strong:     # x x = x^2 with x a number is right: not read as vectors
                raise FormulaError(f"{algebra[0]} of bare letters read as vectors (like x, the input vector); "
                                   "write the layer form with bold or ^{(l)} symbols")
        except ShapeError as e:
            return MatrixSide(text, None, lits, str(e), True, self._strong)
        except DeriveError as e:
            return self._mended(text, MatrixSide(text, None, lits, str(e), written_as_matrix=self._strong))
        defs = {sym: meaning for sym, meaning, _ in self.reader.defs.values()}

        means = getattr(self.reader, "means", {})    # a batch reader's dJ/dw placeholders: one example's

        def fix(e):
            return e.xreplace(defs).xreplace(self.reader.nexts).xreplace(means)
        return MatrixSide(text, v.map(fix) if isinstance(v, Mat) else fix(v), lits,
                          written_as_matrix=self._strong)


    def _mended(self, text: str, unread: MatrixSide) -> MatrixSide:
        """One slip of the pen (``typos.py``): the side as meant when that is unambiguous, the slip kept."""
        from dataclasses import replace
        from .typos import mended
        if getattr(self, "_mending", False):
            return unread
        self._mending = True
        try:
            got = mended(text, lambda t: (lambda side: side if side.ok else None)(self.read(t)), self._same)
        finally:
            self._mending = False
        return unread if got is None else replace(got[0], text=text, typo=got[1])

    def _same(self, x: MatrixSide, y: MatrixSide) -> bool:
        a, b = entries(x.value), entries(y.value)
        return a.keys() == b.keys() and all(self.c.compare(a[k], b[k])[0] for k in a)


def entries(v):
    return dict(v.entries()) if isinstance(v, Mat) else {(1, 1): v}


__all__ = ["LayerActivation", "MARKS", "MatrixReader", "MatrixSide", "entries"]
