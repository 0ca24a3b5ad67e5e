"""One benchmark peer in one fresh process; prints one JSON line.  Run by ``benchmarks.runner``.

    python -m benchmarks.peers gradients PEER NET THREADS DTYPE [quick] [source=PATH]
        # PEER: derive | numpy | torch | jax; PATH: derive's generated module for NET (written by the
        # parent once, so the child imports NumPy code only and does not rebuild it with sympy)
    python -m benchmarks.peers proof NET ACTIVATION BIAS METHOD   # NET: 3-3-3 or a bundled example name

The parent sets the thread environment (OMP/OpenBLAS/MKL, XLA) before this process starts; here the
limits are applied again (threadpoolctl, ``torch.set_num_threads``) and reported as measured.
Every gradient peer checks its result against ``benchmarks.hand`` before it is timed.
"""
from __future__ import annotations

import json
import statistics
import sys
import time
import timeit

BATCHES = [1, 64, 4096]


def _pin(threads: int, peer: str) -> None:
    """Limit every thread pool loaded so far (the environment already limits those loaded later).

    At one thread the process is also bound to one core (``sched_setaffinity``): a library that starts
    threads anyway (XLA does, whatever its flags say) then shares that core, and its CPU time cannot
    exceed its wall time; ``gradients`` asserts that it does not."""
    import os
    if threads == 1 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from threadpoolctl import threadpool_limits
    threadpool_limits(threads)
    if peer == "torch":
        import torch
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)


