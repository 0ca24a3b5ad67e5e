"""The functions the tensor grammar reads, and how each spelling becomes one canonical call.

``FUNCS`` lists the canonical functions (the ones the shape, evaluation and rules tables know) with
their positional counts and keywords.  ``SUGAR`` reads the spellings NumPy and PyTorch add on top,
each into a canonical tree: ``np.dot(a, b)``/``a.dot(b)``/``matmul`` are ``a @ b``, ``square(x)`` is
``x ** 2``, ``std`` is ``sqrt(var)``, ``heaviside(x, 0)`` is ``x > 0``, ``x.permute(0, 2, 1)`` and
``x.transpose(1, 2)`` are ``permute``/``swapaxes``, ``torch.max(a, b)`` of two tensors is ``maximum``.
NumPy's defaults hold unless the call is PyTorch's: ``var`` is ``ddof=0`` in NumPy and unbiased in
PyTorch (``torch.var``, or a ``dim=``/``keepdim=``/``unbiased=``/``correction=`` keyword).
"""
from __future__ import annotations

from fractions import Fraction

from ..errors import FormulaError
from .tree import Bin, Call, Const, Index, Neg, Num, Slice, Tuple, const_fraction

AXIS = ("axis", "dim", "keepdims", "keepdim")
# canonical function -> (min positional args, max positional args, keywords it takes)
FUNCS = {
    "exp": (1, 1, ()), "log": (1, 1, ()), "tanh": (1, 1, ()), "sigmoid": (1, 1, ()), "relu": (1, 1, ()),
    "sqrt": (1, 1, ()), "abs": (1, 1, ()), "sign": (1, 1, ()), "erf": (1, 1, ()),
    "softmax": (1, 2, ("axis", "dim")), "log_softmax": (1, 2, ("axis", "dim")),
    "sum": (1, 2, AXIS), "mean": (1, 2, AXIS), "max": (1, 2, AXIS), "min": (1, 2, AXIS),
    "var": (1, 2, AXIS + ("ddof", "correction", "unbiased")),
    "reshape": (2, 9, ()), "transpose": (1, 1, ()), "permute": (2, 2, ()), "swapaxes": (3, 3, ()),
    "one_hot": (2, 2, ("num_classes",)), "broadcast_to": (2, 2, ()), "ones_like": (1, 1, ()),
    "zeros_like": (1, 1, ()), "float": (1, 1, ()), "arange": (1, 1, ()), "stack": (1, 2, ("axis", "dim")),
    "concatenate": (1, 2, ("axis", "dim")), "pad": (2, 2, ("mode", "constant_values", "value", "style")),
    "maximum": (2, 2, ()), "minimum": (2, 2, ()), "where": (3, 3, ()),
    "clip": (1, 3, ("min", "max", "a_min", "a_max")), "einsum": (2, 9, ()), "shape": (1, 1, ()),
    "argmax": (1, 2, AXIS),
}
ALIASES = {"view": "reshape", "t": "transpose", "double": "float", "logsoftmax": "log_softmax",
           "amax": "max", "amin": "min", "expand": "broadcast_to", "range": "arange", "clone": "float",
           "detach": "float", "copy": "float", "contiguous": "float", "cat": "concatenate",
           "concat": "concatenate", "clamp": "clip", "swapdims": "swapaxes", "absolute": "abs",
           "permute_dims": "permute"}
PREFIXES = {"np", "numpy", "torch", "F", "nn", "functional", "math", "special", "scipy", "jnp"}
CONSTANTS = {"pi": Call("pi", ()), "newaxis": Const(None)}
REDUCTIONS = ("sum", "mean", "max", "min", "var", "softmax", "log_softmax", "stack", "concatenate", "argmax")


def _two(op):
    return lambda args, kw, style: Bin(op, *_n(args, kw, 2, op))


def _n(args, kw, n, what):
    if len(args) != n or kw:
        raise FormulaError(f"{what} takes {n} argument(s)")
    return args


def _zero_ones(args, kw, style):
    (x,) = _n(args, kw, 1, "heaviside")
    return x


def _filled(value: int):
    """np.zeros(X.shape) / np.zeros((N, V)) (and ones): a tensor of that shape, every entry ``value``."""
    def make(args, kw, style):
        kw = tuple((k, v) for k, v in kw if k != "dtype")
        (shape,) = _n(args, kw, 1, "zeros" if value == 0 else "ones")
        if isinstance(shape, Call) and shape.fn == "shape":
            return Call("zeros_like" if value == 0 else "ones_like", shape.args)
        dims = shape if isinstance(shape, Tuple) else Tuple((shape,))
        return make_call("broadcast_to", (Num(Fraction(value)), dims), ())
    return make


def _heaviside(args, kw, style):
    x, h0 = _n(args, kw, 2, "heaviside")
    step = Bin(">", x, Num(Fraction(0)))
    try:
        h = const_fraction(h0)
    except FormulaError:
        raise FormulaError("heaviside(x, h0): h0 must be a number") from None
    return step if h == 0 else Bin("+", step, Bin("*", Num(h), Bin("==", x, Num(Fraction(0)))))


