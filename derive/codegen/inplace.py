"""Elementwise maths as NumPy ufunc calls writing into arrays the generated code already owns.

``A2*(1 - A2)*(A2 - T)`` printed as it stands makes NumPy allocate a new batch-sized array for every
operation; at batch 4096 those allocations (fresh pages from the kernel, each zeroed on first touch)
cost as much as the arithmetic.  Here the same expression becomes

    np.subtract(one, A2, D2)
    np.subtract(A2, T, F2)
    np.multiply(D2, F2, D2)
    np.multiply(D2, A2, D2)

into work arrays that ``work_source`` keeps from one call to the next.  Every ufunc's last argument is
its output, given positionally (NumPy parses ``out=`` as a keyword about 0.2 µs more slowly, which
matters at batch 1), and the constant 1 is ``one``, a 0-d array of the work's dtype kept with the
work arrays (a Python float is converted on every call).  Expressions this cannot spell (softmax's
row sums, functions it does not know) return None and are printed as before.
"""
from __future__ import annotations

import sympy as sp

from .printer import Printer
from ..model.naming import symbol

# Unary functions with a ufunc of the same meaning.
_UFUNC = {sp.exp: "np.exp", sp.log: "np.log", sp.tanh: "np.tanh", sp.Abs: "np.abs"}
_BINARY = {"relu": "np.maximum", "step": "np.heaviside"}    # relu(u) = max(u, 0); step(u) = heaviside(u, 0)


def _negated(e):
    """X when ``e`` is -X (sympy's Mul(-1, X)), else None."""
    if isinstance(e, sp.Mul) and e.args and e.args[0] == -1:
        return sp.Mul(*e.args[1:])
    return None


ONE = "one"      # the work set's 0-d array 1 of the work's dtype


def operand(p: Printer, e) -> str:
    """An operand as the code spells it: 1 as ``one``, another integer or a fraction as a float
    literal (NumPy converts 1.0 faster than 1; 1/2 would be a division on every call)."""
    if e == 1:
        return ONE
    if e.is_Integer:
        return f"{int(e)}.0"
    return repr(float(e)) if e.is_Rational else p.doprint(e)


def _atom(e) -> bool:
    return e.is_Symbol or e.is_Number