def _threads_report(threads: int, peer: str) -> dict:
    """The thread counts as this process has them once the peer's libraries are loaded."""
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(threads)
    out = {"blas": sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})}
    if peer == "torch":
        import torch
        out["torch"] = torch.get_num_threads()
    if peer == "jax":
        import os
        out["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    return out


def _time(fn, target: float = 0.04, blocks: int = 7) -> tuple[float, float]:
    """Median wall and CPU seconds per call over ``blocks`` timed blocks of about ``target`` seconds.

    CPU seconds are this process's (all its threads): at one thread they are the wall time minus
    the time the process waited for a core, so on a loaded machine they are the steadier figure.
    """
    fn()
    number = 1
    while timeit.timeit(fn, number=number) < target / 2 and number < 1_000_000:
        number *= 4
    wall, cpu = [], []
    for _ in range(blocks):
        c0, w0 = time.process_time(), time.perf_counter()
        for _ in range(number):
            fn()
        wall.append((time.perf_counter() - w0) / number)
        cpu.append((time.process_time() - c0) / number)
    return statistics.median(wall), statistics.median(cpu)


def _data(sizes, n, dtype):
    import numpy as np
    rng = np.random.default_rng(0)
    i, h, o = sizes
    P = {"W1": rng.uniform(-0.5, 0.5, (h, i)), "b1": rng.uniform(-0.5, 0.5, h),
         "W2": rng.uniform(-0.5, 0.5, (o, h)), "b2": rng.uniform(-0.5, 0.5, o)}
    X, T = rng.uniform(-1, 1, (n, i)), rng.uniform(0, 1, (n, o))
    return {k: v.astype(dtype) for k, v in P.items()}, X.astype(dtype), T.astype(dtype)


_COMPILED: dict = {}
_SOURCE: list = []


def derive_net(sizes):
    import derive
    return derive.mlp(list(sizes), activation="sigmoid", loss="half_sse", bias="per-unit")


def _import(path: str):
    """derive's generated module from its file (what ``derive.compile`` imports, minus the build)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("derive_bench_generated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _peer_fn(peer, sizes, P, X, T):
    """A zero-argument function computing the four gradients with ``peer``, and its result getter."""
    if peer == "derive":
        import derive
        if sizes not in _COMPILED:      # once per process: the code is the same for every batch
            _COMPILED[sizes] = _import(_SOURCE[0]) if _SOURCE else derive.compile(derive_net(sizes)).module
        c = _COMPILED[sizes]
        fn = lambda: c.gradients(P, X, T)                      # noqa: E731
        return fn, lambda: [fn()[k] for k in ("W1", "b1", "W2", "b2")]
    if peer == "numpy":
        from . import hand
        fn = lambda: hand.gradients(P["W1"], P["b1"], P["W2"], P["b2"], X, T)   # noqa: E731
        return fn, fn
    if peer in ("numpy_inplace", "floor"):
        from . import hand
        g = hand.InPlace() if peer == "numpy_inplace" else hand.Floor()
        fn = lambda: g(P["W1"], P["b1"], P["W2"], P["b2"], X, T)   # noqa: E731
        return fn, (fn if peer == "numpy_inplace" else None)
    if peer == "torch":
        import torch
        tp = [torch.tensor(P[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
        tx, tt = torch.tensor(X), torch.tensor(T)

        def fn():
            W1, b1, W2, b2 = tp
            a1 = torch.sigmoid(tx @ W1.T + b1)
            y = torch.sigmoid(a1 @ W2.T + b2)
            return torch.autograd.grad(0.5 * ((tt - y) ** 2).sum(dim=1).mean(), tp)
        return fn, lambda: [g.numpy() for g in fn()]
    if peer == "jax":
        import jax
        import jax.numpy as jnp
        if X.dtype.itemsize == 8:
            jax.config.update("jax_enable_x64", True)

        def loss(ps, X, T):
            W1, b1, W2, b2 = ps
            a1 = jax.nn.sigmoid(X @ W1.T + b1)
            y = jax.nn.sigmoid(a1 @ W2.T + b2)
            return 0.5 * jnp.mean(jnp.sum((T - y) ** 2, axis=1))
        grad = jax.jit(jax.grad(loss))
        ps = [jnp.asarray(P[k]) for k in ("W1", "b1", "W2", "b2")]
        jx, jt = jnp.asarray(X), jnp.asarray(T)
        fn = lambda: jax.block_until_ready(grad(ps, jx, jt))    # noqa: E731
        return fn, lambda: [jax.device_get(g) for g in fn()]
    raise SystemExit(f"unknown peer {peer}")


def gradients(peer: str, net: str, threads: int, dtype: str, quick: bool = False) -> dict:
    import numpy as np
    _pin(threads, peer)
    sizes = tuple(int(s) for s in net.split("-"))
    rows, report = [], None
    for n in BATCHES:
        P, X, T = _data(sizes, n, dtype)
        fn, result = _peer_fn(peer, sizes, P, X, T)
        if report is None:      # again once the peer's own libraries are loaded: what it really has
            report = _threads_report(threads, peer)
        want = _data(sizes, n, "float64")
        from . import hand
        ref = hand.gradients(want[0]["W1"], want[0]["b1"], want[0]["W2"], want[0]["b2"], want[1], want[2])
        tol = 1e-9 if dtype == "float64" else 2e-3
        if result is not None:       # the floor computes no gradients: nothing to check
            for g, h in zip(result(), ref):
                np.testing.assert_allclose(np.asarray(g, dtype=float), h, rtol=tol, atol=tol * 1e-3)
        wall, cpu = _time(fn, 0.02, 5) if quick else _time(fn)
        if threads == 1:             # one thread really: CPU time about the wall time, never above it
            assert cpu <= 1.10 * wall, f"{peer} used more than one core: CPU {cpu:.3g} s vs wall {wall:.3g} s per call"
        rows.append({"batch": n, "seconds": wall, "cpu_seconds": cpu})
    return {"peer": peer, "net": net, "threads": threads, "dtype": dtype, "report": report, "rows": rows}


def proof(net: str, activation: str, bias: str, method: str) -> dict:
    t0 = time.perf_counter()
    import derive
    from derive.derivation.proof import Prover
    t1, c1 = time.perf_counter(), time.process_time()
    if "-" in net:
        network = derive.mlp([int(s) for s in net.split("-")], activation=activation, loss="half_sse", bias=bias)
    else:
        network = derive.load(net)
    d = derive.derive(network)
    if method == "auto":       # what derive verify does: the layer form for larger layered networks
        proofs = list(d.prove(progress=False).values())
    else:
        prover = Prover(d.net, d.chain, d.direct, method=method)
        proofs = [prover.prove(p) for p in d.params]
    seconds = time.perf_counter() - t1
    methods = {m: sum(p.method == m for p in proofs) for m in ("exact", "randomized", "layer")}
    bounds = [p.bound_log2 for p in proofs if p.method != "exact"]
    return {"net": net, "method": method, "params": len(d.params), "seconds": seconds,
            "cpu_seconds": time.process_time() - c1,      # building, chain rule, proofs: no start-up
            "import_seconds": t1 - t0, "proven": sum(p.proven for p in proofs), "methods": methods,
            "worst_bound_log2": max(bounds) if bounds else None}


def main(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "gradients":
        peer, net, threads, dtype, *opts = rest
        _SOURCE.extend(o[len("source="):] for o in opts if o.startswith("source="))
        out = gradients(peer, net, int(threads), dtype, "quick" in opts)
    elif kind == "proof":
        out = proof(*rest)
    else:
        raise SystemExit(f"unknown benchmark {kind}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