def _std(args, kw, style):
    return Call("sqrt", (make_call("var", args, kw, style),))


def _outer(args, kw, style):
    a, b = _n(args, kw, 2, "outer")
    return Bin("*", Index(a, (Slice(None, None), Const(None))), b)


def entry_count(x):
    """NumPy's x.size and np.size(x): how many entries x has (torch's x.size() is its shape)."""
    return Call("sum", (Call("ones_like", (x,)),))


def _size(args, kw, style):
    if not args or len(args) > 2 or kw:
        raise FormulaError("size() takes at most one axis")
    if style in ("np", "numpy") and len(args) == 1:
        return entry_count(args[0])
    s = Call("shape", (args[0],))
    return Index(s, (args[1],)) if len(args) == 2 else s


def _transpose(args, kw, style):
    x, rest = args[0], args[1:]
    axes_ = dict(kw).get("axes")
    if axes_ is not None:
        rest = (axes_,)
    if not rest:
        return Call("transpose", (x,))
    if len(rest) == 1 and isinstance(rest[0], Tuple):
        return Call("permute", (x, rest[0]))
    if len(rest) == 2 and (style in ("method", "torch", "F")):
        return Call("swapaxes", (x,) + tuple(rest))
    return Call("permute", (x, Tuple(tuple(rest))))


def _permute(args, kw, style):
    if len(args) < 2 or kw:
        raise FormulaError("permute(x, axes) takes the new order of the axes")
    rest = args[1:]
    return Call("permute", (args[0], rest[0] if len(rest) == 1 and isinstance(rest[0], Tuple) else Tuple(rest)))


def power(base, e):
    """base ** e with a constant exponent folded to one exact number (``** (-3/2)`` is ``** -1.5``)."""
    try:
        return Bin("**", base, Num(const_fraction(e)))
    except FormulaError:
        return Bin("**", base, e)


def _power(args, kw, style):
    a, b = _n(args, kw, 2, "power")
    return power(a, b)


def _logsumexp(args, kw, style):
    x = args[0]
    inner = make_call("sum", (Call("exp", (x,)),) + tuple(args[1:]), kw, style)
    return Call("log", (inner,))


def _unsqueeze(args, kw, style):
    x, k = _n(args, kw, 2, "unsqueeze")
    try:
        k = const_fraction(k)
    except FormulaError:
        raise FormulaError("unsqueeze / expand_dims takes a number") from None
    if k.denominator != 1 or k < 0:
        raise FormulaError("unsqueeze / expand_dims: write x[..., None] for an axis counted from the end")
    return Index(x, (Slice(None, None),) * int(k) + (Const(None),))


