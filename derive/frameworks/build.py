"""Turn a framework model's operations into derive's forms: a tensor program (always) and a layered spec.

The readers (``keras.py``, ``torch.py``) call :class:`Program` once per operation, in the order the
framework computes them; each call appends assignments in the tensor grammar (text derive parses with
its own parser, numbers printed by us) and returns the new value's name.  ``Dense`` chains are also
recorded for the layered form (see :func:`layered_spec`).
"""
from __future__ import annotations

import math
import re

import numpy as np

from ..errors import DeriveError
from .imported import LAYERED_ACTIVATIONS, identifier, number

# Activations derive can take through the tensor form, as grammar text over the value ``x``.
TENSOR_ACTIVATIONS = {
    "linear": "{x}", "sigmoid": "sigmoid({x})", "tanh": "tanh({x})", "relu": "relu({x})",
    "softmax": "softmax({x}, axis=1)", "exponential": "exp({x})",
    "gelu_tanh": "0.5 * {x} * (1 + tanh(0.7978845608028654 * ({x} + 0.044715 * {x} ** 3)))",
    "gelu": "gelu({x})",          # the exact GELU, 0.5 x (1 + erf(x / sqrt(2))) (the grammar's gelu, approximate='none')
    "softplus": "log(1 + exp({x}))", "silu": "{x} * sigmoid({x})", "swish": "{x} * sigmoid({x})",
    "softsign": "{x} / (1 + abs({x}))", "mish": "{x} * tanh(log(1 + exp({x})))",
    "leaky_relu": "where({x} > 0, {x}, {a} * {x})", "elu": "where({x} > 0, {x}, {a} * (exp({x}) - 1))",
    "selu": "1.0507009873554805 * where({x} > 0, {x}, 1.6732632423543772 * (exp({x}) - 1))",
    "relu6": "clip({x}, 0, 6)", "hard_sigmoid": "clip({x} / 6 + 0.5, 0, 1)", "hard_tanh": "clip({x}, -1, 1)",
    "hard_silu": "{x} * clip({x} / 6 + 0.5, 0, 1)", "hard_swish": "{x} * clip({x} / 6 + 0.5, 0, 1)",
}
ACTIVATION_PARAMETER = {"leaky_relu": 0.2, "elu": 1.0}     # Keras's defaults (negative_slope, alpha)
SQRT_2_OVER_PI = 0.7978845608028654
NAMED_ABOVE = 4000      # parameter entries beyond which the tensor form is proven at small sizes


