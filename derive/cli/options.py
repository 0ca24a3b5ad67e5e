"""Argument types and shared options: every number and path range-checked by argparse itself.

A bad value is one line naming the option (``derive: error: argument --timeout: ...``) and exit 2,
before any work starts.  Nothing here imports sympy or numpy (``derive --help`` stays fast).
"""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

MAX_TIMEOUT = 3600          # the same as derive.sandbox.MAX_TIMEOUT (a test keeps them equal)
COMMAND_TIMEOUT = 600       # default time budget of verify, notes, train and export as a whole
MEMORY_MB = 2048            # default memory budget (MB beyond what derive holds when the work starts)
try:                        # DERIVE_MAX_MEMORY=MB changes the default (--max-memory still wins)
    MEMORY_MB = min(max(int(os.environ.get("DERIVE_MAX_MEMORY", MEMORY_MB)), 64), 65536)
except ValueError:
    pass
MIN_MEMORY_MB = 64
MAX_MEMORY_MB = 65536
PLOT_FORMATS = (".png", ".svg", ".pdf")


class Parser(argparse.ArgumentParser):
    """argparse with errors as one line on stderr (no usage block) and exit 2."""

    def error(self, message):
        line = message.splitlines()[0] if message else "bad arguments"
        self.exit(2, f"derive: error: {line}{self._did_you_mean(line)}\n")

    def _did_you_mean(self, line: str) -> str:
        """A suggestion by edit distance for a mistyped command (``verfy``) or option (``--jsn``)."""
        import re
        from ..errors import nearest
        choice = re.search(r"invalid choice: '?([^' ]*)'? \(choose from (.*)\)", line)
        if choice:
            near = nearest(choice.group(1), [c.strip(" '") for c in choice.group(2).split(",")], n=1)
            return f"; did you mean {near[0]}?" if near else ""
        unknown = re.search(r"unrecognized arguments: (.*)", line)
        if not unknown:
            return ""
        options = set(self._option_string_actions)
        for action in self._actions:                     # the subcommands' options too
            for sub in (getattr(action, "choices", None) or {}).values() if isinstance(action, argparse._SubParsersAction) else ():
                options |= set(sub._option_string_actions)
        hints = []
        for word in unknown.group(1).split():
            near = nearest(word.split("=")[0], sorted(options), n=1) if word.startswith("-") else []
            hints += [f"{word.split('=')[0]}: did you mean {near[0]}?"] if near else []
        return ("; " + "; ".join(hints)) if hints else ""


def _fail(what: str):
    raise argparse.ArgumentTypeError(what)


def _read(text: str, convert, what: str, ok, bounds: str):
    """``convert(text)`` when it reads as ``what`` and passes ``ok``; else one line naming the bounds."""
    try:
        v = convert(text)
    except ValueError:
        _fail(f"expected {what}, got {text[:40]!r}")
    if not ok(v):
        _fail(f"expected {bounds}, got {text[:40]!r}")
    return v


def seconds(text: str) -> float:
    """A time limit: a finite number of seconds, > 0 and at most an hour."""
    return _read(text, float, "a number of seconds", lambda t: math.isfinite(t) and 0 < t <= MAX_TIMEOUT,
                 f"seconds > 0 and at most {MAX_TIMEOUT}")


def integer(low: int, high: int):
    """An argparse type: an integer in [low, high]."""
    def parse(text: str) -> int:
        return _read(text, int, "an integer", lambda v: low <= v <= high, f"an integer from {low} to {high}")
    parse.__name__ = "integer"
    return parse


seed = integer(0, 2**32 - 1)


def positive_number(high: float):
    """An argparse type: a finite number > 0 and at most ``high``."""
    def parse(text: str) -> float:
        return _read(text, float, "a number", lambda v: math.isfinite(v) and 0 < v <= high,
                     f"a number > 0 and at most {high:g}")
    parse.__name__ = "number"
    return parse


def plot_file(text: str) -> str:
    """A picture file name: .png, .svg or .pdf."""
    if Path(text).suffix.lower() not in PLOT_FORMATS or Path(text).name.startswith("."):
        _fail(f"expected a file name ending in {', '.join(PLOT_FORMATS)}, got {text[:60]!r}")
    return text


def add_budget(p, timeout: bool = True):
    """--timeout and --max-memory: one time and memory budget for the whole command, enforced in a child
    process.  ``timeout=False``: the command's own --timeout is per check, and the whole run gets an hour."""
    if timeout:
        p.add_argument("--timeout", type=seconds, default=COMMAND_TIMEOUT, metavar="SECONDS",
                       help=f"hard time limit for the whole command (default {COMMAND_TIMEOUT}, at most {MAX_TIMEOUT})")
    p.add_argument("--max-memory", type=integer(MIN_MEMORY_MB, MAX_MEMORY_MB), default=MEMORY_MB, metavar="MB",
                   help=f"memory the command may use (default {MEMORY_MB} MB)")
    p.set_defaults(_budget=True, _budget_seconds=None if timeout else MAX_TIMEOUT)

