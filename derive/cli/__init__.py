"""The cli stage: the ``derive`` command line, one subcommand per module in ``derive.cli``.

Takes argv and gives exit codes and output: each command parses its arguments, makes the same library
call a Python user would, and prints the result (``--json`` for scripts).  Command modules import the
stages they use only when they run, so ``derive --help`` starts without sympy or numpy.

Exit codes: 0 success, 1 a negative verdict (not proven, wrong answer), 2 unusable input, 3 a bug.
Bad input is reported as one line on stderr, never a traceback.  Every command runs as a whole in a
child process under one time and memory budget (--timeout, --max-memory; see options.add_budget).
A module may define ``in_parent(args)``, run in this process first (reading standard input).

The work of every command is a use case of ``derive.api``; a command adds only its arguments and its text.
May import every stage below it (``serve`` only to start it); imported by ``derive.__main__`` alone.
"""
from __future__ import annotations

import argparse
import importlib
import io
import os
import sys

# Each module has ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMANDS = ["verify", "check", "grade", "train", "export", "notes", "serve", "warm"]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser; with ``command`` (one of COMMANDS) only that command's module is
    imported and its subcommand added, which is all ``derive COMMAND ...`` needs (faster start); ``--version``
    needs none."""
    from ..version import __version__
    from .options import Parser
    parser = Parser(prog="derive", description="Proven backpropagation derivations.")
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog="derive")  # prog: no help formatter built
    sub.required = True
    for name in ([command] if command in COMMANDS else [] if command == "--version" else COMMANDS):
        mod = importlib.import_module(f"derive.cli.{name}")
        mod.add_parser(sub).set_defaults(_run=mod.run, _in_parent=getattr(mod, "in_parent", None))
    from .epilogs import attach
    attach(parser)                # examples and exit codes after each --help
    return parser


def _guarded(args, step=None) -> tuple[int, str]:
    """Run the command (or ``step``); return (exit code, the one error line or "")."""
    from ..errors import DeriveError
    try:
        return (step or args._run)(args), ""
    except DeriveError as e:
        if getattr(args, "json", False):     # scripts read the error where they read the result
            import json
            print(json.dumps({"error": str(e)}, ensure_ascii=False))
        return 2, f"derive: error: {_one_line(str(e))}"
    except BrokenPipeError:  # output piped into head: stop quietly, as Unix tools do
        sys.stderr.close()
        return 0, ""
    except KeyboardInterrupt:
        return 130, "derive: interrupted"
    except RecursionError:
        return 2, "derive: error: input nested too deeply"
    except MemoryError:
        limit = getattr(args, "max_memory", None)
        return 2, "derive: error: out of memory" + (f" (the limit is {limit} MB; see --max-memory)" if limit else "")
    except Exception as e:  # a bug in derive: still one line unless debugging
        if _out_of_memory(e) and getattr(args, "max_memory", None):
            return 2, f"derive: error: out of memory (the limit is {args.max_memory} MB; see --max-memory)"
        if os.environ.get("DERIVE_DEBUG"):
            raise
        return 3, (f"derive: internal error: {type(e).__name__}: {_one_line(str(e))} "
                   "(set DERIVE_DEBUG=1 for details)")


def _out_of_memory(e: Exception) -> bool:
    """A library or file the memory cap kept from being mapped (ENOMEM), not a bug."""
    import errno
    return (isinstance(e, OSError) and e.errno == errno.ENOMEM) or (
        isinstance(e, ImportError) and ("failed to map segment" in str(e) or "Cannot allocate memory" in str(e)))


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no message)"


def _captured(args) -> tuple[int, str, str]:
    """In the budget's child: run the command with its standard output kept for the parent."""
    out, before = io.StringIO(), sys.stdout
    sys.stdout = out
    try:
        code, err = _guarded(args)
    finally:
        sys.stdout = before
    return code, out.getvalue(), err


