"""The sandbox stage: run work in child processes under a hard time limit and a memory cap, so no input
can hang or exhaust the caller.

Takes a function and its arguments (picklable), a time limit, a memory cap and the name of the work;
gives the function's value, or its DeriveError, or TimeLimit ("verify stopped after 120 s"), or a
DeriveError when the child died (most likely out of memory); never a hang, never a traceback.

``call`` (``child``) runs one function once in a forked child; ``Pool`` (``pool``) keeps one worker per
core busy and reports every task's outcome.  Every child (``limits.enter``) leads its own process group,
which is killed as a whole at the time limit (LaTeX and anything else it started go with it); asks the
kernel to kill it when its parent dies (``PR_SET_PDEATHSIG``, whatever killed the parent); writes its
temporary files into a folder its parent made and removes after it, killed or not; and caps its address
space (``RLIMIT_AS``), so running out of memory is one line, not a swapping machine.

May import only ``errors``, ``version``, ``safeio``; imported by every stage above it (never the reverse).
"""
from __future__ import annotations

from .. import errors  # noqa: F401  (sandbox.errors: the error types an outcome names)
from .child import call
from .limits import (DEFAULT_TIMEOUT, MAX_TIMEOUT, MEMORY, PR_SET_PDEATHSIG, TimeLimit, check_timeout,
                     die_with_parent, kill_group, raise_outcome)
from .pool import Pool, Worker

__all__ = ["DEFAULT_TIMEOUT", "MAX_TIMEOUT", "MEMORY", "PR_SET_PDEATHSIG", "Pool", "TimeLimit", "Worker", "call",
           "check_timeout", "die_with_parent", "kill_group", "raise_outcome"]
