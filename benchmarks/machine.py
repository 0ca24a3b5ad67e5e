"""The machine a benchmark ran on, in one line (CPU, cores, load, library versions): every results file
starts with it.  Shared by ``benchmarks.__main__`` and ``benchmarks.tensor`` (neither imports the other)."""
from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    import numpy
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
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