def _budgeted(args) -> tuple[int, str]:
    """Run the whole command in a child process under its --timeout and --max-memory budget."""
    from .. import sandbox
    from ..errors import DeriveError
    import numpy  # noqa: F401  (its thread buffers are mapped before the fork, outside the memory budget)
    try:
        seconds = args._budget_seconds or args.timeout
        code, out, err = sandbox.call(_captured, args, timeout=seconds, memory=args.max_memory << 20,
                                      what=f"derive {args.command}", nested=True)
    except DeriveError as e:     # the time limit, or the child died (memory cap, a signal)
        message = str(e)
        if isinstance(e, sandbox.TimeLimit) and not args._budget_seconds:
            message += f"; raise it with --timeout (at most {sandbox.MAX_TIMEOUT:g} s)"
        if getattr(args, "json", False):
            import json
            print(json.dumps({"error": message}, ensure_ascii=False))
        return 2, f"derive: error: {_one_line(message)}"
    except RuntimeError as e:    # the budget's own machinery failed: a bug
        return 3, f"derive: internal error: {_one_line(str(e))}"
    sys.stdout.write(out)
    sys.stdout.flush()
    return code, err


def _warm(argv: list[str], args) -> tuple[tuple[int, str] | None, bool]:
    """The command run by this user's warm checker (``derive warm``), if one of this derive is running:
    ((code, last line), False), or (None, whether none of this derive is running)."""
    from .warmclient import handed
    return handed(argv, args)


def _terminated(signum, frame):
    """SIGTERM: leave through every ``finally`` (the sandbox kills its child's process group, LaTeX
    included, and removes the child's temporary folder), exit 143."""
    raise SystemExit(128 + signum)


def _encodable_stdout() -> None:
    """A terminal or pipe whose encoding has no δ or θ (``PYTHONIOENCODING=latin-1``, a C locale's ASCII)
    gets ``\\u03b4`` for it, as standard error does, never a UnicodeEncodeError at the last write."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if hasattr(stream, "reconfigure") and not encoding.startswith("utf") and stream.errors == "strict":
        stream.reconfigure(errors="backslashreplace")


def main(argv: list[str] | None = None) -> int:
    """Run ``derive ARGV`` (None: this process's command line, which alone may go to a warm checker: a
    caller passing argv, monkeypatches and all, always runs the command itself); its exit code."""
    command_line = argv is None
    argv = sys.argv[1:] if argv is None else list(argv)
    if command_line:
        _encodable_stdout()
    try:
        args = build_parser(argv[0] if argv else None).parse_args(argv)
    except SystemExit as e:     # --help, --version, or a bad argument (one line already printed)
        return e.code if isinstance(e.code, int) else 2
    import signal
    try:                # a polite kill still cleans up children and their folders (restored on return)
        before = signal.signal(signal.SIGTERM, _terminated)
    except ValueError:  # not the main thread: the caller's handler stays
        before = None
    from ..safeio import set_read_timeout
    set_read_timeout(getattr(args, "timeout", None))   # a FIFO or pipe read must finish within --timeout
    from ..api import frameworks        # path/to/model.py:factory runs the user's own file: the command
    trusted, frameworks.TRUST_USER_CODE = frameworks.TRUST_USER_CODE, args.command != "serve"   # line only,
    # never the web server's process; restored on return, so a later library call in this process runs no file
    budget = getattr(args, "_budget", False) and not os.environ.get("DERIVE_DEBUG")
    warm, none_running = None, False
    try:
        if budget and args._in_parent:
            code, err = _guarded(args, args._in_parent)
            if code or getattr(args, "_answered", False):     # an error, or answered in the parent
                if err:
                    print(err, file=sys.stderr)
                return code
        asked = budget and command_line and args.command == "check"
        warm, none_running = _warm(argv, args) if asked else (None, False)
        code, err = warm if warm is not None else _budgeted(args) if budget else _guarded(args)
    except BrokenPipeError:
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        code, err = 130, "derive: interrupted"
    finally:
        frameworks.TRUST_USER_CODE = trusted
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    if err:
        print(err, file=sys.stderr)
    if warm is None and none_running and code != 130:
        _start_warm()
    return code


def _start_warm() -> None:
    """After a command line's ``derive check`` ran here because no warm checker was running: the second such
    check within minutes starts one in the background for the next (``DERIVE_WARM`` unset; ``manual``:
    only ``derive warm`` starts one)."""
    from . import warmclient
    if warmclient.policy() == "auto":
        from .warmstart import after_cold_check
        after_cold_check()
