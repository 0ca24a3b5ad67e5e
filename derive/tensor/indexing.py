"""The gradient of indexing, written as a student writes it.

``x[items]`` sends g back to where it took its entries.  An embedding lookup ``x[ids]`` (ids an integer
input) gives the one-hot product ``one_hot(ids, V).T @ g`` (rows flattened when ids has more axes); a
pick ``x[arange(N), ids]`` gives ``g[:, None] * one_hot(ids, V)`` (``-one_hot(Yb, V) / N`` for a mean);
constant positions ``w[0]``, ``w[1]``, ... of one axis are gathered by ``total`` into one
``stack([...])``.  Anything else (a slice) stays Scatter(g, x, items): np.add.at into zeros like x.
"""
from __future__ import annotations

from fractions import Fraction

from .grammar import Bin, Call, Const, Index, Name, Num, Scatter, Slice, Tuple
from .shapes import infer

ALL = Slice(None, None)
MINUS_ONE = Num(Fraction(-1))


def put_back(c, g, node: Index):
    """The gradient reaching ``node.x`` from ``node`` = x[items]; ``c`` is the vjp Builder.

    A scalar spread by ones_like stays a scalar (the product and np.add.at broadcast it)."""
    found = _without_ones(g)
    scalar = found is not None and c.shape(found[0]) == ()
    g = found[0] if scalar else g
    return one_hot_form(c, g, node, scalar) or pad_form(c, g, node, scalar) or Scatter(g, node.x, node.items)


def pad_form(c, g, node: Index, scalar: bool):
    """x[a:b, c:d] (plain slices): its gradient is g padded back with zeros, np.pad(g, ((a, n - b), ...))."""
    from .shapes import expand_ellipsis
    xs = infer(node.x, c.sym_env, c.sym_sizes, limit=False).shape
    items = expand_ellipsis(node.items, len(xs))
    if scalar or not items or not all(isinstance(it, Slice) and it.step is None for it in items):
        return None
    widths = []
    for k, n in enumerate(xs):
        it = items[k] if k < len(items) else ALL
        lo = Num(Fraction(0)) if it.lo is None else it.lo
        if not isinstance(lo, Num) or lo.value < 0 or it.hi is not None and not (isinstance(it.hi, Num) and it.hi.value >= 0):
            return None
        n_tree = c.dim_tree(n)
        after = Num(Fraction(0)) if it.hi is None else (
            Num(Fraction(c.sizes_small(n)) - it.hi.value) if isinstance(n_tree, Num) else Bin("-", n_tree, it.hi))
        widths.append(Tuple((Num(Fraction(int(lo.value))), after)))
    if all(w == Tuple((Num(Fraction(0)), Num(Fraction(0)))) for w in widths):
        return g
    return Call("pad", (g, Tuple(tuple(widths))), (("style", Const("numpy")),))


def one_hot_form(c, g, node: Index, scalar: bool):
    """The one-hot product for ``x[ids]`` / ``x[arange(N), ids]`` (ids an integer input), else None."""
    items = node.items
    while len(items) > 1 and items[-1] == ALL:
        items = items[:-1]
    xs = infer(node.x, c.sym_env, c.sym_sizes, limit=False).shape     # dimensions as size names
    is_ids = lambda t: isinstance(t, Name) and t.id in c.env and c.env[t.id].integer   # noqa: E731
    if len(items) == 1 and is_ids(items[0]) and xs:
        ids, V, rest = items[0], c.dim_tree(xs[0]), xs[1:]
        if scalar:
            g = c.mul(g, Call("ones_like", (node,)))
        hot = Call("one_hot", (ids, V))
        flat = len(c.shape(ids)) > 1
        if flat:
            hot = Call("reshape", (hot, Tuple((MINUS_ONE, V))))
        if flat or len(rest) > 1:
            g = Call("reshape", (g, Tuple((MINUS_ONE, c.count_of(node.x, range(1, len(xs))))) if rest else MINUS_ONE))
        out = Bin("@", Call("transpose", (hot,)), g)
        return Call("reshape", (out, c.dims(node.x))) if len(rest) > 1 else out
    if (len(items) == 2 and len(xs) == 2 and isinstance(items[0], Call) and items[0].fn == "arange"
            and is_ids(items[1]) and len(c.shape(items[1])) == 1):
        hot = Call("one_hot", (items[1], c.dim_tree(xs[1])))
        return c.mul(g if scalar else Index(g, (ALL, Const(None))), hot)
    return None


