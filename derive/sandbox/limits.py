"""What every sandboxed child shares: the limits, the child's own set-up, and outcomes as data.

A child starts by ``enter``: it leads its own process group (so everything it starts, LaTeX included,
is killed with it), asks the kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``, SIGKILL
included), keeps its temporary files in a folder its parent made and removes (``scratch``), silences
NumPy's floating-point warnings, and caps its address space (``RLIMIT_AS``).  Its result or error travels back as an outcome tuple.
"""
from __future__ import annotations

import math
import os
import shutil
import signal
import tempfile

from .. import errors
from ..errors import DeriveError

DEFAULT_TIMEOUT = 5.0
MAX_TIMEOUT = 3600.0    # an hour: the longest limit any command accepts
MEMORY = 2 << 30        # bytes a check may allocate on top of what the process already holds
PR_SET_PDEATHSIG = 1    # linux/prctl.h


class TimeLimit(DeriveError):
    """A check ran past its hard time limit and its process was killed."""


def check_timeout(seconds) -> float:
    """``seconds`` as a usable time limit (finite, > 0, at most an hour), else a DeriveError."""
    try:
        t = float(seconds)
    except (TypeError, ValueError):
        raise DeriveError(f"time limit {seconds!r}: expected a number of seconds") from None
    if not (math.isfinite(t) and 0 < t <= MAX_TIMEOUT):
        raise DeriveError(f"time limit {seconds!r}: expected seconds > 0 and at most {MAX_TIMEOUT:g}")
    return t


def die_with_parent(parent: int = 0):
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); exit if it already has.

    Also used as a ``preexec_fn`` for programs a child starts (LaTeX): they die with the child."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (ImportError, OSError, AttributeError):     # not Linux: the parent's finally kills workers
        pass
    if parent and os.getppid() != parent:              # the parent died before prctl took effect
        os._exit(1)


def limit_memory(extra: int = MEMORY):
    """Cap the child's address space at what it has now plus ``extra`` bytes (best effort, Linux)."""
    try:
        import resource
        with open("/proc/self/status") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        limit = size + extra if hard == resource.RLIM_INFINITY else min(size + extra, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError, StopIteration):
        pass


def scratch() -> str | None:
    """A private temporary folder for one child, made by the parent (which removes it: ``remove``)."""
    try:
        return tempfile.mkdtemp(prefix="derive-child-")
    except OSError:
        return None


def remove(folder: str | None) -> None:
    if folder:
        shutil.rmtree(folder, ignore_errors=True)


def enter(parent: int, memory: int, folder: str | None, group: bool = True) -> None:
    """A new child's set-up: its own process group, death with its parent, its temporary folder, its
    memory cap."""
    if group:
        try:
            os.setpgid(0, 0)
        except OSError:
            pass
    die_with_parent(parent)
    if folder:                       # every temporary file of the child (and of what it starts) goes here
        tempfile.tempdir = folder
        os.environ["TMPDIR"] = folder
    quiet_numbers()
    limit_memory(memory)


def quiet_numbers() -> None:
    """NumPy's floating-point warnings ("overflow encountered in power", with a source path) never reach
    a terminal or a server log: an overflow is a result (inf, nan) that derive reports in its own words."""
    import warnings
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            message=r".*(encountered in|overflow|underflow|divide by zero|invalid value)")
    warnings.filterwarnings("ignore", module=r"numpy(\.|$)")


def kill_group(pid: int) -> None:
    """SIGKILL the process group ``pid`` leads (the child and everything it started), else the child."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
            return
        except ProcessLookupError:
            continue
        except PermissionError:
            continue


def outcome(fn, args: tuple, memory: int) -> tuple:
    """``fn(*args)`` as ('ok', value) or an error outcome (see ``Pool.run``)."""
    try:
        return ("ok", fn(*args))
    except DeriveError as e:
        return ("error", type(e).__name__, str(e))
    except RecursionError:
        return ("error", "FormulaError", "input nested too deeply")
    except MemoryError:
        return ("error", "DeriveError", f"out of memory (the limit is {memory >> 20} MB)")
    except Exception as e:   # a bug: reported as one line
        return ("internal", f"{type(e).__name__}: {e}".splitlines()[0])


def timed_out(what: str, timeout: float) -> tuple:
    return ("timeout", f"{what} stopped after {timeout:g} s (time limit)")


def died(what: str, code, memory: int) -> tuple:
    """The outcome of a child that died before answering."""
    # Under a memory cap, native code (BLAS threads, glibc) aborts instead of raising
    # MemoryError: the cap is the likely cause, so say so in the same words.
    if memory:
        return ("error", "DeriveError", f"the {what} process died (exit code {code}), "
                f"most likely out of memory (the limit is {memory >> 20} MB)")
    return ("internal", f"the {what} process died (exit code {code})")


def raise_outcome(outcome: tuple):
    """Turn an error outcome back into its exception (DeriveError subclasses keep their type)."""
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "error":
        cls = getattr(errors, outcome[1], DeriveError)
        if not (isinstance(cls, type) and issubclass(cls, DeriveError)) or cls is errors.SpecError:
            cls = DeriveError
        raise cls(outcome[2])
    if kind == "timeout":
        raise TimeLimit(outcome[1])
    if "process died" in outcome[1]:        # killed by the memory cap or the system: unusable input
        raise DeriveError(outcome[1] + "; the input may need too much memory")
    raise RuntimeError(outcome[1])
