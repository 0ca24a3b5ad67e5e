"""Run every benchmark, write benchmarks/results/{results.md, symbolic.png} and print the tables.

    python -m benchmarks            # or ./dev bench
    python -m benchmarks --quick    # throughput only, fewer timing rounds
    python -m benchmarks --grading  # grading throughput only (results/grading.md)
    python -m benchmarks --tensor   # tensor programs vs PyTorch only (results/tensor.md; benchmarks/tensor.py)
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
from pathlib import Path

from . import grading, symbolic, throughput

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    import numpy
    import torch
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    note = ""
    if os.environ.get("OPENBLAS_CORETYPE"):
        note = f"; OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is set (it slows NumPy's BLAS)"
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, NumPy {numpy.__version__}, "
            f"PyTorch {torch.__version__}{note}")


def throughput_table(default: list[dict], single: list[dict]) -> str:
    lines = ["| network | batch | derive µs | NumPy µs | derive/NumPy | PyTorch µs | derive/PyTorch "
             "| derive µs (1 thread) | NumPy µs (1 thread) | derive/NumPy (1 thread) | PyTorch µs (1 thread) "
             "| derive/PyTorch (1 thread) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for a, b in zip(default, single):
        cells = [a["network"], str(a["batch"])]
        for r in (a, b):
            cells += [f"{r['derive'] * 1e6:.1f}", f"{r['numpy'] * 1e6:.1f}", f"**{r['derive'] / r['numpy']:.2f}x**",
                      f"{r['torch'] * 1e6:.1f}", f"{r['derive'] / r['torch']:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def symbolic_table(rows: list[dict]) -> str:
    lines = ["| network | trainable params | derive + prove s | target | all proven | chain-rule ops (memoised) "
             "| direct ops | direct ops, shared subexpressions once | direct / chain |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        target = f"< {r['target']:g} s" if r["target"] else ""
        lines.append(f"| {r['network']} | {r['params']} | {r['seconds']:.2f} | {target} | "
                     f"{'yes' if r['proven'] else 'NO'} | {r['chain_ops']:,} | {r['direct_ops']:,} | "
                     f"{r['direct_shared_ops']:,} | {r['direct_ops'] / r['chain_ops']:,.0f}x |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="throughput only")
    ap.add_argument("--grading", action="store_true", help="grading throughput only")
    ap.add_argument("--tensor", action="store_true", help="tensor programs vs PyTorch only")
    args = ap.parse_args(argv)
    if args.tensor:
        from . import tensor
        return tensor.main([])
    RESULTS.mkdir(exist_ok=True)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"derive benchmarks, {when}\n{machine()}\n")
    if not args.quick:
        print("grading throughput:")
        text = (f"# derive grading benchmark\n\n{when}; {machine()}.\n\n"
                + grading.__doc__.strip() + "\n\n" + grading.table(grading.run()) + "\n")
        (RESULTS / "grading.md").write_text(text, encoding="utf-8")
        print("\n" + text)
    if args.grading:
        return 0
    print("gradient throughput, default threads:")
    default = throughput.run(None)
    print("gradient throughput, one thread:")
    single = throughput.run(1)
    parts = [f"# derive benchmarks\n\n{when}; {machine()}.\n",
             "## Gradient throughput (seconds per gradient call, best of interleaved rounds)\n",
             "Sigmoid layers with biases, loss 1/2 SSE averaged over the batch, float64. derive: "
             "`derive.compile(net).gradients`; NumPy: `benchmarks/hand.py`; PyTorch: autograd on CPU. "
             "Ratios below 1 mean derive is faster.\n", throughput_table(default, single), ""]
    if not args.quick:
        print("symbolic cost:")
        rows = symbolic.run()
        plot = RESULTS / "symbolic.png"
        symbolic.plot(rows, plot)
        parts += ["## Symbolic cost vs network size (sigmoid, 1/2 SSE, no biases)\n",
                  symbolic.__doc__.split("\n", 2)[2].strip() + "\n", symbolic_table(rows), "",
                  "![symbolic cost](symbolic.png)\n"]
    text = "\n".join(parts)
    (RESULTS / ("results-quick.md" if args.quick else "results.md")).write_text(text, encoding="utf-8")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
