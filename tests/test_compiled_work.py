"""The compiled code's reused work arrays: results never change under the caller, any batch size,
float32 kept float32, concurrent calls; every result against PyTorch autograd (float64, 1e-10)."""
from __future__ import annotations

import sys
import threading

import numpy as np
import pytest
import torch

import derive

ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z,
       "softmax": lambda z: torch.softmax(z, dim=1)}
LOSS = {"half_sse": lambda y, t: 0.5 * ((t - y) ** 2).sum(dim=1),
        "sse": lambda y, t: ((t - y) ** 2).sum(dim=1),
        "mse": lambda y, t: ((t - y) ** 2).mean(dim=1),
        "bce": lambda y, t: -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum(dim=1),
        "ce": lambda y, t: -(t * torch.log(y)).sum(dim=1)}
NETS = [  # (sizes, hidden, output, loss, bias)
    ([3, 4, 3], "sigmoid", "sigmoid", "half_sse", "per-unit"),
    ([3, 5, 4, 2], "tanh", "softmax", "ce", "per-unit"),
    ([2, 4, 3], "relu", "relu", "mse", "shared"),
    ([4, 3, 2], "sigmoid", "sigmoid", "bce", None),
    ([3, 4, 2], "relu", "linear", "sse", "per-unit"),
]


def _torch(net, c, P, X, T):
    """Loss, forward output and gradients of the batch-mean loss by PyTorch autograd, from the arrays."""
    tp = {k: torch.tensor(np.asarray(v, dtype=np.float64), requires_grad=True) for k, v in P.items()}
    a = torch.tensor(np.asarray(X, dtype=np.float64))
    for li, L in enumerate(net.spec.layers, 1):
        z = a @ tp[f"W{li}"].T
        if f"b{li}" in tp:
            z = z + tp[f"b{li}"]
        a = ACT[L.activation](z)
    J = LOSS[net.spec.loss](a, torch.tensor(np.asarray(T, dtype=np.float64))).mean()
    grads = torch.autograd.grad(J, list(tp.values()))
    return float(J.detach()), a.detach().numpy(), {k: g.numpy() for k, g in zip(tp, grads)}


def _case(net, c, rng, n, dtype=np.float64):
    P = {k: (rng.uniform(-1, 1, np.shape(v)) if np.ndim(v) else float(rng.uniform(-1, 1)))
         for k, v in c.start().items()}
    X = rng.uniform(-1, 1, (n, len(net.spec.inputs)))
    T = rng.uniform(0.05, 0.95, (n, len(net.spec.targets)))
    if net.spec.loss == "ce":
        T /= T.sum(axis=1, keepdims=True)
    P = {k: np.asarray(v, dtype=dtype) if np.ndim(v) else v for k, v in P.items()}
    return P, X.astype(dtype), T.astype(dtype)


def _arrays(result):
    out = []
    for r in result:
        out += [np.asarray(g) for g in r.values()] if isinstance(r, dict) else [np.asarray(r)]
    return out


@pytest.mark.parametrize("sizes, hidden, out, loss, bias", NETS)
def test_results_of_earlier_calls_never_change_and_never_share_memory(sizes, hidden, out, loss, bias):
    net = derive.mlp(sizes, activation=hidden, output_activation=out, loss=loss, bias=bias)
    c = derive.compile(net)
    rng = np.random.default_rng(sum(sizes))
    kept = []
    for n in [5, 2, 5, 1, 7, 5, 2, 64, 5]:          # batch sizes repeat: their work arrays are reused
        P, X, T = _case(net, c, rng, n)
        J, g = c.loss_gradients(P, X, T)
        result = (c.forward(P, X), g, c.gradients(P, X, T), c.loss(P, X, T))
        kept.append(((P, X, T), J, [np.array(a, copy=True) for a in _arrays(result)], result))
    arrays = [a for *_, result in kept for a in _arrays(result) if a.ndim]
    for i, a in enumerate(arrays):
        assert a.flags.owndata or a.base is not None
        for b in arrays[i + 1:]:
            assert not np.shares_memory(a, b)
    for (P, X, T), J, copies, result in kept:
        assert [np.array_equal(a, b) for a, b in zip(_arrays(result), copies)] == [True] * len(copies)
        Jt, Yt, gt = _torch(net, c, P, X, T)
        Y, g, g2, J2 = result
        np.testing.assert_allclose(Y, Yt, rtol=1e-12, atol=1e-14)
        assert J == pytest.approx(Jt, rel=1e-10) and J2 == pytest.approx(Jt, rel=1e-10)
        for k in gt:
            np.testing.assert_allclose(g[k], gt[k], rtol=1e-10, atol=1e-13)
            np.testing.assert_allclose(g2[k], gt[k], rtol=1e-10, atol=1e-13)


def test_float32_in_gives_float32_out_and_mixed_input_computes_in_float64():
    net = derive.mlp([6, 8, 3], activation="sigmoid", loss="half_sse", bias="per-unit")
    c = derive.compile(net)
    rng = np.random.default_rng(4)
    P, X, T = _case(net, c, rng, 50, np.float32)
    g = c.gradients(P, X, T)
    assert c.forward(P, X).dtype == np.float32 and all(v.dtype == np.float32 for v in g.values())
    _, _, gt = _torch(net, c, P, X, T)
    for k in gt:
        np.testing.assert_allclose(g[k], gt[k], rtol=2e-4, atol=2e-6)
    P64 = {k: np.asarray(v, dtype=np.float64) for k, v in P.items()}
    g = c.gradients(P64, X, T)                       # float32 data, float64 parameters
    assert all(v.dtype == np.float64 for v in g.values())
    for k in gt:
        np.testing.assert_allclose(g[k], gt[k], rtol=1e-10, atol=1e-13)


