"""The machine a benchmark ran on, in one line (CPU and its widest vectors, cores, load, library versions): every results file
starts with it.  Shared by ``benchmarks.__main__`` and ``benchmarks.tensor`` (neither imports the other)."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    import numpy
    cpu = platform.processor() or platform.machine()
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    flags = next((set(ln.split(":", 1)[1].split()) for ln in lines if ln.startswith("flags")), set())
    if flags:           # NumPy's float64 exp is vectorised only with AVX-512: timings differ by up to 10x
        cpu += " (" + ("AVX-512" if "avx512f" in flags else "AVX2, no AVX-512" if "avx2" in flags else "no AVX2") + ")"
    versions = [f"Python {platform.python_version()}", f"NumPy {numpy.__version__}"]
    for mod in ("torch", "jax"):
        try:
            versions.append(f"{mod} {__import__(mod).__version__}")
        except ImportError:
            versions.append(f"{mod} not installed")
    try:
        load = "load average %.1f" % os.getloadavg()[0]
    except OSError:
        load = ""
    return f"{cpu}, {os.cpu_count()} cores, {load}; " + ", ".join(versions)
