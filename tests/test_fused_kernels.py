"""The C kernels of compiled gradients (derive.codegen.kernels) against PyTorch autograd, the NumPy path
and a long-double reference for their exp, tanh and sigmoid; the build cache and every fallback."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import derive
from derive.codegen import cbuild, cmath, ctext, kernels

pytestmark = pytest.mark.skipif(cbuild.load_kernels(cmath.MATH_MODULE) is None,
                                reason="no C compiler or Python headers here: the NumPy code is all there is")

TORCH_ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda z: z,
             "softmax": lambda z: torch.softmax(z, 1)}
TORCH_LOSS = {"half_sse": lambda y, t: 0.5 * ((t - y) ** 2).sum(1).mean(),
              "mse": lambda y, t: ((t - y) ** 2).mean(1).mean(),
              "bce": lambda y, t: -(t * torch.log(y) + (1 - t) * torch.log(1 - y)).sum(1).mean(),
              "ce": lambda y, t: -(t * torch.log(y)).sum(1).mean()}
# widths <= 8: one kernel for the whole call (knet); wider: one kernel per elementwise step
NETS = [((2, 2, 2), "sigmoid", "sigmoid", "half_sse"),
        ((3, 5, 4, 2), "tanh", "linear", "mse"),
        ((4, 8, 3), "relu", "sigmoid", "half_sse"),
        ((16, 32, 16), "sigmoid", "sigmoid", "half_sse"),
        ((9, 12, 10, 4), "relu", "linear", "mse"),
        ((12, 9, 3), "tanh", "sigmoid", "bce"),
        ((4, 8, 3), "tanh", "softmax", "ce")]            # softmax: a row-wise output kernel, never whole-call
BATCHES = [1, 7, 33, 64, 4096]
_COMPILED: dict = {}


def compiled(case, fused=True):
    if (case, fused) not in _COMPILED:
        sizes, act, out, loss = case
        net = derive.mlp(list(sizes), activation=act, output_activation=out, loss=loss, bias="per-unit")
        _COMPILED[case, fused] = derive.compile(net, fused=fused).module
        _COMPILED[case, fused].KERNEL_BUILD_ROWS = 0          # build at the first call: the kernels are tested
    return _COMPILED[case, fused]


def data(sizes, n, dtype, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    P = {}
    for li in range(1, len(sizes)):
        P[f"W{li}"] = rng.uniform(-scale, scale, (sizes[li], sizes[li - 1])).astype(dtype)
        P[f"b{li}"] = rng.uniform(-scale, scale, sizes[li]).astype(dtype)
    return P, rng.uniform(-1, 1, (n, sizes[0])).astype(dtype), rng.uniform(0.05, 0.95, (n, sizes[-1])).astype(dtype)


def torch_gradients(case, P, X, T):
    sizes, act, out, loss = case
    ps = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in P.items()}
    a = torch.tensor(X.astype(np.float64))
    for li in range(1, len(sizes)):
        f = TORCH_ACT[out if li == len(sizes) - 1 else act]
        a = f(a @ ps[f"W{li}"].T + ps[f"b{li}"])
    J = TORCH_LOSS[loss](a, torch.tensor(T.astype(np.float64)))
    J.backward()
    return J.item(), {k: v.grad.numpy() for k, v in ps.items()}


def worst(got, want):
    return max(float(np.max(np.abs(got[k] - want[k]))) / max(float(np.max(np.abs(want[k]))), 1e-300)
               for k in want)


@pytest.mark.parametrize("case", NETS, ids=lambda c: "-".join(map(str, c[0])) + " " + c[1] + "/" + c[2] + " " + c[3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_kernel_gradients_equal_torch_autograd_and_the_numpy_path(case, dtype):
    m, plain = compiled(case), compiled(case, fused=False)
    assert "KERNEL_C" in vars(m) and "KERNEL_C" not in vars(plain)
    for n in BATCHES:
        P, X, T = data(case[0], n, dtype)
        got = m.gradients(P, X, T)
        assert m._KERNELS, "the kernels were built and used"
        assert hasattr(m._KERNELS, "net") == (max(case[0]) <= 8 and case[2] != "softmax")
        Jt, want = torch_gradients(case, P, X, T)
        tol = 1e-12 if dtype == "float64" else 2e-5
        assert worst(got, want) < tol, (n, worst(got, want))
        J, both = m.loss_gradients(P, X, T)
        assert abs(J - Jt) <= tol * abs(Jt) and worst(both, want) < tol
        assert worst(got, plain.gradients(P, X, T)) < tol
        assert all(v.dtype == np.dtype(dtype) for v in got.values())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_extreme_inputs_saturate_as_torch_does_and_nan_propagates(dtype):
    case = NETS[0]
    m, plain = compiled(case), compiled(case, fused=False)
    P, X, T = data(case[0], 64, dtype, scale=300.0)        # pre-activations of +-1000: sigmoid is 0 or 1
    got, want = m.gradients(P, X, T), torch_gradients(case, P, X, T)[1]
    assert all(np.isfinite(v).all() for v in got.values())
    # float32's own rounding of a(1 - a) near a = 1 costs digits: no worse than the NumPy path there
    with np.errstate(all="ignore"):
        limit = 1e-12 if dtype == "float64" else 2 * worst(plain.gradients(P, X, T), want) + 2e-5
    assert worst(got, want) < limit
    X[3, 0] = np.nan
    with np.errstate(all="ignore"):
        got, ref = m.gradients(P, X, T), plain.gradients(P, X, T)
    for k in ref:
        assert np.array_equal(np.isnan(got[k]), np.isnan(ref[k])) and np.isnan(got[k]).any()


def _apply(which, x):
    y = np.empty_like(x)
    cbuild.load_kernels(cmath.MATH_MODULE).apply(which, x, y)
    return y


def _ulps(y, x, ref):
    """Largest error in units of the last place of the rounded reference (computed in long double)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = ref(x.astype(np.longdouble))
        rd = r.astype(y.dtype)
    fin = np.isfinite(rd)
    assert np.array_equal(y[~fin], rd[~fin], equal_nan=True)      # inf, -inf and NaN exactly where due
    return float(np.max(np.abs(y[fin].astype(np.longdouble) - r[fin]) / np.spacing(np.abs(rd[fin]))))


