"""Constant arguments read once for shapes, evaluation and the rules table alike.

Axes (negative ones counted from the end, as NumPy does), a permutation, a swap, a slice with its
step, ``pad``'s widths (NumPy's ``((before, after), ...)`` or PyTorch's ``(left, right, ...)`` from
the last axis), ``var``'s ddof and an ``einsum`` subscript string.
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import FormulaError, NotRead
from .tree import Bin, Call, Const, Name, Neg, Num, Tuple


def const_int(node, sizes: dict) -> int:
    """A constant integer expression over numbers and size names (slice bounds, reshape, axis)."""
    if isinstance(node, Num) and node.value.denominator == 1:
        return int(node.value)
    if isinstance(node, Name) and node.id in sizes:
        return sizes[node.id]
    if isinstance(node, Neg):
        return -const_int(node.x, sizes)
    if isinstance(node, Bin) and node.op in ("+", "-", "*", "//"):
        a, b = const_int(node.a, sizes), const_int(node.b, sizes)
        return a + b if node.op == "+" else a - b if node.op == "-" else a * b
    raise NotRead("expected a constant integer (a number or a size name)")


def axis_of(node, ndim: int, sizes: dict, what: str = "axis", extra: int = 0) -> int:
    """One axis, negative ones counted from the end; ``extra`` = 1 for stack's new axis."""
    k = const_int(node, sizes)
    n = ndim + extra
    if not -n <= k < n:
        raise FormulaError(f"{what}: axis {k} is out of range for a {ndim}-D tensor")
    return k % n


def permutation(node: Call, ndim: int, sizes: dict) -> tuple:
    """The axes order of permute / swapaxes / transpose (reverse) as a tuple of non-negative axes."""
    if node.fn == "transpose":
        return tuple(reversed(range(ndim)))
    if node.fn == "swapaxes":
        a = axis_of(node.args[1], ndim, sizes, "swapaxes")
        b = axis_of(node.args[2], ndim, sizes, "swapaxes")
        order = list(range(ndim))
        order[a], order[b] = order[b], order[a]
        return tuple(order)
    items = node.args[1].items if isinstance(node.args[1], Tuple) else (node.args[1],)
    order = tuple(axis_of(it, ndim, sizes, "permute") for it in items)
    if sorted(order) != list(range(ndim)):
        raise FormulaError(f"permute: {order} is not an order of the {ndim} axes")
    return order


def inverse(order: tuple) -> tuple:
    out = [0] * len(order)
    for i, k in enumerate(order):
        out[k] = i
    return tuple(out)


def slice_range(it, n: int, sizes: dict) -> range:
    """The positions lo:hi:step takes from an axis of size n (Python's rules), never empty."""
    lo = None if it.lo is None else const_int(it.lo, sizes)
    hi = None if it.hi is None else const_int(it.hi, sizes)
    step = None if it.step is None else const_int(it.step, sizes)
    if step == 0:
        raise FormulaError("a slice step cannot be zero")
    r = range(*slice(lo, hi, step).indices(n))
    if not len(r):
        raise FormulaError(f"slice {_show(lo)}:{_show(hi)}{'' if step is None else ':' + str(step)} is empty "
                           f"for an axis of size {n}")
    return r


def _show(k):
    return "" if k is None else str(k)


def as_slice(it, sizes: dict) -> slice:
    return slice(*(None if v is None else const_int(v, sizes) for v in (it.lo, it.hi, it.step)))


def pad_widths(node: Call, ndim: int, sizes: dict) -> tuple:
    """((before, after), ...) per axis of ``pad(x, widths)``."""
    w = node.args[1]
    style = node.get("style", Const("numpy")).value
    if style == "torch":
        flat = [const_int(v, sizes) for v in (w.items if isinstance(w, Tuple) else (w,))]
        if len(flat) % 2 or len(flat) // 2 > ndim:
            raise FormulaError("F.pad takes (left, right) pairs, last axis first")
        pairs = [(0, 0)] * ndim
        for k in range(len(flat) // 2):
            pairs[ndim - 1 - k] = (flat[2 * k], flat[2 * k + 1])
    else:
        if not isinstance(w, Tuple):
            pairs = [(const_int(w, sizes),) * 2] * ndim
        elif all(not isinstance(v, Tuple) for v in w.items) and len(w.items) == 2:
            pairs = [tuple(const_int(v, sizes) for v in w.items)] * ndim
        elif all(isinstance(v, Tuple) and len(v.items) == 2 for v in w.items) and len(w.items) == ndim:
            pairs = [tuple(const_int(v, sizes) for v in p.items) for p in w.items]
        else:
            raise FormulaError(f"pad widths: expected ((before, after), ...) for each of the {ndim} axes")
    if any(k < 0 for p in pairs for k in p):
        raise FormulaError("pad widths must not be negative")
    return tuple(pairs)


def ddof(node: Call) -> int:
    d = node.get("ddof", Num(Fraction(0)))
    return int(d.value)


def einsum_spec(node: Call, ndims: list) -> tuple:
    """(input subscripts, output subscripts) of einsum('ij,jk->ik', ...), checked against the operands."""
    text = node.args[0].value.replace(" ", "")
    if "..." in text or not all(ch.isalpha() or ch in ",->" for ch in text):
        raise NotRead("einsum: subscripts are letters, commas and '->' (no '...')")
    ins, arrow, out = text.partition("->")
    parts = ins.split(",")
    if len(parts) != len(ndims):
        raise FormulaError(f"einsum: {len(parts)} subscripts for {len(ndims)} tensors")
    for p, n in zip(parts, ndims):
        if len(p) != n:
            raise FormulaError(f"einsum: '{p}' names {len(p)} axes of a {n}-D tensor")
    if not arrow:
        letters = "".join(parts)
        out = "".join(sorted(ch for ch in set(letters) if letters.count(ch) == 1))
    if len(set(out)) != len(out) or any(ch not in ins for ch in out):
        raise FormulaError("einsum: each output letter must appear once and in an input")
    return tuple(parts), out
