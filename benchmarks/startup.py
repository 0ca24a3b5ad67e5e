"""Start-up: what a whole ``derive check SPEC --param P --answer A`` process costs, as an LMS calling it once
per answer pays it, against ``python -c pass`` and ``derive --version`` as peers.

    python -m benchmarks.startup            # 7 interleaved repetitions; --repeat N, --json

Each row is its own fresh process, timed from outside (wall clock around the whole process; CPU time is the
child's user + system time from ``os.wait4``).  "cold": a fresh cache folder every run (the full path:
sympy, the derivation, the check in its sandbox child; it keeps the verdict); "warm": the same check again
(answered from ``checking.fastcache`` without sympy).  "warm checker running": a fresh cache folder every run
(a new answer) while ``derive warm`` runs (started once, in a private folder, stopped at the end), for the
bundled seed002 and for a spec file (seed002 with tanh for sigmoid, a network no bundled one is: the worker
loads and derives it, answer right for it); the CPU column is
the client process's, and the line under the table gives the mean CPU the server's processes spent per
command (its children's times from /proc).  Figures are medians.

"DERIVE_WARM unset": what an LMS calling ``derive check`` back to back (a new answer each time) pays with no
server started by anyone: ``--sequence`` checks in a fresh runtime folder; the second check run cold starts
a warm checker in the background (``cli/warmstart.py``), and the checks after it are handed to it once it
listens.  Reported: the first and second checks' wall time, the median of the rest, and how many of the rest
the warm checker took (its ``accepted`` count).
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
TANH_ANSWER = "delta_y1*w31*(1-z1**2)*x1 + delta_y2*w41*(1-z1**2)*x1"


def timed(argv: list[str], env: dict) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds, exit code) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def server_cpu(pid: int) -> float:
    """CPU seconds of the warm checker and of every child it has reaped (sessions, workers, their children)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def start_warm(py: str, env: dict) -> int:
    """Start ``derive warm`` with ``env``; its pid."""
    out = subprocess.run([py, "-m", "derive", "warm", "--json"], env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"derive warm: {out.stderr.strip()}")
    return json.loads(out.stdout)["pid"]


def auto_sequence(py: str, root: str, checks: int) -> dict:
    """Wall seconds of ``checks`` back-to-back new-answer checks with DERIVE_WARM unset and no server running."""
    env = {**os.environ, "XDG_RUNTIME_DIR": os.path.join(root, "auto")}
    env.pop("DERIVE_WARM", None)
    env.pop("DERIVE_DEBUG", None)
    os.mkdir(env["XDG_RUNTIME_DIR"], 0o700)
    walls = []
    try:
        for i in range(checks):
            w, _, _ = timed([py, *CHECK], {**env, "XDG_CACHE_HOME": os.path.join(root, f"auto{i}")})
            walls.append(w)
        said = subprocess.run([py, "-m", "derive", "warm", "--status", "--json"], env=env, capture_output=True,
                              text=True, timeout=120)
        status = json.loads(said.stdout)
    finally:
        subprocess.run([py, "-m", "derive", "warm", "--stop"], env=env, capture_output=True, timeout=120)
    taken = max(0, (status.get("accepted") or 0) - 1)        # its connections, less this status request
    return {"first": walls[0], "second": walls[1], "rest": statistics.median(walls[2:]),
            "rest_taken": taken, "rest_count": checks - 2}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.startup", description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--sequence", type=int, default=12, help="checks in the DERIVE_WARM-unset run (at least 3)")
    args = ap.parse_args(argv)
    py = sys.executable
    root = tempfile.mkdtemp(prefix="dst", dir="/tmp")      # short: the warm checker's socket path
    warm_cache = os.path.join(root, "warm")
    spec = os.path.join(root, "net.yaml")
    with open(os.path.join(os.path.dirname(__file__), "..", "derive", "examples", "seed002.yaml")) as fh:
        text = fh.read()
    with open(spec, "w") as fh:
        fh.write(text.replace("sigmoid", "tanh"))
    base = {**os.environ, "XDG_CACHE_HOME": warm_cache, "DERIVE_WARM": "off"}
    base.pop("DERIVE_DEBUG", None)
    served = {**base, "XDG_RUNTIME_DIR": os.path.join(root, "run"), "DERIVE_WARM": "on"}
    os.mkdir(served["XDG_RUNTIME_DIR"], 0o700)
    rows = {"python -c pass": [py, "-c", "pass"], "derive --version": [py, "-m", "derive", "--version"],
            "derive check --answer, cold cache": [py, *CHECK], "derive check --answer, warm cache": [py, *CHECK],
            "new answer, warm checker running": [py, *CHECK],
            "the same, a spec file": [py, *CHECK[:3], spec, *CHECK[4:-1], TANH_ANSWER]}
    expected = {"python -c pass": 0, "derive --version": 0}
    pid = None
    try:
        wall: dict = {k: [] for k in rows}
        cpu: dict = {k: [] for k in rows}
        first = timed([py, *CHECK], base)           # fills the warm cache
        pid = start_warm(py, served)
        before = server_cpu(pid)
        for i in range(args.repeat):                 # interleaved: load changes hit every row alike
            for n, (name, cmd) in enumerate(rows.items()):
                env = base
                if "cold" in name or "running" in name or "spec file" in name:     # a new answer each time
                    env = {**(served if n >= 4 else base), "XDG_CACHE_HOME": os.path.join(root, f"cold{i}-{n}")}
                w, c, code = timed(cmd, env)
                if code != expected.get(name, first[2]):
                    raise SystemExit(f"{name}: exit {code}")
                wall[name].append(w)
                cpu[name].append(c)
        time.sleep(0.5)                              # the server reaps its last session
        per_command = (server_cpu(pid) - before) / (2 * args.repeat)
        auto = auto_sequence(py, root, max(3, args.sequence))
    finally:
        if pid is not None:
            subprocess.run([py, "-m", "derive", "warm", "--stop"], env=served, capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)
    out = {k: {"wall": statistics.median(wall[k]), "cpu": statistics.median(cpu[k])} for k in rows}
    out["warm checker, server CPU per command (mean)"] = {"cpu": per_command}
    out["DERIVE_WARM unset, back to back"] = auto
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    from .machine import machine
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {machine()}; medians of {args.repeat}")
    print(f"{'process':40} {'wall s':>8} {'CPU s':>8}")
    for k, v in out.items():
        if "wall" in v:
            print(f"{k:40} {v['wall']:8.3f} {v['cpu']:8.3f}")
    print(f"# the warm checker's own processes: {per_command:.3f} CPU s per command (mean)")
    print(f"# DERIVE_WARM unset, {auto['rest_count'] + 2} new answers back to back, no server at first: "
          f"1st {auto['first']:.3f} s, 2nd {auto['second']:.3f} s (starts one), the rest {auto['rest']:.3f} s "
          f"(median; {auto['rest_taken']} of {auto['rest_count']} taken by the warm checker)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