def test_batches_above_the_kept_size_are_not_kept_and_still_right():
    net = derive.mlp([3, 4, 2], activation="tanh", loss="sse", bias="per-unit")
    c = derive.compile(net)
    rng = np.random.default_rng(5)
    c.module._SPARE.clear()
    keep, c.module.KEEP_ROWS = c.module.KEEP_ROWS, 3
    try:
        P, X, T = _case(net, c, rng, 10)
        g = c.gradients(P, X, T)
        assert not c.module._SPARE
        c.gradients(*_case(net, c, rng, 2))
        assert list(c.module._SPARE) == [(2, np.dtype(np.float64))]
    finally:
        c.module.KEEP_ROWS = keep
    for k, v in _torch(net, c, P, X, T)[2].items():
        np.testing.assert_allclose(g[k], v, rtol=1e-10, atol=1e-13)


def test_concurrent_calls_in_threads_agree_with_pytorch():
    net = derive.mlp([8, 16, 4], activation="sigmoid", loss="half_sse", bias="per-unit")
    c = derive.compile(net)
    cases = [_case(net, c, np.random.default_rng(k), 256) for k in range(6)]
    want = [_torch(net, c, *case)[2] for case in cases]
    wrong = []

    def work(k):
        for _ in range(50):                          # same batch size everywhere: the sets are contended
            g = c.gradients(*cases[k])
            if not all(np.allclose(g[x], want[k][x], rtol=1e-10, atol=1e-13) for x in want[k]):
                wrong.append(k)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(cases))]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)                      # switch threads often: inside calls too
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert wrong == []


# The generated code recognises the usual call (every array float64, or every array float32, a shared
# bias a Python float) by dtype identity alone; every other mix must take NumPy's result type, as before.
MIXES = [  # (X, T, parameter arrays, shared bias) -> the dtype NumPy's promotion gives (forward: without T)
    (np.int64, np.int64, np.float64, float, np.float64),        # integer data
    (np.int32, np.float32, np.float32, float, np.float64),      # int32 with float32 promotes to float64
    (np.float32, np.float32, np.float64, float, np.float64),    # float32 data, float64 weights
    (np.float64, np.float64, np.float32, float, np.float64),    # float64 data, float32 weights
    (np.float32, np.float64, np.float32, float, np.float64),    # float64 targets only (forward: float32)
    (np.float32, np.float32, np.float32, float, np.float32),    # all float32, the bias a Python float
    (np.float32, np.float32, np.float32, np.float64, np.float64),   # a NumPy float64 bias is not weak
    (np.float16, np.float16, np.float16, float, np.float32),    # half precision is computed in float32
    (">f8", ">f8", ">f8", float, np.float64),                   # big-endian float64
]


@pytest.mark.parametrize("xd, td, wd, bias_type, want", MIXES)
def test_every_dtype_mix_computes_in_numpys_result_type_and_agrees_with_pytorch(xd, td, wd, bias_type, want):
    net = derive.mlp([3, 5, 2], activation="sigmoid", loss="half_sse", bias="shared")
    c = derive.compile(net)
    rng = np.random.default_rng(7)
    P, X, T = _case(net, c, rng, 6)
    if np.dtype(xd).kind == "i":                     # integer data: small whole numbers, 0/1 targets
        X, T = rng.integers(-3, 4, X.shape), rng.integers(0, 2, T.shape)
    P = {k: bias_type(v) if not np.ndim(v) else np.asarray(v, wd) for k, v in P.items()}
    X, T = X.astype(xd), T.astype(td)
    exact = {k: (v if not np.ndim(v) else v.astype(np.float64)) for k, v in P.items()}
    Jt, Yt, gt = _torch(net, c, exact, X.astype(np.float64), T.astype(np.float64))
    tol = dict(rtol=1e-10, atol=1e-13) if want == np.float64 else dict(rtol=2e-3, atol=2e-4)
    for _ in range(2):                               # the second call reuses the first call's work arrays
        J, g = c.loss_gradients(P, X, T)
        Y = c.forward(P, X)
        assert Y.dtype == (np.float32 if td == np.float64 and xd == np.float32 else want)
        assert all(np.asarray(v).dtype == want for v in g.values())
        np.testing.assert_allclose(Y, Yt, **(tol if Y.dtype == want else dict(rtol=2e-3, atol=2e-4)))
        assert J == pytest.approx(Jt, rel=tol["rtol"])
        for k in gt:
            np.testing.assert_allclose(c.gradients(P, X, T)[k], gt[k], **tol)
            np.testing.assert_allclose(g[k], gt[k], **tol)


@pytest.mark.parametrize("sizes", [[3, 5, 2], [4, 16, 3], [3, 600, 2]])
def test_sigmoid_bias_added_over_k_examples_a_row_agrees_with_pytorch_at_every_batch_size(sizes):
    # the bias of a sigmoid layer is added over a view of Z with k examples a row (k a power of two
    # dividing n, k * units <= 512): odd n (k = 1), n = 96 (k = 32 for 16 units), 600 units (k = 1)
    net = derive.mlp(sizes, activation="sigmoid", loss="half_sse", bias="per-unit")
    c = derive.compile(net)
    assert "NB1f" in c.source
    rng = np.random.default_rng(len(sizes) + sizes[1])
    for n in [96, 3, 1, 64, 1024, 96]:
        P, X, T = _case(net, c, rng, n)
        _, Yt, gt = _torch(net, c, P, X, T)
        np.testing.assert_allclose(c.forward(P, X), Yt, rtol=1e-12, atol=1e-14)
        g = c.gradients(P, X, T)
        for k in gt:
            np.testing.assert_allclose(g[k], gt[k], rtol=1e-10, atol=1e-13)
