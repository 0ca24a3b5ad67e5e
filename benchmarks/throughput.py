"""Gradient throughput: derive.compile vs hand-written NumPy vs PyTorch autograd (CPU), same run."""
from __future__ import annotations

import timeit

import numpy as np

import derive

from . import hand

NETWORKS = [(2, 2, 2), (16, 32, 16), (64, 128, 10)]
BATCHES = [1, 64, 4096]


def _calls(fn, target: float = 0.02) -> int:
    """Calls per timing so that one timing takes about ``target`` seconds."""
    fn()
    number = 1
    while timeit.timeit(fn, number=number) < target / 2 and number < 1_000_000:
        number *= 4
    return number


def _race(fns: dict, rounds: int = 9) -> dict:
    """Best seconds per call of each function, timed in interleaved rounds (fair under load)."""
    numbers = {k: _calls(f) for k, f in fns.items()}
    best = {k: float("inf") for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            best[k] = min(best[k], timeit.timeit(f, number=numbers[k]) / numbers[k])
    return best


def _torch_fn(torch, P, X, T):
    tp = [torch.tensor(P[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]
    tx, tt = torch.tensor(X), torch.tensor(T)

    def run():
        W1, b1, W2, b2 = tp
        a1 = torch.sigmoid(tx @ W1.T + b1)
        y = torch.sigmoid(a1 @ W2.T + b2)
        loss = 0.5 * ((tt - y) ** 2).sum(dim=1).mean()
        return torch.autograd.grad(loss, tp)
    return run


def run(threads: int | None = None, progress=print) -> list[dict]:
    """Seconds per gradient call of derive, hand NumPy and PyTorch, per (network, batch).

    threads=None: every library with its default threads; threads=1: NumPy's BLAS limited to one
    thread (threadpoolctl) and ``torch.set_num_threads(1)``.
    """
    import contextlib

    import torch
    from threadpoolctl import threadpool_limits
    default_threads = torch.get_num_threads()
    limit = threadpool_limits(threads) if threads else contextlib.nullcontext()
    rows = []
    with limit:
        torch.set_num_threads(threads or default_threads)
        try:
            for sizes in NETWORKS:
                net = derive.mlp(list(sizes), activation="sigmoid", loss="half_sse", bias="per-unit")
                c = derive.compile(net)
                P = c.start(seed=0)
                rng = np.random.default_rng(0)
                for n in BATCHES:
                    X = rng.uniform(-1, 1, size=(n, sizes[0]))
                    T = rng.uniform(0, 1, size=(n, sizes[-1]))
                    got = c.gradients(P, X, T)
                    want = hand.gradients(P["W1"], P["b1"], P["W2"], P["b2"], X, T)
                    for k, h in zip(("W1", "b1", "W2", "b2"), want):
                        np.testing.assert_allclose(got[k], h, rtol=1e-10, atol=1e-14)
                    row = {"network": "-".join(map(str, sizes)), "batch": n}
                    row.update(_race({
                        "derive": lambda: c.gradients(P, X, T),
                        "numpy": lambda: hand.gradients(P["W1"], P["b1"], P["W2"], P["b2"], X, T),
                        "torch": _torch_fn(torch, P, X, T)}))
                    rows.append(row)
                    progress(f"  {row['network']:>9} batch {n:>4}: derive {row['derive'] * 1e6:9.1f} us, "
                             f"numpy {row['numpy'] * 1e6:9.1f} us, torch {row['torch'] * 1e6:9.1f} us")
        finally:
            torch.set_num_threads(default_threads)
    return rows