class Program:
    """The tensor program under construction, and the dense chain for the layered form."""

    def __init__(self, name: str, framework: str):
        self.name, self.framework = name, framework
        self.forward: dict[str, str] = {}
        self.params: dict[str, list] = {}     # tensor name -> dims
        self.arrays: dict[str, str] = {}      # tensor name -> framework name
        self.values: dict[str, np.ndarray] = {}   # framework name -> array
        self.inputs: dict = {}
        self.constants: dict[str, np.ndarray] = {}   # input name -> the framework's fixed array (running stats)
        self.taken = {"N", "X", "Y", "J"}
        self.count = 0
        self.chain: list = []                 # [(kernel fw, bias fw | None, transposed, activation)]
        self.layered = True                   # False once an op outside Dense + activation appears
        self.why = ""

    # -- names --------------------------------------------------------------------------------
    def param(self, fw_name: str, value) -> str:
        """The tensor name of the framework parameter ``fw_name``; a layer used twice (tied weights) reads
        the same name again, so its gradient is the sum over its uses (never a second copy)."""
        value = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(value)):
            raise DeriveError(f"{fw_name[:80]}: NaN or infinite numbers; derive starts from finite weights")
        if fw_name in self.values:
            self.not_layered(f"{fw_name[:60]} is used twice (shared weights)")
            return next(t for t, fw in self.arrays.items() if fw == fw_name)
        t = identifier(fw_name, self.taken)
        self.params[t] = list(value.shape)
        self.arrays[t] = fw_name
        self.values[fw_name] = value
        return t

    def constant(self, fw_name: str, value, data: str = "normal") -> str:
        """A fixed array (BatchNorm's running statistics): an input of the program, never trained, so the
        proof holds for any value of it and the gradients are computed at the framework's own."""
        value = np.asarray(value, dtype=float)
        if not np.all(np.isfinite(value)):
            raise DeriveError(f"{fw_name[:80]}: NaN or infinite numbers; derive reads finite statistics")
        t = identifier(fw_name, self.taken)
        self.inputs[t] = {"shape": list(value.shape), "data": data}
        self.constants[t] = value
        return t

    def emit(self, expr: str, hint: str = "h") -> str:
        self.count += 1
        name = identifier(f"{hint}{self.count}", self.taken)
        self.forward[name] = expr
        return name

    def not_layered(self, why: str) -> None:
        if self.layered:
            self.layered, self.why = False, why

    # -- operations ---------------------------------------------------------------------------
    def dense(self, x: str, kernel: str, kernel_value, bias: str | None, bias_value,
              transposed: bool = False) -> str:
        """x @ K + b (Keras kernels are [in, out]); PyTorch weights are [out, in]: x @ W.T + b."""
        k = self.param(kernel, kernel_value)
        expr = f"{x} @ {k}.T" if transposed else f"{x} @ {k}"
        if bias is not None:
            expr += f" + {self.param(bias, bias_value)}"
        self.chain.append([kernel, bias, transposed, "linear", x])
        return self.emit(expr, "z")

    def activation(self, x: str, act: str, where: str, a: float | None = None) -> str:
        if act not in TENSOR_ACTIVATIONS:
            raise DeriveError(f"{where}: activation {act!r} is not supported; expected one of "
                              + ", ".join(sorted(TENSOR_ACTIVATIONS)))
        if act == "linear":
            return x
        if act not in LAYERED_ACTIVATIONS:
            self.not_layered(f"{where}: the {act} activation (the layered form has "
                             + ", ".join(LAYERED_ACTIVATIONS) + ")")
        last = self.chain[-1] if self.chain else None
        if last is not None and last[3] == "linear" and act in LAYERED_ACTIVATIONS and self.forward and \
                next(reversed(self.forward)) == x:
            last[3] = act
        else:
            self.not_layered(f"{where}: {act} not right after a dense layer")
        a = ACTIVATION_PARAMETER.get(act) if a is None else a
        if a is not None and not math.isfinite(a):
            raise DeriveError(f"{where}: the {act} parameter must be a finite number, not {a}")
        return self.emit(TENSOR_ACTIVATIONS[act].format(x=x, a=number(a) if a is not None else ""), "a")

    def layernorm(self, x: str, gamma, beta, eps: float, names: tuple[str, str], where: str) -> str:
        """(x - mean) / sqrt(var + eps) * gamma + beta over the features (biased variance)."""
        return self._normalise(x, "axis=1, keepdims=True", gamma, beta, eps, names, where, "layer normalization")

    def batchnorm(self, x: str, gamma, beta, eps: float, names: tuple[str, str], where: str) -> str:
        """Training mode: normalise with the batch's mean and biased variance (as fit and .train() do)."""
        return self._normalise(x, "axis=0", gamma, beta, eps, names, where, "batch normalization")

    def batchnorm_running(self, x: str, mean, var, gamma, beta, eps: float, names: tuple[str, str],
                          stats: tuple[str, str], where: str) -> str:
        """Eval mode: normalise with the running mean and variance (fixed inputs, see :meth:`constant`)."""
        self.not_layered(f"{where}: batch normalization")
        _epsilon(eps, where)
        if np.any(np.asarray(var) < 0):
            raise DeriveError(f"{where}: a running variance below 0")
        mu, v = self.constant(stats[0], mean), self.constant(stats[1], var, "positive")
        out = self.emit(f"({x} - {mu}) / sqrt({v} + {number(eps)})", "xhat")
        return self._affine(out, gamma, beta, names)

    def _normalise(self, x: str, axis: str, gamma, beta, eps: float, names, where: str, kind: str) -> str:
        """(x - mean) / sqrt(biased var + eps), then gamma and beta, with the means taken over ``axis``."""
        self.not_layered(f"{where}: {kind}")
        _epsilon(eps, where)
        mu = self.emit(f"mean({x}, {axis})", "mu")
        c = self.emit(f"{x} - {mu}", "c")
        var = self.emit(f"mean({c} ** 2, {axis})", "var")
        out = self.emit(f"{c} / sqrt({var} + {number(eps)})", "xhat")
        return self._affine(out, gamma, beta, names)

    def _affine(self, x: str, gamma, beta, names) -> str:
        expr = x
        if gamma is not None:
            expr = f"{x} * {self.param(names[0], gamma)}"
        if beta is not None:
            expr += f" + {self.param(names[1], beta)}"
        return x if expr == x else self.emit(expr, "h")

    def embedding(self, ids: str, table: str, value, where: str) -> str:
        self.not_layered(f"{where}: embedding")
        return self.emit(f"{self.param(table, value)}[{ids}]", "emb")

    def reshape(self, x: str, width: int) -> str:
        return self.emit(f"reshape({x}, N, {int(width)})", "flat")

    def concat(self, parts: list, where: str) -> str:
        """The parts side by side along the features: (N, a) and (N, b) -> (N, a + b)."""
        self.not_layered(f"{where}: a concatenation")
        return self.emit(f"concatenate([{', '.join(parts)}], axis=1)", "cat")

    def pool(self, x: str, how: str, where: str) -> str:
        """The mean or sum over axis 1 of (N, L, D) (embeddings of L ids): (N, D)."""
        self.not_layered(f"{where}: a {how} over the sequence")
        return self.emit(f"{how}({x}, axis=1)", "pool")

    def add(self, a: str, b: str, where: str) -> str:
        self.not_layered(f"{where}: a residual addition")
        return self.emit(f"{a} + {b}", "r")

    def arithmetic(self, expr: str, where: str) -> str:
        """``a * b``, ``x - 1.5``, ``-x``: elementwise arithmetic of names and numbers (PyTorch's forward)."""
        self.not_layered(f"{where}: elementwise arithmetic")
        return self.emit(expr, "r")

    # -- the loss -----------------------------------------------------------------------------
    def loss(self, out: str, kind: str, from_logits: bool, n_out: int, reduction: str = "mean",
             smoothing: float = 0.0, delta: float = 1.0) -> None:
        """J: the framework's loss, the mean over the batch (and over outputs for mse and bce), or with
        ``reduction="sum"`` (PyTorch's) the sum over them (the tensor form: the layered losses are means).
        ``smoothing`` e (PyTorch's label_smoothing, logits only): the target is (1 - e) t + e / classes.
        ``huber`` (Keras's Huber, PyTorch's HuberLoss): e^2 / 2 where |e| <= delta, else delta (|e| - delta / 2)."""
        self.probability = ""
        if reduction not in ("mean", "sum"):
            raise DeriveError(f"loss reduction {str(reduction)[:40]!r} is not supported; expected mean or sum")
        if reduction == "sum":
            self.not_layered("reduction='sum' (the layered form's losses are means over the batch)")
        per = "" if reduction == "sum" else f" / (N * §{n_out}§)" if kind in ("mse", "bce", "huber") else " / N"
        if kind == "mse":
            self.forward["J"] = f"sum(({out} - Y) ** 2){per}"
        elif kind == "huber":
            if not (math.isfinite(delta) and delta > 0):
                raise DeriveError(f"the Huber loss's delta must be a finite number above 0, not {delta}")
            e, d = self.emit(f"{out} - Y", "e"), number(delta)
            self.not_layered("the Huber loss (the layered form's losses are mse, ce and bce)")
            self.forward["J"] = f"sum(where(abs({e}) <= {d}, 0.5 * {e} ** 2, {d} * abs({e}) - {number(delta * delta / 2)})){per}"
        elif kind == "bce":
            p = self.emit(f"sigmoid({out})", "p") if from_logits else out
            self.probability = p
            self.forward["J"] = f"-sum(Y * log({p}) + (1 - Y) * log(1 - {p})){per}"
        elif from_logits and smoothing:
            self.not_layered("label smoothing (the layered form's cross-entropy takes one-hot targets)")
            t = f"(Y * {number(1 - smoothing)} + {number(smoothing / n_out)})"
            self.forward["J"] = f"-sum({t} * log_softmax({out}, axis=1)){per}"
        elif from_logits:
            self.forward["J"] = f"-sum(Y * log_softmax({out}, axis=1)){per}"
        else:
            last_softmax = self.forward.get(out, "").startswith("softmax(")
            p = out if last_softmax else self.emit(f"{out} / sum({out}, axis=1, keepdims=True)", "p")
            self.probability = p
            self.forward["J"] = f"-sum(Y * log({p})){per}"

    def program(self, n_out: int, targets: str) -> dict:
        """The tensor program dict.  Its dimensions are the real sizes, or, for a model too large to prove
        at them (more than NAMED_ABOVE parameter entries), size names (``D784``) with small distinct
        sizes for the proof: the generated code reads every size from the arrays it is given."""
        inputs = {**self.inputs, "Y": ["N", n_out]}
        params = dict(self.params)
        sizes = {"N": 4}
        named = sum(int(np.prod(d)) for d in params.values()) > NAMED_ABOVE and \
            not any(e.startswith("reshape(") for e in self.forward.values())
        real = sorted({d for dims in list(params.values()) + list(inputs.values()) for d in dims if isinstance(d, int)})
        name = {r: r for r in real}
        if named:
            for rank, r in enumerate(real):
                name[r] = identifier(f"D{r}", self.taken)
                sizes[name[r]] = min(r, 2 + rank)
            params = {k: [name[d] for d in dims] for k, dims in params.items()}
            inputs = {k: [d if isinstance(d, str) else name[d] for d in dims] for k, dims in inputs.items()}
            self.name += f"; proven at small sizes ({', '.join(f'{name[r]} = {sizes[name[r]]}' for r in real)})"
        forward = {k: re.sub("§([0-9]+)§", lambda m: str(name.get(int(m[1]), m[1])), e) for k, e in self.forward.items()}
        if targets != "values":
            inputs["Y"] = {"shape": inputs["Y"], "data": "one_hot"}
        return {"name": self.name, "tensor": {"sizes": sizes, "inputs": inputs, "params": params,
                                              "forward": forward, "output": "J"}}


def _epsilon(eps: float, where: str) -> None:
    if not (math.isfinite(eps) and eps >= 0):
        raise DeriveError(f"{where}: epsilon must be a finite number of at least 0, not {eps}")
