"""Shapes of tensor expressions, inferred as NumPy would compute them (broadcasting included).

``infer(node, env, sizes)`` gives a node's shape (a tuple of ints) or raises FormulaError with a one-line
reason (``cannot matmul (4, 5) @ (3, 3)``); the caller adds the assignment's name.  ``env`` maps names
to :class:`Info` (shape, and whether the tensor holds integers: an index input).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import FormulaError
from .grammar import Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple

MAX_ENTRIES = 5_000_000     # no tensor in a program may hold more entries than this


@dataclass(frozen=True)
class Info:
    shape: tuple
    integer: bool = False


def fmt(shape: tuple) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def broadcast(a: tuple, b: tuple, op: str = "+") -> tuple:
    """NumPy's broadcasting of two shapes."""
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x != y and 1 not in (x, y):
            raise FormulaError(f"cannot broadcast {fmt(a)} {op} {fmt(b)}")
        out.append(max(x, y) if 1 in (x, y) else x)
    return tuple(reversed(out))


def const_int(node, sizes: dict) -> int:
    """A constant integer expression over numbers and size names (slice bounds, reshape, axis)."""
    if isinstance(node, Num) and node.value.denominator == 1:
        return int(node.value)
    if isinstance(node, Name) and node.id in sizes:
        return sizes[node.id]
    if isinstance(node, Neg):
        return -const_int(node.x, sizes)
    if isinstance(node, Bin) and node.op in ("+", "-", "*"):
        a, b = const_int(node.a, sizes), const_int(node.b, sizes)
        return a + b if node.op == "+" else a - b if node.op == "-" else a * b
    raise FormulaError("expected a constant integer (a number or a size name)")


def axes(node: Call, ndim: int, sizes: dict) -> tuple | None:
    """The ``axis=`` of a reduction as a sorted tuple of non-negative axes (None: all)."""
    a = node.get("axis")
    if a is None or (isinstance(a, Const) and a.value is None):
        return None
    items = a.items if isinstance(a, Tuple) else (a,)
    out = []
    for it in items:
        k = const_int(it, sizes)
        if not -ndim <= k < ndim:
            raise FormulaError(f"{node.fn}: axis {k} is out of range for a {ndim}-D tensor")
        out.append(k % ndim)
    return tuple(sorted(set(out)))


def keepdims(node: Call) -> bool:
    k = node.get("keepdims")
    if k is None:
        return False
    if isinstance(k, Const) and isinstance(k.value, bool):
        return k.value
    raise FormulaError(f"{node.fn}: keepdims must be True or False")


def reduced(shape: tuple, ax: tuple | None, keep: bool) -> tuple:
    ax = tuple(range(len(shape))) if ax is None else ax
    if keep:
        return tuple(1 if i in ax else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in ax)


def matmul(a: tuple, b: tuple) -> tuple:
    bad = FormulaError(f"cannot matmul {fmt(a)} @ {fmt(b)}")
    if not a or not b or len(b) > 2:
        raise bad
    if a[-1] != b[0]:
        raise bad
    return a[:-1] + b[1:]


def dims(node, sizes: dict) -> tuple:
    """A shape written as a tuple of constant integers (or one integer)."""
    items = node.items if isinstance(node, Tuple) else (node,)
    return tuple(const_int(it, sizes) for it in items)


def reshape_to(shape: tuple, node, sizes: dict) -> tuple:
    dims_ = list(dims(node, sizes))
    total = 1
    for n in shape:
        total *= n
    if dims_.count(-1) > 1 or any(d < -1 or d == 0 for d in dims_):
        raise FormulaError(f"cannot reshape {fmt(shape)} to {tuple(dims_)}")
    known = 1
    for d in dims_:
        known *= d if d != -1 else 1
    if -1 in dims_:
        if total % known:
            raise FormulaError(f"cannot reshape {fmt(shape)} to {tuple(dims_)}")
        dims_[dims_.index(-1)] = total // known
    if _prod(dims_) != total:
        raise FormulaError(f"cannot reshape {fmt(shape)} ({total} entries) to {fmt(tuple(dims_))}")
    return tuple(dims_)


def _prod(dims) -> int:
    out = 1
    for d in dims:
        out *= d
    return out


