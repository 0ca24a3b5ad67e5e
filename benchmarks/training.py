"""Training speed: ``derive train digits`` against a hand-written NumPy Adam loop, both whole processes.

Both run 1,500 Adam steps (lr 0.01, batch 64) on scikit-learn's digits (1,347 training images) and
report the test accuracy on 450 held-out images; wall time includes the interpreter's start, imports,
reading the CSVs and, for derive, building and compiling the network.  Interleaved repetitions,
medians; threads pinned as for every other peer.
"""
from __future__ import annotations

import re
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
    res = runner.interleaved(list(cmds), reps, lambda p: runner.whole(cmds[p], threads))
    out = {"threads": threads, "reps": reps}
    for p, runs in res.items():
        acc = re.search(r"test accuracy ([\d.]+)%", runs[0][1])
        out[p] = {"seconds": runner.median(s for s, _ in runs), "accuracy": float(acc.group(1)) if acc else None}
    progress(f"  {threads} thread(s): derive train {out['derive']['seconds']:.2f} s "
             f"({out['derive']['accuracy']}%), hand NumPy {out['numpy']['seconds']:.2f} s ({out['numpy']['accuracy']}%)")
    return out


def table(rows: list[dict]) -> str:
    lines = ["| threads | derive train s | test accuracy | hand NumPy loop s | test accuracy | derive / NumPy | target |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        d, h = r["derive"], r["numpy"]
        ratio = d["seconds"] / h["seconds"]
        lines.append(f"| {r['threads']} | {d['seconds']:.2f} | {d['accuracy']:.2f}% | {h['seconds']:.2f} | "
                     f"{h['accuracy']:.2f}% | **{ratio:.2f}x** | <= 1.5x: {'met' if ratio <= 1.5 else 'NOT met'} |")
    return "\n".join(lines)
