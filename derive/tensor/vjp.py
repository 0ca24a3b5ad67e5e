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
from .builder import ALL, ONE, TWO, Builder  # noqa: F401  (Builder: the c every rule writes with)
from .tree import Bin, Call, Index, Neg, Num

HALF = Num(Fraction(1, 2))
ERF_SCALE = Bin("/", TWO, Call("sqrt", (Call("pi", ()),)))     # erf'(x) = 2/sqrt(pi) e^(-x^2)


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
    # erf(x): g 2/sqrt(pi) e^(-x^2)
    "erf": lambda g, node, y, c: (c.mul(g, c.mul(ERF_SCALE, Call("exp", (c.neg(c.pow(node.args[0], 2)),)))),),
    "float": lambda g, node, y, c: (g,),
    "transpose": lambda g, node, y, c: (c.transposed(g),),                          # g^T
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
    "argmax": lambda g, node, y, c: (None,),
    "ones_like": lambda g, node, y, c: (None,),
    "zeros_like": lambda g, node, y, c: (None,),
    "compare": lambda g, node, y, c: (None, None),
    # stack: each stacked tensor gets its slice of g
    "stack": lambda g, node, y, c: tuple(c.take(g, k, node) for k in range(len(node.args[0].items))),
    # concatenate: each part gets the slice of g it filled
    "concatenate": lambda g, node, y, c: c.cut(g, node),
    # |x|: g sign(x) (0 at x = 0, as PyTorch)
    "abs": lambda g, node, y, c: (c.mul(g, Call("sign", node.args[:1])),),
    "sign": lambda g, node, y, c: (None,),
    "pi": lambda g, node, y, c: (),
    "shape": lambda g, node, y, c: (None,),
    # min: g goes to the entries that were the minimum
    "min": lambda g, node, y, c: (c.mul(c.spread(g, node, ones=False),
                                        Bin("==", node.args[0], c.expand(y, node))),),
    # var over n entries with ddof: g 2 (x - mean(x)) / (n - ddof)
    "var": lambda g, node, y, c: (c.div(c.mul(c.expand(g, node), c.mul(TWO, c.centred(node))), c.dof(node)),),
    # permute / swapaxes: g put back in the original order (the inverse permutation)
    "permute": lambda g, node, y, c: (c.unpermute(g, node),),
    "swapaxes": lambda g, node, y, c: (g.args[0] if isinstance(g, Call) and g.fn == "swapaxes" and g.args[1:] == node.args[1:]
                                       else Call("swapaxes", (g,) + node.args[1:]),),
    # pad: g without the padding (the slice the input filled)
    "pad": lambda g, node, y, c: (c.unpad(g, node),),
    # maximum / minimum: g to the larger (smaller) argument; a tie splits g in half (PyTorch's convention)
    "maximum": lambda g, node, y, c: _pick(g, node, ">", c),
    "minimum": lambda g, node, y, c: _pick(g, node, "<", c),
    # where(cond, a, b): g to a where cond holds, to b elsewhere; cond has no gradient
    "where": lambda g, node, y, c: (None, c.unbroadcast(Call("where", (node.args[0], g, Num(Fraction(0)))), node.args[1]),
                                    c.unbroadcast(Call("where", (node.args[0], Num(Fraction(0)), g)), node.args[2])),
    # clip(x, lo, hi): g where lo <= x <= hi (PyTorch's clamp passes the gradient at the bounds)
    "clip": lambda g, node, y, c: (c.mul(g, c.inside(node)),),
    # einsum: each operand's gradient is the einsum of g with the other operands
    "einsum": lambda g, node, y, c: c.einsum_vjp(g, node),
}


def _pick(g, node, op, c):
    a, b = node.args
    tie = c.mul(HALF, Bin("==", a, b))
    return (c.unbroadcast(c.mul(g, Bin("+", Bin(op, a, b), tie)), a),
            c.unbroadcast(c.mul(g, Bin("+", Bin(op, b, a), tie)), b))


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
    if isinstance(node, Call) and node.fn in ("stack", "concatenate"):
        return RULES[node.fn], node.args[0].items
    if isinstance(node, Call) and node.fn in RULES:
        if node.fn in ("one_hot", "maximum", "minimum", "where"):
            return RULES[node.fn], node.args
        if node.fn == "einsum":
            return RULES[node.fn], node.args[1:]
        return RULES[node.fn], node.args[:1] if node.args else ()
    raise DeriveError(f"no vector-Jacobian product rule for {getattr(node, 'fn', type(node).__name__)}")


