"""derive.compile: matrix and per-scalar code against PyTorch, finite differences and the derivation."""
from __future__ import annotations

import random

import numpy as np
import pytest

import derive
from derive.errors import DeriveError
from derive.model.spec import from_dict
from derive.model.graph import Network
from oracles import derive_gradients, finite_differences, loss_value, torch_gradients

# (hidden activation, output activation, loss, bias): every activation and every loss appears
LAYERED = [
    ("sigmoid", "sigmoid", "half_sse", None),
    ("tanh", "linear", "sse", "per-unit"),
    ("relu", "linear", "mse", "shared"),
    ("sigmoid", "sigmoid", "bce", "per-unit"),
    ("tanh", "softmax", "ce", "per-unit"),
    ("linear", "sigmoid", "ce", None),
    ("relu", "tanh", "half_sse", "per-unit"),
]


def _batch(net, rng, n):
    """n examples of leaf values: inputs and targets, as the spec names them."""
    rows = []
    for _ in range(n):
        ex = {x: rng.uniform(-1, 1) for x in net.spec.inputs}
        ts = {t: rng.uniform(0.05, 0.95) for t in net.spec.targets}
        if net.spec.loss == "ce":
            s = sum(ts.values())
            ts = {k: v / s for k, v in ts.items()}
        rows.append({**ex, **ts})
    return rows


def _arrays(net, rows):
    X = np.array([[r[x] for x in net.spec.inputs] for r in rows])
    T = np.array([[r[t] for t in net.spec.targets] for r in rows]) if net.spec.targets else np.zeros((len(rows), 0))
    return X, T


def _mean(dicts):
    return {k: sum(d[k] for d in dicts) / len(dicts) for k in dicts[0]}


@pytest.mark.parametrize("hidden, out, loss, bias", LAYERED)
def test_layered_gradients_match_pytorch(hidden, out, loss, bias):
    net = derive.mlp([3, 4, 3], activation=hidden, output_activation=out, loss=loss, bias=bias)
    c = derive.compile(net)
    rng = random.Random(1)
    params = {p: rng.uniform(-1, 1) for p in net.params}
    rows = _batch(net, rng, 5)
    X, T = _arrays(net, rows)
    got = c.unpack_gradients(c.gradients(c.pack(params), X, T))
    want = _mean([torch_gradients(net.spec, {**params, **r}) for r in rows])
    assert got.keys() == want.keys()
    for p in want:
        assert got[p] == pytest.approx(want[p], rel=1e-9, abs=1e-12), p


@pytest.mark.parametrize("hidden, out, loss, bias", LAYERED)
def test_matrix_form_equals_per_scalar_derivation_entry_by_entry(hidden, out, loss, bias):
    net = derive.mlp([2, 3, 2], activation=hidden, output_activation=out, loss=loss, bias=bias)
    c = derive.compile(net, check=False)
    d = derive.derive(net)
    rng = random.Random(2)
    for _ in range(3):
        params = {p: rng.uniform(-1, 1) for p in net.params}
        rows = _batch(net, rng, 4)
        X, T = _arrays(net, rows)
        got = c.unpack_gradients(c.gradients(c.pack(params), X, T))
        want = _mean([derive_gradients(d, {**params, **r}) for r in rows])
        for p in d.params:
            assert got[p] == pytest.approx(want[p], rel=1e-10, abs=1e-13), p


@pytest.mark.parametrize("hidden, out, loss, bias", LAYERED)
def test_loss_and_forward_match_the_derivation(hidden, out, loss, bias):
    net = derive.mlp([2, 3, 2], activation=hidden, output_activation=out, loss=loss, bias=bias)
    c = derive.compile(net, check=False)
    d = derive.derive(net)
    rng = random.Random(3)
    params = {p: rng.uniform(-1, 1) for p in net.params}
    rows = _batch(net, rng, 3)
    X, T = _arrays(net, rows)
    want = np.mean([loss_value(d, {**params, **r}) for r in rows])
    assert c.loss(c.pack(params), X, T) == pytest.approx(want, rel=1e-12)
    assert c.forward(c.pack(params), X).shape == (3, 2)


