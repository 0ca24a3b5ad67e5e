"""Run work in child processes under a hard time limit and a memory cap, so no input can hang or
exhaust the caller.

A worker is a forked child that serves calls over a pipe; a call that overruns its time limit
gets its worker killed (SIGKILL: it works even inside C code such as a huge polynomial
expansion) and replaced.  ``call`` runs one function once; ``Pool`` keeps one worker per core
busy from a single-threaded parent loop (forking from a single thread is safe) and reports
every task's outcome, so one bad task never stops a batch.  Every child caps its address space
(``RLIMIT_AS``) and asks the kernel to kill it when its parent dies, whatever killed the parent
(SIGKILL included: ``PR_SET_PDEATHSIG``), so no worker outlives the command that started it.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import signal
import time
from multiprocessing.connection import wait
from typing import Callable, Iterable, Iterator

from . import errors
from .errors import DeriveError

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


def _context():
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else methods[0])


def _die_with_parent(parent: int):
    """Ask the kernel to SIGKILL this child when its parent dies (Linux); exit if it already has."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (ImportError, OSError, AttributeError):     # not Linux: the parent's finally kills workers
        pass
    if os.getppid() != parent:                          # the parent died before prctl took effect
        os._exit(1)


def _limit_memory(extra: int = MEMORY):
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


def _serve(conn, fn: Callable, parent: int = 0, memory: int = MEMORY):
    """Child loop: call ``fn(*args)`` for every task; send back ('ok', value) or an error."""
    if parent:
        _die_with_parent(parent)
    _limit_memory(memory)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        key, args = task
        try:
            out = ("ok", fn(*args))
        except DeriveError as e:
            out = ("error", type(e).__name__, str(e))
        except RecursionError:
            out = ("error", "FormulaError", "input nested too deeply")
        except MemoryError:
            out = ("error", "DeriveError", f"out of memory (the limit is {memory >> 20} MB)")
        except Exception as e:   # a bug: reported as one line, the worker keeps serving
            out = ("internal", f"{type(e).__name__}: {e}".splitlines()[0])
        try:
            conn.send((key, out))
        except Exception as e:   # an unpicklable result is a bug too
            conn.send((key, ("internal", f"cannot send result ({type(e).__name__})")))


class Worker:
    """One child process serving calls of ``fn``."""

    def __init__(self, fn: Callable, ctx=None, memory: int = MEMORY, daemon: bool = True):
        ctx = ctx or _context()
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, fn, os.getpid(), memory), daemon=daemon)
        self.proc.start()
        child.close()
        self.key = None
        self.deadline = 0.0
        self.started = 0.0

    def submit(self, key, args: tuple, timeout: float):
        self.key, self.started = key, time.monotonic()
        self.deadline = self.started + timeout
        self.conn.send((key, args))

    def kill(self):
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(2)
        self.conn.close()

    def close(self):
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(1)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(1)
        self.conn.close()


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


def call(fn: Callable, *args, timeout: float = DEFAULT_TIMEOUT, memory: int = MEMORY, what: str = "check",
         nested: bool = False):
    """``fn(*args)`` in a forked child, killed after ``timeout`` seconds (raises TimeLimit).

    The child may allocate ``memory`` bytes beyond what this process holds; ``what`` names the work
    in the time-limit message; ``nested=True`` lets the child start sandboxes of its own.
    """
    timeout = check_timeout(timeout)
    w = Worker(fn, memory=memory, daemon=not nested)
    try:
        w.submit(0, args, timeout)
        if w.conn.poll(timeout):
            try:
                _, outcome = w.conn.recv()
            except EOFError:
                w.proc.join(2)
                # Under a memory cap, native code (BLAS threads, glibc) aborts instead of raising
                # MemoryError: the cap is the likely cause, so say so in the same words.
                outcome = ("error", "DeriveError", f"the {what} process died (exit code {w.proc.exitcode}), "
                           f"most likely out of memory (the limit is {memory >> 20} MB)") if memory else \
                    ("internal", f"the {what} process died (exit code {w.proc.exitcode})")
        else:
            w.kill()
            outcome = ("timeout", f"{what} stopped after {timeout:g} s (time limit)")
    finally:
        if w.proc.is_alive():
            w.close()
    return raise_outcome(outcome)


class Pool:
    """``workers`` forked children calling ``fn``; each task under its own hard time limit."""

    def __init__(self, fn: Callable, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT):
        self.fn, self.timeout = fn, check_timeout(timeout)
        self.size = max(1, workers or os.cpu_count() or 1)
        self.ctx = _context()

    def run(self, tasks: Iterable[tuple]) -> Iterator[tuple[int, tuple, float]]:
        """Yield (index, outcome, seconds) per task, in completion order.

        An outcome is ('ok', value), ('error', type, message), ('timeout', message) or
        ('internal', message).
        """
        todo = list(enumerate(tasks))
        todo.reverse()
        idle = [Worker(self.fn, self.ctx) for _ in range(min(self.size, len(todo)))]
        busy: dict = {}
        try:
            while todo or busy:
                while idle and todo:
                    w = idle.pop()
                    i, args = todo.pop()
                    w.submit(i, args, self.timeout)
                    busy[w.conn] = w
                now = time.monotonic()
                nearest = min(w.deadline for w in busy.values())
                for conn in wait(list(busy), timeout=max(0.0, nearest - now)):
                    w = busy.pop(conn)
                    try:
                        _, outcome = conn.recv()
                        idle.append(w)
                    except (EOFError, OSError):
                        outcome = ("internal", f"the check process died (exit code {w.proc.exitcode})")
                        w.kill()
                        idle.append(Worker(self.fn, self.ctx))
                    yield w.key, outcome, time.monotonic() - w.started
                now = time.monotonic()
                for conn, w in list(busy.items()):
                    if now >= w.deadline:
                        del busy[conn]
                        w.kill()
                        idle.append(Worker(self.fn, self.ctx))
                        yield w.key, ("timeout", f"check stopped after {self.timeout:g} s (time limit)"), \
                            now - w.started
        finally:
            for w in idle:
                w.close()
            for w in busy.values():
                w.kill()
