"""Matrix formulas: the layer form seed 003 writes, read into matrices of ordinary expressions.

    W^{(2)\\top} \\boldsymbol{\\delta}^{(2)} \\odot \\sigma'(\\mathbf{z}^{(1)})     \\delta^{(2)} a^{(1)T}

The LaTeX grammar, with values that may be ``Mat`` (a matrix; vectors are columns): juxtaposition,
``\\cdot`` and ``\\times`` are matrix products, ``\\odot``/``\\circ`` the element-wise (Hadamard)
product, ``^\\top``/``^T``/``^{T}``/``^{(2)\\top}`` a transpose, a function or its derivative
``\\sigma'`` applies entry by entry, and a scalar (or a 1x1 matrix) scales or broadcasts.  A size
mismatch is a FormulaError naming the two shapes.  Which names are matrices is the resolver's
business; here only the algebra, through the same ``Builder`` limits as every formula.
"""
from __future__ import annotations

import re

import sympy as sp

from .latex import LatexParser
from .mat import MAX_ENTRIES, Mat, Ones, ShapeError, scalar_or_mat, shape_text
from .tokens import OPENERS, Tok

HADAMARD = ("\\odot", "\\circ", "⊙", "∘")
TRANSPOSED = "⊤"          # appended to a Name's superscript written ^{(2)\top}: the transpose of it


MATRIX_ALGEBRA = "matrix algebra: "   # a note's prefix: what was more than entry by entry arithmetic