class Emitter:
    """Lines computing an elementwise expression into ``dest`` with ufuncs (``out=``), in place.

    ``temps`` names scratch arrays of dest's shape; a sub-expression that cannot be folded into dest
    is computed into ``temps[depth]`` (one level of nesting, one scratch array).
    """

    def __init__(self, printer: Printer, temps: list[str]):
        self.p = printer
        self.temps = temps

    def into(self, e: sp.Expr, dest: str, depth: int = 0) -> list[str] | None:
        """Lines leaving e's value in ``dest`` (every element), or None if e is not expressible."""
        p = self.p
        if e.is_Number:
            return [f"{dest}.fill({p.doprint(e)})"]
        if e.is_Symbol:
            return [f"np.copyto({dest}, {p.doprint(e)})"]
        if isinstance(e, sp.Add):
            return self._fold(list(e.args), dest, depth, "np.add", "np.subtract")
        if isinstance(e, sp.Mul):
            return self._fold(list(e.args), dest, depth, "np.multiply", "np.divide")
        if isinstance(e, sp.Pow) and e.exp.is_Number:
            if e.exp == -1:                            # np.divide(1, x): float np.reciprocal is not vectorised
                inner = [] if e.base.is_Symbol else self.into(e.base, dest, depth)
                src = p.doprint(e.base) if e.base.is_Symbol else dest
                return None if inner is None else inner + [f"np.divide({ONE}, {src}, {dest})"]
            ufunc, extra = {2: ("np.square", ""), sp.Rational(1, 2): ("np.sqrt", "")}.get(
                e.exp, ("np.power", operand(p, e.exp)))
            return self._unary(e.base, dest, depth, ufunc, extra)
        if isinstance(e, sp.Function) and len(e.args) == 1:
            name = type(e).__name__
            if e.func in _UFUNC:
                return self._unary(e.args[0], dest, depth, _UFUNC[e.func], "")
            if name in _BINARY:
                return self._unary(e.args[0], dest, depth, _BINARY[name], "0.0")
            if name == "sigmoid":       # the table's own definition 1/(1 + exp(-u))
                return self.into(e.rewrite(sp.exp), dest, depth)
        return None

    def multiply_into(self, dest: str, e: sp.Expr, depth: int = 0) -> list[str] | None:
        """Lines for ``dest *= e``: plain factors directly, the others through one scratch array."""
        factors = list(e.args) if isinstance(e, sp.Mul) else [e]
        # plain factors first: a scratch array may then be one of them (a dead activation's memory)
        factors.sort(key=lambda f: not _atom(self._split(f, "np.divide")[0]))
        return self._apply(factors, dest, depth, "np.multiply", "np.divide")

    # -- helpers -------------------------------------------------------------------------------
    def _unary(self, arg, dest, depth, ufunc, extra):
        # NumPy deprecates a positional out for np.maximum only (three arrays could mean a 3-way max)
        tail = (f", {extra}" if extra else "") + (", out=" if ufunc == "np.maximum" else ", ")
        if arg.is_Symbol:
            return [f"{ufunc}({self.p.doprint(arg)}{tail}{dest})"]
        inner = self.into(arg, dest, depth)
        return None if inner is None else inner + [f"{ufunc}({dest}{tail}{dest})"]

    def _split(self, term, inverse):
        """(operand, inverted) of a term: -X in a sum and X**-1 in a product use the inverse ufunc."""
        if inverse == "np.subtract":
            inner = _negated(term)
            if inner is not None:
                return inner, True
        elif isinstance(term, sp.Pow) and term.exp == -1:
            return term.base, True
        return term, False

    def _fold(self, terms, dest, depth, op, inverse):
        split = [self._split(t, inverse) for t in terms]
        plain = [k for k, (x, _) in enumerate(split) if _atom(x)]
        if len(plain) == len(terms):                   # atoms only: the first operation writes dest
            (a, inv_a), (b, inv_b) = split[0], split[1]
            if inv_a and not inv_b:
                (a, inv_a), (b, inv_b) = (b, inv_b), (a, inv_a)
            if inv_a:                                  # -a - b or 1/(a b): no single ufunc; not needed
                return None
            first = [f"{inverse if inv_b else op}({operand(self.p, a)}, {operand(self.p, b)}, {dest})"]
            rest = split[2:]
        else:                                          # start from a compound term, computed in dest
            k = next((k for k, (x, inv) in enumerate(split) if not _atom(x) and not inv),
                     next(k for k, (x, _) in enumerate(split) if not _atom(x)))
            x, inv = split[k]
            first = self.into(x, dest, depth)
            if first is None:
                return None
            rest = split[:k] + split[k + 1:]
            if inv:                                    # dest holds X of a -X (or 1/X) term
                atom = next((j for j, (y, i) in enumerate(rest) if _atom(y) and not i), None)
                if atom is None:
                    first.append(f"np.negative({dest}, {dest})" if op == "np.add"
                                 else f"np.divide({ONE}, {dest}, {dest})")
                else:
                    first.append(f"{inverse}({operand(self.p, rest[atom][0])}, {dest}, {dest})")
                    rest = rest[:atom] + rest[atom + 1:]
        more = self._apply([x ** -1 if inv and op == "np.multiply" else (-x if inv else x) for x, inv in rest],
                           dest, depth, op, inverse)
        return None if more is None else first + more

    def _apply(self, terms, dest, depth, op, inverse):
        """dest = dest (op) term, for each term; compound terms through temps[depth]."""
        out = []
        for t in terms:
            x, inv = self._split(t, inverse)
            if _atom(x):
                out.append(f"{inverse if inv else op}({dest}, {operand(self.p, x)}, {dest})")
                continue
            if depth >= len(self.temps):
                return None
            tmp = self.temps[depth]
            inner = self.into(x, tmp, depth + 1)
            if inner is None:
                return None
            out += inner + [f"{inverse if inv else op}({dest}, {tmp}, {dest})"]
        return out


UNARY = {sp.exp: "np.exp", sp.tanh: "np.tanh"}


def chain(e: sp.Expr, z: sp.Symbol, p: Printer) -> list[tuple[str, str]] | None:
    """``e`` as ufuncs applied one after another to ``z`` [(ufunc, other operand)], or None.

    sigmoid's table definition 1/(1 + exp(-z)) is negative, exp, add 1, divide 1 by: each can write
    into the same array, so the activation needs no temporary arrays.  (1/x is np.divide(1, x):
    NumPy's float np.reciprocal is not vectorised, it takes twice as long.)
    """
    if e == z:
        return []
    if e.func in UNARY:
        inner = chain(e.args[0], z, p)
        return None if inner is None else inner + [(UNARY[e.func], "")]
    if isinstance(e, sp.Pow) and e.exp == -1:
        inner = chain(e.base, z, p)
        return None if inner is None else inner + [("np.divide", ONE)]
    if isinstance(e, (sp.Add, sp.Mul)):
        consts = [a for a in e.args if a.is_Number]
        rest = [a for a in e.args if not a.is_Number]
        if len(rest) != 1 or len(consts) != 1:
            return None
        inner = chain(rest[0], z, p)
        if inner is None:
            return None
        c = consts[0]
        if isinstance(e, sp.Mul) and c == -1:
            return inner + [("np.negative", "")]
        return inner + [("np.add" if isinstance(e, sp.Add) else "np.multiply", operand(p, c))]
    return None


