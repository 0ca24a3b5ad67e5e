"""Tensor programs: derive's compiled backward pass vs PyTorch autograd (CPU, float64), and derive's own costs.

    python -m benchmarks.tensor            # writes benchmarks/results/tensor.md

Each peer runs in its own process with its threads pinned (OMP/OpenBLAS/MKL and torch.set_num_threads):
derive's generated NumPy module computing the output and every parameter's gradient, and PyTorch computing
the same program's output (built once into closures over torch functions) and ``torch.autograd.grad``.
Times are per gradient call, one thread: the best of 7 rounds inside a process, and the best of 3
processes per peer, run alternately.  The symbolic side times ``derive verify``'s
work (derive + prove every gradient tensor entry by entry) and ``derive check --backward`` on the right
backward file of each example.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import time
import timeit
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
DATA = Path(__file__).parent.parent / "tests" / "data" / "backward"
BATCHES = (64, 1024)
THREADS = (1,)
REPEATS = 3


def _best(fn, rounds: int = 7, target: float = 0.05) -> float:
    fn()
    number = 1
    while timeit.timeit(fn, number=number) < target / 2 and number < 100_000:
        number *= 2
    return min(timeit.timeit(fn, number=number) / number for _ in range(rounds))


def _torch_closure(node, sizes):
    """The forward tree as nested closures over torch functions (built once, so calls cost what code costs)."""
    import torch
    from derive.tensor.grammar import Bin, Call, Const, Index, Name, Neg, Num, Slice
    from derive.tensor.shapes import axes, const_int, dims, keepdims
    f64 = torch.float64
    if isinstance(node, Num):
        v = torch.tensor(float(node.value), dtype=f64)
        return lambda env: v
    if isinstance(node, Name):
        if node.id in sizes:
            v = torch.tensor(float(sizes[node.id]), dtype=f64)
            return lambda env: v
        return lambda env, k=node.id: env[k]
    if isinstance(node, Neg):
        x = _torch_closure(node.x, sizes)
        return lambda env: -x(env)
    if isinstance(node, Bin):
        a = _torch_closure(node.a, sizes)
        if node.op == "**":
            e = float(node.b.value if isinstance(node.b, Num) else -node.b.x.value)
            return lambda env: a(env) ** e
        b = _torch_closure(node.b, sizes)
        op = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div, "@": torch.matmul,
              ">": torch.gt, "<": torch.lt, "==": torch.eq, ">=": torch.ge, "<=": torch.le}[node.op]
        if node.op in ("+", "-", "*", "/", "@"):
            return lambda env: op(a(env), b(env))
        return lambda env: op(a(env), b(env)).to(f64)
    if isinstance(node, Index):
        x = _torch_closure(node.x, sizes)
        parts = []
        for it in node.items:
            if isinstance(it, Const) and it.value is None:
                parts.append(lambda env: None)
            elif isinstance(it, Slice):
                s = slice(None if it.lo is None else const_int(it.lo, sizes), None if it.hi is None else const_int(it.hi, sizes))
                parts.append(lambda env, s=s: s)
            elif isinstance(it, Call) and it.fn == "arange":
                r = torch.arange(const_int(it.args[0], sizes))
                parts.append(lambda env, r=r: r)
            elif isinstance(it, Name) and it.id not in sizes:
                parts.append(lambda env, k=it.id: env[k])
            else:
                k = const_int(it, sizes)
                parts.append(lambda env, k=k: k)
        return lambda env: x(env)[tuple(p(env) for p in parts)]
    fn = node.fn
    if fn == "one_hot":
        n = const_int(node.args[1], sizes)
        return lambda env, k=node.args[0].id: torch.nn.functional.one_hot(env[k], n).to(f64)
    if fn == "stack":
        xs = [_torch_closure(x, sizes) for x in node.args[0].items]
        return lambda env: torch.stack([x(env) for x in xs])
    x = _torch_closure(node.args[0], sizes)
    simple = {"exp": torch.exp, "log": torch.log, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
              "sqrt": torch.sqrt, "float": lambda v: v, "transpose": lambda v: v.T, "ones_like": torch.ones_like}
    if fn in simple:
        f = simple[fn]
        return lambda env: f(x(env))
    if fn == "reshape":
        shape = dims(node.args[1], sizes)
        return lambda env: x(env).reshape(shape)
    return _reduction(node, x, sizes, axes, keepdims)


def _reduction(node, x, sizes, axes, keepdims):
    import torch
    fn = node.fn
    state = {}

    def run(env):
        v = x(env)
        if "ax" not in state:
            state["ax"] = axes(node, v.dim(), sizes)
        ax = state["ax"]
        if fn in ("softmax", "log_softmax"):
            return (torch.softmax if fn == "softmax" else torch.log_softmax)(v, dim=ax[0] if ax else 0)
        keep = keepdims(node)
        dim = ax if ax is not None else tuple(range(v.dim()))
        if fn == "sum":
            return v.sum(dim=dim, keepdim=keep)
        if fn == "mean":
            return v.mean(dim=dim, keepdim=keep)
        return v.amax(dim=dim, keepdim=keep)
    return run


def worker(peer: str, name: str, batches, threads: int) -> dict:
    """Seconds per gradient call of one peer at each batch size (run in a fresh process, threads pinned)."""
    from derive.codegen.tensor import compile_tensor
    c = compile_tensor(name)
    return {b: _seconds(peer, c, b, threads) for b in batches}


def _seconds(peer: str, c, batch: int, threads: int) -> float:
    import numpy as np

    from derive.codegen.tensor import make_values
    prog = c.program
    sizes = prog.realistic(batch)
    v = make_values(prog, sizes, 0)
    values = {**v["inputs"], **v["params"]}
    if peer == "derive":
        args = [values[t.name] for t in prog.leaves]
        return _best(lambda: c.module.gradients(*args))
    import torch
    torch.set_num_threads(threads)
    forward = [(n, _torch_closure(tree, sizes)) for n, tree, _ in prog.forward]
    env0 = {}
    params = []
    for t in prog.leaves:
        x = torch.tensor(np.asarray(values[t.name]))
        if t.kind == "param":
            x.requires_grad_(True)
            params.append(x)
        env0[t.name] = x

    def run():
        env = dict(env0)
        for n, f in forward:
            env[n] = f(env)
        return torch.autograd.grad(env[prog.output], params)
    return _best(run)


def _in_process(peer, name, threads) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "OPENBLAS_NUM_THREADS": str(threads),
           "MKL_NUM_THREADS": str(threads)}
    out = subprocess.run([sys.executable, "-m", "benchmarks.tensor", "--worker", peer, name, str(threads)],
                         capture_output=True, text=True, env=env, cwd=Path(__file__).parent.parent, check=True)
    return {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def run(progress=print) -> tuple[list, list]:
    from derive.checking.backward import check_backward
    from derive.tensor.backward import derive_backward
    from derive.tensor.program import bundled_tensor_examples
    from derive.tensor.proof import prove_backward
    speed, symbolic = [], []
    for name in bundled_tensor_examples():
        t0 = time.perf_counter()
        proofs = prove_backward(derive_backward(name))
        t1 = time.perf_counter()
        text = (DATA / f"{name}_right.py").read_text()
        report = check_backward(name, text)
        t2 = time.perf_counter()
        symbolic.append({"program": name, "tensors": len(proofs), "entries": sum(p.entries for p in proofs.values()),
                         "proven": all(p.proven for p in proofs.values()), "prove_s": t1 - t0,
                         "check_lines": len(report.lines), "check_s": t2 - t1, "check_ok": report.correct})
        for threads in THREADS:
            best = {"derive": {}, "torch": {}}
            for _ in range(REPEATS):      # alternate the peers; the best of each (the machine is shared)
                for peer in best:
                    for b, s in _in_process(peer, name, threads).items():
                        best[peer][b] = min(best[peer].get(b, float("inf")), s)
            for batch in BATCHES:
                d, p = best["derive"][batch], best["torch"][batch]
                speed.append({"program": name, "batch": batch, "threads": threads, "derive": d, "torch": p})
                progress(f"  {name:<10} N={batch:<5} threads={threads}: derive {d * 1e6:9.1f} µs, "
                         f"PyTorch {p * 1e6:9.1f} µs, ratio {d / p:.2f}")
    return speed, symbolic


def tables(speed, symbolic) -> str:
    lines = ["| program | batch N | threads | derive µs | PyTorch µs | derive / PyTorch |", "|---|---:|---:|---:|---:|---:|"]
    for r in speed:
        lines.append(f"| {r['program']} | {r['batch']} | {r['threads']} | {r['derive'] * 1e6:.1f} | "
                     f"{r['torch'] * 1e6:.1f} | **{r['derive'] / r['torch']:.2f}x** |")
    lines += ["", "| program | gradient tensors | entries proven | all proven | derive + prove s "
              "| backward file lines | check --backward s |", "|---|---:|---:|---|---:|---:|---:|"]
    for r in symbolic:
        lines.append(f"| {r['program']} | {r['tensors']} | {r['entries']} | {'yes' if r['proven'] else 'NO'} | "
                     f"{r['prove_s']:.2f} | {r['check_lines']} | {r['check_s']:.2f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        peer, name, threads = argv[1], argv[2], int(argv[3])
        print(json.dumps(worker(peer, name, BATCHES, threads)))
        return 0
    from .machine import machine
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"tensor programs, {when}\n{machine()}\n")
    speed, symbolic = run()
    text = (f"# derive tensor-program benchmark\n\n{when}; {machine()}.\n\n" + __doc__.strip().split("\n\n", 2)[2]
            + "\n\n" + tables(speed, symbolic) + "\n")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "tensor.md").write_text(text, encoding="utf-8")
    print("\n" + tables(speed, symbolic))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
