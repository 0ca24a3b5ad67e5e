"""What one NumPy pass costs, and the bound the passes put on derive's gradient code against the matmul floor.

    python -m benchmarks.passes      # about 30 s; writes benchmarks/results/passes.md

One process bound to one core, BLAS on one thread (as ``benchmarks.gradients_ab``), CPU time per call:
the median of 5 blocks of about 4 ms, and of that the median over 3 rounds that time every cell in turn
(whole gradient calls: 5 rounds of 10 ms blocks), so a neighbour's burst on a shared machine moves one
round of every cell rather than every round of one.  Two parts:

1. CPU µs of one pass over a 4096 x w array (w = 2, 16, 32, 128), float64 and float32: ``exp`` and ``tanh``
   (into a second array: repeated in place, exp overflows to inf and float64 exp then runs 3x slower),
   a broadcast bias added in place (``Z += b``), derive's tiled bias (``np.subtract(NBf, Zw, Zw)``, Z seen
   with k examples a row), and in place ``add``, ``multiply`` (by +-1, so values never drift to denormals)
   and ``divide`` (``np.divide(1, Z, Z)``: derive's 1/x); and derive's own C exp and sigmoid
   (``derive.codegen.cmath``, the kernels' functions) over the same array.
2. For each benchmark network (2-layer sigmoid, biases, 1/2 SSE, as ``benchmarks.throughput``) at batch
   4096: derive's generated ``gradients`` run once with its arrays traced (``__array_ufunc__`` on every
   array it gets or makes), so every ufunc it calls, in place or through an operator (``D2 /= n``), and
   every ``np.dot`` is counted from the code itself.  Each traced call is then timed alone on arrays of
   its own shapes (ufuncs into a separate array, as above; products on the call's own arrays).  The bound
   is floor + elementwise passes + bias sums: what code making the same passes, each at NumPy's cost for
   one pass, could reach if nothing else cost anything.  Against the target 1.2x the floor it also gives
   how many passes of that network's widths fit in 0.2x the floor.
"""
from __future__ import annotations

import datetime
import os
import statistics
import time
from pathlib import Path

BATCH = 4096
WIDTHS = (2, 16, 32, 128)
DTYPES = ("float64", "float32")
OPS = ("exp", "tanh", "bias add", "bias, tiled", "add", "multiply", "divide", "C exp", "C sigmoid")
RESULTS = Path(__file__).parent / "results"


def cpu_per_call(fn, target: float = 0.008, blocks: int = 7) -> float:
    """Median over ``blocks`` blocks of about ``target`` CPU seconds of the CPU seconds per call."""
    fn()
    number, c0 = 1, time.process_time()
    fn()
    one = max(time.process_time() - c0, 1e-7)
    number = max(1, min(100_000, int(target / one)))
    times = []
    for _ in range(blocks):
        c0 = time.process_time()
        for _ in range(number):
            fn()
        times.append((time.process_time() - c0) / number)
    return statistics.median(times)