def test_exp_tanh_sigmoid_accuracy_over_a_dense_sweep():
    rng = np.random.default_rng(1)
    x64 = np.concatenate([np.linspace(-745.2, 709.8, 1_000_001), rng.uniform(-30, 30, 500_000),
                          np.geomspace(1e-300, 1, 10_000), -np.geomspace(1e-300, 1, 10_000)])
    x32 = np.concatenate([np.linspace(-104, 89, 1_000_001), rng.uniform(-30, 30, 500_000)]).astype(np.float32)
    assert _ulps(_apply(0, x64), x64, np.exp) < 1.0                 # measured 0.86
    assert _ulps(_apply(0, x32), x32, np.exp) < 1.0                 # measured 0.99
    t = np.concatenate([np.linspace(-20, 20, 1_000_001), np.geomspace(1e-300, 20, 10_000)])
    assert _ulps(_apply(1, t), t, np.tanh) < 1.5                    # measured 1.29
    assert _ulps(_apply(1, t.astype(np.float32)), t.astype(np.float32), np.tanh) < 1.5      # 1.26
    s = np.linspace(-745, 745, 1_000_001)
    sig = lambda v: 1 / (1 + np.exp(-v))                              # noqa: E731
    assert _ulps(_apply(2, s), s, sig) < 2.5                         # measured 2.21
    s32 = np.linspace(-87, 104, 1_000_001).astype(np.float32)
    assert _ulps(_apply(2, s32), s32, sig) < 3.0                     # measured 2.54
    g = np.concatenate([np.geomspace(5e-324, 1.7e308, 1_000_000), np.linspace(0.5, 2, 500_000), [0.0, -1.0, np.inf]])
    assert _ulps(_apply(3, g), g, np.log) < 2.1                       # measured 1.99
    g32 = np.concatenate([np.geomspace(1.5e-45, 3e38, 1_000_000), np.linspace(0.5, 2, 500_000)]).astype(np.float32)
    assert _ulps(_apply(3, g32), g32, np.log) < 2.1                   # measured 1.94


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_edges_of_exp_and_sigmoid(dtype):
    big = 710.0 if dtype == np.float64 else 89.0
    x = np.array([0.0, -0.0, 1e-30, -1e-30, big, -big * 1.06, 1e30, -1e30, np.inf, -np.inf, np.nan], dtype)
    with np.errstate(over="ignore"):
        want = np.exp(x.astype(np.longdouble)).astype(dtype)
    y = _apply(0, x)
    assert np.array_equal(y, want, equal_nan=True)                 # 1, inf, 0 (underflow), nan exactly
    s = _apply(2, np.array([-800, 800, 0, np.nan, -np.inf, np.inf, -740 if dtype == np.float64 else -100], dtype))
    assert s[0] == 0 and s[1] == 1 and s[2] == 0.5 and np.isnan(s[3]) and s[4] == 0 and s[5] == 1
    assert 0 < s[6] < np.finfo(dtype).tiny                         # the correct subnormal, not 0
    assert _apply(1, np.array([1e-300, -800, 800, np.nan]))[:3].tolist() == [1e-300, -1.0, 1.0]


def test_the_exp_loop_is_vectorised_and_faster_than_numpy():
    x = np.random.default_rng(0).uniform(-5, 5, 4096 * 64)
    y = np.empty_like(x)
    import time
    ours, theirs = [], []
    for _ in range(7):
        c = time.process_time(); _apply(0, x); ours.append(time.process_time() - c)
        c = time.process_time(); np.exp(x, y); theirs.append(time.process_time() - c)
    assert np.median(ours) < np.median(theirs)


