"""float32 sigmoid layers computed as one tanh pass (derive/codegen/tanhform.py), against PyTorch autograd.

The tanh form is used only for float32 batches of 65,536 hidden entries or more; these networks are called at
batch 4096 (tanh form in float32) and 64 (exp form), in float32 and float64, and every result is compared with
PyTorch autograd in float64 on the same numbers.  Which form ran is read from a traced call
(``benchmarks.passes``), so a test cannot pass by never taking the tanh branch."""
from __future__ import annotations

import threading

import numpy as np
import pytest

import derive
from benchmarks.passes import traced_calls
from test_compiled_work import _case, _torch

NETS = [  # (sizes, hidden, output, loss): sigmoid hidden layers with a bias per unit, then any layer
    ([16, 32, 16], "sigmoid", "sigmoid", "half_sse"),
    ([5, 24, 20, 3], "sigmoid", "softmax", "ce"),          # two tanh-form layers in a row
    ([6, 40, 2], "sigmoid", "linear", "sse"),
    ([4, 20, 12, 3], "sigmoid", "relu", "mse"),
]


def _ufuncs(c, P, X, T) -> set[str]:
    return {name for kind, name, *_ in traced_calls(c.module, P, X, T) if kind == "ufunc"}


@pytest.mark.parametrize("sizes, hidden, out, loss", NETS)
@pytest.mark.parametrize("dtype, n, form", [(np.float32, 4096, "tanh"), (np.float32, 64, "exp"),
                                            (np.float64, 4096, "exp")])
def test_gradients_loss_and_outputs_agree_with_pytorch(sizes, hidden, out, loss, dtype, n, form):
    net = derive.mlp(sizes, activation=hidden, output_activation=out, loss=loss, bias="per-unit")
    c = derive.compile(net, fused=False)      # the NumPy code's tanh form (C kernels: test_fused_kernels)
    P, X, T = _case(net, c, np.random.default_rng(sum(sizes) + n), n, dtype)
    used = _ufuncs(c, P, X, T)
    assert ("tanh" in used) == (form == "tanh") and (form == "tanh" or "exp" in used)
    J, g = c.loss_gradients(P, X, T)
    Jt, Yt, gt = _torch(net, c, P, X, T)
    rtol = 1e-10 if dtype == np.float64 else 3e-5
    Y = c.forward(P, X)
    assert Y.dtype == dtype and all(v.dtype == dtype for v in g.values())
    np.testing.assert_allclose(Y, Yt, rtol=0, atol=rtol * float(np.abs(Yt).max()))
    assert J == pytest.approx(Jt, rel=rtol) and c.loss(P, X, T) == pytest.approx(Jt, rel=rtol)
    for k, want in gt.items():          # relative to the largest entry: float32 sums of 4096 terms
        scale = float(np.abs(want).max())
        np.testing.assert_allclose(g[k], want, rtol=0, atol=rtol * 10 * scale)
        np.testing.assert_allclose(c.gradients(P, X, T)[k], want, rtol=0, atol=rtol * 10 * scale)


def test_the_threshold_counts_the_tanh_layers_entries():
    net = derive.mlp([3, 16, 16, 2], activation="sigmoid", loss="half_sse", bias="per-unit")
    c = derive.compile(net, fused=False)      # the NumPy code's tanh form (C kernels: test_fused_kernels)
    rng = np.random.default_rng(1)
    assert "tanh" in _ufuncs(c, *_case(net, c, rng, 2048, np.float32))       # 2048 x 32 = 65,536
    assert "tanh" not in _ufuncs(c, *_case(net, c, rng, 2047, np.float32))


def test_no_tanh_form_without_a_bias_per_unit_around_the_layer():
    for bias in (None, "shared"):
        net = derive.mlp([8, 32, 2], activation="sigmoid", loss="half_sse", bias=bias)
        c = derive.compile(net, fused=False)  # the NumPy code's tanh form (C kernels: test_fused_kernels)
        P, X, T = _case(net, c, np.random.default_rng(2), 4096, np.float32)
        assert "tanh" not in _ufuncs(c, P, X, T)
        for k, want in _torch(net, c, P, X, T)[2].items():
            np.testing.assert_allclose(c.gradients(P, X, T)[k], want, rtol=0, atol=3e-4 * float(np.abs(want).max()))


def test_concurrent_float32_calls_in_tanh_form_agree_with_pytorch():
    net = derive.mlp([8, 32, 4], activation="sigmoid", loss="half_sse", bias="per-unit")
    c = derive.compile(net, fused=False)      # the NumPy code's tanh form (C kernels: test_fused_kernels)
    cases = [_case(net, c, np.random.default_rng(k), 4096, np.float32) for k in range(4)]
    want = [_torch(net, c, *case)[2] for case in cases]
    wrong = []

    def work(k):
        for _ in range(20):
            g = c.gradients(*cases[k])
            if not all(np.allclose(g[x], want[k][x], rtol=0, atol=3e-4 * np.abs(want[k][x]).max()) for x in want[k]):
                wrong.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(cases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert wrong == []


def test_only_an_activation_equal_to_the_tanh_identity_qualifies():
    from derive.codegen import tanhform
    layers = {act: tanhform.layers(derive.mlp([3, 8, 8, 2], activation=act, loss="half_sse", bias="per-unit"))
              for act in ("sigmoid", "tanh", "relu", "linear")}
    assert layers == {"sigmoid": {1, 2}, "tanh": set(), "relu": set(), "linear": set()}


@pytest.mark.parametrize("seed", range(4))
def test_random_networks_in_float32_agree_with_pytorch(seed):
    rng = np.random.default_rng(100 + seed)
    depth = int(rng.integers(1, 4))                     # 1 to 3 hidden sigmoid layers, then any output
    sizes = [int(rng.integers(2, 9))] + [int(rng.integers(8, 48)) for _ in range(depth)] + [int(rng.integers(1, 5))]
    out, loss = [("sigmoid", "half_sse"), ("softmax", "ce"), ("linear", "mse"), ("sigmoid", "bce")][int(rng.integers(4))]
    net = derive.mlp(sizes, activation="sigmoid", output_activation=out, loss=loss, bias="per-unit")
    c = derive.compile(net, fused=False)      # the NumPy code's tanh form (C kernels: test_fused_kernels)
    P, X, T = _case(net, c, rng, 4096, np.float32)
    assert ("tanh" in _ufuncs(c, P, X, T)) == (4096 * sum(sizes[1:-1]) >= 65536)   # every hidden layer qualifies
    J, g = c.loss_gradients(P, X, T)
    Jt, _, gt = _torch(net, c, P, X, T)
    assert J == pytest.approx(Jt, rel=3e-5)
    for k, want in gt.items():
        np.testing.assert_allclose(g[k], want, rtol=0, atol=3e-4 * float(np.abs(want).max()))
