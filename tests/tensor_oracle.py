"""PyTorch's reading of a tensor program: an interpreter of the parsed tree with torch's own functions.

Independent of derive's evaluator, printer and rules table: softmax, log_softmax, mean and max are
torch's, and gradients come from torch autograd (float64).
"""
from __future__ import annotations

import numpy as np
import torch

from derive.tensor.grammar import Bin, Call, Const, Index, Name, Neg, Num, Slice
from derive.tensor.shapes import axes, const_int, dims, keepdims

F64 = torch.float64
_CMP = {">": torch.gt, "<": torch.lt, ">=": torch.ge, "<=": torch.le, "==": torch.eq, "!=": torch.ne}


def _t(node, env, sizes):
    if isinstance(node, Num):
        return torch.tensor(float(node.value), dtype=F64)
    if isinstance(node, Name):
        if node.id in env:
            return env[node.id]
        return torch.tensor(float(sizes[node.id]), dtype=F64)
    if isinstance(node, Neg):
        return -_t(node.x, env, sizes)
    if isinstance(node, Bin):
        a = _t(node.a, env, sizes)
        if node.op == "**":
            e = node.b.value if isinstance(node.b, Num) else -node.b.x.value
            return a ** float(e)
        if node.op == "@":
            return torch.matmul(a, _t(node.b, env, sizes))
        b = _t(node.b, env, sizes)
        if node.op in _CMP:
            return _CMP[node.op](a, b).to(F64)
        return {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "@": torch.matmul}[node.op](a, b)
    if isinstance(node, Index):
        key = []
        for it in node.items:
            if isinstance(it, Const) and it.value is None:
                key.append(None)
            elif isinstance(it, Const) and it.value is Ellipsis:
                key.append(Ellipsis)
            elif isinstance(it, Slice):
                key.append(slice(*(None if v is None else const_int(v, sizes) for v in (it.lo, it.hi, it.step))))
            elif isinstance(it, Call) and it.fn == "arange":
                key.append(torch.arange(const_int(it.args[0], sizes)))
            elif isinstance(it, Name) and it.id in env:
                key.append(env[it.id].long())
            else:
                key.append(const_int(it, sizes))
        return _t(node.x, env, sizes)[tuple(key)]
    fn = node.fn
    extra = _newer(node, env, sizes)
    if extra is not None:
        return extra
    if fn == "stack":
        return torch.stack([_t(x, env, sizes) for x in node.args[0].items], dim=const_int(node.get("axis", Num(0)), sizes)
                           if node.get("axis") is not None else 0)
    if fn == "one_hot":
        ids, n = _t(node.args[0], env, sizes), node.args[1]
        if isinstance(n, Index):          # num_classes=z.shape[1]
            n = _t(n.x.args[0], env, sizes).shape[const_int(n.items[0], sizes)]
        else:
            n = const_int(n, sizes)
        return torch.nn.functional.one_hot(ids.long(), n).to(F64)
    x = _t(node.args[0], env, sizes)
    simple = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "erf": torch.erf,
              "relu": torch.relu, "sqrt": torch.sqrt, "float": lambda v: v,
              "ones_like": torch.ones_like, "zeros_like": torch.zeros_like}
    if fn in simple:
        return simple[fn](x)
    if fn == "reshape":
        return x.reshape(dims(node.args[1], sizes))
    if fn == "broadcast_to":
        return x.broadcast_to(dims(node.args[1], sizes))
    ax = axes(node, x.dim(), sizes)
    if fn in ("softmax", "log_softmax"):
        (k,) = ax if ax is not None else (0,)   # noqa
        return (torch.softmax if fn == "softmax" else torch.log_softmax)(x, dim=k)
    keep = keepdims(node)
    if fn == "sum":
        return x.sum() if ax is None and not keep else x.sum(dim=ax if ax is not None else tuple(range(x.dim())), keepdim=keep)
    if fn == "mean":
        return x.mean() if ax is None and not keep else x.mean(dim=ax if ax is not None else tuple(range(x.dim())), keepdim=keep)
    if fn == "max":
        return x.amax(dim=ax if ax is not None else tuple(range(x.dim())), keepdim=keep)
    raise NotImplementedError(fn)


