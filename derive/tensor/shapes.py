"""Shapes of tensor expressions, inferred as NumPy would compute them (broadcasting included).

``infer(node, env, sizes)`` gives a node's shape (a tuple of ints) or raises FormulaError with a one-line
reason (``cannot matmul (4, 5) @ (3, 3)``); the caller adds the assignment's name.  ``env`` maps names
to :class:`Info` (shape, and whether the tensor holds integers: an index input).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import FormulaError, NotRead
from .axes import axis_of, const_int, ddof, einsum_spec, pad_widths, permutation, slice_range  # noqa: F401
from .tree import Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple, walk

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
    if isinstance(k, Num) and k.value in (0, 1):      # NumPy reads keepdims=1 as True
        return bool(k.value)
    raise NotRead(f"{node.fn}: keepdims must be True or False")


def reduced(shape: tuple, ax: tuple | None, keep: bool) -> tuple:
    ax = tuple(range(len(shape))) if ax is None else ax
    if keep:
        return tuple(1 if i in ax else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in ax)


def matmul(a: tuple, b: tuple) -> tuple:
    """NumPy's matmul: vectors promoted, stacks of matrices broadcast over their leading axes."""
    bad = FormulaError(f"cannot matmul {fmt(a)} @ {fmt(b)}")
    if not a or not b:
        raise bad
    a2 = (1,) + a if len(a) == 1 else a
    b2 = b + (1,) if len(b) == 1 else b
    if a2[-1] != b2[-2]:
        raise bad
    try:
        lead = broadcast(a2[:-2], b2[:-2], "@")
    except FormulaError:
        raise bad from None
    out = lead + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


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


def expand_ellipsis(items: tuple, ndim: int) -> tuple:
    """x[..., k] with the ... replaced by as many ':' as the axes it stands for."""
    dots = [i for i, it in enumerate(items) if isinstance(it, Const) and it.value is Ellipsis]
    if not dots:
        return items
    if len(dots) > 1:
        raise FormulaError("an index can have only one '...'")
    used = sum(1 for it in items if not (isinstance(it, Const) and it.value in (None, Ellipsis)))
    k = dots[0]
    return items[:k] + (Slice(None, None),) * max(ndim - used, 0) + items[k + 1:]


