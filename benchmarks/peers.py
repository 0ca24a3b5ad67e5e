"""One benchmark peer in one fresh process; prints one JSON line.  Run by ``benchmarks.runner``.

    python -m benchmarks.peers gradients PEER NET THREADS DTYPE   # PEER: derive | numpy | torch | jax
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


def _threads_report(threads: int, peer: str) -> dict:
    from threadpoolctl import threadpool_info, threadpool_limits
    threadpool_limits(threads)
    out = {"blas": sorted({(i["internal_api"], i["num_threads"]) for i in threadpool_info()})}
    if peer == "torch":
        import torch
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(threads)
        out["torch"] = torch.get_num_threads()
    if peer == "jax":
        import os
        out["xla_flags"] = os.environ.get("XLA_FLAGS", "")
    return out


def _time(fn, target: float = 0.04, blocks: int = 7) -> float:
    """Median seconds per call over ``blocks`` timed blocks of about ``target`` seconds each."""
    fn()
    number = 1
    while timeit.timeit(fn, number=number) < target / 2 and number < 1_000_000:
        number *= 4
    return statistics.median(timeit.timeit(fn, number=number) / number for _ in range(blocks))


def _data(sizes, n, dtype):
    import numpy as np
    rng = np.random.default_rng(0)
    i, h, o = sizes
    P = {"W1": rng.uniform(-0.5, 0.5, (h, i)), "b1": rng.uniform(-0.5, 0.5, h),
         "W2": rng.uniform(-0.5, 0.5, (o, h)), "b2": rng.uniform(-0.5, 0.5, o)}
    X, T = rng.uniform(-1, 1, (n, i)), rng.uniform(0, 1, (n, o))
    return {k: v.astype(dtype) for k, v in P.items()}, X.astype(dtype), T.astype(dtype)


def _peer_fn(peer, sizes, P, X, T):
    """A zero-argument function computing the four gradients with ``peer``, and its result getter."""
    if peer == "derive":
        import derive
        c = derive.compile(derive.mlp(list(sizes), activation="sigmoid", loss="half_sse", bias="per-unit"))
        fn = lambda: c.gradients(P, X, T)                      # noqa: E731
        return fn, lambda: [fn()[k] for k in ("W1", "b1", "W2", "b2")]
    if peer == "numpy":
        from . import hand
        fn = lambda: hand.gradients(P["W1"], P["b1"], P["W2"], P["b2"], X, T)   # noqa: E731
        return fn, fn
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


def gradients(peer: str, net: str, threads: int, dtype: str) -> dict:
    import numpy as np
    report = _threads_report(threads, peer)
    sizes = tuple(int(s) for s in net.split("-"))
    rows = []
    for n in BATCHES:
        P, X, T = _data(sizes, n, dtype)
        fn, result = _peer_fn(peer, sizes, P, X, T)
        want = _data(sizes, n, "float64")
        from . import hand
        ref = hand.gradients(want[0]["W1"], want[0]["b1"], want[0]["W2"], want[0]["b2"], want[1], want[2])
        tol = 1e-9 if dtype == "float64" else 2e-3
        for g, h in zip(result(), ref):
            np.testing.assert_allclose(np.asarray(g, dtype=float), h, rtol=tol, atol=tol * 1e-3)
        rows.append({"batch": n, "seconds": _time(fn)})
    return {"peer": peer, "net": net, "threads": threads, "dtype": dtype, "report": report, "rows": rows}


def proof(net: str, activation: str, bias: str, method: str) -> dict:
    t0 = time.perf_counter()
    import derive
    from derive.derivation.proof import Prover
    t1 = time.perf_counter()
    if "-" in net:
        network = derive.mlp([int(s) for s in net.split("-")], activation=activation, loss="half_sse", bias=bias)
    else:
        network = derive.load(net)
    d = derive.derive(network)
    prover = Prover(d.net, d.chain, d.direct, method=method)
    proofs = [prover.prove(p) for p in d.params]
    seconds = time.perf_counter() - t1
    methods = {m: sum(p.method == m for p in proofs) for m in ("exact", "randomized")}
    bounds = [p.bound_log2 for p in proofs if p.method == "randomized"]
    return {"net": net, "method": method, "params": len(d.params), "seconds": seconds,
            "import_seconds": t1 - t0, "proven": sum(p.proven for p in proofs), "methods": methods,
            "worst_bound_log2": max(bounds) if bounds else None}


def main(argv: list[str]) -> int:
    kind, *rest = argv
    if kind == "gradients":
        peer, net, threads, dtype = rest
        out = gradients(peer, net, int(threads), dtype)
    elif kind == "proof":
        out = proof(*rest)
    else:
        raise SystemExit(f"unknown benchmark {kind}")
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