def total(c, shares: list):
    """The sum of a name's gradient shares; pieces put back at constant positions of one axis
    (``w[0]``, ``w[1]``, ``w[2]`` in a convolution) become one ``stack([...])`` of the pieces, and
    padded slices that tile one axis (an LSTM's four gates) one ``concatenate([...])``."""
    joined = _tiles(c, shares)
    if joined is not None:
        return joined
    pieces: dict = {}
    rest = []
    for s in shares:
        at = _constant_position(s)
        if at is None or at in pieces:
            rest.append(s)
        else:
            pieces[at] = s
    if pieces and len({a for a, _ in pieces}) == 1:
        axis = next(iter(pieces))[0]
        x = next(iter(pieces.values())).x
        parts = []
        for k in range(c.shape(x)[axis]):
            spot = Index(x, (ALL,) * axis + (Num(Fraction(k)),))
            s = pieces.get((axis, k))
            if s is None:
                parts.append(Call("zeros_like", (spot,)))
            elif c.shape(s.g) == c.shape(spot):
                parts.append(s.g)
            else:
                parts.append(c.mul(s.g, Call("ones_like", (spot,))))
        rest.insert(0, Call("stack", (Tuple(tuple(parts)),), (("axis", Num(Fraction(axis))),) if axis else ()))
    else:
        rest = list(shares)
    out = rest[0]
    for s in rest[1:]:
        out = c.add(out, s)
    return out


def _constant_position(t):
    """(axis, k) for Scatter(g, x, (:, ..., :, k)) with a constant k (only whole slices before it), else None."""
    if not isinstance(t, Scatter) or not t.items:
        return None
    *lead, last = t.items
    if any(it != ALL for it in lead) or not isinstance(last, Num) or last.value.denominator != 1 or last.value < 0:
        return None
    return len(lead), int(last.value)


def _without_ones(t):
    """(t without its factor ones_like(s), ones_like(s)) if t is a product/quotient holding one, else None."""
    if isinstance(t, Call) and t.fn == "ones_like":
        return Num(Fraction(1)), t
    if isinstance(t, Bin) and t.op == "*":
        if isinstance(t.b, Call) and t.b.fn == "ones_like":
            return t.a, t.b
        for side in ("a", "b"):
            found = _without_ones(getattr(t, side))
            if found is not None:
                return Bin("*", found[0], t.b) if side == "a" else Bin("*", t.a, found[0]), found[1]
    if isinstance(t, Bin) and t.op == "/":
        found = _without_ones(t.a)
        if found is not None:
            return Bin("/", found[0], t.b), found[1]
    return None


def _tiles(c, shares: list):
    """concatenate([g1, g2, ...], axis=k) when the shares are np.pad(g_i, ...) filling one axis end to end."""
    if len(shares) < 2 or not all(isinstance(x, Call) and x.fn == "pad" and isinstance(x.args[1], Tuple)
                                  for x in shares):
        return None
    zero = Tuple((Num(Fraction(0)), Num(Fraction(0))))
    axes_ = {tuple(i for i, w in enumerate(x.args[1].items) if w != zero) for x in shares}
    if len(axes_) != 1 or len(next(iter(axes_))) != 1:
        return None
    (k,) = next(iter(axes_))
    parts = []
    for x in shares:
        before, after = x.args[1].items[k].items
        if not (isinstance(before, Num) and isinstance(after, Num)):
            return None
        parts.append((int(before.value), int(after.value), c.shape(x.args[0])[k], x.args[0]))
    parts.sort(key=lambda p: p[0])
    at = 0
    for before, after, n, _ in parts:
        if before != at:
            return None
        at += n
    if parts[-1][1] != 0:
        return None
    return Call("concatenate", (Tuple(tuple(p[3] for p in parts)),), (("axis", Num(Fraction(k))),) if k else ())
