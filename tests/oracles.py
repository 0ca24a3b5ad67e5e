"""Independent references for the tests: PyTorch autograd and central finite differences."""
from __future__ import annotations

import math

import torch

from derive.derivation.proof import evaluate, forward_values

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu,
             "linear": lambda z: z, "softmax": lambda z: torch.softmax(z, dim=0)}


def torch_loss(spec, values: dict) -> torch.Tensor:
    """The spec's loss built directly in PyTorch from leaf values (layered networks)."""
    a = torch.tensor([values[x] for x in spec.inputs], dtype=torch.float64)
    for L in spec.layers:
        W = torch.stack([torch.stack([values[w] for w in row]) for row in L.weights])
        z = W @ a
        if any(L.biases):
            z = z + torch.stack([values[b] if b else torch.zeros((), dtype=torch.float64) for b in L.biases])
        a = TORCH_ACT[L.activation](z)
    t = torch.tensor([values[n] for n in spec.targets], dtype=torch.float64)
    n = a.shape[0]
    return {"half_sse": lambda: 0.5 * ((t - a) ** 2).sum(),
            "sse": lambda: ((t - a) ** 2).sum(),
            "mse": lambda: ((t - a) ** 2).sum() / n,
            "bce": lambda: -(t * torch.log(a) + (1 - t) * torch.log(1 - a)).sum(),
            "ce": lambda: -(t * torch.log(a)).sum()}[spec.loss]()


def torch_gradients(spec, point: dict[str, float]) -> dict[str, float]:
    params = {p: torch.tensor(point[p], dtype=torch.float64, requires_grad=True) for p in spec.params}
    values = {**{k: v for k, v in point.items() if k not in params}, **params}
    torch_loss(spec, values).backward()
    return {p: params[p].grad.item() for p in spec.trainable}


def derive_gradients(d, point: dict[str, float]) -> dict[str, float]:
    """derive's chain-rule gradients (delta forms) evaluated at a point by a forward pass."""
    net = d.net
    leaves = {net.symbol(k): v for k, v in point.items()}
    vals = forward_values(net, leaves)
    memo: dict = {}
    for sym, definition in d.chain.delta_definitions().items():
        vals[sym] = evaluate(definition, vals.__getitem__, memo)
    return {p: evaluate(d.gradient(p).delta_form, vals.__getitem__, memo) for p in d.params}


def loss_value(d, point: dict[str, float]) -> float:
    net = d.net
    vals = forward_values(net, {net.symbol(k): v for k, v in point.items()})
    return vals[net.nodes[net.loss].symbol]


def finite_differences(d, point: dict[str, float], h: float = 1e-6) -> dict[str, float]:
    out = {}
    for p in d.params:
        up, down = dict(point), dict(point)
        up[p] += h
        down[p] -= h
        out[p] = (loss_value(d, up) - loss_value(d, down)) / (2 * h)
    return out


def close(a: float, b: float, tol: float) -> bool:
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