def _newer(node, env, sizes):
    """The functions the NumPy grammar added (issue 20), each with torch's own function."""
    import math
    fn = node.fn
    if fn == "pi":
        return torch.tensor(math.pi, dtype=F64)
    if fn in ("stack", "concatenate"):
        parts = [_t(x, env, sizes) for x in node.args[0].items]
        k = const_int(node.get("axis"), sizes) if node.get("axis") is not None else 0
        return (torch.stack if fn == "stack" else torch.cat)(parts, dim=k)
    if fn == "maximum":
        return torch.maximum(*[_t(x, env, sizes) for x in node.args])
    if fn == "minimum":
        return torch.minimum(*[_t(x, env, sizes) for x in node.args])
    if fn == "where":
        c, a, b = [_t(x, env, sizes) for x in node.args]
        return torch.where(c != 0, a, b)
    if fn == "einsum":
        return torch.einsum(node.args[0].value, *[_t(x, env, sizes) for x in node.args[1:]])
    if fn not in ("abs", "sign", "min", "var", "permute", "swapaxes", "transpose", "pad", "clip", "argmax"):
        return None
    x = _t(node.args[0], env, sizes)
    if fn == "abs":
        return torch.abs(x)
    if fn == "sign":
        return torch.sign(x)
    if fn == "transpose":
        return x.permute(*reversed(range(x.dim())))
    if fn == "swapaxes":
        return x.transpose(const_int(node.args[1], sizes), const_int(node.args[2], sizes))
    if fn == "permute":
        items = node.args[1].items
        return x.permute(*[const_int(i, sizes) for i in items])
    if fn == "clip":
        lo, hi = node.get("min"), node.get("max")
        bound = lambda v: None if v is None or isinstance(v, Const) else float(_t(v, env, sizes))   # noqa: E731
        return torch.clamp(x, min=bound(lo), max=bound(hi))
    if fn == "pad":
        from derive.tensor.axes import pad_widths
        flat = []
        for a, b in reversed(pad_widths(node, x.dim(), sizes)):
            flat += [a, b]
        return torch.nn.functional.pad(x, flat)
    ax = axes(node, x.dim(), sizes)
    dim = ax if ax is not None else tuple(range(x.dim()))
    if fn == "min":
        return x.amin(dim=dim, keepdim=keepdims(node))
    if fn == "argmax":
        return x.argmax(dim=ax[0] if ax else None, keepdim=keepdims(node) if ax else False)
    return x.var(dim=dim, keepdim=keepdims(node), correction=int(node.get("ddof").value))


def torch_gradients(prog, values: dict, sizes: dict):
    """(output, {param: gradient}) by torch autograd, float64."""
    env = {}
    for t in prog.leaves:
        v = torch.tensor(np.asarray(values[t.name]))
        if t.kind == "param":
            v = v.to(F64).requires_grad_(True)
        elif t.name not in prog.integer_inputs:
            v = v.to(F64)
        env[t.name] = v
    for name, tree, _ in prog.forward:
        env[name] = _t(tree, env, sizes)
    out = env[prog.output]
    out.backward()
    return out.item(), {p: env[p].grad.numpy() for p in prog.params}


def torch_truth(prog, values: dict, sizes: dict) -> dict:
    """Every forward value and dNAME = dJ/dNAME of every forward value and parameter, by torch autograd."""
    env = {}
    for t in prog.leaves:
        v = torch.tensor(np.asarray(values[t.name]))
        env[t.name] = v if t.name in prog.integer_inputs else v.to(F64).requires_grad_(t.kind == "param")
    for name, tree, _ in prog.forward:
        env[name] = _t(tree, env, sizes)
        if env[name].requires_grad:
            env[name].retain_grad()
    env[prog.output].backward()
    out = {k: v.detach() for k, v in env.items()}
    for k, v in env.items():
        if isinstance(v, torch.Tensor) and v.grad is not None:
            out["d" + k] = v.grad.detach()
    return out


def torch_verdict(prog, truth: dict, sizes: dict, target: str, formula: str) -> bool:
    """Whether a student's formula for ``target`` equals torch's gradient (its shape and its entries)."""
    from derive.tensor import grammar
    env = {k: v for k, v in truth.items() if k != target}
    try:
        got = _t(grammar.parse(formula), env, sizes)
    except (RuntimeError, IndexError, KeyError):
        return False
    want = truth[target]
    return tuple(got.shape) == tuple(want.shape) and bool(
        torch.all((got - want).abs() <= 1e-8 * max(1.0, float(want.abs().max()))))