def activation_lines(e: sp.Expr, z: str, a: str, p: Printer) -> list[str] | None:
    """Lines computing a = e(z) in z's own memory, one ufunc after another, or None."""
    steps = chain(e, symbol(z), p)
    if not steps:
        return None
    out = []
    for k, (ufunc, operand) in enumerate(steps):
        src = z if k == 0 else a
        args = f"{operand}, {src}" if ufunc == "np.divide" else f"{src}, {operand}" if operand else src
        out.append(f"{a} = {ufunc}({args}, {z})" if k == 0 else f"{ufunc}({args}, {a})")
    return out


KEEP_BYTES = 2 ** 27        # a batch's work arrays are kept between calls up to 128 MB (float64)


def work_lines(given: list[str], arrays, scalars: set) -> list[str]:
    """Start of a function body: n, the dtype of the work (float32 only if everything is) and the arrays.

    The usual call (every array float64, or every array float32, a shared bias a Python float) is
    recognised by identity checks alone; anything else goes through ``_common`` (NumPy's result_type,
    every array converted), so the code below sees one dtype and the products can write into the work
    arrays (``np.dot``'s ``out`` must have exactly the product's dtype).  ``given[0]`` is the data X;
    ``scalars`` are the names that are one number (a shared bias)."""
    checks = ["(dtype is not _F64 and dtype is not _F32)"]
    checks += [f"type({k}) is not float" if k in scalars else f"{k}.dtype is not dtype" for k in given[1:]]
    test, line = [], "if (" + checks[0]
    for part in checks[1:]:                         # wrapped at about 100 columns
        if len(line) + len(part) > 88:
            test.append(line)
            line = "        or " + part
        else:
            line += " or " + part
    return ["n = X.shape[0]", "dtype = X.dtype", *test, line + "):",
            f"    dtype, {', '.join(given)} = _common({', '.join(given)})  # float32 only if everything is float32",
            ", ".join(a for a, _ in arrays) + " = work = _SPARE.pop((n, dtype), None) or _new(n, dtype)"]


def work_source(arrays: list[tuple[str, int | str | None]], itemsize: int = 8) -> list[str]:
    """``_new``, ``_spare`` and ``_common``: the batch-sized arrays of one call, reused by the next.

    ``arrays`` are (name, columns) pairs; columns None is a vector of n ones (for bias sums), 0 the
    0-d constant ``one``, a string the expression that makes it (from n, dtype and the arrays before).
    A function takes its set with ``_SPARE.pop((n, dtype), None) or _new(n, dtype)`` and puts it back
    at its end, so a set in use is out of ``_SPARE`` and concurrent calls never share.
    """
    cols = sum(c if isinstance(c, int) else 1 for _, c in arrays)
    keep_rows = max(1, KEEP_BYTES // (itemsize * cols))
    alloc = {None: "np.ones(n, dtype)", 0: "np.ones((), dtype)"}
    made = [f"    {a} = " + (c if isinstance(c, str) else alloc.get(c, f"np.empty((n, {c}), dtype)"))
            for a, c in arrays]
    made.append("    return " + ", ".join(a for a, _ in arrays) + ("," if len(arrays) == 1 else ""))
    return ["# Work arrays: every batch-sized array of a call is allocated once per batch size and dtype",
            "# and kept for the next call (fresh memory costs page faults, as much as the arithmetic).",
            "# Returned arrays are always new; a set in use is out of _SPARE, so concurrent calls never share.",
            "# Every ufunc writes its last argument (out, given positionally: faster than out= at batch 1).",
            "_SPARE = {}" + " " * 29 + "# (n, dtype) -> (" + ", ".join(a for a, _ in arrays) + ")",
            f"KEEP_ROWS = {keep_rows}" + " " * max(1, 28 - len(str(keep_rows)))
            + f"# batches up to this size keep their arrays (about {KEEP_BYTES >> 20} MB)",
            "_F64, _F32 = np.dtype(np.float64), np.dtype(np.float32)",
            "", "",
            "def _new(n, dtype):",
            '    """New work arrays for a batch of n examples (no spare set was free)."""',
            *made,
            "", "",
            "def _tile(n, units):",
            '    """k, the examples a row of a tiled view: a power of two dividing n, k * units <= 512 if units allow."""',
            "    return min(n & -n or 1, 1 << max(0, (512 // units).bit_length() - 1))",
            "", "",
            "def _spare(n, dtype, work):",
            '    """Keep ``work`` for the next call with this batch size (the last 4 sizes are kept)."""',
            "    if n <= KEEP_ROWS:",
            "        if len(_SPARE) > 3:",
            "            for key in list(_SPARE)[:-3]:",
            "                _SPARE.pop(key, None)",
            "        _SPARE[(n, dtype)] = work",
            "", "",
            "def _common(*arrays):",
            '    """The work dtype (float32 only if everything is float32, else float64) and every array in it;',
            '    a plain Python float (a shared bias) stays as it is (NumPy gives it the dtype of the arrays)."""',
            "    dtype = np.result_type(*arrays, np.float32)",
            "    return (dtype,) + tuple(a if type(a) is float else np.asarray(a, dtype) for a in arrays)",
            "", ""]
