"""THE table of vector-Jacobian products: one entry per op, as the formula a lecturer prints.

Each entry is ``RULES[op](g, node, y, c) -> (dA, dB, ...)``, one gradient tree per argument of the
forward ``node`` (None: no gradient flows there).  In scope: ``g`` the gradient arriving at the
node's value (a tree), ``node`` the forward tree whose arguments are ``node.a``/``node.b`` (binary
ops) or ``node.args`` (calls), ``y`` a tree for the node's own value (its name when it is a whole
assignment), and ``c`` the builder: ``c.mul``/``c.add``/... build simplified trees, ``c.shape(t)``
is a tree's shape, and ``c.unbroadcast(g, x)`` sums ``g`` over the axes broadcasting added or
stretched to reach ``x``'s shape.  Every elementwise rule ends in ``unbroadcast``: broadcasting in
the forward pass is a sum in the backward pass, here and nowhere else.  An op without an entry
fails loudly, naming it.
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import DeriveError
from .grammar import Bin, Call, Const, Index, Name, Neg, Num, Slice, Tuple
from .indexing import _without_ones, put_back
from .shapes import axes, infer, keepdims

ONE, TWO = Num(Fraction(1)), Num(Fraction(2))
ALL = Slice(None, None)


def _binary(op):
    return lambda g, node, y, c: RULES_BINARY[op](g, node.a, node.b, y, c)


RULES_BINARY = {
    "+": lambda g, a, b, y, c: (c.unbroadcast(g, a), c.unbroadcast(g, b)),
    "-": lambda g, a, b, y, c: (c.unbroadcast(g, a), c.unbroadcast(c.neg(g), b)),
    "*": lambda g, a, b, y, c: (c.unbroadcast(c.mul(g, b), a), c.unbroadcast(c.mul(g, a), b)),
    "/": lambda g, a, b, y, c: (c.unbroadcast(c.div(g, b), a),
                                c.unbroadcast(c.neg(c.div(c.mul(g, a), c.pow(b, 2))), b)),
    # x ** p (p a number): p x^(p-1)
    "**": lambda g, a, b, y, c: (c.power_rule(g, a, b), None),
    "@": lambda g, a, b, y, c: c.matmul_vjp(g, a, b),
}

RULES = {
    "neg": lambda g, node, y, c: (c.neg(g),),
    "exp": lambda g, node, y, c: (c.mul(g, y),),                                   # g e^x
    "log": lambda g, node, y, c: (c.div(g, node.args[0]),),                        # g / x
    "tanh": lambda g, node, y, c: (c.mul(g, c.sub(ONE, c.pow(y, 2))),),            # g (1 - y^2)
    "sigmoid": lambda g, node, y, c: (c.mul(g, c.mul(y, c.sub(ONE, y))),),         # g y (1 - y)
    "relu": lambda g, node, y, c: (c.mul(g, Bin(">", node.args[0], Num(Fraction(0)))),),   # g [x > 0]
    "sqrt": lambda g, node, y, c: (c.div(g, c.mul(TWO, y)),),                      # g / (2 y)
    "float": lambda g, node, y, c: (g,),
    "transpose": lambda g, node, y, c: (Call("transpose", (g,)),),                 # g^T
    "reshape": lambda g, node, y, c: (Call("reshape", (g, c.dims(node.args[0]))),),
    "broadcast_to": lambda g, node, y, c: (c.unbroadcast(g, node.args[0]),),
    # sum / mean over axes: g copied back along the summed axes (divided by their count for mean)
    "sum": lambda g, node, y, c: (c.spread(g, node),),
    "mean": lambda g, node, y, c: (c.div(c.spread(g, node), c.count(node)),),
    # max: g goes to the entries that were the maximum
    "max": lambda g, node, y, c: (c.mul(c.spread(g, node, ones=False),
                                        Bin("==", node.args[0], c.expand(y, node))),),
    # softmax: y (g - sum(g y)) over the softmax axis
    "softmax": lambda g, node, y, c: (c.mul(y, c.sub(g, c.total(c.mul(g, y), node))),),
    # log-softmax: g - softmax(x) sum(g) over the axis
    "log_softmax": lambda g, node, y, c: (c.sub(g, c.mul(Call("softmax", node.args, node.kw), c.total(g, node))),),
    # indexing / embedding lookup: g added back into zeros shaped like x at the same index
    "index": lambda g, node, y, c: (c.scatter(g, node),),
    "one_hot": lambda g, node, y, c: (None, None),
    "ones_like": lambda g, node, y, c: (None,),
    "zeros_like": lambda g, node, y, c: (None,),
    "compare": lambda g, node, y, c: (None, None),
    # stack: each stacked tensor gets its slice of g
    "stack": lambda g, node, y, c: tuple(c.take(g, k, node) for k in range(len(node.args[0].items))),
}


def rule(node):
    """The table entry for a forward node, and the trees its gradients flow to."""
    if isinstance(node, Bin):
        if node.op in RULES_BINARY:
            return _binary(node.op), (node.a, node.b)
        return RULES["compare"], (node.a, node.b)
    if isinstance(node, Neg):
        return RULES["neg"], (node.x,)
    if isinstance(node, Index):
        return RULES["index"], (node.x,)
    if isinstance(node, Call) and node.fn == "stack":
        return RULES["stack"], node.args[0].items
    if isinstance(node, Call) and node.fn in RULES:
        return RULES[node.fn], node.args[:1] if node.fn not in ("one_hot",) else node.args
    raise DeriveError(f"no vector-Jacobian product rule for {getattr(node, 'fn', type(node).__name__)}")


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
        p = b.value if isinstance(b, Num) else -b.x.value
        if p == 2:
            return self.mul(g, self.mul(TWO, a))
        if p == 1:
            return g
        return self.mul(g, self.mul(Num(p), self.pow(a, p - 1)))

    def take(self, g, k: int, node: Call):
        """g[:, k] along the stacking axis of ``node``."""
        from .shapes import const_int
        axis = const_int(node.get("axis", Num(Fraction(0))), self.sizes)
        return Index(g, (ALL,) * axis + (Num(Fraction(k)),))

    def matmul_vjp(self, g, a, b):
        """C = A @ B: dA = dC B^T, dB = A^T dC (vectors and stacked A handled as NumPy shapes them)."""
        sa, sb = self.shape(a), self.shape(b)
        T = lambda t: Call("transpose", (t,))      # noqa: E731
        if len(sa) == 1 and len(sb) == 1:
            return self.mul(g, b), self.mul(g, a)
        if len(sb) == 1:                            # (n, k) @ (k,): dA = g[:, None] b, dB = A^T g
            if len(sa) > 2:
                raise DeriveError("matmul of a 3-D tensor with a vector: reshape it to 2-D first")
            return self.mul(Index(g, (ALL, Const(None))), b), Bin("@", T(a), g)
        if len(sa) == 1:                            # (k,) @ (k, m): dA = B g, dB = a[:, None] g
            return Bin("@", b, g), self.mul(Index(a, (ALL, Const(None))), g)
        if len(sa) == 2:
            return Bin("@", g, T(b)), Bin("@", T(a), g)
        k, m = self.dim_tree(sa[-1]), self.dim_tree(sb[-1])
        flat = lambda t, n: Call("reshape", (t, Tuple((Num(Fraction(-1)), n))))   # noqa: E731
        return Bin("@", g, T(b)), Bin("@", T(flat(a, k)), flat(g, m))


def _axis_tree(ax: tuple):
    return Num(Fraction(ax[0])) if len(ax) == 1 else Tuple(tuple(Num(Fraction(a)) for a in ax))


def _prod(xs) -> int:
    out = 1
    for x in xs:
        out *= x
    return out