def test_fallbacks_give_the_numpy_numbers_silently(tmp_path, monkeypatch, capfd):
    case = ((3, 4, 2), "tanh", "sigmoid", "half_sse")
    m, plain = compiled(case), compiled(case, fused=False)
    P, X, T = data(case[0], 100, "float64")
    want = plain.gradients(P, X, T)
    assert worst(m.gradients(P, X, T), want) < 1e-13 and m._KERNELS
    bad_cc = tmp_path / "cc"
    bad_cc.write_text("#!/bin/sh\necho 'bogus 1.0'\nexit 1\n")
    bad_cc.chmod(0o755)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))           # nothing cached there
    for env in ({"DERIVE_KERNELS": "off"}, {"CC": str(tmp_path / "no-such-cc")}, {"CC": str(bad_cc)}):
        with monkeypatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            mp.setattr(cbuild, "_LOADED", {})
            m._KERNELS = None
            got = m.gradients(P, X, T)
            assert m._KERNELS is False, env
            assert all(np.array_equal(got[k], want[k]) for k in want), env        # the NumPy lines, exactly
    m._KERNELS = None
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.fixture
def compiles(tmp_path, monkeypatch):
    """An empty kernel cache in tmp_path; the list grows by one per C compile."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(cbuild, "_LOADED", {})
    calls = []
    real = cbuild._compile
    monkeypatch.setattr(cbuild, "_compile", lambda *a: calls.append(1) or real(*a))
    return calls


def test_new_kernels_are_built_only_once_enough_rows_are_computed(compiles):
    calls = compiles
    m = derive.compile(derive.mlp([3, 5, 2], activation="tanh", bias="per-unit"), check=False).module
    m.KERNEL_BUILD_ROWS = 100
    P, X, T = data((3, 5, 2), 64, "float64")
    m.gradients(P, X, T)
    assert m._KERNELS is None and not calls                   # 64 rows: not cached, not worth a build yet
    m.gradients(P, X, T)
    assert m._KERNELS and len(calls) == 1                      # 128 rows: built
    m._KERNELS, m._ROWS = None, 0
    cbuild._LOADED.clear()
    m.gradients(P, X[:1], T[:1])
    assert m._KERNELS and len(calls) == 1                      # in the cache: used at the first call


def test_non_contiguous_targets_fall_back_to_numpy():
    case = NETS[0]
    m, plain = compiled(case), compiled(case, fused=False)
    P, X, T = data(case[0], 64, "float64")
    Tf = np.asfortranarray(T)
    assert worst(m.gradients(P, X, Tf), plain.gradients(P, X, T)) == 0


def test_a_cached_build_is_reused_and_a_corrupted_one_rebuilt(tmp_path, compiles):
    calls = compiles
    text = ctext.c_source(kernels.plan(derive.mlp([2, 3, 1], bias="per-unit")))
    assert cbuild.load_kernels(text) is not None and len(calls) == 1
    folder = tmp_path / "derive" / "kernels"
    (so,) = folder.glob("*.so")
    assert oct(folder.stat().st_mode & 0o777) == "0o700"
    cbuild._LOADED.clear()
    assert cbuild.load_kernels(text) is not None and len(calls) == 1      # a cache hit: no compile
    bad = folder / "bad"
    bad.write_bytes(b"\x7fELF not really a shared object")
    os.replace(bad, so)                  # a new file: the loaded one stays mapped, as in a real process
    cbuild._LOADED.clear()
    assert cbuild.load_kernels(text) is not None and len(calls) == 2      # rebuilt, not loaded
    assert so.read_bytes()[:4] == b"\x7fELF" and len(so.read_bytes()) > 1000
    assert not list(folder.glob("*.tmp")) and not list(folder.glob("*.c"))       # no temporary file left


def test_no_user_text_reaches_the_c_source():
    name = 'evil"); system("rm -rf /"); /*'
    net = derive.mlp([2, 2, 1], bias="per-unit", name=name)
    text = ctext.c_source(kernels.plan(net))
    assert "evil" not in text and "system" not in text
    from derive.codegen.matrix import source
    assert repr(name) in source(net)                             # the Python module names it, as a repr


def test_export_writes_plain_numpy_without_kernels():
    from derive.codegen.export import module_source
    text = module_source(derive.mlp([2, 2, 2], bias="per-unit"))
    assert "KERNEL_C" not in text and "_KERNELS" not in text and "import derive" not in text
    assert "from derive" not in text and "def gradients" in text


@pytest.mark.parametrize("sizes", [(3, 4, 2), (10, 12, 3)])
def test_networks_without_biases_match_torch(sizes):
    net = derive.mlp(list(sizes), activation="tanh", output_activation="sigmoid", loss="half_sse")
    m = derive.compile(net).module
    m.KERNEL_BUILD_ROWS = 0
    assert "b1" not in m.PARAMS
    for n in (7, 300):
        P, X, T = data(sizes, n, "float64")
        P = {k: v for k, v in P.items() if k.startswith("W")}
        got = m.gradients(P, X, T)
        ps = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
        y = torch.sigmoid(torch.tanh(torch.tensor(X) @ ps["W1"].T) @ ps["W2"].T)
        (0.5 * ((torch.tensor(T) - y) ** 2).sum(1).mean()).backward()
        assert m._KERNELS and worst(got, {k: v.grad.numpy() for k, v in ps.items()}) < 1e-12
