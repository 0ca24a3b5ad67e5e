"""Gradients of random networks agree with PyTorch autograd and with central finite differences."""
import random

import pytest

import derive
from oracles import close, derive_gradients, finite_differences, torch_gradients

NETWORKS = [
    # sizes, hidden activation, output activation, loss, bias
    ([2, 2, 2], "sigmoid", "sigmoid", "half_sse", None),
    ([3, 4, 2], "tanh", "sigmoid", "bce", "per-unit"),
    ([2, 3, 3], "relu", "softmax", "ce", "per-unit"),
    ([3, 2, 2, 2], "sigmoid", "linear", "mse", "shared"),
    ([2, 3, 2, 3], "tanh", "tanh", "sse", None),
    ([4, 3, 3, 2, 2], "sigmoid", "softmax", "ce", "per-unit"),
    ([2, 5, 1], "relu", "sigmoid", "half_sse", "per-unit"),
    ([3, 3, 3], "linear", "softmax", "half_sse", None),
]


def point_for(spec, rng):
    pt = {x: rng.uniform(-1, 1) for x in spec.inputs}
    pt.update({p: rng.uniform(-1, 1) for p in spec.params})
    ts = [rng.uniform(0.05, 0.95) for _ in spec.targets]
    if spec.loss == "ce":
        ts = [t / sum(ts) for t in ts]
    pt.update(dict(zip(spec.targets, ts)))
    return pt


@pytest.mark.parametrize("sizes,act,out,loss,bias", NETWORKS)
def test_gradients_match_pytorch_and_finite_differences(sizes, act, out, loss, bias):
    net = derive.mlp(sizes, activation=act, output_activation=out, loss=loss, bias=bias)
    d = derive.derive(net)
    rng = random.Random(hash((tuple(sizes), act, loss)) % 1000)
    for _ in range(3):
        pt = point_for(net.spec, rng)
        ours = derive_gradients(d, pt)
        torch_ = torch_gradients(net.spec, pt)
        fd = finite_differences(d, pt)
        for p in d.params:
            assert close(ours[p], torch_[p], 1e-9), (p, ours[p], torch_[p])
            assert close(ours[p], fd[p], 1e-5), (p, ours[p], fd[p])
    assert d.all_proven


def test_graph_form_matches_finite_differences():
    spec = {"name": "graph with functions", "graph": {
        "inputs": ["x"], "params": ["a", "b", "c"],
        "nodes": {"u": "a*x + b", "v": "sigmoid(u) * tanh(c*u)", "w": "exp(v) / (1 + u**2)",
                  "J": "log(1 + w) + v**3"}}, "loss": "none"}
    from derive.model.graph import Network
    from derive.model.spec import from_dict
    d = derive.derive(Network(from_dict(spec)))
    assert d.all_proven
    pt = {"x": 0.3, "a": -0.7, "b": 0.2, "c": 1.1}
    ours, fd = derive_gradients(d, pt), finite_differences(d, pt)
    for p in d.params:
        assert close(ours[p], fd[p], 1e-6), p


def test_classic_example_matches_the_published_numbers():
    # the classic 2-2-2 worked example (x = 0.05, 0.10; biases 0.35 and 0.60 not trained):
    # total error 0.298371109, dE/dw5 = 0.082167041, dE/dw1 = 0.000438568
    net = derive.load("classic")
    d = derive.derive(net)
    v = net.spec.values
    pt = {k: float(x) for k, x in {**v.inputs, **v.params, **v.targets}.items()}
    from oracles import loss_value
    assert close(loss_value(d, pt), 0.298371109, 1e-9)
    g = derive_gradients(d, pt)
    assert close(g["w5"], 0.082167041, 1e-9) and close(g["w1"], 0.000438568, 1e-9)
    assert "b1" in net.params and "b1" not in d.params      # fixed: a symbol, never a gradient
    with pytest.raises(derive.DeriveError, match="fixed parameter"):
        d.gradient("b1")
