"""``Pool``: one worker per core kept busy from a single-threaded parent loop, each task under its own
hard time limit; every task's outcome is reported, so one bad task never stops a batch.

A worker is a multiprocessing child serving calls over a pipe; it leads its own process group and dies
with its parent (see ``limits.enter``).  A worker past its task's deadline is killed with its group and
replaced; its temporary folder, made by the parent, is removed by the parent.
"""
from __future__ import annotations

import os
import time
from typing import Callable, Iterable, Iterator

from .limits import (DEFAULT_TIMEOUT, MEMORY, check_timeout, died, enter, kill_group, outcome, raise_outcome,
                     remove, scratch, timed_out)


def _context():
    import multiprocessing as mp
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else methods[0])


def _serve(conn, fn: Callable, parent: int = 0, memory: int = MEMORY, folder: str | None = None):
    """Child loop: call ``fn(*args)`` for every task; send back ('ok', value) or an error."""
    enter(parent, memory, folder, group=bool(parent))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        key, args = task
        out = outcome(fn, args, memory)
        try:
            conn.send((key, out))
        except Exception as e:   # an unpicklable result is a bug too
            conn.send((key, ("internal", f"cannot send result ({type(e).__name__})")))


class Worker:
    """One child process serving calls of ``fn``."""

    def __init__(self, fn: Callable, ctx=None, memory: int = MEMORY, daemon: bool = True):
        ctx = ctx or _context()
        self.folder = scratch()
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, fn, os.getpid(), memory, self.folder), daemon=daemon)
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
        if self.proc.is_alive() and self.proc.pid:
            kill_group(self.proc.pid)
        self.proc.join(2)
        self.conn.close()
        remove(self.folder)

    def close(self):
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.proc.join(1)
        if self.proc.is_alive():
            kill_group(self.proc.pid)
            self.proc.join(1)
        self.conn.close()
        remove(self.folder)


def call_worker(fn: Callable, args: tuple, timeout: float, memory: int, what: str, nested: bool):
    """``call`` where there is no ``os.fork``: a multiprocessing worker."""
    w = Worker(fn, memory=memory, daemon=not nested)
    try:
        w.submit(0, args, timeout)
        if w.conn.poll(timeout):
            try:
                _, result = w.conn.recv()
            except EOFError:
                w.proc.join(2)
                result = died(what, w.proc.exitcode, memory)
        else:
            w.kill()
            result = timed_out(what, timeout)
    finally:
        if w.proc.is_alive():
            w.close()
        remove(w.folder)
    return raise_outcome(result)


class Pool:
    """``workers`` forked children calling ``fn``; each task under its own hard time limit.

    ``what`` names the work in a time-limit message ("check stopped after 5 s")."""

    def __init__(self, fn: Callable, workers: int | None = None, timeout: float = DEFAULT_TIMEOUT,
                 what: str = "check"):
        self.fn, self.timeout, self.what = fn, check_timeout(timeout), what
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
                        _, result = conn.recv()
                        idle.append(w)
                    except (EOFError, OSError):
                        result = ("internal", f"the {self.what} process died (exit code {w.proc.exitcode})")
                        w.kill()
                        idle.append(Worker(self.fn, self.ctx))
                    yield w.key, result, time.monotonic() - w.started
                now = time.monotonic()
                for conn, w in list(busy.items()):
                    if now >= w.deadline:
                        del busy[conn]
                        w.kill()
                        idle.append(Worker(self.fn, self.ctx))
                        yield w.key, timed_out(self.what, self.timeout), now - w.started
        finally:
            for w in idle:
                w.close()
            for w in busy.values():
                w.kill()
