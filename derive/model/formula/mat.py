"""The values of a matrix formula: ``Mat`` (rows of sympy expressions; vectors are columns), the ones
vector ``\\mathbf{1}``, and the error for sizes that do not fit."""
from __future__ import annotations

from ...errors import FormulaError

MAX_ENTRIES = 10_000      # entries of one matrix value (the digits network's W is 32x64 = 2,048)


class ShapeError(FormulaError):
    """Sizes that do not fit (a product, a sum, an element-wise product): the formula is wrong as written."""


class Mat:
    """A matrix of sympy expressions (rows of equal length); ``label`` says how it was written."""
    __slots__ = ("rows", "label")

    def __init__(self, rows, label: str = ""):
        self.rows = tuple(tuple(r) for r in rows)
        self.label = label

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.rows[0]) if self.rows else 0

    def entries(self):
        """((i, j), entry) row by row, 1-based."""
        for i, row in enumerate(self.rows, 1):
            for j, e in enumerate(row, 1):
                yield (i, j), e

    def map(self, fn) -> "Mat":
        return Mat([[fn(e) for e in row] for row in self.rows], self.label)

    @property
    def T(self) -> "Mat":
        return Mat(zip(*self.rows))

    def __repr__(self) -> str:
        return f"Mat{self.shape}{list(self.rows)}"


class Ones:
    """``\\mathbf{1}``: the vector of ones, as long as the product it stands in needs (``\\mathbf{1}^\\top
    \\boldsymbol{\\delta}`` sums the deltas); a column, a row once transposed."""
    __slots__ = ("row",)

    def __init__(self, row: bool = False):
        self.row = row


def shape_text(v) -> str:
    """``3×1`` for a matrix, ``a scalar`` otherwise."""
    if isinstance(v, Mat):
        r, c = v.shape
        return f"{r}×{c}"
    return "a scalar"


def scalar_or_mat(rows, label: str = ""):
    """A 1x1 matrix is its entry (a single output's delta is a number); anything else a Mat."""
    m = Mat(rows, label)
    return m.rows[0][0] if m.shape == (1, 1) else m


__all__ = ["MAX_ENTRIES", "Mat", "Ones", "ShapeError", "scalar_or_mat", "shape_text"]
