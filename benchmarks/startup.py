"""Start-up: what a whole ``derive check SPEC --param P --answer A`` process costs, as an LMS calling it once
per answer pays it, against ``python -c pass`` and ``derive --version`` as peers.

    python -m benchmarks.startup            # 7 interleaved repetitions; --repeat N, --json

Each row is its own fresh process, timed from outside (wall clock around the whole process; CPU time is the
child's user + system time from ``os.wait4``).  "cold": a fresh cache folder every run (the full path:
sympy, the derivation, the check in its sandbox child; it keeps the verdict); "warm": the same check again
(answered from ``checking.fastcache`` without sympy).  Figures are medians.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ANSWER = "delta_y1*w31*z1*(1-z1)*x1 + delta_y2*w41*z1*(1-z1)*x1"
CHECK = ["-m", "derive", "check", "seed002", "--param", "w11", "--answer", ANSWER]


def timed(argv: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    py = sys.executable
    root = tempfile.mkdtemp(prefix="derive-startup-")
    warm_cache = os.path.join(root, "warm")
    base = {**os.environ, "XDG_CACHE_HOME": warm_cache}
    base.pop("DERIVE_DEBUG", None)
    rows = {"python -c pass": [py, "-c", "pass"], "derive --version": [py, "-m", "derive", "--version"],
            "derive check --answer, cold cache": [py, *CHECK], "derive check --answer, warm cache": [py, *CHECK]}
    expected = {"python -c pass": 0, "derive --version": 0}
    try:
        wall: dict = {k: [] for k in rows}
        cpu: dict = {k: [] for k in rows}
        first = timed([py, *CHECK], base)           # fills the warm cache
        for i in range(args.repeat):                 # interleaved: load changes hit every row alike
            for name, cmd in rows.items():
                env = base
                if "cold" in name:
                    env = {**base, "XDG_CACHE_HOME": os.path.join(root, f"cold{i}")}
                w, c, code = timed(cmd, env)
                if code != expected.get(name, first[2]):
                    raise SystemExit(f"{name}: exit {code}")
                wall[name].append(w)
                cpu[name].append(c)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out = {k: {"wall": statistics.median(wall[k]), "cpu": statistics.median(cpu[k])} for k in rows}
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    from .machine import machine
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; medians of {args.repeat}")
    print(f"{'process':40} {'wall s':>8} {'CPU s':>8}")
    for k, v in out.items():
        print(f"{k:40} {v['wall']:8.3f} {v['cpu']:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
