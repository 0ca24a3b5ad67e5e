"""Grading on a Dask cluster (``derive grade --scheduler tcp://HOST:8786``): the distinct answers sent to
an existing ``distributed`` scheduler, checked on its workers, verdicts streamed back as they finish.

Each task is a chunk of distinct answers.  A worker rebuilds the checker from the recipe's plain
payload (once per process) and checks every answer of the chunk in a forked sandbox child with the
same time limit and memory cap as a local run (``sandbox.Pool``), so its verdicts are a local run's.
A worker that dies mid-chunk loses nothing: the scheduler gives the chunk to another worker.  When a
chunk has killed workers ``distributed.scheduler.allowed-failures`` times (the scheduler's setting,
3 by default) its answers are sent again one by one; one that fails so too (it kills workers, or it
ran beside one that does) is tried once more alone on the cluster at the end, and reported unusable
if it kills workers even then: never retried for ever.  This module is imported only with ``--scheduler``:
without it, grading never imports Dask.
"""
from __future__ import annotations

import dataclasses
import functools
import secrets
from typing import Iterator

from .. import sandbox
from ..errors import DeriveError
from .distinct import Recipe

CHUNK = 64                     # answers per task at most (a sandbox child and its caches live a chunk)
_BUILT: dict = {}              # recipe key -> checker, per worker process


def _checker(recipe: Recipe):
    if recipe.key not in _BUILT:
        _BUILT.clear()
        _BUILT[recipe.key] = recipe.build(*recipe.payload)
    return _BUILT[recipe.key]


def check_chunk(recipe: Recipe, tasks: list[tuple], timeout: float) -> list[tuple[int, tuple, float]]:
    """On a worker: (index, outcome, seconds) of every (param, answer), each in a sandboxed child."""
    import multiprocessing
    multiprocessing.current_process().daemon = False      # a Dask worker may be daemonic; its sandboxes
    obj = _checker(recipe)                                # exit when it dies (PR_SET_PDEATHSIG)
    pool = sandbox.Pool(functools.partial(recipe.check, obj), 1, timeout)
    return sorted(pool.run(tasks))


def _reachable(address: str):
    """Refuse at once a tcp:// address nothing listens on (Dask's own connect waits its whole timeout)."""
    import socket
    from urllib.parse import urlsplit
    if not address.startswith("tcp://"):
        return
    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        raise DeriveError(f"--scheduler {address}: expected tcp://HOST:PORT") from None
    try:
        socket.create_connection((host, port), timeout=10).close()
    except OSError as e:
        raise DeriveError(f"--scheduler {address}: cannot reach the Dask scheduler ({e.strerror or e})") from None


def _failed(idx: list[int], err: BaseException):
    for i in idx:
        yield i, ("internal", f"Dask task failed: {type(err).__name__}: {err}".splitlines()[0]), 0.0


def cluster_runner(address: str, recipe: Recipe, timeout: float, chunk: int = CHUNK):
    """A runner (see ``distinct.grade_rows``) sending tasks to the Dask scheduler at ``address``."""
    try:
        from concurrent.futures import CancelledError

        from distributed import Client, KilledWorker, as_completed
    except ImportError:
        raise DeriveError("--scheduler needs Dask's distributed package on this machine and every worker: "
                          "pip install 'derive[cluster]'") from None
    _reachable(address)
    try:
        client = Client(address, timeout="15s", set_as_default=False)
    except (OSError, TimeoutError, ValueError) as e:
        raise DeriveError(f"--scheduler {address}: cannot reach the Dask scheduler "
                          f"({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values())
    if not threads:
        client.close()
        raise DeriveError(f"--scheduler {address}: the cluster has no workers; start 'dask worker {address}'")
    light = dataclasses.replace(recipe, built=None)          # the workers rebuild it from the payload
    token = secrets.token_hex(6)

    def run(tasks: list[tuple]) -> Iterator[tuple[int, tuple, float]]:
        size = max(1, min(chunk, len(tasks) // (4 * threads) or 1))
        pending, serial = {}, [0]

        def submit(idx: list[int]):
            serial[0] += 1
            f = client.submit(check_chunk, light, [tasks[i] for i in idx], timeout, pure=False,
                              key=f"derive-grade-{token}-{serial[0]}")
            pending[f.key] = idx
            return f

        done = as_completed([submit(list(range(s, min(s + size, len(tasks))))) for s in range(0, len(tasks), size)],
                            loop=client.loop)
        suspects = []
        for f in done:
            idx = pending.pop(f.key)
            if f.status == "finished":
                for j, outcome, seconds in f.result():
                    yield idx[j], outcome, seconds
                f.release()
                continue
            err = f.exception() if f.status == "error" else None
            lost = err is None or isinstance(err, KilledWorker)   # its workers died (or it was lost with them)
            if lost and len(idx) > 1:
                for i in idx:                                 # find the answer that kills, one by one
                    done.add(submit([i]))
            elif lost:
                suspects.append(idx[0])                       # or it shared a worker with the one that kills
            else:
                yield from _failed(idx, err)
            f.release()
        for i in suspects:                                    # alone on the cluster: no one else to blame
            f = submit([i])
            try:
                (j, outcome, seconds), = f.result()
                yield i, outcome, seconds
            except (KilledWorker, CancelledError):
                yield i, ("error", "DeriveError", "the check killed every Dask worker it ran on; not retried"), 0.0
            except Exception as e:                            # noqa: BLE001 (a task's failure is one row)
                yield from _failed([i], e)
            f.release()

    run.size = threads
    run.close = client.close
    return run

