"""Run every peer in its own fresh process, threads pinned, in interleaved repetitions; take medians.

A peer that runs after a multithreaded one in the same process pays for the other's thread pool, so
nothing here shares a process: each measurement is ``python -m benchmarks.peers ...`` (or a whole
command such as ``derive train``) started with the thread variables below set, and the order of the
peers rotates from one repetition to the next.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def thread_env(threads: int) -> dict:
    """The environment that pins every library in a child process to ``threads`` threads."""
    env = dict(os.environ)
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
              "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[k] = str(threads)
    env["XLA_FLAGS"] = (f"--xla_cpu_multi_thread_eigen={'false' if threads == 1 else 'true'} "
                        f"intra_op_parallelism_threads={threads}")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("DERIVE_DEBUG", None)
    return env


def child(args: list[str], threads: int, timeout: float = 600) -> dict | None:
    """Run ``python -m benchmarks.peers ARGS`` in a fresh process; its JSON, or None on timeout."""
    try:
        out = subprocess.run([sys.executable, "-m", "benchmarks.peers", *args], env=thread_env(threads),
                             capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        raise RuntimeError(f"benchmark peer {' '.join(args)} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def whole(cmd: list[str], threads: int, timeout: float = 600) -> tuple[float, str]:
    """Wall seconds of a whole command (start-up included) and its stdout."""
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=thread_env(threads), capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-2000:]}")
    return seconds, out.stdout


def interleaved(peers: list[str], reps: int, run) -> dict[str, list]:
    """``run(peer)`` for every peer, ``reps`` times, the order rotating each repetition."""
    results: dict[str, list] = {p: [] for p in peers}
    for r in range(reps):
        for k in range(len(peers)):
            p = peers[(k + r) % len(peers)]
            results[p].append(run(p))
    return results


def median(xs) -> float:
    return statistics.median(xs)
