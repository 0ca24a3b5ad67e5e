"""PyTorch's functions and methods in a traced module (``F.relu(x)``, ``x.view(n, -1)``, ``torch.cat``, ...),
read into derive's tensor program; ``torch.py`` reads the modules and the loss."""
from __future__ import annotations

import math
import operator

from ..errors import DeriveError
from .build import Program
from .imported import number

FUNCTIONS = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "silu": "silu", "softsign": "softsign",
             "mish": "mish", "selu": "selu", "relu6": "relu6", "hardsigmoid": "hard_sigmoid",
             "hardswish": "hard_silu"}
UNARY = ("exp", "log", "sqrt", "abs", "erf")     # elementwise functions, written as the grammar writes them
SAME = ("float", "double", "contiguous", "clone")   # the same values and gradients (not detach: it stops them)
PARAMETERISED = {   # F's name -> (activation, its parameters' names as F takes them, PyTorch's defaults)
    "leaky_relu": ("leaky_relu", ("negative_slope",), (0.01,)), "elu": ("elu", ("alpha",), (1.0,)),
    "softplus": ("softplus", ("beta",), (1,)), "hardtanh": ("hard_tanh", ("min_val", "max_val"), (-1.0, 1.0))}


class LogSoftmax(str):
    """The name of the logits of a log_softmax over the features: read only as the module's output."""

    @property
    def logits(self) -> str:
        return str(self)


class Squeezed(str):
    """A single output squeezed to (N,) (``z.squeeze(1)``, ``z.view(-1)``): read only as the module's output."""


def arg(names, a, where):
    from torch import fx
    if isinstance(a, (list, tuple)):
        raise DeriveError(f"{where}: an operation on a list of tensors is not supported")
    if not isinstance(a, fx.Node):
        raise DeriveError(f"{where}: a constant argument {a!r} is not supported")
    if isinstance(names[a], LogSoftmax):
        raise DeriveError(f"{where}: log_softmax is read only as the module's last operation "
                          "(before NLLLoss or cross_entropy)")
    if names[a] is None:
        raise DeriveError(f"{where}: a size (x.size(1), x.shape[0]) used as a tensor is not supported")
    if isinstance(names[a], Squeezed):
        raise DeriveError(f"{where}: an output squeezed to (N,) is read only as the module's last operation")
    return names[a]


def width_of(node) -> int:
    return int(node.meta["tensor_meta"].shape[-1])


ARITHMETIC = {operator.add: "+", operator.iadd: "+", operator.sub: "-", operator.isub: "-", operator.mul: "*",
              operator.imul: "*", operator.truediv: "/", operator.itruediv: "/", operator.neg: "neg"}
ARITHMETIC_NAMES = {"add": "+", "sub": "-", "subtract": "-", "mul": "*", "multiply": "*", "div": "/",
                    "divide": "/", "true_divide": "/", "neg": "neg", "negative": "neg"}


def _arithmetic(prog: Program, op: str, node, names, where) -> str:
    """a + b, a - b, a * b, a / b of tensors of one shape, or of a tensor and a number; -a (``x += h`` too)."""
    if not hasattr(node.meta.get("tensor_meta"), "shape"):
        return None             # x.size(1) * x.size(2): a number for a reshape, not a tensor
    if set(node.kwargs) - {"out"} or node.kwargs.get("out") is not None or len(node.args) > (1 if op == "neg" else 2):
        raise DeriveError(f"{where}: {op} with {', '.join(node.kwargs) or 'a third argument'} is not supported")
    tensors = [a for a in node.args if hasattr(getattr(a, "meta", {}).get("tensor_meta"), "shape")]
    shapes = [tuple(a.meta["tensor_meta"].shape) for a in tensors]
    if len(set(shapes)) > 1 and not _broadcasts(tensors, tuple(node.meta["tensor_meta"].shape)):
        raise DeriveError(f"{where}: {op} of tensors of shapes {shapes[0]} and {shapes[1]} (broadcasting) is not "
                          "supported; expected one shape, a tensor and a number, a parameter broadcast over the "
                          "examples, or (N, 1) against (N, features)")
    terms = []
    for a in node.args:
        if isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a):
            terms.append(f"({number(a)})")
        else:
            terms.append(arg(names, a, where))
    if op == "neg":
        return prog.arithmetic(f"-{terms[0]}", where)
    return prog.arithmetic(f"{terms[0]} {op} {terms[1]}", where)


