"""derive against the in-place hand NumPy peer, interleaved in one process (a steadier A/B than the tables).

    python -m benchmarks.gradients_ab            # every network, batch and dtype of the gradient tables

On a shared machine the separate-process tables move by 20-40% a cell from run to run (the other
processes' use of the caches and memory changes between one peer's process and the next).  Here both run
in one process bound to one core, with BLAS on one thread, alternating 15 blocks of about 20 ms each:
the median of the 15 ratios of CPU time per call, and its quartiles, compare the two under the same
conditions.  ``benchmarks.peers`` checks the same two against each other before it times them.
"""
from __future__ import annotations

import os
import statistics
import time

from .peers import _data, derive_net
from .throughput import NETWORKS


def _per_call(fn, number: int) -> float:
    c0 = time.process_time()
    for _ in range(number):
        fn()
    return (time.process_time() - c0) / number


def main() -> int:
    import numpy as np
    from threadpoolctl import threadpool_limits

    import derive
    from . import hand
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    threadpool_limits(1)
    print("| dtype | network | batch | derive / numpy_inplace, median of 15 | quartiles |\n|---|---|---:|---:|---|")
    for dtype in ("float64", "float32"):
        for net in NETWORKS:
            sizes = tuple(int(s) for s in net.split("-"))
            c = derive.compile(derive_net(sizes)).module
            c.KERNEL_BUILD_ROWS = 0             # its C kernels from the first call (built now if not cached)
            for batch in (1, 64, 4096):
                P, X, T = _data(sizes, batch, dtype)
                peer = hand.InPlace()
                ours = lambda: c.gradients(P, X, T)                               # noqa: E731
                theirs = lambda: peer(P["W1"], P["b1"], P["W2"], P["b2"], X, T)   # noqa: E731
                got, want = ours(), theirs()
                for k, w in zip(("W1", "b1", "W2", "b2"), want):
                    scale = float(np.abs(w).max()) or 1.0
                    np.testing.assert_allclose(got[k], w, rtol=0, atol=(1e-4 if dtype == "float32" else 1e-10) * scale)
                number = max(3, int(0.02 / max(_per_call(ours, 3), 1e-7)))
                r = [_per_call(ours, number) / _per_call(theirs, number) for _ in range(15)]
                q1, q3 = np.percentile(r, [25, 75])
                print(f"| {dtype} | {net} | {batch} | {statistics.median(r):.2f}x | {q1:.2f}-{q3:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
