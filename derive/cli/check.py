"""``derive check``: is a hand-derived gradient formula (or a whole derivation) right, and if not, why."""
from __future__ import annotations

import json
import os
import sys

from ..api.check import ANSWER_TIMEOUT, DERIVATION_TIMEOUT
from ..checking.presets import PRESETS
from ..errors import DeriveError
from .options import MAX_TIMEOUT, add_budget, seconds

MAX_FILE = 1_000_000


def add_parser(sub):
    p = sub.add_parser("check", help="check a typed gradient formula or a whole derivation against a spec")
    p.add_argument("spec", nargs="?", default=None,
                   help="spec file (YAML/JSON) or bundled example name (default: seed002; with --derivation, "
                        "none: the network is read from the text's own forward pass)")
    p.add_argument("--param", help="the parameter the answer is the gradient for, as the notes print it (w11, "
                                   "'\\theta^{(1)}_{11}'; for a tensor program the gradient tensor, dW2); without "
                                   "it, the answer's left side (dE/dw, dW2 =) names it")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--answer", help="the formula, plain text or LaTeX")
    what.add_argument("--answer-file", help="read the formula from a file ('-': standard input)")
    what.add_argument("--derivation", help="a Markdown/LaTeX file whose equations are checked step by step")
    what.add_argument("--backward", metavar="FILE.py",
                      help="a tensor program's backward pass, one 'dNAME = expression' per line, checked line by line")
    p.add_argument("--number", action="store_true",
                   help="the question asks for the gradient's value at the spec's values (a number is the answer)")
    p.add_argument("--preset", choices=PRESETS, default=None,
                   help="with --derivation: the notation the text is written in (nielsen: a^l_j, w^l_{jk}, C; "
                        "ufldl: W^{(l)} counting the input as layer 1, J(W,b), f'; goodfellow: a^{(k)}, h^{(k)}, "
                        "\\nabla_{a^{(k)}} J, g \\leftarrow ...; bishop: a_j, z_j, \\delta_k, w_{kj}, E_n; hagan: n^m, s^m, "
                        "\\dot{F}^m(n^m), W^m(k+1); okatani: u^{(l)}, z^{(l)} = f(u^{(l)}), d; "
                        "haykin: v_j(n), y_j(n), e_j(n), \\delta_j(n), \\Delta w_{ji}(n)); mazur needs no spec")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--timeout", type=seconds, default=None, metavar="SECONDS",
                   help=f"hard time limit: per answer (default {ANSWER_TIMEOUT:g}), per --backward line (default "
                        f"{ANSWER_TIMEOUT:g}) or for a whole --derivation (default {DERIVATION_TIMEOUT:g}); "
                        f"at most {MAX_TIMEOUT}")
    add_budget(p, timeout=False)
    return p


def read_text(path: str) -> str:
    """A text file (or '-' for stdin), at most 1 MB, as a DeriveError when unusable."""
    from ..safeio import read_text as bounded
    return bounded(path, MAX_FILE, "standard input" if path == "-" else path)


def in_parent(args) -> int:
    """Standard input is read here, in the parent: the budget's child has none.  An answer checked before
    (the same spec text, parameter, answer and derive) is answered here from ``checking.fastcache``,
    without sympy or a child: ``args._answered`` then says the command is done."""
    if args.answer_file == "-":
        args.answer, args.answer_file = read_text("-").strip(), None
    kept = _kept(args)
    if kept is None:
        return 0
    sys.stdout.write(kept["json"] if args.json else kept["text"])
    sys.stdout.flush()
    args._answered = True
    return kept["code"]


def _answer_key(args, answer: str) -> str | None:
    """The fast cache's key for this ``--answer``/``--answer-file`` check of ``answer`` (None: never kept)."""
    from ..checking import fastcache
    return fastcache.key(args.spec or "seed002", args.param, answer, args.number)


def _kept(args) -> dict | None:
    """The kept output of this check, if any (an answer file is read here only if it is a regular file:
    a pipe read twice would give the child nothing)."""
    if args.derivation or args.backward:
        return None
    if args.answer is None and not (args.answer_file and os.path.isfile(args.answer_file)):
        return None
    try:
        answer = args.answer if args.answer is not None else read_text(args.answer_file)
    except DeriveError:
        return None                          # the full path says why, as always
    from ..checking import fastcache
    return fastcache.load(_answer_key(args, answer))


def run(args) -> int:
    from .. import api
    before = _spec_text(args)               # the spec's text as it was before it was read
    model = None if args.derivation and args.spec is None else api.load(args.spec or "seed002")
    if args.backward:
        text = read_text(args.backward) if api.is_tensor(model) else ""   # a network: refused below, unread
        report = api.check_backward_report(model, text, timeout=args.timeout or ANSWER_TIMEOUT)
    elif args.derivation:
        text = "" if model is not None and api.is_tensor(model) else read_text(args.derivation)   # tensor: refused
        report = api.check_derivation_report(model, text, timeout=args.timeout or DERIVATION_TIMEOUT,
                                             memory=args.max_memory << 20, preset=args.preset)
    else:
        answer = given = args.answer if args.answer is not None else read_text(args.answer_file)
        if not api.is_tensor(model):
            answer = answer.strip()
        report = api.check_report(model, args.param, answer, timeout=args.timeout or ANSWER_TIMEOUT,
                                  number_asked=args.number)
    sys.stdout.write(output(report, args.json))
    if not (args.derivation or args.backward) and hasattr(report, "parsed") and hasattr(report, "diagnosis"):
        _keep(args, given, before, report)
    if args.derivation and not report.checked:
        raise DeriveError(f"{args.derivation}: no equation could be checked")
    return 0 if report.correct else 1


def _spec_text(args) -> str | None:
    if args.derivation or args.backward:
        return None
    from ..checking import fastcache
    return fastcache.spec_text(args.spec or "seed002")


def _keep(args, given: str, before: str | None, report) -> None:
    """A network's verdict kept, so the next identical check is answered fast; not if the spec's text
    changed while it was checked (then which text it is the verdict of is unknown)."""
    from ..checking import fastcache
    k = _answer_key(args, given)
    if k is not None and before is not None and _spec_text(args) == before:
        fastcache.store(k, 0 if report.correct else 1, output(report, False), output(report, True))


def output(report, as_json: bool) -> str:
    """What the command prints for ``report``: its --json object, or its text."""
    if as_json:
        return json.dumps(report.to_dict(), indent=1, ensure_ascii=False) + "\n"
    return str(readable(report) if not hasattr(report, "parsed") else _prose(str(readable(report)))) + "\n"


def _prose(text: str) -> str:
    from ..notes.plain import prose
    return prose(text)


def readable(report):
    """A verdict on one answer with its maths in Unicode (δ_{z1}·x1, (1 − z1)); --json keeps the LaTeX."""
    if not hasattr(report, "parsed") or not hasattr(report, "diagnosis"):
        return report
    from dataclasses import replace
    from ..notes.plain import prose, unicode
    cex = report.counterexample
    if cex and cex.get("symbols"):
        cex = {**cex, "symbols": {k: unicode(v) for k, v in cex["symbols"].items()}}
    return replace(report, parsed=unicode(report.parsed), expected=unicode(report.expected),
                   symbol=unicode(report.symbol) if report.symbol else report.symbol, counterexample=cex,
                   diagnosis=tuple(replace(m, message=prose(m.message)) for m in report.diagnosis))