def _broadcasts(tensors, out: tuple) -> bool:
    """Broadcasting NumPy and the tensor grammar compute alike: an example's row (N, 1) against (N, k), or
    a parameter (no example axis: ``b1`` of shape (k,), a scalar) broadcast over the examples."""
    batched = any(a.meta.get("batched") for a in tensors)
    for a in tensors:
        shape = tuple(a.meta["tensor_meta"].shape)
        if a.meta.get("batched") and (len(shape) != len(out) or shape[0] != out[0]
                                      or any(s not in (1, o) for s, o in zip(shape, out))):
            return False          # (N, 4) against (1, 4) of examples: not one row per example
        if not a.meta.get("batched") and batched and len(shape) == len(out) and shape[0] != 1:
            return False          # a parameter whose first axis would line up with the examples
    return True


def _matmul(prog: Program, node, names, where, transposed: bool = False) -> str:
    """x @ W (``torch.matmul``, ``torch.mm``, ``x.mm``) and F.linear(x, W, b) = x @ W.T + b: the examples'
    rows (N, k) times a parameter matrix."""
    args = list(node.args) + [node.kwargs[k] for k in ("weight", "bias") if k in node.kwargs]
    if len(args) not in (2, 3) or (len(args) == 3 and not transposed):
        raise DeriveError(f"{where}: a matrix product of more than two tensors is not supported")
    a, w = args[0], args[1]
    shape = lambda t: tuple(t.meta["tensor_meta"].shape)      # noqa: E731
    if len(shape(a)) != 2 or len(shape(w)) != 2 or w.meta.get("batched"):
        raise DeriveError(f"{where}: a matrix product of shapes {shape(a)} and {shape(w)} is not supported; "
                          "expected the examples' (N, k) rows times a parameter matrix")
    expr = f"{arg(names, a, where)} @ {arg(names, w, where)}{'.T' if transposed else ''}"
    if len(args) == 3 and args[2] is not None:
        expr += f" + {arg(names, args[2], where)}"
    return prog.arithmetic(expr, where)


def _cat(prog: Program, node, names, where) -> str:
    """torch.cat([a, b, ...], dim=1): (N, features) tensors side by side."""
    args, kw = node.args, node.kwargs
    parts, dim = args[0], kw.get("dim", args[1] if len(args) > 1 else 0)
    if not isinstance(parts, (list, tuple)) or not parts:
        raise DeriveError(f"{where}: torch.cat of something other than a list of tensors")
    shapes = [getattr(p, "meta", {}).get("tensor_meta") for p in parts]
    if dim not in (1, -1) or any(getattr(sh, "shape", None) is None or len(sh.shape) != 2 for sh in shapes):
        raise DeriveError(f"{where}: torch.cat along dim {dim} is not supported; derive joins (N, features) "
                          "tensors along the features (dim=1 or -1)")
    return prog.concat([arg(names, p, where) for p in parts], where)


