"""Does splitting derive's elementwise passes over two threads pay?  A measured experiment, not shipped code.

    python -m benchmarks.split_ab          # about 30 s; float64, batches 64, 1024 and 4096; writes results/split-ab.md

At 2 threads only the matrix products use the second core: NumPy's ufuncs run on the calling thread.  Here
derive's generated ``gradients`` of the 2-layer sigmoid networks is rewritten by hand with its three
elementwise stretches (layer 1's bias and sigmoid; layer 2's and the output delta; f' of layer 1) each split
at a row boundary: the second half goes to a one-thread pool (NumPy releases the GIL inside a ufunc), the
first runs on the caller.  Products stay as they are (BLAS on 2 threads).  Against derive itself, the
in-place hand NumPy and the floor at 2 threads, in wall time, in one process, interleaved (15 blocks of about
20 ms; the median and quartiles of split/derive).  Results agree with derive's to float rounding (checked).
float64 only: in float32 derive's code now makes the hidden sigmoid one tanh pass (``codegen/tanhform.py``).
"""
from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

NETWORKS = ["2-2-2", "16-32-16", "64-128-10"]


def split_gradients(mod, pool):
    """derive's generated gradients for a 2-layer sigmoid network (``mod``'s work arrays), its elementwise
    stretches split over the caller and ``pool``; None for a batch too small to split at a tile boundary."""
    import numpy as np

    def gradients(params, X, T):
        W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        n, dtype = X.shape[0], X.dtype
        work = mod._SPARE.pop((n, dtype), None) or mod._new(n, dtype)
        Z1, D1, F1, NB1, NB1f, Z1w, Z2, D2, F2, NB2, NB2f, Z2w, ones, one = work
        k1, k2 = n // len(Z1w), n // len(Z2w)            # examples a row of the tiled views
        h = (n // 2) // max(k1, k2) * max(k1, k2)         # a row boundary of both views
        np.dot(X, W1.T, Z1)
        np.negative(b1, NB1)

        def s1(Z1w, A1):
            np.subtract(NB1f, Z1w, Z1w)
            np.exp(A1, A1)
            np.add(A1, one, A1)
            np.divide(one, A1, A1)

        def s2(Z2w, A2, D2, F2, T):
            np.subtract(NB2f, Z2w, Z2w)
            np.exp(A2, A2)
            np.add(A2, one, A2)
            np.divide(one, A2, A2)
            np.subtract(one, A2, D2)
            np.multiply(D2, A2, D2)
            np.subtract(A2, T, F2)
            np.multiply(D2, F2, D2)
            D2 /= n

        def s3(D1, A1):
            np.multiply(D1, A1, D1)
            np.subtract(one, A1, A1)
            np.multiply(D1, A1, D1)

        f = pool.submit(s1, Z1w[h // k1:], Z1[h:])
        s1(Z1w[:h // k1], Z1[:h])
        f.result()
        np.dot(Z1, W2.T, Z2)
        np.negative(b2, NB2)
        f = pool.submit(s2, Z2w[h // k2:], Z2[h:], D2[h:], F2[h:], T[h:])
        s2(Z2w[:h // k2], Z2[:h], D2[:h], F2[:h], T[:h])
        f.result()
        dW2, db2 = np.dot(D2.T, Z1), np.dot(ones, D2)
        np.dot(D2, W2, D1)
        f = pool.submit(s3, D1[h:], Z1[h:])
        s3(D1[:h], Z1[:h])
        f.result()
        dW1, db1 = np.dot(D1.T, X), np.dot(ones, D1)
        mod._spare(n, dtype, work)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    return gradients


def _wall(fn, number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def main(argv=None) -> int:
    import numpy as np
    from threadpoolctl import threadpool_limits

    import derive
    from . import hand
    from .machine import machine
    from .peers import _data, derive_net
    threadpool_limits(2)
    pool = ThreadPoolExecutor(1)
    out: list[str] = []

    def print(line="", **_):                      # noqa: A001  (the table is printed and written to a file)
        out.append(line)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; BLAS 2 threads, wall time\n")
    print("| dtype | network | batch | split / derive, median of 15 | quartiles | split / numpy_inplace "
          "| derive / numpy_inplace | split / floor | derive / floor |\n|---|---|---:|---:|---|---:|---:|---:|---:|")
    for dtype in ("float64",):
        for net in NETWORKS:
            sizes = tuple(int(s) for s in net.split("-"))
            c = derive.compile(derive_net(sizes))
            split = split_gradients(c.module, pool)
            for batch in (64, 1024, 4096):
                P, X, T = _data(sizes, batch, dtype)
                want, got = c.module.gradients(P, X, T), split(P, X, T)
                for k in want:
                    np.testing.assert_allclose(got[k], want[k], rtol=0, atol=1e-12 * np.abs(want[k]).max())
                peer, floor = hand.InPlace(), hand.Floor()
                args = (P["W1"], P["b1"], P["W2"], P["b2"], X, T)
                fns = {"split": lambda: split(P, X, T), "derive": lambda: c.module.gradients(P, X, T),
                       "inplace": lambda: peer(*args), "floor": lambda: floor(*args)}
                number = max(3, int(0.02 / max(_wall(fns["derive"], 3), 1e-7)))
                got_t: dict = {k: [] for k in fns}
                for _ in range(15):
                    for k, fn in fns.items():
                        got_t[k].append(_wall(fn, number))
                r = [a / b for a, b in zip(got_t["split"], got_t["derive"])]
                q1, q3 = np.percentile(r, [25, 75])
                m = {k: statistics.median(v) for k, v in got_t.items()}
                print(f"| {dtype} | {net} | {batch} | {statistics.median(r):.2f}x | {q1:.2f}-{q3:.2f} "
                      f"| {m['split'] / m['inplace']:.2f}x | {m['derive'] / m['inplace']:.2f}x "
                      f"| {m['split'] / m['floor']:.2f}x | {m['derive'] / m['floor']:.2f}x |", flush=True)
    trips = []
    for _ in range(15):
        t0 = time.perf_counter()
        for _ in range(200):
            pool.submit(int).result()
        trips.append((time.perf_counter() - t0) / 200)
    P, X, T = _data((16, 32, 16), 4096, "float64")
    c = derive.compile(derive_net((16, 32, 16)))
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(200):
        c.module.gradients(P, X, T)
    ratio = (time.process_time() - c0) / (time.perf_counter() - w0)
    print(f"\nOne round trip to the pool (submit, result): {statistics.median(trips) * 1e6:.1f} µs (median of 15 x 200). "
          f"derive's 16-32-16 gradients at 4096, BLAS on 2 threads: process CPU time {ratio:.2f}x its wall time "
          f"(its elementwise passes run on one thread: the second core's time is BLAS's thread waiting for work).")
    pool.shutdown()
    print(f"\n{machine()}")
    import os
    from .passes import RESULTS
    tmp = RESULTS / "split-ab.md.tmp"
    tmp.write_text("# Elementwise passes split over two threads (an experiment)\n\n" + "\n".join(out) + "\n",
                   encoding="utf-8")
    os.replace(tmp, RESULTS / "split-ab.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
