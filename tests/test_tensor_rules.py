"""One small program per entry of the VJP table: derived, proven, and equal to PyTorch autograd."""
from __future__ import annotations

import numpy as np
import pytest

from derive.codegen.tensor import compile_tensor, make_values
from derive.tensor.program import from_dict
from derive.tensor.proof import prove_backward

from tensor_oracle import torch_gradients

# op -> (params, forward assignments); inputs X: [N, D], I: integer [N] (indexes V rows), sizes N D H V
PROGRAMS = {
    "matmul": ({"W": ["D", "H"]}, {"J": "sum((X @ W) ** 2)"}),
    "vector matmul": ({"w": ["D"], "M": ["D", "H"]}, {"J": "sum(tanh(X @ w)) + sum((w @ M) ** 2)"}),
    "add broadcast": ({"W": ["D", "H"], "b": ["H"], "c": ["N", 1]}, {"J": "sum(tanh(X @ W + b + c))"}),
    "sub and div broadcast": ({"a": ["D"], "s": [1, "D"]}, {"J": "sum(((X - a) / (s * s + 1)) ** 2)"}),
    "mul scalar param": ({"k": [], "W": ["D", "H"]}, {"J": "sum(tanh(k * (X @ W)))"}),
    "pow": ({"W": ["D", "H"]}, {"J": "sum(((X @ W) ** 2 + 1) ** -1.5)"}),
    "sqrt": ({"W": ["D", "H"]}, {"J": "sum(sqrt((X @ W) ** 2 + 1))"}),
    "sum and mean with keepdims": ({"W": ["D", "H"]},
                                   {"Z": "X @ W", "J": "sum((Z - Z.mean(axis=0, keepdims=True)) ** 2) + sum(Z.sum(1) ** 2)"}),
    "mean of everything": ({"W": ["D", "H"]}, {"J": "mean(tanh(X @ W))"}),
    "transpose": ({"W": ["H", "D"]}, {"J": "sum(sigmoid(X @ W.T))"}),
    "exp and log": ({"W": ["D", "H"]}, {"J": "sum(log(1 + exp(X @ W)))"}),
    "relu and comparison": ({"W": ["D", "H"]}, {"Z": "X @ W", "J": "sum(relu(Z) * Z + (Z > 0) * Z)"}),
    "softmax": ({"W": ["D", "H"]}, {"J": "sum(softmax(X @ W, axis=1) * (X @ W))"}),
    "log-softmax": ({"W": ["D", "H"]}, {"J": "-sum(log_softmax(X @ W, axis=1)[:, 0]) / N"}),
    "max": ({"W": ["D", "H"]}, {"Z": "X @ W", "J": "sum(Z.max(axis=1) ** 2) + sum(max(Z))"}),
    "embedding lookup": ({"E": ["V", "H"], "W": ["H", "D"]}, {"J": "sum(tanh(E[I] @ W) * X)"}),
    "reshape": ({"W": ["D", "H"]}, {"J": "sum(tanh(reshape(X @ W, (H, N))) @ ones_like(X[:, 0]))"}),
    "stack": ({"w": ["D"]}, {"J": "sum(stack([X @ w, tanh(X @ w)], axis=1) ** 2)"}),
}


def _program(name):
    params, forward = PROGRAMS[name]
    return from_dict({"name": name, "tensor": {
        "sizes": {"N": 4, "D": 3, "H": 2, "V": 5},
        "inputs": {"X": ["N", "D"], "I": ["N"]}, "params": params, "forward": forward}}, "rule")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_rule_is_proven_and_equals_pytorch(name):
    prog = _program(name)
    proofs = prove_backward(prog)
    assert proofs and all(p.proven for p in proofs.values()), proofs
    c = compile_tensor(prog)
    sizes = prog.realistic(32)
    v = make_values(prog, sizes, 5)
    values = {**v["inputs"], **v["params"]}
    if "I" in prog.integer_inputs:
        values["I"] = np.random.default_rng(0).integers(0, 5, size=(32,))
    J, grads = c.gradients(values)
    tJ, tgrads = torch_gradients(prog, values, sizes)
    assert abs(J - tJ) <= 1e-10 * max(1, abs(tJ))
    for p in prog.params:
        assert np.max(np.abs(grads[p] - tgrads[p])) <= 1e-10 * max(1.0, np.max(np.abs(tgrads[p]))), p
