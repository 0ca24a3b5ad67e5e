"""Proof cost: what a user waits for (a whole ``derive verify`` process) and the proof alone, at scale.

Targets are whole processes: ``derive verify SPEC`` started fresh (interpreter, imports, building the
network, the chain rule, every proof, the table printed), measured three ways: wall seconds, the
child's CPU seconds (user + system, from ``wait4``: on a shared machine this is the steadier figure;
at one thread it is the wall time minus the time spent waiting for a core) and its peak memory.  The
scaling sweep (sigmoid, per-unit biases, width x layers) runs every network three times two ways (medians): as
a whole ``derive verify`` process and in-process (``benchmarks.peers proof``: building, chain rule and proof
only, no start-up; CPU seconds); exponents are least-squares slopes of log seconds against log trainable
parameters.  Each run is one fresh process with one thread (``runner.thread_env(1)``).
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import runner

# (name, layer sizes or a bundled example, hidden activation, output activation, loss, bias, target s)
TARGETS = [("2-wide x 10 layers", [2] * 11, "sigmoid", None, "half_sse", "per-unit", 5.0),
           ("4-wide x 8 layers", [4] * 9, "sigmoid", None, "half_sse", "per-unit", 5.0),
           ("16-16-16-16", [16] * 4, "sigmoid", None, "half_sse", "per-unit", 5.0),
           ("softmax + CE 8-8-8-8", [8] * 4, "sigmoid", "softmax", "ce", "per-unit", 5.0),
           ("digits (bundled)", "digits", None, None, None, None, 5.0),
           ("784-128-64-10 softmax + CE", [784, 128, 64, 10], "sigmoid", "softmax", "ce", "per-unit", 60.0)]
WIDTHS = [2, 4, 8, 16, 32]
DEPTHS = [3, 4, 6, 8, 10]     # layers of units, inputs included
MAX_SWEEP_PARAMS = 12_000


def spec_text(sizes, act, out_act, loss, bias) -> str:
    """A layered spec as YAML: what a user would write for this network."""
    lines = [f"name: {'-'.join(map(str, sizes))} {act}", f"inputs: {sizes[0]}", "layers:"]
    for k, n in enumerate(sizes[1:]):
        a = out_act if out_act and k == len(sizes) - 2 else act
        lines.append(f"  - {{units: {n}, activation: {a}" + (f", bias: {bias}" if bias else "") + "}")
    lines.append(f"loss: {loss}")
    return "\n".join(lines) + "\n"


_WRAP = """
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
r = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - t0
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": u.ru_utime + u.ru_stime, "max_rss_mb": u.ru_maxrss / 1024,
                  "code": r.returncode, "last": r.stdout.strip().splitlines()[-2:], "stderr": r.stderr[-300:]}))
"""


def _measured(spec: str, timeout: float = 900) -> dict | None:
    """One ``derive verify SPEC`` process, measured by a small wrapper process whose only child it is:
    wall and CPU seconds (user + system), peak memory, exit code; None past the time limit."""
    cmd = [sys.executable, "-c", _WRAP, str(Path(sys.executable).with_name("derive")), "verify", spec]
    try:
        out = subprocess.run(cmd, env=runner.thread_env(1), capture_output=True, text=True, timeout=timeout,
                             cwd=runner.ROOT)
    except subprocess.TimeoutExpired:
        return None
    import json
    return json.loads(out.stdout.strip().splitlines()[-1])


def _spec_file(folder: Path, sizes, act, out_act, loss, bias) -> str:
    if isinstance(sizes, str):
        return sizes
    path = folder / ("net-" + "-".join(map(str, sizes)) + f"-{act}-{out_act or act}-{loss}.yaml")
    path.write_text(spec_text(sizes, act, out_act, loss, bias), encoding="utf-8")
    return str(path)


def targets(reps: int = 3, progress=print) -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, sizes, act, out_act, loss, bias, target in TARGETS:
            spec = _spec_file(Path(tmp), sizes, act, out_act, loss, bias)
            n = 1 if target > 10 else reps
            runs = [_measured(spec) for _ in range(n)]
            ok = [r for r in runs if r is not None]
            if not ok:
                rows.append({"network": name, "target": target, "wall": None})
                continue
            row = {"network": name, "target": target, "runs": len(ok), "load": os.getloadavg()[0],
                   "wall": runner.median(r["wall"] for r in ok), "cpu": runner.median(r["cpu"] for r in ok),
                   "max_rss_mb": max(r["max_rss_mb"] for r in ok), "proven": ok[0]["code"] == 0,
                   "summary": " / ".join(ok[0]["last"])}
            rows.append(row)
            progress(f"  {name:>28}: {row['cpu']:.2f} s CPU, {row['wall']:.2f} s wall, "
                     f"{row['max_rss_mb']:.0f} MB (load {row['load']:.1f}) {row['summary'][:60]}")
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| network (whole `derive verify` process) | CPU s | wall s | load avg | peak MB | target | met (CPU) "
             "| all proven |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for r in rows:
        if r.get("wall") is None:
            lines.append(f"| {r['network']} | - | > limit | | | < {r['target']:g} s | NO | |")
            continue
        lines.append(f"| {r['network']} | {r['cpu']:.2f} | {r['wall']:.2f} | {r['load']:.1f} | "
                     f"{r['max_rss_mb']:.0f} | < {r['target']:g} s | {'yes' if r['cpu'] < r['target'] else 'NO'} "
                     f"| {'yes' if r['proven'] else 'NO'} |")
    return "\n".join(lines)


def params_of(sizes) -> int:
    return sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


def scaling(progress=print, reps: int = 3) -> list[dict]:
    """Every sweep network ``reps`` times as a whole process and in-process, alternating; medians
    (on a shared machine one run can wait for a core, and CPU time then grows too: caches are shared)."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for w in WIDTHS:
            for depth in DEPTHS:
                sizes = [w] * depth
                if params_of(sizes) > MAX_SWEEP_PARAMS:
                    continue
                spec = _spec_file(Path(tmp), sizes, "sigmoid", None, "half_sse", "per-unit")
                procs, inprocs = [], []
                for _ in range(reps):
                    procs.append(_measured(spec))
                    inprocs.append(runner.child(["proof", "-".join(map(str, sizes)), "sigmoid", "per-unit", "auto"],
                                                1, timeout=900))
                procs = [r for r in procs if r]
                inprocs = [r.get("cpu_seconds", r["seconds"]) for r in inprocs if r]
                row = {"width": w, "depth": depth, "params": params_of(sizes), "runs": reps,
                       "whole_cpu": runner.median(r["cpu"] for r in procs) if procs else None,
                       "whole_wall": runner.median(r["wall"] for r in procs) if procs else None,
                       "inproc": runner.median(inprocs) if inprocs else None,
                       "load": os.getloadavg()[0]}
                rows.append(row)
                progress(f"  {w:>3} wide x {depth:>2} layers: {row['params']:6d} params, whole {row['whole_cpu']:.2f} s CPU "
                         f"({row['whole_wall']:.2f} s wall), in-process {row['inproc']:.2f} s (load {row['load']:.1f})")
    return rows