class MatrixParser(LatexParser):
    """The LaTeX grammar over scalars and ``Mat`` values (the resolver decides which names are which).

    Each operation that is not entry by entry (a matrix or dot product, a transpose, a sum by
    ``\\mathbf{1}``) adds a note starting ``MATRIX_ALGEBRA``, so a caller knows when reading a bare
    letter as a vector changed what the formula says.
    """
    notes = None

    def algebra(self, what: str):
        if self.notes is not None and MATRIX_ALGEBRA + what not in self.notes:
            self.notes.append(MATRIX_ALGEBRA + what)

    # -- values ------------------------------------------------------------------------------------
    def guard(self, r, tok=None):
        if isinstance(r, Ones):
            return r
        if isinstance(r, Mat):
            rows, cols = r.shape
            if rows * cols > MAX_ENTRIES:
                raise self.err(f"matrix too large ({rows}×{cols}; at most {MAX_ENTRIES} entries)", tok)
            if r.shape == (1, 1):
                return super().guard(r.rows[0][0], tok)
            for _, e in r.entries():
                super().guard(e, tok)
            return r
        return super().guard(r, tok)

    def literal_matrix(self, rows, tok):
        return self.guard(scalar_or_mat(rows), tok)

    def shape_err(self, msg: str, tok=None) -> ShapeError:
        return ShapeError(str(self.err(msg, tok)))

    def _named(self, v) -> str:
        return f"{v.label} ({shape_text(v)})" if isinstance(v, Mat) and v.label else shape_text(v)

    def product(self, a, b, tok):
        """a b: a matrix product, or scaling when either is a scalar."""
        if isinstance(a, Ones) or isinstance(b, Ones):
            return self.ones_product(a, b, tok)
        if not isinstance(a, Mat) and not isinstance(b, Mat):
            return self.mul([a, b], tok)
        if not isinstance(a, Mat):
            return b.map(lambda e: self.mul([a, e], tok))
        if not isinstance(b, Mat):
            return a.map(lambda e: self.mul([e, b], tok))
        (n, k), (k2, m) = a.shape, b.shape
        if k != k2:
            hint = " (a transpose missing?)" if n == k2 or k == m else ""
            raise self.shape_err(f"cannot multiply {self._named(a)} by {self._named(b)}: the inner sizes "
                           f"{k} and {k2} differ{hint}", tok)
        if n * m > MAX_ENTRIES or n * m * k > 50 * MAX_ENTRIES:
            raise self.err(f"matrix product too large ({n}×{k} by {k}×{m})", tok)
        self.algebra("a matrix product")
        cols = list(zip(*b.rows))
        return self.guard(scalar_or_mat([[self.add([self.mul([x, y], tok) for x, y in zip(row, col)], tok)
                                          for col in cols] for row in a.rows]), tok)

    def mul(self, factors, tok=None):
        if any(isinstance(f, (Mat, Ones)) for f in factors):
            acc = factors[0]
            for f in factors[1:]:
                acc = self.product(acc, f, tok)
            return acc
        return super().mul(factors, tok)

    def ones_product(self, a, b, tok):
        """``\\mathbf{1}^\\top M`` (column sums) or ``M \\mathbf{1}`` (row sums): the ones vector sized to fit."""
        self.algebra("a sum by the ones vector")
        if isinstance(a, Ones) and a.row and isinstance(b, Mat):
            return self.product(Mat([[sp.S.One] * b.shape[0]]), b, tok)
        if isinstance(b, Ones) and not b.row and isinstance(a, Mat):
            return self.product(a, Mat([[sp.S.One]] * a.shape[1]), tok)
        if isinstance(a, Ones) and a.row and not isinstance(b, (Mat, Ones)) or \
                isinstance(b, Ones) and not b.row and not isinstance(a, (Mat, Ones)):
            return self.product(sp.S.One if isinstance(a, Ones) else a, sp.S.One if isinstance(b, Ones) else b, tok)
        raise self.ones_err(tok)

    def ones_err(self, tok=None):
        return self.err("\\mathbf{1} is read only as the ones vector of a sum: \\mathbf{1}^\\top "
                        "\\boldsymbol{\\delta} or M \\mathbf{1}", tok)

    def no_ones(self, values, tok):
        if any(isinstance(v, Ones) for v in values):
            raise self.ones_err(tok)

    def elementwise(self, a, b, tok, op, what: str):
        """An element-wise combination; a scalar broadcasts."""
        self.no_ones((a, b), tok)
        if not isinstance(a, Mat) and not isinstance(b, Mat):
            return op(a, b)
        if not isinstance(a, Mat):
            return b.map(lambda e: op(a, e))
        if not isinstance(b, Mat):
            return a.map(lambda e: op(e, b))
        if a.shape != b.shape:
            raise self.shape_err(f"cannot {what} {self._named(a)} and {self._named(b)}: the shapes differ", tok)
        return Mat([[op(x, y) for x, y in zip(ra, rb)] for ra, rb in zip(a.rows, b.rows)])

    def hadamard(self, a, b, tok):
        return self.elementwise(a, b, tok, lambda x, y: self.mul([x, y], tok), "multiply element by element")

    def add(self, terms, tok=None):
        self.no_ones(terms, tok)
        if not any(isinstance(t, Mat) for t in terms):
            return super().add(terms, tok)
        acc = terms[0]
        for t in terms[1:]:
            acc = self.elementwise(acc, t, tok, lambda x, y: super(MatrixParser, self).add([x, y], tok), "add")
        return acc

    def neg(self, v, tok=None):
        self.no_ones((v,), tok)
        return v.map(lambda e: super(MatrixParser, self).neg(e, tok)) if isinstance(v, Mat) else super().neg(v, tok)

    def reciprocal(self, v, tok=None):
        self.no_ones((v,), tok)
        if isinstance(v, Mat):
            raise self.err(f"cannot divide by {self._named(v)}", tok)
        return super().reciprocal(v, tok)

    def pow(self, b, e, tok=None):
        self.no_ones((b, e), tok)
        if isinstance(e, Mat):
            raise self.err(f"a matrix ({shape_text(e)}) as an exponent", tok)
        if isinstance(b, Mat):
            if 1 not in b.shape:      # a vector squared means its entries; a matrix power is not read
                raise self.err(f"a power of the matrix {self._named(b)} (write \\odot for entries)", tok)
            return b.map(lambda x: super(MatrixParser, self).pow(x, e, tok))
        return super().pow(b, e, tok)

    def apply(self, fname, fn, args, tok):
        self.no_ones(args, tok)
        if fname == "sqnorm" and len(args) == 1 and isinstance(args[0], Mat):     # \|y - a^L\|^2: a number
            return self.add([self.pow(x, sp.Integer(2), tok) for row in args[0].rows for x in row], tok)
        if fname == "softmax" and len(args) == 1 and isinstance(args[0], Mat) and 1 in args[0].shape:
            es = [sp.exp(x) for _, x in args[0].entries()]       # softmax(z^{[L]}): of the vector, not entry-wise
            total = sp.Add(*es)
            return Mat([[e / total] for e in es] if args[0].shape[1] == 1 else [[e / total for e in es]])
        if len(args) == 1 and isinstance(args[0], Mat):
            return args[0].map(lambda x: super(MatrixParser, self).apply(fname, fn, (x,), tok))
        if any(isinstance(a, Mat) for a in args):
            raise self.err(f"{fname} of a matrix takes one argument", tok)
        return super().apply(fname, fn, args, tok)

    def derivative_of(self, fname, fn, arg, tok):
        self.no_ones((arg,), tok)
        prime = getattr(fn, "prime", None)     # a function that knows its own derivative (g' of a layer)
        one = (lambda x: self.guard(self.call(prime, x), tok)) if prime else \
            (lambda x: super(MatrixParser, self).derivative_of(fname, fn, x, tok))
        return arg.map(one) if isinstance(arg, Mat) else one(arg)

    def transpose(self, v):
        if isinstance(v, Ones):
            return Ones(not v.row)
        if isinstance(v, Mat):
            self.algebra("a transpose")
            return v.T
        return v

    def primary(self):
        t = self.peek()
        if t.kind == "wrap" and t.val in ("mathbf", "boldsymbol", "bm") and self.at("{", k=1) \
                and self.peek(2).kind == "num" and self.peek(2).val == "1" and self.at("}", k=3):
            self.i += 4
            return Ones()
        return super().primary()

    # -- grammar -----------------------------------------------------------------------------------
    def labelled(self, read, start: Tok):
        """``read()``, a matrix value labelled with the text it was read from (for size messages)."""
        v = read()
        if isinstance(v, Mat):
            written = self.src[start.pos:self.toks[self.i - 1].end]
            text = " ".join(re.sub(r"\\(left|right)(?![A-Za-z])\.?", "", written).split())
            v = Mat(v.rows, text if len(text) <= 60 else text[:57] + "...")
        return v

    def expr(self):
        self.enter()
        tok = self.peek()
        acc = self.labelled(self.term, tok)
        while self.at("+", "-"):
            op = self.next()
            t = self.labelled(self.term, self.peek())
            acc = self.add([acc, t if op.val == "+" else self.neg(t, op)], op)
        self.depth -= 1
        return acc

    def term(self):
        tok = self.peek()
        acc = self.labelled(self.unary, tok)
        while True:
            if self.at("*"):
                op = self.next()
                rhs = self.labelled(self.unary, self.peek())
                written = self.src[op.pos:op.end]
                if written in HADAMARD:
                    acc = self.hadamard(acc, rhs, op)
                elif written in ("\\cdot", "·", "⋅") and self.same_vectors(acc, rhs):
                    acc = self.product(acc.T if acc.shape[1] == 1 else acc, rhs if rhs.shape[1] == 1 else rhs.T, op)
                else:
                    acc = self.product(acc, rhs, op)
            elif self.at("/"):
                op = self.next()
                acc = self.product(acc, self.reciprocal(self.unary(), op), op)
            elif self.starts_operand():
                acc = self.product(acc, self.labelled(self.power, self.peek()), tok)
            else:
                acc = self.labelled(lambda: acc, tok)
                return acc

    def power(self):
        base = self.primary()
        if self.at("'") and isinstance(base, Mat):        # MATLAB's W', (W^{(2)})': a matrix's prime is its transpose
            self.next()
            base = self.transpose(base)
        n = self.transpose_mark(1) if self.at("^") else 0
        if n:
            self.i += 1 + n
            base = self.transpose(base)
        if self.at("^", "**"):
            op = self.next()
            base = self.pow(base, self.exponent(op), op)
        if self.at("^"):
            raise self.err("double superscript")
        return base

    @staticmethod
    def same_vectors(a, b) -> bool:
        """Two vectors of one shape: ``\\mathbf{u} \\cdot \\mathbf{v}`` is then their dot product."""
        return isinstance(a, Mat) and isinstance(b, Mat) and a.shape == b.shape and 1 in a.shape

    def transpose_mark(self, k: int) -> int:
        """Tokens taken by a transpose mark at offset k: ``\\top``, ``T``, ``{T}``, ``{\\mathsf{T}}``; 0 if none."""
        t = self.peek(k)
        if self.at("⊤", k=k) or (t.kind == "name" and t.val == "T"):
            return 1
        if t.kind == "wrap" and self.at("{", k=k + 1) and self.peek(k + 2).val == "T" and self.at("}", k=k + 3):
            return 4
        if self.at("{", k=k):
            inner = self.transpose_mark(k + 1)
            if inner and self.at("}", k=k + 1 + inner):
                return inner + 2
        return 0

    def naming_sup(self) -> str | None:
        """``^{(2)\\top}``/``^{[2]T}``: the layer index, then a transpose (instead of LaTeX's layer superscript)."""
        ahead = self.transposed_index_ahead()
        if ahead is None:
            return None
        close, n = ahead
        sup = "".join(self.peek(k).val for k in range(3, close)) + TRANSPOSED
        self.i += close + n + 2
        return sup

    def transposed_index_ahead(self) -> tuple[int, int] | None:
        """``^{(l)\\top}`` ahead: (offset of the closing bracket, tokens of the transpose mark), else None."""
        if not (self.at("{", k=1) and self.at("(", "[", k=2)):
            return None
        closer, k = OPENERS[self.peek(2).val], 3
        while self.peek(k).kind in ("num", "name", "greek"):
            k += 1
        if k == 3 or not self.at(closer, k=k):
            return None
        n = self.transpose_mark(k + 1) or (1 if self.at("'", k=k + 1) else 0)       # ^{[2]T}, ^{[2]'}
        return (k, n) if n and self.at("}", k=k + 1 + n) else None


__all__ = ["HADAMARD", "MATRIX_ALGEBRA", "MatrixParser", "TRANSPOSED"]
