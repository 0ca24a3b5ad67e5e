"""Training speed: ``derive train digits`` against a hand-written NumPy Adam loop, both whole processes.

Both run 1,500 Adam steps (lr 0.01, batch 64) on scikit-learn's digits (1,347 training images) and
report the test accuracy on 450 held-out images; wall time includes the interpreter's start, imports,
reading the CSVs and, for derive, loading the compiled network from its cache, the time and memory
budget's child process, the full-data loss after every epoch (21 steps), the training accuracy and the
test loss.  One untimed run of each first (derive compiles the network into its cache; Python writes
its bytecode caches, as an installed package has them: PYTHONDONTWRITEBYTECODE is dropped for these
runs), then interleaved repetitions, medians; threads pinned as for every other peer.
"""
from __future__ import annotations

import contextlib
import os
import re
import resource
import sys
from pathlib import Path

from . import runner

DATA = Path(__file__).parent / "data"


def run(threads: int, reps: int = 5, progress=print) -> dict:
    from . import digits_data
    train, test = DATA / "digits-train.csv", DATA / "digits-test.csv"
    if not (train.exists() and test.exists()):
        digits_data.write(DATA)
    cmds = {"derive": [sys.executable, "-m", "derive", "train", "digits", "--data", str(train), "--test", str(test),
                       "--optimizer", "adam", "--lr", "0.01", "--batch", "64", "--steps", "1500"],
            "numpy": [sys.executable, "-m", "benchmarks.hand_train", str(train), str(test), "1500", "64", "0.01"]}
    with _bytecode_cache():
        for p in cmds:                          # warm-up, untimed
            runner.whole(cmds[p], threads)
        res = runner.interleaved(list(cmds), reps, lambda p: timed(cmds[p], threads))
    out = {"threads": threads, "reps": reps}
    for p, runs in res.items():
        acc = re.search(r"test accuracy ([\d.]+)%", runs[0][1])
        out[p] = {"seconds": runner.median(s for s, _, _ in runs), "cpu": runner.median(c for _, _, c in runs),
                  "accuracy": float(acc.group(1)) if acc else None}
    loops = [re.search(r"in ([\d.]+) s", text) for _, text, _ in res["derive"]]
    out["derive"]["loop"] = runner.median(float(m.group(1)) for m in loops) if all(loops) else None
    progress(f"  {threads} thread(s): derive train {out['derive']['seconds']:.2f} s "
             f"({out['derive']['accuracy']}%), hand NumPy {out['numpy']['seconds']:.2f} s ({out['numpy']['accuracy']}%)")
    return out


def timed(cmd: list[str], threads: int) -> tuple[float, str, float]:
    """``runner.whole`` plus the CPU seconds (user + system) of the command's whole process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, text = runner.whole(cmd, threads)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, text, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@contextlib.contextmanager
def _bytecode_cache():
    """Let the child processes read and write Python's bytecode caches (restored afterwards)."""
    saved = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["PYTHONDONTWRITEBYTECODE"] = saved


def table(rows: list[dict]) -> str:
    """Wall seconds (the target's measure) and CPU seconds of each whole process tree, medians."""
    lines = ["| threads | derive train s | of which training loop s | test accuracy | hand NumPy loop s "
             "| test accuracy | derive / NumPy | target | CPU s derive / NumPy |",
             "|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in rows:
        d, h = r["derive"], r["numpy"]
        ratio = d["seconds"] / h["seconds"]
        loop = f"{d['loop']:.2f}" if d.get("loop") is not None else "-"
        lines.append(f"| {r['threads']} | {d['seconds']:.2f} | {loop} | {d['accuracy']:.2f}% | {h['seconds']:.2f} | "
                     f"{h['accuracy']:.2f}% | **{ratio:.2f}x** | <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'} | "
                     f"{d['cpu']:.2f} / {h['cpu']:.2f} = {d['cpu'] / h['cpu']:.2f}x |")
    return "\n".join(lines)
