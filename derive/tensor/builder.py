"""The builder the rules table writes with: simplified gradient trees, shapes and dimension names.

``vjp.RULES`` entries call ``c.mul``/``c.add``/... to build trees that print as a lecturer writes
them, ``c.unbroadcast`` to sum a gradient back to its tensor's shape, ``c.spread``/``c.expand`` to
copy a reduction's gradient back along its axes, and ``c.dim_tree`` to name a dimension by its sizes.
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import DeriveError
from .axes import axis_of
from .indexing import _without_ones, put_back
from .shapes import axes, infer, keepdims
from .tree import Bin, Call, Const, Index, Name, Neg, Num, Slice, Tuple, const_fraction

ONE, TWO = Num(Fraction(1)), Num(Fraction(2))
ALL = Slice(None, None)


class Builder:
    """Builds simplified gradient trees; knows every tree's shape and every dimension's size name."""

    def __init__(self, env: dict, sizes: dict, sym_env: dict, sym_sizes: dict):
        self.env, self.sizes, self.sym_env, self.sym_sizes = env, sizes, sym_env, sym_sizes
        self.primes = {p: n for n, p in sym_sizes.items() if sizes.get(n) != p}

    def shape(self, t) -> tuple:
        return infer(t, self.env, self.sizes, limit=False).shape

    def dim_tree(self, n: int):
        """A dimension as a tree over size names (N, T*E), found by factoring over the sizes' primes."""
        out = None
        for p, name in sorted(self.primes.items()):
            while n % p == 0:
                n //= p
                out = Name(name) if out is None else Bin("*", out, Name(name))
        same = [name for name, small in self.sizes.items() if small == n and name not in self.primes.values()]
        if out is None and len(same) == 1 and n > 1:      # a fixed size with a value no other size has
            return Name(same[0])
        if n != 1 or out is None:
            num = Num(Fraction(n))
            return num if out is None else Bin("*", out, num)
        return out

    def sizes_small(self, n: int) -> int:
        """A dimension given as a number (no size name): the same number at every size."""
        return n

    def dims(self, t):
        return Tuple(tuple(self.dim_tree(n) for n in infer(t, self.sym_env, self.sym_sizes, limit=False).shape))

    # --- trees, simplified as they are built ---
    def neg(self, a):
        if isinstance(a, Neg):
            return a.x
        if isinstance(a, Num):
            return Num(-a.value)
        return Neg(a)

    def mul(self, a, b):
        if isinstance(a, Num) and isinstance(b, Num):
            return Num(a.value * b.value)
        if a == ONE:
            return b
        if b == ONE:
            return a
        if isinstance(a, Neg):
            return self.neg(self.mul(a.x, b))
        if isinstance(b, Neg):
            return self.neg(self.mul(a, b.x))
        for x, other in ((a, b), (b, a)):   # (g * ones_like(s)) * other: the ones are other's shape
            found = _without_ones(x)
            if found is not None and self.shape(other) == self.shape(found[1]):
                return self.mul(found[0], other)
        return Bin("*", a, b)

    def div(self, a, b):
        if b == ONE:
            return a
        if isinstance(a, Neg):
            return self.neg(self.div(a.x, b))
        if isinstance(a, Num) and isinstance(b, Num):
            return Num(a.value / b.value)
        return Bin("/", a, b)

    def add(self, a, b):
        if isinstance(b, Neg):
            return self.sub(a, b.x)
        return Bin("+", a, b)

    def sub(self, a, b):
        if isinstance(b, Neg):
            return Bin("+", a, b.x)
        return Bin("-", a, b)

    def pow(self, a, k):
        return Bin("**", a, Num(Fraction(k)))

    # --- broadcasting, both ways ---
    def unbroadcast(self, g, x):
        """Sum g over the axes that broadcasting added (leading) or stretched (size 1 in x)."""
        gs, xs = self.shape(g), self.shape(x)
        if gs == xs:
            return g
        lead = len(gs) - len(xs)
        out = g
        if lead > 0:
            ax = tuple(range(lead))
            out = Call("sum", (out,), (("axis", _axis_tree(ax)),)) if xs else Call("sum", (out,))
        stretched = tuple(i for i, n in enumerate(xs) if n == 1 and gs[lead + i] != 1)
        if stretched:
            out = Call("sum", (out,), (("axis", _axis_tree(stretched)), ("keepdims", Const(True))))
        return out

    def expand(self, g, node: Call):
        """g with the reduced axes of ``node`` put back as size 1 (g[:, None])."""
        x = node.args[0]
        nd = len(self.shape(x))
        ax = axes(node, nd, self.sizes)
        if ax is None or keepdims(node) or not self.shape(g):
            return g
        if ax == tuple(range(len(ax))):      # leading axes: broadcasting puts them back by itself
            return g
        items = tuple(Const(None) if i in ax else ALL for i in range(nd))
        while items and items[-1] == ALL:
            items = items[:-1]
        return Index(g, items)

    def spread(self, g, node: Call, ones: bool = True):
        """The gradient of a sum: g copied along the summed axes, to the summed tensor's shape."""
        e = self.expand(g, node)
        if not ones:
            return e
        return Call("ones_like", (node.args[0],)) if e == ONE else Bin("*", e, Call("ones_like", (node.args[0],)))

    def total(self, t, node: Call):
        """sum(t, axis=node's axis, keepdims=True)."""
        ax = node.get("axis")
        kw = (("axis", ax), ("keepdims", Const(True))) if ax is not None else ()
        return Call("sum", (t,), kw)

    def count(self, node: Call):
        x = node.args[0]
        nd = len(self.shape(x))
        ax = axes(node, nd, self.sizes)
        return self.count_of(x, ax)

    def count_of(self, x, ax=None):
        shape = infer(x, self.sym_env, self.sym_sizes, limit=False).shape
        n = _prod([shape[i] for i in (ax if ax is not None else range(len(shape)))])
        return self.dim_tree(n)

    def scatter(self, g, node: Index):
        """The gradient of indexing: g put back where x[items] took it (see ``indexing``)."""
        return put_back(self, g, node)

    def power_rule(self, g, a, b):
        """g p a^(p-1) for a number p (2 a for a square)."""
        p = const_fraction(b, self.sizes)
        if p == 2:
            return self.mul(g, self.mul(TWO, a))
        if p == 1:
            return g
        return self.mul(g, self.mul(Num(p), self.pow(a, p - 1)))

    def take(self, g, k: int, node: Call):
        """g[:, k] along the stacking axis of ``node``."""
        axis = axis_of(node.get("axis", Num(Fraction(0))), len(self.shape(node.args[0].items[0])), self.sizes,
                       "stack", extra=1)
        return Index(g, (ALL,) * axis + (Num(Fraction(k)),))

    def transposed(self, g):
        """g^T; (A B)^T is written B^T A^T for matrices, (x^T)^T is x."""
        if isinstance(g, Bin) and g.op == "@" and len(self.shape(g.a)) == 2 and len(self.shape(g.b)) == 2:
            return Bin("@", transpose(g.b), transpose(g.a))
        return transpose(g)

    # --- the newer ops' pieces (concatenate, var, permute, pad, clip, einsum) ---
    def cut(self, g, node: Call):
        """The slices of g each concatenated part filled, bounds in size names (N, 2*D)."""
        parts = node.args[0].items
        nd = len(self.shape(parts[0]))
        axis = axis_of(node.get("axis", Num(Fraction(0))), nd, self.sizes, "concatenate")
        out, lo = [], None
        for p in parts:
            n = self.dim_tree(infer(p, self.sym_env, self.sym_sizes, limit=False).shape[axis])
            hi = n if lo is None else _plus(lo, n)
            item = Slice(lo, hi if p is not parts[-1] else None)
            out.append(Index(g, (ALL,) * axis + (item,)))
            lo = hi
        return tuple(out)

    def centred(self, node: Call):
        """x - mean(x) over var's axes (keepdims, so it broadcasts against x)."""
        x = node.args[0]
        kw = tuple((k, v) for k, v in node.kw if k == "axis")
        return Bin("-", x, Call("mean", (x,), kw + ((("keepdims", Const(True)),) if kw else ())))

    def dof(self, node: Call):
        n = self.count(node)
        d = int(node.get("ddof", Num(Fraction(0))).value)
        return n if d == 0 else Bin("-", n, Num(Fraction(d)))

    def unpermute(self, g, node: Call):
        from .axes import inverse, permutation
        order = inverse(permutation(node, len(self.shape(node.args[0])), self.sizes))
        return Call("permute", (g, Tuple(tuple(Num(Fraction(k)) for k in order))))

    def unpad(self, g, node: Call):
        from .axes import pad_widths
        widths = pad_widths(node, len(self.shape(node.args[0])), self.sizes)
        items = tuple(ALL if (a, b) == (0, 0) else Slice(Num(Fraction(a)) if a else None,
                                                          Num(Fraction(-b)) if b else None) for a, b in widths)
        while items and items[-1] == ALL:
            items = items[:-1]
        return Index(g, items) if items else g

    def inside(self, node: Call):
        """[lo <= x <= hi] for clip's given bounds."""
        x, mask = node.args[0], None
        for key, op in (("min", ">="), ("max", "<=")):
            v = node.get(key)
            if v is None or isinstance(v, Const) and v.value is None:
                continue
            m = Bin(op, x, v)
            mask = m if mask is None else Bin("*", mask, m)
        return mask if mask is not None else ONE

    def einsum_vjp(self, g, node: Call):
        from .axes import einsum_spec
        ops = node.args[1:]
        ins, out = einsum_spec(node, [len(self.shape(x)) for x in ops])
        grads = []
        for k, sub in enumerate(ins):
            others = [(s, x) for j, (s, x) in enumerate(zip(ins, ops)) if j != k]
            seen = out + "".join(s for s, _ in others)
            if len(set(sub)) != len(sub) or any(ch not in seen for ch in sub):
                raise DeriveError(f"einsum '{node.args[0].value}': operand {k + 1} has an axis summed on its own "
                                  "or a repeated letter; write that step with sum and @")
            spec = ",".join([out] + [s for s, _ in others]) + "->" + sub
            grads.append(Call("einsum", (Const(spec), g) + tuple(x for _, x in others)))
        return tuple(grads)

    def matmul_vjp(self, g, a, b):
        """C = A @ B: dA = dC B^T, dB = A^T dC (vectors and stacked A handled as NumPy shapes them)."""
        sa, sb = self.shape(a), self.shape(b)
        T = transpose
        if len(sa) == 1 and len(sb) == 1:
            return self.mul(g, b), self.mul(g, a)
        if len(sb) == 1:                            # (n, k) @ (k,): dA = g[:, None] b, dB = A^T g
            if len(sa) > 2:
                raise DeriveError("matmul of a 3-D tensor with a vector: reshape it to 2-D first")
            return self.mul(Index(g, (ALL, Const(None))), b), Bin("@", T(a), g)
        if len(sa) == 1:                            # (k,) @ (k, m): dA = B g, dB = a[:, None] g
            return Bin("@", b, g), self.mul(Index(a, (ALL, Const(None))), g)
        if len(sa) == 2 and len(sb) == 2:
            return Bin("@", g, T(b)), Bin("@", T(a), g)
        if len(sb) > 2:                             # stacks of matrices: the last two axes, batch summed back
            S = swap_last
            return self.unbroadcast(Bin("@", g, S(b)), a), self.unbroadcast(Bin("@", S(a), g), b)
        k, m = self.dim_tree(sa[-1]), self.dim_tree(sb[-1])
        flat = lambda t, n: Call("reshape", (t, Tuple((Num(Fraction(-1)), n))))   # noqa: E731
        return Bin("@", g, T(b)), Bin("@", T(flat(a, k)), flat(g, m))


def transpose(t):
    """t^T, with (x^T)^T = x."""
    if isinstance(t, Call) and t.fn == "transpose":
        return t.args[0]
    return Call("transpose", (t,))


def swap_last(t):
    """t with its last two axes swapped (the batched transpose); swapping back gives t."""
    last = (Num(Fraction(-2)), Num(Fraction(-1)))
    if isinstance(t, Call) and t.fn == "swapaxes" and t.args[1:] == last:
        return t.args[0]
    return Call("swapaxes", (t,) + last)


def _plus(a, b):
    if isinstance(a, Num) and isinstance(b, Num):
        return Num(a.value + b.value)
    return Bin("+", a, b)


def _axis_tree(ax: tuple):
    return Num(Fraction(ax[0])) if len(ax) == 1 else Tuple(tuple(Num(Fraction(a)) for a in ax))


def _prod(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out
