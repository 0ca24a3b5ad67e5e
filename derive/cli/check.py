"""``derive check``: is a hand-derived gradient formula (or a whole derivation) right, and if not, why."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import DeriveError

MAX_FILE = 1_000_000


def add_parser(sub):
    p = sub.add_parser("check", help="check a typed gradient formula or a whole derivation against a spec")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("--param", help="the parameter the answer is the gradient for, as the notes print it (w11, "
                                   "'\\theta^{(1)}_{11}'); without it, the answer's left side dE/dw names it")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--answer", help="the formula, plain text or LaTeX")
    what.add_argument("--answer-file", help="read the formula from a file ('-': standard input)")
    what.add_argument("--derivation", help="a Markdown/LaTeX file whose equations are checked step by step")
    what.add_argument("--backward", metavar="FILE.py",
                      help="a tensor program's backward pass, one 'dNAME = expression' per line, checked line by line")
    p.add_argument("--number", action="store_true",
                   help="the question asks for the gradient's value at the spec's values (a number is the answer)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="hard time limit per check in seconds (default 5; with --backward, per line)")
    return p


def read_text(path: str) -> str:
    """A text file (or '-' for stdin), at most 1 MB, as a DeriveError when unusable."""
    try:
        if path == "-":
            data = sys.stdin.read(MAX_FILE + 1)
        else:
            with open(Path(path), encoding="utf-8") as f:
                data = f.read(MAX_FILE + 1)
    except (OSError, UnicodeDecodeError) as e:
        raise DeriveError(f"cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
    if len(data) > MAX_FILE:
        raise DeriveError(f"{path} is larger than {MAX_FILE} bytes")
    return data


def run(args) -> int:
    from ..checking.checker import checker_for
    if args.timeout <= 0:
        raise DeriveError("--timeout must be positive")
    from . import tensor
    if args.backward:
        if not tensor.is_tensor(args.spec):
            raise DeriveError(f"{args.spec}: --backward needs a tensor program (a spec with 'tensor:')")
        return tensor.check(args, read_text(args.backward))
    if tensor.is_tensor(args.spec):
        raise DeriveError(f"{args.spec} is a tensor program: check its backward pass with --backward FILE.py")
    c = checker_for(args.spec)
    if args.derivation:
        from ..checking.derivation import check_derivation
        report = check_derivation(c, read_text(args.derivation), timeout=args.timeout)
        if args.json:
            json.dump(report.to_dict(), sys.stdout, indent=1, ensure_ascii=False)
            print()
        else:
            print(report)
        if not report.checked:
            raise DeriveError(f"{args.derivation}: no equation could be checked")
        return 0 if report.correct else 1
    text = args.answer if args.answer is not None else read_text(args.answer_file).strip()
    from ..checking.checker import check
    verdict = check(c.derivation, args.param, text, timeout=args.timeout, number_asked=args.number)
    if args.json:
        json.dump(verdict.to_dict(), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(verdict)
    return 0 if verdict.correct else 1