def fit(xs, ys) -> float:
    """Least-squares slope of log y against log x."""
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sum((a - mx) ** 2 for a in lx)


def exponents(rows: list[dict]) -> str:
    lines = ["| networks | in-process: seconds ~ params^k | whole process (CPU) |", "|---|---:|---:|"]
    groups = [(f"width {w}", [r for r in rows if r["width"] == w]) for w in WIDTHS] + [("all", rows)]
    for name, rs in groups:
        rs = [r for r in rs if r["inproc"] and r["whole_cpu"]]
        if len(rs) < 3:
            continue
        lines.append(f"| {name} ({len(rs)} networks, {min(r['params'] for r in rs)}-{max(r['params'] for r in rs)} params) "
                     f"| {fit([r['params'] for r in rs], [r['inproc'] for r in rs]):.2f} "
                     f"| {fit([r['params'] for r in rs], [r['whole_cpu'] for r in rs]):.2f} |")
    return "\n".join(lines)


OVERHEAD_TARGET = 1.0   # a whole process may take at most the in-process proof time plus this (CPU s)


def sweep_table(rows: list[dict]) -> str:
    """Each network's in-process and whole-process CPU seconds, and what the whole process adds
    (interpreter, imports, spec reading, the table printed) against the issue's 1 s."""
    lines = ["| width | layers | trainable params | in-process s | whole process CPU s | whole - in-process s "
             "| wall s | load avg |", "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['width']} | {r['depth']} | {r['params']:,} | {r['inproc']:.2f} | {r['whole_cpu']:.2f} | "
                     f"{r['whole_cpu'] - r['inproc']:+.2f} | {r['whole_wall']:.2f} | {r['load']:.1f} |")
    extra = [r["whole_cpu"] - r["inproc"] for r in rows if r["whole_cpu"] and r["inproc"]]
    if extra:
        worst = max(rows, key=lambda r: r["whole_cpu"] - r["inproc"])
        lines += ["", f"Whole process minus in-process: {min(extra):+.2f} to {max(extra):+.2f} CPU s (worst: "
                  f"{worst['width']} wide x {worst['depth']} layers); target at most +{OVERHEAD_TARGET:g} s at every "
                  f"size: {'met' if max(extra) <= OVERHEAD_TARGET else 'NOT met'}."]
    return "\n".join(lines)


def plot(rows: list[dict], path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for w in WIDTHS:
        rs = [r for r in rows if r["width"] == w and r["inproc"]]
        if not rs:
            continue
        line, = ax1.plot([r["params"] for r in rs], [r["inproc"] for r in rs], marker="o", label=f"width {w}")
        ax2.plot([r["params"] for r in rs], [r["whole_cpu"] for r in rs], marker="o", color=line.get_color(),
                 label=f"width {w}")
    xs = sorted(r["params"] for r in rows)
    for ax, key, title in ((ax1, "inproc", "in-process: build + chain rule + proof"),
                           (ax2, "whole_cpu", "whole `derive verify` process (CPU s)")):
        ref = min(r[key] for r in rows if r[key])
        ax.plot(xs, [ref * x / xs[0] for x in xs], color="grey", linestyle=":", label="slope 1 (linear)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("trainable parameters (width x layers, sigmoid, biases)")
        ax.set_ylabel("seconds")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(out: Path, quick: bool = False, progress=print) -> str:
    """Run the targets and (unless quick) the sweep; write the plot; return the Markdown section."""
    from .machine import machine
    import datetime
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    progress(f"proof targets (whole processes), {when}:")
    rows = targets(reps=1 if quick else 3, progress=progress)
    parts = [f"## Proofs\n\n{when}; {machine()}; one thread per process.\n", __doc__.strip() + "\n", table(rows), ""]
    if not quick:
        progress("proof scaling sweep:")
        curve = scaling(progress, reps=3)
        plot(curve, out / "proof-scaling.png")
        parts += ["### Scaling sweep\n", sweep_table(curve), "", "Fitted exponents:\n", exponents(curve), "",
                  "![proof time vs parameters](proof-scaling.png)\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    text = main(folder, quick="--quick" in sys.argv)
    (folder / ("proofs" + ("-quick" if "--quick" in sys.argv else "") + ".md")).write_text(text, encoding="utf-8")
    print("\n" + text)