def pass_fns(dtype: str, width: int, rng) -> dict:
    """One pass of each of ``OPS`` over a BATCH x width array of ``dtype``, as a function to time."""
    import numpy as np
    Z = rng.uniform(0.5, 1.5, (BATCH, width)).astype(dtype)
    Zb, Zt, Za, Zm, Zd = (Z.copy() for _ in range(5))      # one array each: no pass reads another's output
    B = rng.uniform(0.5, 1.5, (BATCH, width)).astype(dtype)
    S = rng.choice([-1.0, 1.0], (BATCH, width)).astype(dtype)
    O = np.empty_like(Z)
    b = rng.uniform(-0.5, 0.5, width).astype(dtype)
    one = np.ones((), dtype)
    k = min(BATCH & -BATCH, 1 << max(0, (512 // width).bit_length() - 1))     # derive's tile (codegen _tile)
    NBf, Zw = np.tile(b, k), Zt.reshape(BATCH // k, k * width)
    from derive.codegen import cbuild, cmath
    c = cbuild.load_kernels(cmath.MATH_MODULE)                  # derive's own exp and sigmoid (None: no compiler)
    none = lambda: None                                           # noqa: E731
    return {"exp": lambda: np.exp(Z, O), "tanh": lambda: np.tanh(Z, O), "bias add": lambda: np.add(Zb, b, Zb),
            "bias, tiled": lambda: np.subtract(NBf, Zw, Zw), "add": lambda: np.add(Za, B, Za),
            "multiply": lambda: np.multiply(Zm, S, Zm), "divide": lambda: np.divide(one, Zd, Zd),
            "C exp": (lambda: c.apply(0, Z, O)) if c else none, "C sigmoid": (lambda: c.apply(2, Z, O)) if c else none}


def interleaved(fns: dict, rounds: int = 3, target: float = 0.004) -> dict:
    """{key: CPU seconds per call}: the median over ``rounds`` rounds, each timing every function in turn."""
    got: dict = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            got[k].append(cpu_per_call(fn, target, 5))
    return {k: statistics.median(v) for k, v in got.items()}


def traced_calls(module, P, X, T) -> list[tuple]:
    """Every ufunc and ``np.dot`` that ``module.gradients(P, X, T)`` calls, in order, as (kind, name, args,
    out, keywords): kind "ufunc" or "dot", args the call's operands (plain arrays or scalars)."""
    import numpy as np
    calls: list[tuple] = []

    def plain(a):
        return a.view(np.ndarray) if isinstance(a, Traced) else a

    class Traced(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kw):
            out = kw.get("out") or ()
            kw["out"] = tuple(plain(o) for o in out) if out else kw.get("out")
            if kw["out"] is None:
                del kw["out"]
            args = tuple(plain(a) for a in inputs)
            calls.append(("ufunc", ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}",
                          args, kw["out"][0] if out else None, {k: v for k, v in kw.items() if k != "out"}))
            result = getattr(ufunc, method)(*args, **kw)
            return out[0] if out else result

    class TracingNumPy:
        """The module's ``np``: arrays it makes are traced, products are logged."""
        def __getattr__(self, name):
            real = getattr(np, name)
            if name in ("empty", "ones", "zeros"):
                return lambda *a, **k: real(*a, **k).view(Traced)
            if name in ("dot", "vdot"):
                def product(*a):
                    args = tuple(plain(x) for x in a)
                    calls.append(("dot", name, args[:2], args[2] if len(args) > 2 else None, {}))
                    return real(*args)
                return product
            return real

    saved = module.np
    module._SPARE.clear()
    module.np = TracingNumPy()
    try:
        module.gradients({k: v.view(Traced) if isinstance(v, np.ndarray) else v for k, v in P.items()},
                         X.view(Traced), T.view(Traced))
    finally:
        module.np = saved
        module._SPARE.clear()
    return calls


def replay(call, rng):
    """A function repeating one traced call alone: a ufunc on fresh arrays of its operands' shapes with
    values in [0.5, 1.5), into a separate array; a product on the call's own arrays."""
    import numpy as np
    kind, name, args, out, kw = call
    if kind == "dot":
        fn = getattr(np, name)
        return (lambda: fn(*args, out)) if out is not None else (lambda: fn(*args))

    def fresh(a):
        if not isinstance(a, np.ndarray) or a.ndim == 0:
            return a
        c = np.empty_like(a)
        c[...] = rng.uniform(0.5, 1.5, a.shape)
        return c
    ufunc, _, method = name.partition(".")
    ins = tuple(fresh(a) for a in args)
    if method:                                       # a reduction (a tanh-form layer's W.sum(axis=1))
        fn = getattr(getattr(np, ufunc), method)
        return lambda: fn(*ins, **kw)
    ufunc = getattr(np, ufunc)
    dest = np.empty_like(out if out is not None else np.asarray(ufunc(*ins, **kw)))
    return lambda: ufunc(*ins, dest, **kw)


def network_bound(net: str, dtype: str, module, rng, fused=None) -> dict:
    """Passes of derive's gradients for ``net`` at BATCH (``module``: its NumPy code), their cost, the floor
    and the bound; ``fused``: the same network's module with C kernels, timed alongside."""
    import numpy as np
    from . import hand
    from .peers import _data
    sizes = tuple(int(s) for s in net.split("-"))
    P, X, T = _data(sizes, BATCH, dtype)
    calls = traced_calls(module, P, X, T)
    batch = [c for c in calls if c[0] == "ufunc" and np.size(c[3]) >= BATCH]
    small = [c for c in calls if c[0] == "ufunc" and np.size(c[3]) < BATCH]
    sums = [c for c in calls if c[0] == "dot" and np.ndim(c[2][0]) == 1]      # ones @ D: bias gradients
    products = [c for c in calls if c[0] == "dot" and np.ndim(c[2][0]) == 2]
    floor_fn, inplace = hand.Floor(), hand.InPlace()
    args = (P["W1"], P["b1"], P["W2"], P["b2"], X, T)
    whole = interleaved({"floor": lambda: floor_fn(*args), "derive": lambda: module.gradients(P, X, T),
                         "inplace": lambda: inplace(*args),
                         "kernels": (lambda: fused.gradients(P, X, T)) if fused else (lambda: None)}, 5, 0.01)
    fns = {id(c): replay(c, rng) for c in batch + small + sums + products}
    exps = [c for c in batch if c[1] in ("exp", "tanh")]  # one per sigmoid layer: its one transcendental pass
    fns.update({("alt", id(c)): replay(("ufunc", "tanh" if c[1] == "exp" else "exp") + c[2:], rng) for c in exps})
    cost = interleaved(fns)
    floor, derive_t = whole["floor"], whole["derive"]
    passes = sum(cost[id(c)] for c in batch + small)
    summed = sum(cost[id(c)] for c in sums)
    by_ufunc: dict[str, int] = {}
    for c in batch:
        by_ufunc[c[1]] = by_ufunc.get(c[1], 0) + 1
    return {"net": net, "dtype": dtype, "batch_passes": len(batch), "small_passes": len(small),
            "by_ufunc": by_ufunc, "bias_sums": len(sums), "floor": floor, "passes": passes, "sums": summed,
            "derive": derive_t, "inplace": whole["inplace"], "kernels": whole["kernels"] if fused else None,
            "mean_pass": statistics.mean(cost[id(c)] for c in batch),
            "sigmoids": sum(min(cost[id(c)], cost[("alt", id(c))]) for c in exps),
            "products": [(_shapes(c), cost[id(c)]) for c in products]}


def _shapes(call) -> str:
    a, b = call[2]
    return f"{'x'.join(map(str, a.shape))} · {'x'.join(map(str, b.shape))}"


def pass_table(costs: dict) -> str:
    head = "| dtype | 4096 x w | " + " | ".join(OPS) + " |"
    lines = [head, "|---|---:|" + "---:|" * len(OPS)]
    for (dtype, w), row in costs.items():
        lines.append(f"| {dtype} | {w} | " + " | ".join(f"{row[op] * 1e6:.1f}" for op in OPS) + " |")
    return "\n".join(lines)


def bound_table(rows: list[dict]) -> str:
    lines = ["| network | dtype | elementwise passes (batch-sized + small) | by ufunc | bias sums | floor µs "
             "| passes µs | bias sums µs | bound µs | bound / floor | derive µs | derive / floor "
             "| numpy_inplace / floor | passes that fit in 0.2x floor | one exp or tanh pass per layer, nothing else "
             "/ floor | derive, C kernels µs | kernels / floor | kernels / numpy_inplace |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        bound = r["floor"] + r["passes"] + r["sums"]
        ufuncs = ", ".join(f"{k} {v}" for k, v in sorted(r["by_ufunc"].items()))
        lines.append(
            f"| {r['net']} | {r['dtype']} | {r['batch_passes']} + {r['small_passes']} | {ufuncs} | {r['bias_sums']} "
            f"| {r['floor'] * 1e6:.1f} | {r['passes'] * 1e6:.1f} | {r['sums'] * 1e6:.1f} | {bound * 1e6:.1f} "
            f"| **{bound / r['floor']:.2f}x** | {r['derive'] * 1e6:.1f} | {r['derive'] / r['floor']:.2f}x "
            f"| {r['inplace'] / r['floor']:.2f}x | {0.2 * r['floor'] / r['mean_pass']:.1f} "
            f"| {1 + r['sigmoids'] / r['floor']:.2f}x "
            + (f"| {r['kernels'] * 1e6:.1f} | **{r['kernels'] / r['floor']:.2f}x** | {r['kernels'] / r['inplace']:.2f}x |"
               if r["kernels"] else "| - | - | - |"))
    return "\n".join(lines)


def product_table(rows: list[dict]) -> str:
    lines = ["| network | dtype | np.dot products at batch 4096 (µs each, in call order) | sum µs |", "|---|---|---|---:|"]
    for r in rows:
        cells = "; ".join(f"{s} {t * 1e6:.1f}" for s, t in r["products"])
        lines.append(f"| {r['net']} | {r['dtype']} | {cells} | {sum(t for _, t in r['products']) * 1e6:.1f} |")
    return "\n".join(lines)


def main() -> int:
    import numpy as np
    from threadpoolctl import threadpool_limits

    import derive
    from .machine import machine
    from .peers import derive_net
    from .throughput import NETWORKS
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    threadpool_limits(1)
    start = time.perf_counter()
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    rng = np.random.default_rng(0)
    cells = {(dt, w): pass_fns(dt, w, rng) for dt in DTYPES for w in WIDTHS}
    flat = interleaved({(cell, op): fn for cell, fns in cells.items() for op, fn in fns.items()})
    costs = {cell: {op: flat[(cell, op)] for op in OPS} for cell in cells}
    nets = {net: derive_net(tuple(int(s) for s in net.split("-"))) for net in NETWORKS}
    modules = {net: derive.compile(n, fused=False).module for net, n in nets.items()}
    fused = {net: derive.compile(n).module for net, n in nets.items()}
    for m in fused.values():
        m.KERNEL_BUILD_ROWS = 0           # the kernels from the first call (built now if not in the cache)
    rows = [network_bound(net, dt, modules[net], rng, fused[net]) for dt in DTYPES for net in NETWORKS]
    seconds = time.perf_counter() - start
    text = "\n".join([
        "# NumPy passes and the floor", "", f"{when}; {machine()}; one thread (one core, BLAS limited to 1).", "",
        __doc__.strip().split("\n\n", 1)[1], "", "## One pass, CPU µs", "", pass_table(costs), "",
        "## derive's passes per gradients call, and the bound they set (batch 4096, CPU µs)", "",
        "bound = floor + passes + bias sums, each pass timed alone; the target is 1.2x the floor. \"passes that fit\": "
        "0.2x the floor over the mean cost of this network's batch-sized passes. The last column is the least any "
        "NumPy code can add: each sigmoid layer needs at least one transcendental pass over its z (exp, or tanh for "
        "sigmoid(z) = 0.5 tanh(z/2) + 0.5, whichever is cheaper at that shape), and nothing else is counted. "
        "The passes are those of derive's NumPy code (``derive.compile(net, fused=False)``, what ``derive export`` "
        "writes); the last three columns time the same network's default ``derive.compile`` module, whose "
        "elementwise steps are one C kernel call each (``derive.codegen.kernels``).", "",
        bound_table(rows), "", product_table(rows), "", f"This run took {seconds:.0f} s.", ""])
    RESULTS.mkdir(exist_ok=True)
    tmp = RESULTS / "passes.md.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, RESULTS / "passes.md")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