def function(prog: Program, node, names, where) -> str:
    import torch
    import torch.nn.functional as F
    fn, args, kw = node.target, node.args, node.kwargs
    name = fn if isinstance(fn, str) else getattr(fn, "__name__", str(fn))
    if name in ("getattr", "getitem", "size") and not hasattr(node.meta.get("tensor_meta"), "shape"):
        return None             # x.shape[0], x.size(0): a number for a reshape, not a tensor
    op = ARITHMETIC.get(fn) or (ARITHMETIC_NAMES.get(name) if isinstance(fn, str) or fn in (
        getattr(torch, name, None),) else None)
    if op is not None:
        return _arithmetic(prog, op, node, names, where)
    if fn in (torch.cat, getattr(torch, "concat", None)) or name in ("cat", "concat", "concatenate"):
        return _cat(prog, node, names, where)
    if fn in (operator.matmul, torch.matmul, torch.mm) or (isinstance(fn, str) and name in ("matmul", "mm")):
        return _matmul(prog, node, names, where)
    if fn is F.linear:
        return _matmul(prog, node, names, where, transposed=True)
    x = arg(names, args[0], where)
    own = isinstance(fn, str) or fn in (getattr(torch, name, None), getattr(F, name, None))   # torch's, not a
    if name in UNARY and own and len(args) == 1 and not kw:
        return prog.arithmetic(f"{name}({x})", where)
    if name == "rsqrt" and own and len(args) == 1 and not kw:
        return prog.arithmetic(f"{x} ** (-0.5)", where)
    if name in ("zeros_like", "ones_like") and own and len(args) == 1 and set(kw) <= {"dtype"}:
        return prog.arithmetic(f"{name}({x})", where)
    if name in ("clamp", "clip", "clamp_min", "clamp_max") and own:       # h.clamp(min=0): a ReLU
        return _clamp(prog, name, x, node, where)
    if name in ("max", "min", "maximum", "minimum") and own and len(args) == 2 and not kw and \
            hasattr(getattr(args[1], "meta", {}).get("tensor_meta"), "shape"):       # torch.max(X, a): of two
        if tuple(args[0].meta["tensor_meta"].shape) != tuple(args[1].meta["tensor_meta"].shape):
            raise DeriveError(f"{where}: {name} of tensors of two shapes is not supported")
        return prog.arithmetic(f"{'maximum' if name.startswith('max') else 'minimum'}({x}, "
                               f"{arg(names, args[1], where)})", where)
    if name == "type_as" and isinstance(fn, str) and len(args) == 2 and not kw:
        return x                # the same values (derive computes in float64)
    if (name in SAME and isinstance(fn, str) and len(args) == 1 and not kw) or (name == "to" and isinstance(fn, str)
            and all(isinstance(a, (torch.dtype, torch.device, str)) for a in args[1:]) and set(kw) <= {"dtype", "device"}):
        return x                # x.float(), x.to(torch.float64), x.to("cpu")
    if name == "pow" and (fn is operator.pow or own) and len(args) == 2 and not kw:
        e = args[1]
        if isinstance(e, bool) or not isinstance(e, (int, float)) or not math.isfinite(e):
            raise DeriveError(f"{where}: a power whose exponent is not a number is not supported")
        return prog.arithmetic(f"{x} ** ({number(e)})", where)
    if name in FUNCTIONS and own:                                            # namesake (F.silu: no torch.silu)
        return prog.activation(x, FUNCTIONS[name], where)
    if name in PARAMETERISED and own:       # F.leaky_relu(x, 0.1), F.elu(x, alpha=...), F.softplus, F.hardtanh
        act, keys, defaults = PARAMETERISED[name]
        values = [kw.get(k, args[1 + i] if len(args) > 1 + i else d) for i, (k, d) in enumerate(zip(keys, defaults))]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
            raise DeriveError(f"{where}: {name} with a parameter that is not a number is not supported")
        if act == "softplus" and values[0] != 1:
            raise DeriveError(f"{where}: softplus with beta {values[0]} is not supported (beta 1 only)")
        if act == "hard_tanh" and tuple(values) != (-1, 1):
            raise DeriveError(f"{where}: hardtanh({values[0]}, {values[1]}) is not supported (-1 to 1 only)")
        return prog.activation(x, act, where, float(values[0]) if act in ("leaky_relu", "elu") else None)
    if fn is F.gelu or name == "gelu":
        approximate = kw.get("approximate", args[1] if len(args) > 1 else "none")
        if approximate not in ("none", "tanh"):
            raise DeriveError(f"{where}: gelu(approximate={approximate!r}); expected 'none' or 'tanh'")
        return prog.activation(x, "gelu_tanh" if approximate == "tanh" else "gelu", where)
    if fn in (F.softmax, torch.softmax, F.log_softmax, torch.log_softmax) or name in ("softmax", "log_softmax"):
        dim = kw.get("dim", args[1] if len(args) > 1 else None)
        if dim not in (1, -1):
            raise DeriveError(f"{where}: {name} over dim {dim}; expected the features (dim=1 or -1)")
        return LogSoftmax(x) if name == "log_softmax" else prog.activation(x, "softmax", where)
    if name in ("view", "reshape", "flatten", "squeeze") or fn in (torch.flatten, torch.reshape, torch.squeeze):
        shape = node.meta["tensor_meta"].shape
        before = node.args[0].meta["tensor_meta"].shape
        if len(shape) == 1 and tuple(before) == (shape[0], 1):      # one output per example, as a vector
            return Squeezed(x)
        if name == "squeeze":
            raise DeriveError(f"{where}: squeeze of {tuple(before)} is not supported; expected (N, 1) -> (N,)")
        if len(shape) != 2 or shape[0] != before[0]:      # (N, 4) -> (2N, 2) mixes examples
            raise DeriveError(f"{where}: a reshape of {tuple(before)} to {tuple(shape)} is not supported; "
                              "expected (N, features), each example its own row")
        return x if len(before) == 2 else prog.reshape(x, int(shape[1]))
    if fn is F.dropout or name == "dropout":          # F.dropout(x, p=0.5, training=True): PyTorch's defaults
        p = kw.get("p", args[1] if len(args) > 1 else 0.5)
        training = kw.get("training", args[2] if len(args) > 2 else True)
        if training is not False and p != 0:
            raise DeriveError(f"{where}: F.dropout with training={training} drops units at random; derive reads "
                              "dropout only as the identity (training=self.training in eval mode, or p=0)")
        return x
    if name in ("mean", "sum") and own:        # embeddings of L ids pooled: (N, L, D) -> (N, D)
        dim = kw.get("dim", args[1] if len(args) > 1 else None)
        before, after = node.args[0].meta["tensor_meta"].shape, node.meta["tensor_meta"].shape
        keep = kw.get("keepdim", args[2] if len(args) > 2 else False)
        if dim in (1, -1, (1,), (-1,), [1], [-1]) and len(before) == 2 and keep is True and \
                kw.get("dtype") is None:          # over the features of (N, k), kept as (N, 1): RMSNorm's mean
            return prog.arithmetic(f"{name}({x}, axis=1, keepdims=True)", where)
        if dim not in (1, -2) or len(before) != 3 or len(after) != 2 or kw.get("dtype") is not None or \
                not prog.forward.get(x, "").endswith("[X]"):       # an Embedding's (N, L, D), not an input
            raise DeriveError(f"{where}: {name} over dim {dim} of a {len(before)}-dimensional tensor is not supported; "
                              f"expected a {name} over dim 1 of an Embedding's (N, L, D)")
        return prog.pool(x, name, where)
    raise DeriveError(f"{where}: operation {name} is not supported")


def _clamp(prog: Program, name: str, x: str, node, where) -> str:
    """clamp(x, min, max) with numbers for bounds (PyTorch passes the gradient at a bound, as clip does)."""
    args, kw = node.args, node.kwargs
    keys = {"clamp_min": ("min",), "clamp_max": ("max",)}.get(name, ("min", "max"))
    bounds = {k: kw.get(k, args[1 + i] if len(args) > 1 + i else None) for i, k in enumerate(keys)}
    if set(kw) - set(keys) or len(args) > 1 + len(keys) or all(v is None for v in bounds.values()) or any(
            v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v))
            for v in bounds.values()):
        raise DeriveError(f"{where}: {name} with bounds that are not numbers is not supported")
    given = ", ".join(f"{k}={number(v)}" for k, v in bounds.items() if v is not None)
    return prog.arithmetic(f"clip({x}, {given})", where)
