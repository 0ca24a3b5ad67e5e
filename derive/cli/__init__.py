"""The cli stage: the ``derive`` command line, one subcommand per module in ``derive.cli``.

Takes argv and gives exit codes and output: each command parses its arguments, makes the same library
call a Python user would, and prints the result (``--json`` for scripts).  Command modules import the
stages they use only when they run, so ``derive --help`` starts without sympy or numpy.

Exit codes: 0 success, 1 a negative verdict (not proven, wrong answer), 2 unusable input.
Bad input is reported as one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Each module has ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMANDS = ["verify", "check", "grade", "train", "export", "notes", "serve"]


def build_parser() -> argparse.ArgumentParser:
    from ..version import __version__
    parser = argparse.ArgumentParser(prog="derive", description="Proven backpropagation derivations.")
    parser.add_argument("--version", action="version", version=f"derive {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMANDS:
        mod = importlib.import_module(f"derive.cli.{name}")
        mod.add_parser(sub).set_defaults(_run=mod.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from ..errors import DeriveError
    args = build_parser().parse_args(argv)
    try:
        return args._run(args)
    except DeriveError as e:
        if getattr(args, "json", False):     # scripts read the error where they read the result
            import json
            print(json.dumps({"error": str(e)}, ensure_ascii=False))
        print(f"derive: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head: stop quietly, as Unix tools do
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("derive: interrupted", file=sys.stderr)
        return 130
    except RecursionError:
        print("derive: error: input nested too deeply", file=sys.stderr)
        return 2
    except Exception as e:  # a bug in derive: still one line unless debugging
        if os.environ.get("DERIVE_DEBUG"):
            raise
        print(f"derive: internal error: {type(e).__name__}: {e} (set DERIVE_DEBUG=1 for details)",
              file=sys.stderr)
        return 3