def _gelu(args, kw, style):
    """GELU: exact, x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))) (PyTorch's and Keras's default,
    approximate='none' / False), or its tanh form 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    kw = dict(kw)
    approx = kw.pop("approximate", Const("none"))
    if len(args) != 1 or kw:
        raise FormulaError("gelu(x) takes one tensor (and approximate='none' or 'tanh')")
    if not isinstance(approx, Const) or approx.value not in ("none", "tanh", True, False):
        raise FormulaError("gelu: approximate is 'none' (the exact GELU) or 'tanh'")
    x, half = args[0], Bin("*", Num(Fraction(1, 2), "0.5"), args[0])
    if approx.value in ("none", False):
        root2 = Call("sqrt", (Num(Fraction(2)),))
        return Bin("*", half, Bin("+", Num(Fraction(1)), Call("erf", (Bin("/", x, root2),))))
    c = Call("sqrt", (Bin("/", Num(Fraction(2)), Call("pi", ())),))
    inner = Bin("*", c, Bin("+", x, Bin("*", Num(Fraction("0.044715"), "0.044715"), Bin("**", x, Num(Fraction(3))))))
    return Bin("*", half, Bin("+", Num(Fraction(1)), Call("tanh", (inner,))))


SUGAR = {
    "square": lambda args, kw, style: Bin("**", _n(args, kw, 1, "square")[0], Num(Fraction(2))),
    "rsqrt": lambda args, kw, style: Bin("**", _n(args, kw, 1, "rsqrt")[0], Num(Fraction(-1, 2))),
    "reciprocal": lambda args, kw, style: Bin("**", _n(args, kw, 1, "reciprocal")[0], Num(Fraction(-1))),
    "power": _power, "pow": _power,
    "dot": _two("@"), "matmul": _two("@"), "mm": _two("@"), "bmm": _two("@"),
    "multiply": _two("*"), "mul": _two("*"), "add": _two("+"), "subtract": _two("-"), "sub": _two("-"),
    "divide": _two("/"), "true_divide": _two("/"), "div": _two("/"),
    "negative": lambda args, kw, style: Neg(_n(args, kw, 1, "negative")[0]),
    "heaviside": _heaviside, "std": _std, "outer": _outer, "size": _size,
    "len": lambda args, kw, style: Index(Call("shape", _n(args, kw, 1, "len")), (Num(Fraction(0)),)),
    "transpose": _transpose, "permute": _permute, "logsumexp": _logsumexp,
    "flatten": lambda args, kw, style: Call("reshape", (_n(args, kw, 1, "flatten")[0], Num(Fraction(-1)))),
    "ravel": lambda args, kw, style: Call("reshape", (_n(args, kw, 1, "ravel")[0], Num(Fraction(-1)))),
    "unsqueeze": _unsqueeze, "expand_dims": _unsqueeze, "gelu": _gelu,
    "zeros": _filled(0), "ones": _filled(1),
    "array": lambda args, kw, style: Call("float", _n(args, tuple((k, v) for k, v in kw if k != "copy"
                                                               or v != Const(True)), 1, "array")),
    "mse_loss": lambda args, kw, style: Call("mean", (Bin("**", Bin("-", *_n(args, kw, 2, "mse_loss")), Num(Fraction(2))),)),
    "l1_loss": lambda args, kw, style: Call("mean", (Call("abs", (Bin("-", *_n(args, kw, 2, "l1_loss")),)),)),
}


def _looks_like_axis(node) -> bool:
    return isinstance(node, (Num, Tuple)) or isinstance(node, Neg) and isinstance(node.x, Num)


def make_call(t: str, args: tuple, kw: tuple, style=None):
    """The canonical tree for a call of ``t`` (a surface name) written with ``style`` (its module
    prefix, or "method" for ``x.t(...)``)."""
    if t in SUGAR:
        return SUGAR[t](args, kw, style)
    fn = ALIASES.get(t, t)
    if fn in ("max", "min") and len(args) == 2 and not _looks_like_axis(args[1]):
        fn = "maximum" if fn == "max" else "minimum"     # torch.max(a, b): the larger of two tensors
    if fn not in FUNCS:
        raise FormulaError(f"unknown function {t!r}")
    if fn == "reshape" and len(args) > 2:
        args = (args[0], Tuple(args[1:]))
    lo, hi, keys = FUNCS[fn]
    if fn == "one_hot" and len(args) == 1 and len(kw) == 1 and kw[0][0] == "num_classes":
        args, kw = args + (kw[0][1],), ()
    if fn == "clip" and len(args) > 1:
        kw = tuple(zip(("min", "max"), args[1:])) + tuple(kw)
        args = args[:1]
    if not lo <= len(args) <= hi:
        raise FormulaError(f"{t}() takes {lo if lo == hi else f'{lo} to {hi}'} argument(s), got {len(args)}")
    torch_style = style in ("torch", "F", "nn", "functional")
    norm = []
    for k, v in kw:
        if k not in keys:
            raise FormulaError(f"{t}() has no keyword {k!r}")
        if k in ("dim", "keepdim", "unbiased", "correction"):
            torch_style = True
        k = {"dim": "axis", "keepdim": "keepdims", "a_min": "min", "a_max": "max", "value": "constant_values"}.get(k, k)
        norm.append((k, v))
    if fn in REDUCTIONS and len(args) == 2:
        norm.insert(0, ("axis", args[1]))
        args = args[:1]
    if len({k for k, _ in norm}) != len(norm):
        raise FormulaError(f"{t}() got a keyword twice")
    if fn == "var":
        norm = _ddof(norm, torch_style)
    if fn == "pad":
        norm = _pad_keywords(norm, torch_style)
    if fn == "einsum" and not (isinstance(args[0], Const) and isinstance(args[0].value, str)):
        raise FormulaError("einsum takes its subscripts first, as a string: einsum('ij,jk->ik', a, b)")
    return Call(fn, args, tuple(norm))


def method_call(attr: str, node, args: tuple, kw: tuple):
    """``node.attr(args, kw)``: the method form, the same call with ``node`` first."""
    fn = ALIASES.get(attr, attr)
    if fn not in FUNCS and attr not in SUGAR:
        raise FormulaError(f"unknown method .{attr}()")
    return make_call(attr, (node,) + tuple(args), kw, "method")


def _ddof(norm: list, torch_style: bool) -> list:
    """var's ddof as one number: NumPy's default 0, PyTorch's 1 (unbiased=False / correction=0 say 0)."""
    kw = dict(norm)
    ddof = Num(Fraction(1 if torch_style else 0))
    if "unbiased" in kw:
        u = kw.pop("unbiased")
        if not (isinstance(u, Const) and isinstance(u.value, bool)):
            raise FormulaError("var(): unbiased must be True or False")
        ddof = Num(Fraction(int(u.value)))
    for key in ("ddof", "correction"):
        if key in kw:
            ddof = Num(const_fraction(kw.pop(key)))
    if ddof.value.denominator != 1 or ddof.value < 0:
        raise FormulaError("var(): ddof must be a non-negative integer")
    return [(k, v) for k, v in kw.items()] + [("ddof", ddof)]


def _pad_keywords(norm: list, torch_style: bool) -> list:
    kw = dict(norm)
    mode = kw.pop("mode", Const("constant"))
    if not (isinstance(mode, Const) and mode.value == "constant"):
        raise FormulaError("pad: only mode='constant' (zeros) is read")
    value = kw.pop("constant_values", Num(Fraction(0)))
    if value != Num(Fraction(0)):
        raise FormulaError("pad: only padding with zeros is read")
    return [("style", Const("torch" if torch_style else "numpy"))]