GRAPHS = [
    {"name": "seed 001", "graph": {"inputs": ["A", "B"], "params": ["W1", "W2", "W3"],
                                   "nodes": {"P": "W1*A + W2*B", "Q": "W3*P"}, "output": ["Q"]},
     "loss": "half_sse", "targets": ["C"]},
    {"name": "functions", "graph": {"inputs": ["x"], "params": ["u", "v"],
                                    "nodes": {"h": "tanh(u*x) + exp(v)", "g": "sigmoid(h*v) + relu(h - x)",
                                              "k": "log(1 + g*g)"}, "output": ["k"]},
     "loss": "none"},
    {"name": "reserved names", "graph": {"inputs": ["X"], "params": ["np", "n", "grads"],
                                         "nodes": {"T": "np*X + n", "Y": "grads*T*T"}, "output": ["Y"]},
     "loss": "sse", "targets": ["params"]},
    {"name": "no inputs", "graph": {"inputs": [], "params": ["a", "b"], "nodes": {"f": "a*a*b + b"}},
     "loss": "none"},
]


@pytest.mark.parametrize("spec", GRAPHS, ids=[g["name"] for g in GRAPHS])
def test_graph_gradients_match_finite_differences(spec):
    net = Network(from_dict(spec))
    c = derive.compile(net)
    d = derive.derive(net)
    rng = random.Random(4)
    params = {p: rng.uniform(0.2, 1) for p in net.params}
    rows = _batch(net, rng, 3)
    X, T = _arrays(net, rows)
    got = c.unpack_gradients(c.gradients(c.pack(params), X, T))
    fd = _mean([finite_differences(d, {**params, **r}) for r in rows])
    for p in d.params:
        assert got[p] == pytest.approx(fd[p], rel=1e-6, abs=1e-7), p
    want_loss = np.mean([loss_value(d, {**params, **r}) for r in rows])
    assert c.loss(c.pack(params), X, T) == pytest.approx(want_loss, rel=1e-12)
    assert "Dummy" not in c.source


def test_fixed_parameters_have_no_gradient_and_a_zero_mask():
    net = derive.load("classic")           # biases b1, b2 are not trainable
    c = derive.compile(net)
    g = c.unpack_gradients(c.gradients(c.start(), np.ones((1, 2)), np.ones((1, 2))))
    assert "b1" not in g and "b2" not in g and "w1" in g
    assert c.masks()["b1"] == 0.0 and c.masks()["W1"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_start_uses_spec_values():
    net = derive.load("seed002")
    c = derive.compile(net)
    assert c.unpack(c.start(seed=7))["w31"] == 0.40


def test_pack_names_a_missing_parameter():
    c = derive.compile(derive.load("seed002"))
    with pytest.raises(DeriveError, match="w11"):
        c.pack({})


def test_a_64_128_10_network_compiles_and_its_gradient_matches_pytorch():
    net = derive.mlp([64, 128, 10], activation="sigmoid", output_activation="softmax", loss="ce",
                     bias="per-unit")
    c = derive.compile(net)
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    P = c.start(seed=0)
    X = rng.normal(size=(16, 64))
    T = np.eye(10)[rng.integers(0, 10, 16)]
    g = c.gradients(P, X, T)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
    a = torch.sigmoid(torch.tensor(X) @ tp["W1"].T + tp["b1"])
    y = torch.softmax(a @ tp["W2"].T + tp["b2"], dim=1)
    (-(torch.tensor(T) * torch.log(y)).sum(dim=1).mean()).backward()
    for k in P:
        np.testing.assert_allclose(g[k], tp[k].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("out", ["sigmoid", "linear"])
def test_layered_objective_without_targets_matches_finite_differences(out):
    net = derive.mlp([2, 3, 1], activation="tanh", output_activation=out, loss="none", bias="per-unit")
    c = derive.compile(net)
    d = derive.derive(net)
    rng = random.Random(6)
    params = {p: rng.uniform(-1, 1) for p in net.params}
    rows = _batch(net, rng, 2)
    X, T = _arrays(net, rows)
    got = c.unpack_gradients(c.gradients(c.pack(params), X, T))
    fd = _mean([finite_differences(d, {**params, **r}) for r in rows])
    for p in d.params:
        assert got[p] == pytest.approx(fd[p], rel=1e-6, abs=1e-8), p


def test_partly_shared_biases_are_refused_with_a_clear_error():
    net = Network(from_dict({"inputs": 2, "layers": [{"units": 3, "bias": ["b1", "b1", "b2"]}]}))
    with pytest.raises(DeriveError, match="share some"):
        derive.compile(net)
