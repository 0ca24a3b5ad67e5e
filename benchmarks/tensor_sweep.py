"""Tensor proofs by width: ``prove_backward`` of batchnorm and the backprop-ninja MLP as H grows.

    python -m benchmarks.tensor_sweep        # writes benchmarks/results/tensor-sweep.md and tensor-sweep.png

Each (program, H) runs in its own fresh process (one thread): deriving the backward pass and proving
every gradient tensor at that width, CPU seconds of that work only (no start-up).  Before 2026-12-02
batchnorm stopped at H = 12 and ninja at H = 16 ("could not find a proof point where every square root
exists": H true square roots had to exist at once in GF(p), chance 2^-H per point); now each root is a
fresh variable and each tensor is proven along a random direction, one forward pass per tensor.  The
exponent is the least-squares slope of log CPU seconds against log gradient entries.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
PROGRAMS = ("batchnorm", "ninja")
WIDTHS = (4, 8, 16, 32, 64, 128)


def worker(name: str, h: int) -> dict:
    from derive.tensor.backward import derive_backward
    from derive.tensor.program import load_program
    from derive.tensor.proof import prove_backward
    c0 = time.process_time()
    proofs = prove_backward(derive_backward(load_program(name)), sizes={"H": h})
    cpu = time.process_time() - c0
    return {"program": name, "H": h, "cpu": cpu, "entries": sum(p.entries for p in proofs.values()),
            "proven": all(p.proven for p in proofs.values()), "points": max(p.points for p in proofs.values()),
            "bound": max(p.bound_log2 for p in proofs.values())}


def _child(name: str, h: int) -> dict:
    from .runner import thread_env
    out = subprocess.run([sys.executable, "-m", "benchmarks.tensor_sweep", "--worker", name, str(h)],
                         env=thread_env(1), capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _slope(xs, ys) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def run(progress=print) -> list[dict]:
    rows = []
    for name in PROGRAMS:
        for h in WIDTHS:
            r = _child(name, h)
            r["load"] = os.getloadavg()[0]
            rows.append(r)
            progress(f"  {name:<10} H={h:<4} {r['entries']:6d} entries: {r['cpu']:.2f} s CPU, proven {r['proven']}, "
                     f"{r['points']} points, P(wrong) < 2^{math.floor(r['bound'])} (load {r['load']:.1f})")
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| program | H | gradient entries | proven | points | P(wrong) below | CPU s | load avg |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['program']} | {r['H']} | {r['entries']:,} | {'yes' if r['proven'] else 'NO'} | "
                     f"{r['points']} | 2^{math.floor(r['bound'])} | {r['cpu']:.2f} | {r['load']:.1f} |")
    lines += ["", "| program | seconds ~ entries^k |", "|---|---:|"]
    for name in PROGRAMS:
        rs = [r for r in rows if r["program"] == name and r["cpu"] > 0]
        if len(rs) >= 3:
            lines.append(f"| {name} (H = {rs[0]['H']}-{rs[-1]['H']}) | {_slope([r['entries'] for r in rs], [r['cpu'] for r in rs]):.2f} |")
    return "\n".join(lines)


def plot(rows: list[dict], path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for name in PROGRAMS:
        rs = [r for r in rows if r["program"] == name]
        ax.plot([r["entries"] for r in rs], [r["cpu"] for r in rs], marker="o", label=name)
        for r in rs:
            ax.annotate(f"H={r['H']}", (r["entries"], r["cpu"]), fontsize=6, xytext=(3, -8), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("gradient entries proven")
    ax.set_ylabel("CPU seconds (derive backward + prove)")
    ax.set_title("Tensor proofs by width H", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        print(json.dumps(worker(argv[1], int(argv[2]))))
        return 0
    from .machine import machine
    RESULTS.mkdir(exist_ok=True)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"tensor proof width sweep, {when}")
    rows = run()
    plot(rows, RESULTS / "tensor-sweep.png")
    text = (f"## Tensor proofs by width\n\n{when}; {machine()}; one thread per process.\n\n{__doc__.strip()}\n\n"
            f"{table(rows)}\n\n![tensor proof time vs entries](tensor-sweep.png)\n")
    (RESULTS / "tensor-sweep.md").write_text(text, encoding="utf-8")
    print("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