def index(x: Info, items: tuple, env: dict, sizes: dict) -> tuple:
    """NumPy indexing: integers drop an axis, slices keep it, None adds one, integer arrays gather."""
    shape, out, axis, arrays, where = x.shape, [], 0, [], None
    items = expand_ellipsis(items, len(shape))
    for it in items:
        if isinstance(it, Const) and it.value is None:
            out.append(1)
            continue
        if axis >= len(shape):
            raise FormulaError(f"too many indices for a {len(shape)}-D tensor")
        n = shape[axis]
        if isinstance(it, Slice):
            out.append(len(slice_range(it, n, sizes)))
        elif isinstance(it, Name) and it.id in env and env[it.id].integer:
            arrays.append(env[it.id].shape)
            where = len(out) if where is None else where
        elif isinstance(it, Index) and _integer(it, env, sizes):       # ids[i, j]: an integer picked from ids
            arrays.append(infer(it, env, sizes).shape)
            where = len(out) if where is None else where
        elif isinstance(it, Call) and it.fn == "arange":
            m = const_int(it.args[0], sizes)
            if m != n:
                raise FormulaError(f"arange({m}) indexes an axis of size {n}")
            arrays.append((m,))
            where = len(out) if where is None else where
        elif isinstance(it, Name) and it.id in env:
            raise NotRead(f"{it.id} is not an integer input; only integer inputs may index")
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
            raise NotRead("an exponent must be a number")
        return Info(broadcast(a, b, node.op))
    if isinstance(node, Index):
        x = infer(node.x, env, sizes, limit)
        return Info(index(x, node.items, env, sizes), x.integer)
    if isinstance(node, Scatter):
        return Info(infer(node.x, env, sizes, limit).shape)
    if isinstance(node, Const) and isinstance(node.value, str):
        raise NotRead("a string is not a tensor (a string is read only as einsum's subscripts)")
    if isinstance(node, (Tuple, Const, Slice)):
        raise NotRead("a tuple, True/False/None or a slice is not a tensor")
    if not isinstance(node, Call):
        raise NotRead(f"unexpected {type(node).__name__}")
    fn = node.fn
    if fn == "arange":
        raise NotRead("arange/range is only allowed as an index")
    if fn == "pi":
        return Info(())
    if fn in ("stack", "concatenate"):
        return Info(joined(node, [infer(x, env, sizes, limit).shape for x in _parts(node)], sizes))
    if fn == "einsum":
        ins, out = einsum_spec(node, [len(infer(x, env, sizes, limit).shape) for x in node.args[1:]])
        dim = {}
        for sub, x in zip(ins, node.args[1:]):
            for ch, n in zip(sub, infer(x, env, sizes, limit).shape):
                if dim.setdefault(ch, n) != n:
                    raise FormulaError(f"einsum: axis '{ch}' has sizes {dim[ch]} and {n}")
        return Info(tuple(dim[ch] for ch in out))
    if fn in ("maximum", "minimum", "where"):
        shapes_ = [infer(x, env, sizes, limit).shape for x in node.args]
        out = shapes_[0]
        for sh in shapes_[1:]:
            out = broadcast(out, sh, fn)
        return Info(out)
    x = infer(node.args[0], env, sizes, limit)
    s = x.shape
    if fn == "shape":
        return Info((len(s),), True)
    if fn in ("sum", "mean", "max", "min", "var"):
        ax = axes(node, len(s), sizes)
        if fn == "var" and _count(s, ax) <= ddof(node):
            raise FormulaError(f"var: ddof={ddof(node)} needs more than {_count(s, ax)} entries")
        return Info(reduced(s, ax, keepdims(node)))
    if fn in ("permute", "swapaxes"):
        return Info(tuple(s[k] for k in permutation(node, len(s), sizes)))
    if fn == "pad":
        return Info(tuple(n + a + b for n, (a, b) in zip(s, pad_widths(node, len(s), sizes))))
    if fn == "clip":
        for key in ("min", "max"):
            v = node.get(key)
            if v is not None and any(isinstance(n, Name) and n.id not in sizes for n in walk(v)):
                raise NotRead("clip's bounds must be numbers; for a tensor bound write maximum/minimum")
            if v is not None and not (isinstance(v, Const) and v.value is None):
                broadcast(s, infer(v, env, sizes, limit).shape, "clip")
        return Info(s)
    if fn in ("softmax", "log_softmax"):
        if node.get("axis") is None and len(s) > 1:
            raise NotRead(f"{fn} of a {len(s)}-D tensor needs axis=")
        axes(node, len(s), sizes)
        return Info(s)
    if fn == "transpose":
        return Info(tuple(reversed(s)))
    if fn == "reshape":
        if isinstance(node.args[1], Call) and node.args[1].fn == "shape":     # x.view(emb.shape)
            target = infer(node.args[1].args[0], env, sizes, limit).shape
            if _prod(target) != _prod(s):
                raise FormulaError(f"cannot reshape {fmt(s)} to {fmt(target)}")
            return Info(target)
        return Info(reshape_to(s, node.args[1], sizes))
    if fn == "broadcast_to":
        target = dims(node.args[1], sizes)
        if broadcast(s, target, "to") != target:
            raise FormulaError(f"cannot broadcast {fmt(s)} to {fmt(target)}")
        return Info(target)
    if fn == "one_hot":
        if not x.integer:
            raise NotRead("one_hot takes an integer input")
        return Info(s + (size_of(node.args[1], env, sizes),))
    if fn == "argmax":
        return Info(reduced(s, axes(node, len(s), sizes), keepdims(node)), True)
    return Info(s)     # elementwise: exp log tanh sigmoid relu sqrt abs sign float ones_like zeros_like


def size_of(node, env: dict, sizes: dict) -> int:
    """A constant integer, also read from a tensor's shape (logits.shape[1])."""
    if isinstance(node, Index) and isinstance(node.x, Call) and node.x.fn == "shape" and len(node.items) == 1:
        shape = infer(node.x.args[0], env, sizes).shape
        k = const_int(node.items[0], sizes)
        if not -len(shape) <= k < len(shape):
            raise FormulaError(f"shape[{k}] of a {len(shape)}-D tensor")
        return shape[k]
    return const_int(node, sizes)


def _integer(node, env: dict, sizes: dict) -> bool:
    try:
        return infer(node, env, sizes).integer
    except FormulaError:
        return False


def _parts(node: Call) -> tuple:
    if not isinstance(node.args[0], Tuple):
        raise FormulaError(f"{node.fn} takes a list of tensors: {node.fn}([a, b])")
    return node.args[0].items


def joined(node: Call, parts: list, sizes: dict) -> tuple:
    """The shape of stack / concatenate of tensors with these shapes."""
    if node.fn == "stack":
        if any(p != parts[0] for p in parts):
            raise FormulaError("stack: the tensors have different shapes " + ", ".join(map(fmt, parts)))
        k = axis_of(node.get("axis", Num(Fraction(0))), len(parts[0]), sizes, "stack", extra=1)
        return parts[0][:k] + (len(parts),) + parts[0][k:]
    if not parts[0]:
        raise FormulaError("concatenate: zero-dimensional tensors cannot be concatenated")
    k = axis_of(node.get("axis", Num(Fraction(0))), len(parts[0]), sizes, "concatenate")
    if any(len(p) != len(parts[0]) or p[:k] + p[k + 1:] != parts[0][:k] + parts[0][k + 1:] for p in parts):
        raise FormulaError("concatenate: the tensors differ off the joining axis " + ", ".join(map(fmt, parts)))
    return parts[0][:k] + (sum(p[k] for p in parts),) + parts[0][k + 1:]


def _count(s: tuple, ax) -> int:
    return _prod([s[i] for i in (ax if ax is not None else range(len(s)))])