def index(x: Info, items: tuple, env: dict, sizes: dict) -> tuple:
    """NumPy indexing: integers drop an axis, slices keep it, None adds one, integer arrays gather."""
    shape, out, axis, arrays, where = x.shape, [], 0, [], None
    for it in items:
        if isinstance(it, Const) and it.value is None:
            out.append(1)
            continue
        if axis >= len(shape):
            raise FormulaError(f"too many indices for a {len(shape)}-D tensor")
        n = shape[axis]
        if isinstance(it, Slice):
            lo = 0 if it.lo is None else const_int(it.lo, sizes)
            hi = n if it.hi is None else const_int(it.hi, sizes)
            lo, hi = lo % n if lo < 0 else lo, hi % n if hi < 0 else hi
            if not 0 <= lo < hi <= n:
                raise FormulaError(f"slice {lo}:{hi} is empty or out of range for an axis of size {n}")
            out.append(hi - lo)
        elif isinstance(it, Name) and it.id in env and env[it.id].integer:
            arrays.append(env[it.id].shape)
            where = len(out) if where is None else where
        elif isinstance(it, Call) and it.fn == "arange":
            m = const_int(it.args[0], sizes)
            if m != n:
                raise FormulaError(f"arange({m}) indexes an axis of size {n}")
            arrays.append((m,))
            where = len(out) if where is None else where
        elif isinstance(it, Name) and it.id in env:
            raise FormulaError(f"{it.id} is not an integer input; only integer inputs may index")
        else:
            k = const_int(it, sizes)
            if not -n <= k < n:
                raise FormulaError(f"index {k} is out of range for an axis of size {n}")
        axis += 1
    out += list(shape[axis:])
    if arrays:
        b = arrays[0]
        for s in arrays[1:]:
            b = broadcast(b, s, ",")
        out[where:where] = list(b)
    return tuple(out)


def infer(node, env: dict, sizes: dict, limit: bool = True) -> Info:
    """The shape of ``node`` (and whether it holds integers)."""
    info = _infer(node, env, sizes, limit)
    if limit and _prod(info.shape) > MAX_ENTRIES:
        raise FormulaError(f"a tensor of shape {fmt(info.shape)} is larger than {MAX_ENTRIES} entries")
    return info


def _infer(node, env: dict, sizes: dict, limit: bool) -> Info:
    if isinstance(node, Num):
        return Info(())
    if isinstance(node, Name):
        if node.id in env:
            return env[node.id]
        if node.id in sizes:
            return Info((), True)
        raise FormulaError(f"unknown name {node.id!r}")
    if isinstance(node, Neg):
        return Info(infer(node.x, env, sizes, limit).shape)
    if isinstance(node, Bin):
        a, b = infer(node.a, env, sizes, limit).shape, infer(node.b, env, sizes, limit).shape
        if node.op == "@":
            return Info(matmul(a, b))
        if node.op == "**" and b:
            raise FormulaError("an exponent must be a number")
        return Info(broadcast(a, b, node.op))
    if isinstance(node, Index):
        x = infer(node.x, env, sizes, limit)
        return Info(index(x, node.items, env, sizes), x.integer)
    if isinstance(node, Scatter):
        return Info(infer(node.x, env, sizes, limit).shape)
    if isinstance(node, (Tuple, Const, Slice)):
        raise FormulaError("a tuple, True/False/None or a slice is not a tensor")
    if not isinstance(node, Call):
        raise FormulaError(f"unexpected {type(node).__name__}")
    fn = node.fn
    if fn == "arange":
        raise FormulaError("arange/range is only allowed as an index")
    if fn == "stack":
        if not isinstance(node.args[0], Tuple):
            raise FormulaError("stack takes a list of tensors: stack([a, b])")
        parts = [infer(x, env, sizes, limit).shape for x in node.args[0].items]
        if any(p != parts[0] for p in parts):
            raise FormulaError("stack: the tensors have different shapes " + ", ".join(map(fmt, parts)))
        k = const_int(node.get("axis", Num(Fraction(0))), sizes)
        if not 0 <= k <= len(parts[0]):
            raise FormulaError(f"stack: axis {k} is out of range")
        return Info(parts[0][:k] + (len(parts),) + parts[0][k:])
    x = infer(node.args[0], env, sizes, limit)
    s = x.shape
    if fn in ("sum", "mean", "max"):
        return Info(reduced(s, axes(node, len(s), sizes), keepdims(node)))
    if fn in ("softmax", "log_softmax"):
        if node.get("axis") is None and len(s) > 1:
            raise FormulaError(f"{fn} of a {len(s)}-D tensor needs axis=")
        axes(node, len(s), sizes)
        return Info(s)
    if fn == "transpose":
        if len(s) > 2:
            raise FormulaError(f"transpose of a {len(s)}-D tensor: reshape it first")
        return Info(tuple(reversed(s)))
    if fn == "reshape":
        return Info(reshape_to(s, node.args[1], sizes))
    if fn == "broadcast_to":
        target = dims(node.args[1], sizes)
        if broadcast(s, target, "to") != target:
            raise FormulaError(f"cannot broadcast {fmt(s)} to {fmt(target)}")
        return Info(target)
    if fn == "one_hot":
        if not x.integer:
            raise FormulaError("one_hot takes an integer input")
        return Info(s + (const_int(node.args[1], sizes),))
    return Info(s)     # elementwise: exp log tanh sigmoid relu sqrt float ones_like zeros_like
