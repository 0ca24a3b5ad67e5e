"""``call``: one function, once, in a forked child under a hard time limit and a memory cap.

``os.fork`` and a pipe: the whole command's budget pays no multiprocessing import.  The child leads its
own process group; at the time limit (or when the caller is interrupted) the parent SIGKILLs the whole
group, which works even inside C code and takes LaTeX or any other program the child started with it.
The parent waits for the child's exit without reaping it, kills what is left of the group while the
child's pid is still reserved, then reaps it and removes the child's temporary folder.
"""
from __future__ import annotations

import math
import os
import pickle
import struct
import sys
import time
from typing import Callable

from .limits import (DEFAULT_TIMEOUT, MEMORY, check_timeout, died, enter, kill_group, outcome, raise_outcome,
                     remove, scratch, timed_out)

_SIZE = struct.Struct("<Q")


def call(fn: Callable, *args, timeout: float = DEFAULT_TIMEOUT, memory: int = MEMORY, what: str = "check",
         nested: bool = False):
    """``fn(*args)`` in a forked child, killed after ``timeout`` seconds (raises TimeLimit).

    The child may allocate ``memory`` bytes beyond what this process holds; ``what`` names the work
    in the time-limit message ("check", "verify", "derive notes").  The child may start sandboxes of
    its own (``nested`` is accepted for callers written for the multiprocessing version, whose daemon
    children could not).
    """
    timeout = check_timeout(timeout)
    if not hasattr(os, "fork"):
        from .pool import call_worker
        return call_worker(fn, args, timeout, memory, what, nested)
    parent = os.getpid()
    folder = scratch()
    r, w = os.pipe()
    try:
        pid = os.fork()
    except BaseException:
        os.close(r)
        os.close(w)
        remove(folder)
        raise
    if pid == 0:                                        # the child: never returns
        os.close(r)
        _child(fn, args, w, parent, memory, folder)
    os.close(w)
    try:
        os.setpgid(pid, pid)                            # as the child does: no window without its group
    except OSError:
        pass
    data, code = None, None
    try:
        data = _receive(r, time.monotonic() + timeout)
    finally:
        os.close(r)
        try:
            if not isinstance(data, bytes):             # time limit, died, or interrupted: the whole group
                kill_group(pid)
            else:
                _wait_exit(pid)
                kill_group(pid)                         # anything the child left running
            code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
        finally:
            remove(folder)
    if data is False:
        result = timed_out(what, timeout)
    elif data is None:
        result = died(what, code, memory)
    else:
        result = pickle.loads(data)
    return raise_outcome(result)


def _wait_exit(pid: int) -> None:
    """Wait until the child has exited, without reaping it (its pid, and so its group id, stay reserved)."""
    try:
        os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    except (AttributeError, ChildProcessError, OSError):
        pass


def _child(fn: Callable, args: tuple, w: int, parent: int, memory: int, folder: str | None):
    """In the forked child: run ``fn(*args)``, write its outcome (pickled, length first) to ``w``, exit."""
    code = 1
    try:
        if sys.stdin is not None:                       # as multiprocessing's children: no stdin
            try:
                sys.stdin.close()
                sys.stdin = open(os.devnull)
            except (OSError, ValueError):
                pass
        enter(parent, memory, folder)
        out = outcome(fn, args, memory)
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
