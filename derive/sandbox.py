"""Run work in child processes under a hard time limit and a memory cap, so no input can hang or
exhaust the caller.

``call`` runs one function once in a forked child (``os.fork`` and a pipe: the whole command's
budget pays no multiprocessing import); a call that overruns its time limit gets its child killed
(SIGKILL: it works even inside C code such as a huge polynomial expansion).  ``Pool`` keeps one
worker per core busy from a single-threaded parent loop (forking from a single thread is safe) and
reports every task's outcome, so one bad task never stops a batch; a worker is a multiprocessing
child serving calls over a pipe.  Every child caps its address space (``RLIMIT_AS``) and asks the
kernel to kill it when its parent dies, whatever killed the parent (SIGKILL included:
``PR_SET_PDEATHSIG``), so no worker outlives the command that started it.
"""
from __future__ import annotations

import math
import os
import pickle
import signal
import struct
import sys
import time
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
    import multiprocessing as mp
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


def _outcome(fn: Callable, args: tuple, memory: int) -> tuple:
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
        out = _outcome(fn, args, memory)
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
    in the time-limit message.  The child may start sandboxes of its own (``nested`` is accepted for
    callers written for the multiprocessing version, whose daemon children could not).
    """
    timeout = check_timeout(timeout)
    if not hasattr(os, "fork"):
        return _call_worker(fn, args, timeout, memory, what, nested)
    parent = os.getpid()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # the child: never returns
        os.close(r)
        _child(fn, args, w, parent, memory)
    os.close(w)
    data, code = None, None
    try:
        data = _receive(r, time.monotonic() + timeout)
    finally:
        os.close(r)
        if not isinstance(data, bytes):                 # time limit, died, or interrupted
            _kill(pid)
        code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if data is False:
        outcome = ("timeout", f"{what} stopped after {timeout:g} s (time limit)")
    elif data is None:
        outcome = _died(what, code, memory)
    else:
        outcome = pickle.loads(data)
    return raise_outcome(outcome)


_SIZE = struct.Struct("<Q")


def _died(what: str, code, memory: int) -> tuple:
    """The outcome of a child that died before answering."""
    # Under a memory cap, native code (BLAS threads, glibc) aborts instead of raising
    # MemoryError: the cap is the likely cause, so say so in the same words.
    if memory:
        return ("error", "DeriveError", f"the {what} process died (exit code {code}), "
                f"most likely out of memory (the limit is {memory >> 20} MB)")
    return ("internal", f"the {what} process died (exit code {code})")


def _child(fn: Callable, args: tuple, w: int, parent: int, memory: int):
    """In the forked child: run ``fn(*args)``, write its outcome (pickled, length first) to ``w``, exit."""
    code = 1
    try:
        if sys.stdin is not None:                       # as multiprocessing's children: no stdin
            try:
                sys.stdin.close()
                sys.stdin = open(os.devnull)
            except (OSError, ValueError):
                pass
        _die_with_parent(parent)
        _limit_memory(memory)
        out = _outcome(fn, args, memory)
        try:
            data = pickle.dumps(out)
        except Exception as e:   # an unpicklable result is a bug
            data = pickle.dumps(("internal", f"cannot send result ({type(e).__name__})"))
        data = _SIZE.pack(len(data)) + data
        view = memoryview(data)
        while view:
            view = view[os.write(w, view):]
        code = 0
    finally:                     # whatever happened (KeyboardInterrupt too), never return to the caller
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _receive(r: int, deadline: float):
    """The child's message from ``r``: bytes; None if the pipe closed first (the child died); False
    at the deadline.  Length-prefixed, so a grandchild holding the pipe open does not matter."""
    import select
    poller = select.poll()                  # not select(): descriptors above 1023 work too
    poller.register(r, select.POLLIN)
    buf = bytearray()
    need = _SIZE.size
    size = None
    while len(buf) < need:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if not poller.poll(math.ceil(left * 1000)):
            continue
        chunk = os.read(r, max(1 << 16, need - len(buf)))
        if not chunk:
            return None
        buf += chunk
        if size is None and len(buf) >= _SIZE.size:
            size = _SIZE.unpack_from(buf)[0]
            need = _SIZE.size + size
    return bytes(buf[_SIZE.size:need])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _call_worker(fn: Callable, args: tuple, timeout: float, memory: int, what: str, nested: bool):
    """``call`` where there is no ``os.fork``: a multiprocessing worker."""
    w = Worker(fn, memory=memory, daemon=not nested)
    try:
        w.submit(0, args, timeout)
        if w.conn.poll(timeout):
            try:
                _, outcome = w.conn.recv()
            except EOFError:
                w.proc.join(2)
                outcome = _died(what, w.proc.exitcode, memory)
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
        from multiprocessing.connection import wait
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
