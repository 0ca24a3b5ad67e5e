"""Notes for real-sized networks: how long ``derive notes`` takes and how large its files are.

    python -m benchmarks.notes_scaling            # writes benchmarks/results/notes-scaling.md

Targets (issue 22): notes for an 8-8-8-3 tanh/softmax network (171 parameters) in under 20 s and under
2 MB of HTML; ``--param all`` on it in under 2 minutes; the bundled digits network (64-32-10, 2,410
parameters) in under a minute.  Each case is the whole command (``derive notes``, Markdown, LaTeX and
HTML, en) in a fresh process with one thread, timed on the wall clock from start to exit.
"""
from __future__ import annotations

import datetime
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .runner import thread_env

RESULTS = Path(__file__).parent / "results"
NET_8883 = """name: "8-8-8-3 tanh/softmax network"
notation: ng
inputs: 8
layers:
  - {units: 8, activation: tanh, bias: per-unit}
  - {units: 8, activation: tanh, bias: per-unit}
  - {units: 3, activation: softmax, bias: per-unit}
loss: ce
targets: 3
"""
# (what, spec, extra arguments, seconds allowed, HTML bytes allowed or None)
CASES = [
    ("8-8-8-3 tanh/softmax, the default sample", "net8883.yaml", [], 20.0, 2_000_000),
    ("8-8-8-3 tanh/softmax, --param all (171 parameters)", "net8883.yaml", ["--param", "all"], 120.0, None),
    ("digits 64-32-10, the default sample", "digits", [], 60.0, None),
]


def run_case(folder: Path, spec: str, extra: list[str]) -> tuple[float, int, int]:
    """(seconds, bytes of notes.en.html, bytes of every file written) for one ``derive notes`` run."""
    out = folder / f"out-{abs(hash((spec, *extra)))}"
    cmd = [sys.executable, "-m", "derive", "notes", spec, "--format", "md,tex,html", "--out", str(out), *extra]
    start = time.perf_counter()
    r = subprocess.run(cmd, cwd=folder, env=thread_env(1), capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - start
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: {r.stderr.strip()[-500:]}")
    html = next(out.rglob("notes.en.html")).stat().st_size
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return seconds, html, total


def table(rows) -> str:
    lines = ["| notes | time | target | notes.en.html | all files | met |", "|---|---:|---:|---:|---:|---|"]
    for what, seconds, limit, html, size_limit, total in rows:
        met = seconds < limit and (size_limit is None or html < size_limit)
        lines.append(f"| {what} | {seconds:.1f} s | < {limit:.0f} s"
                     + (f", < {size_limit / 1e6:.0f} MB" if size_limit else "")
                     + f" | {html / 1e6:.2f} MB | {total / 1e6:.2f} MB | {'yes' if met else 'NO'} |")
    return "\n".join(lines)


def main() -> int:
    RESULTS.mkdir(exist_ok=True)
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "net8883.yaml").write_text(NET_8883)
        for what, spec, extra, limit, size_limit in CASES:
            seconds, html, total = run_case(folder, spec, extra)
            rows.append((what, seconds, limit, html, size_limit, total))
            print(f"{what}: {seconds:.1f} s, notes.en.html {html / 1e6:.2f} MB", flush=True)
    text = (f"# Notes for real-sized networks\n\n{when}, {os.cpu_count()} cores, load average {load:.1f} at the start; "
            "`derive notes SPEC --format md,tex,html` (en) in a fresh process, one thread, wall clock.\n\n"
            + table(rows) + "\n")
    (RESULTS / "notes-scaling.md").write_text(text)
    print(text)
    return 0 if all(r[1] < r[2] and (r[4] is None or r[3] < r[4]) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
