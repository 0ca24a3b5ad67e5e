"""The two forms of a framework model read into a :class:`~derive.frameworks.build.Program`: the layered
spec (a chain of dense layers and unit-wise activations) and the tensor program, as an Imported."""
from __future__ import annotations

import numpy as np

from .build import Program
from .imported import MAX_LAYERED, Imported


def layered_spec(prog: Program, n_in: int, loss: str, from_logits: bool, n_out: int) -> tuple[dict | None, str]:
    """The layered spec dict for a chain of dense layers, or (None, why not)."""
    if not prog.layered:
        return None, prog.why
    if loss not in ("mse", "ce", "bce"):
        return None, f"the {loss} loss (the layered form's losses are mse, ce and bce)"
    chain = prog.chain
    if not chain:
        return None, "no dense layer"
    acts = [c[3] for c in chain]
    if from_logits:
        if acts[-1] != "linear":
            return None, "from_logits after an activation"
        acts[-1] = "sigmoid" if loss == "bce" else ("softmax" if loss == "ce" else "linear")
    if "softmax" in acts[:-1]:
        return None, "softmax before the last layer"
    if loss == "ce" and acts[-1] != "softmax":
        return None, "cross-entropy without a softmax output"
    if acts[-1] == "softmax" and n_out < 2:
        return None, "softmax over one unit"
    size = sum(int(np.size(prog.values[c[0]])) + (int(np.size(prog.values[c[1]])) if c[1] else 0) for c in chain)
    if size > MAX_LAYERED:
        return None, f"{size} scalar parameters (the layered proof takes at most {MAX_LAYERED})"
    layers = [{"units": int(np.shape(prog.values[c[0]])[0 if c[2] else 1]), "activation": a,
               "bias": "per-unit" if c[1] else "none"} for c, a in zip(chain, acts)]
    rule = {"mse": "mse", "ce": "ce", "bce": "bce" if n_out == 1 else "bce_mean"}[loss]
    spec = {"name": prog.name, "notation": "ihv" if len(layers) == 2 else "ng", "inputs": n_in,
            "layers": layers, "loss": rule}
    return spec, ""


def finish(prog: Program, *, out: str, n_in: int, n_out: int, loss: str, from_logits: bool,
           targets: str, optimizer: dict | None = None, clip: tuple | None = None,
           integer_inputs: bool = False, reduction: str = "mean", smoothing: float = 0.0,
           delta: float = 1.0) -> Imported:
    """The Imported model: the tensor program, and the layered form with its parameter entries."""
    prog.loss(out, loss, from_logits, n_out, reduction, smoothing, delta)
    spec, why = layered_spec(prog, n_in, loss, from_logits, n_out)
    if spec is None and "scalar parameters" in why:     # too large to prove entry by entry: say so
        prog.name += f" (tensor form: {why})"
    program = prog.program(n_out, targets)
    m = Imported(prog.framework, prog.name, n_in, n_out, dict(prog.values), program,
                 dict(prog.arrays), loss, targets, spec, {}, optimizer, clip, integer_inputs, why,
                 probability=prog.probability, constants=dict(prog.constants))
    if spec is not None:
        net = m.network()
        for layer, (kernel, bias, transposed, _, _) in zip(net.spec.layers, prog.chain):
            for j, row in enumerate(layer.weights):
                for i, w in enumerate(row):
                    m.entries[w] = (kernel, (j, i) if transposed else (i, j))
            for j, b in enumerate(layer.biases):
                if b is not None and bias is not None:
                    m.entries[b] = (bias, (j,))
    return m
