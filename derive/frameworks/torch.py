"""PyTorch modules traced with ``torch.fx`` into derive's forms (the user's own module: trusted code, run
only to trace it and to read its shapes at ``example_input``, never from the web page).

Supported: ``nn.Linear``, ``nn.ReLU``/``Sigmoid``/``Tanh``/``Softmax``, ``nn.GELU()`` (exact, with erf) and
``nn.GELU(approximate="tanh")``, ``nn.LayerNorm`` (over the last dimension), ``nn.BatchNorm1d`` (training mode:
the batch's statistics; eval mode: the running statistics, fixed inputs of the program), ``nn.Embedding``
(then a flatten, or a mean or sum over the ids), ``nn.Flatten``, ``nn.Dropout`` in eval mode or with p=0 and
``nn.Identity`` (the identity), their functional and method forms (``torch.relu``, ``F.gelu(x)``,
``x.tanh()``, ``x.view(n, -1)``), ``torch.cat`` along the features, ``+ - * /`` of tensors of one shape or
with a number (a residual ``a + b``, a gate), ``x ** 2``, ``torch.exp``/``log``/``sqrt``/``abs`` and ``x.float()``
(``torch_ops.py``); an ``nn.Parameter`` read in forward (``x @ self.W + self.b``, ``F.linear``, scalars) broadcast
over the examples, and a module called twice (one parameter, tied).  Anything else is named in one line.  The losses are PyTorch's, the
mean over the batch: ``mse`` (F.mse_loss), ``cross_entropy`` (F.cross_entropy on logits, class
indices; ``nn.CrossEntropyLoss(label_smoothing=e)`` too), ``bce`` (F.binary_cross_entropy on probabilities),
``bce_with_logits``, and ``nll``
(F.nll_loss) after a last ``log_softmax`` over the features: nll(log_softmax(z)) is cross_entropy(z), and so
is cross_entropy(log_softmax(z)), so a last log_softmax is read as its logits z with cross_entropy.  A loss
module with ``reduction="sum"`` (``nn.MSELoss(reduction="sum")``) is the sum over the batch (and outputs).
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from ..errors import DeriveError
from .build import Program
from .forms import finish
from .imported import Imported
from .torch_ops import LogSoftmax, Squeezed, arg, function, width_of

LOSSES = {"mse": ("mse", "values", False), "cross_entropy": ("ce", "indices", True),
          "bce": ("bce", "values", False), "bce_with_logits": ("bce", "values", True),
          "nll": ("ce", "indices", True),      # only after a last log_softmax (see from_module)
          "huber": ("huber", "values", False)}
ACTIVATIONS = {"ReLU": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Identity": "linear", "SiLU": "silu",
               "Softsign": "softsign", "Mish": "mish", "SELU": "selu", "ReLU6": "relu6", "Hardsigmoid": "hard_sigmoid",
               "Hardswish": "hard_silu"}


def _loss_name(loss) -> tuple[str, str, float, float]:
    """"mse", F.mse_loss or nn.MSELoss() (no class weights) -> ("mse", its reduction, its label smoothing,
    HuberLoss's delta)."""
    import torch.nn.functional as F
    from torch import nn
    if isinstance(loss, str):
        return loss, "mean", 0.0, 1.0
    named = {F.mse_loss: "mse", F.cross_entropy: "cross_entropy", F.binary_cross_entropy: "bce",
             F.binary_cross_entropy_with_logits: "bce_with_logits", F.nll_loss: "nll", nn.MSELoss: "mse",
             nn.CrossEntropyLoss: "cross_entropy", nn.BCELoss: "bce", nn.BCEWithLogitsLoss: "bce_with_logits",
             nn.NLLLoss: "nll", nn.HuberLoss: "huber", F.huber_loss: "huber", nn.SmoothL1Loss: "huber",
             F.smooth_l1_loss: "huber"}      # SmoothL1Loss(beta=1) is HuberLoss(delta=1)
    if isinstance(loss, nn.Module):
        cls, reduction = type(loss).__name__, getattr(loss, "reduction", "mean")
        if reduction not in ("mean", "sum"):
            raise DeriveError(f"{cls} with reduction {reduction!r} is not supported (reduction 'mean' or 'sum')")
        if getattr(loss, "weight", None) is not None or getattr(loss, "pos_weight", None) is not None:
            raise DeriveError(f"{cls} with class weights (weight=, pos_weight=) is not supported")
        smoothing = getattr(loss, "label_smoothing", 0.0)
        if isinstance(smoothing, bool) or not isinstance(smoothing, (int, float)) or not 0 <= smoothing <= 1:
            raise DeriveError(f"{cls} with label_smoothing {str(smoothing)[:40]}; expected a number from 0 to 1")
        if getattr(loss, "beta", 1.0) != 1.0:
            raise DeriveError(f"{cls} with beta {str(loss.beta)[:40]} is not supported (beta 1: HuberLoss(delta=1))")
        delta = getattr(loss, "delta", 1.0)
        if isinstance(delta, bool) or not isinstance(delta, (int, float)):
            raise DeriveError(f"{cls} with delta {str(delta)[:40]}; expected a number")
        return named.get(type(loss), cls), reduction, float(smoothing), float(delta)
    return named.get(loss, getattr(loss, "__name__", str(loss))), "mean", 0.0, 1.0


def _array(t) -> np.ndarray:
    return t.detach().cpu().double().numpy().copy()


def from_module(module, example_input, loss: str = "mse", optimizer: dict | None = None) -> Imported:
    """The module as a derive model (see the module docstring)."""
    import torch
    from torch import fx
    from torch.fx.passes.shape_prop import ShapeProp

    if not isinstance(module, torch.nn.Module):
        raise DeriveError(f"expected a torch.nn.Module, got {type(module).__name__}")
    loss, reduction, smoothing, delta = _loss_name(loss)
    if loss not in LOSSES:
        raise DeriveError(f"loss {loss!r} is not supported; expected one of {', '.join(LOSSES)}")
    try:
        x0 = torch.as_tensor(example_input)
    except (TypeError, ValueError, RuntimeError) as e:
        raise DeriveError(f"example_input is not a tensor ({str(e).splitlines()[0][:120] if str(e) else ''})") from None
    floats = {p.dtype for p in module.parameters() if torch.is_floating_point(p)}
    if torch.is_floating_point(x0) and len(floats) == 1 and x0.dtype not in floats:
        x0 = x0.to(floats.pop())    # NumPy's float64 rows for a float32 module: traced at the module's type
    if x0.ndim < 2 or (x0.ndim > 2 and not torch.is_floating_point(x0)):
        raise DeriveError(f"example_input must be a batch of shape (N, features), got {tuple(x0.shape)}")
    width_in = int(np.prod(tuple(x0.shape[1:])))      # (N, 1, 28, 28) images: X is read flattened, row-major
    try:
        gm = fx.symbolic_trace(module)
    except Exception as e:       # the user's own forward: any trace failure is named, never a traceback
        raise DeriveError(f"torch.fx cannot trace {type(module).__name__}: {str(e).splitlines()[0][:200]}") from None
    try:           # ShapeProp prints the failing node's traceback itself: kept off the terminal
        with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
            ShapeProp(gm).propagate(x0)
    except Exception as e:       # the module's own forward failed at example_input (a shape mismatch, ...)
        cause = e.__cause__ or e
        raise DeriveError(f"{type(module).__name__} fails on example_input of shape {tuple(x0.shape)}: "
                          f"{type(cause).__name__}: {str(cause).splitlines()[0][:160] if str(cause) else ''}") from None
    kind, targets, from_logits = LOSSES[loss]
    integer = not torch.is_floating_point(x0)
    prog = Program(f"PyTorch {type(module).__name__}", "torch")
    prog.inputs["X"] = ["N", width_in]
    modules = dict(gm.named_modules())
    names: dict = {}
    out = None
    dropout = []
    for node in gm.graph.nodes:         # which values hold examples (the rest are parameters and numbers)
        node.meta["batched"] = node.op == "placeholder" or any(
            getattr(a, "meta", {}).get("batched") for a in node.all_input_nodes)
    for node in gm.graph.nodes:
        where = f"{type(module).__name__}: {node.op} {node.target if isinstance(node.target, str) else getattr(node.target, '__name__', node.target)}"
        if node.op == "placeholder":
            if names:
                raise DeriveError(f"{where}: the module takes more than one input")
            names[node] = "X"
        elif node.op == "output":
            res = node.args[0]
            if not isinstance(res, fx.Node):
                raise DeriveError(f"{where}: the module must return one tensor")
            out, width = names[res], int(res.meta["tensor_meta"].shape[-1])
            if isinstance(out, Squeezed):        # (N, 1) -> (N,): one output, its targets a vector
                out, width = str(out), 1
            if isinstance(out, LogSoftmax):      # log-probabilities: their logits, with cross_entropy
                if loss not in ("nll", "cross_entropy"):
                    raise DeriveError(f"{where}: a last log_softmax with loss {loss}; expected NLLLoss (nll)")
                out = out.logits
            elif loss == "nll":
                raise DeriveError(f"{where}: NLLLoss takes log-probabilities; the module must end in log_softmax "
                                  "over dim 1 (or give logits to cross_entropy)")
        elif node.op == "call_module":
            names[node] = _module(prog, modules[node.target], node, names, where, dropout)
        elif node.op in ("call_function", "call_method"):
            names[node] = function(prog, node, names, where)
        elif node.op == "get_attr":         # self.W1 = nn.Parameter(...), read in forward (x @ self.W1 + self.b1)
            names[node] = _attribute(prog, gm, node, where)
        else:
            raise DeriveError(f"{where}: {node.op} is not supported")
    m = finish(prog, out=out, n_in=width_in, n_out=width, loss=kind, from_logits=from_logits,
               targets=targets, optimizer=optimizer, clip=None, integer_inputs=integer, reduction=reduction,
               smoothing=smoothing, delta=delta)
    m.dropout = tuple(dropout)
    order = [n for n, _ in module.named_parameters() if n in m.params]     # named_parameters()'s order
    m.params = {n: m.params[n] for n in order + [n for n in m.params if n not in order]}
    trained = {n for n, p in module.named_parameters() if p.requires_grad}
    missing = trained - set(m.params)
    if missing:
        raise DeriveError(f"parameter {sorted(missing)[0]!r} is not used by a supported operation")
    return m


def _attribute(prog: Program, gm, node, where) -> str:
    """A parameter read in forward (``self.W1``, ``self.fc.weight``): the parameter, named as
    ``named_parameters()`` names it; a buffer (a tensor that is not trained) is a fixed input."""
    import torch
    value = gm
    for part in str(node.target).split("."):
        value = getattr(value, part)
    if not isinstance(value, torch.Tensor) or not torch.is_floating_point(value):
        raise DeriveError(f"{where}: an attribute that is not a floating-point tensor is not supported")
    prog.not_layered(f"{where}: a parameter read in forward")
    if isinstance(value, torch.nn.Parameter) and value.requires_grad:
        return prog.param(str(node.target), _array(value))
    return prog.constant(str(node.target), _array(value))


def _module(prog: Program, mod, node, names, where, dropout) -> str:
    from torch import nn
    x = arg(names, node.args[0], where)
    t = node.target
    cls = type(mod).__name__
    if isinstance(mod, nn.Linear):
        b = mod.bias
        return prog.dense(x, f"{t}.weight", _array(mod.weight), f"{t}.bias" if b is not None else None,
                          _array(b) if b is not None else None, transposed=True)
    if cls in ACTIVATIONS and type(mod).__module__.startswith("torch.nn"):
        return prog.activation(x, ACTIVATIONS[cls], where)
    if isinstance(mod, nn.LeakyReLU):
        return prog.activation(x, "leaky_relu", where, float(mod.negative_slope))
    if isinstance(mod, nn.ELU):
        return prog.activation(x, "elu", where, float(mod.alpha))
    if isinstance(mod, nn.Softplus):
        if mod.beta != 1:
            raise DeriveError(f"{where}: Softplus with beta {mod.beta} is not supported (beta 1 only)")
        return prog.activation(x, "softplus", where)     # its linear branch above `threshold` differs by < 1e-8
    if isinstance(mod, nn.Hardtanh) and (mod.min_val, mod.max_val) == (-1, 1):
        return prog.activation(x, "hard_tanh", where)
    if isinstance(mod, nn.Dropout):     # read in the module's mode, as BatchNorm1d is
        if mod.p > 0 and mod.training:
            raise DeriveError(f"{where}: Dropout(p={mod.p}) in training mode drops units at random; derive reads "
                              "it in eval mode, as the identity (call .eval() first, or set p=0)")
        if mod.p > 0:
            dropout.append(t)
        return x
    if isinstance(mod, (nn.Softmax, nn.LogSoftmax)):
        if mod.dim not in (1, -1):
            raise DeriveError(f"{where}: {cls} over dim {mod.dim}; expected the features (dim=1)")
        return LogSoftmax(x) if isinstance(mod, nn.LogSoftmax) else prog.activation(x, "softmax", where)
    if isinstance(mod, nn.GELU):
        return prog.activation(x, "gelu_tanh" if mod.approximate == "tanh" else "gelu", where)
    if isinstance(mod, nn.LayerNorm):
        if len(mod.normalized_shape) != 1:
            raise DeriveError(f"{where}: LayerNorm over more than the last dimension is not supported")
        w, b = (mod.weight, mod.bias) if mod.elementwise_affine else (None, None)
        return prog.layernorm(x, None if w is None else _array(w), None if b is None else _array(b), mod.eps,
                              (f"{t}.weight", f"{t}.bias"), where)
    if isinstance(mod, nn.BatchNorm1d):
        if len(node.args[0].meta["tensor_meta"].shape) != 2:
            raise DeriveError(f"{where}: BatchNorm1d over (N, C, L) is not supported; expected (N, features)")
        w, b = (mod.weight, mod.bias) if mod.affine else (None, None)
        w, b = None if w is None else _array(w), None if b is None else _array(b)
        if mod.training or not mod.track_running_stats:      # batch statistics (PyTorch's choice, too)
            return prog.batchnorm(x, w, b, mod.eps, (f"{t}.weight", f"{t}.bias"), where)
        return prog.batchnorm_running(x, _array(mod.running_mean), _array(mod.running_var), w, b, mod.eps,
                                      (f"{t}.weight", f"{t}.bias"), (f"{t}.running_mean", f"{t}.running_var"), where)
    if isinstance(mod, nn.Embedding):
        if x != "X":
            raise DeriveError(f"{where}: an Embedding must read the module's input")
        return prog.embedding(x, f"{t}.weight", _array(mod.weight), where)
    if isinstance(mod, nn.Flatten):
        return prog.reshape(x, width_of(node)) if len(node.meta["tensor_meta"].shape) == 2 and \
            len(node.args[0].meta["tensor_meta"].shape) == 3 else x
    raise DeriveError(f"{where}: module {cls} is not supported")


