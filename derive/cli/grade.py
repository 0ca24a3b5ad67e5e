"""``derive grade``: grade a CSV of answers (id, param, answer) on every core or a Dask cluster, each distinct
answer once, verdicts kept in a store; report and summary."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import DeriveError
from .options import MAX_TIMEOUT, add_budget, integer, seconds


def add_parser(sub):
    p = sub.add_parser("grade", help="grade a class's answers (CSV with columns id, param, answer; for a tensor "
                                     "program, param names a gradient tensor such as dW2)")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("answers", help="CSV file with columns id, param, answer, or an LMS/form export (Moodle, "
                                   "Canvas, Google Forms, Excel): see the README, 'Grading a large class'")
    p.add_argument("--id-column", metavar="COLUMN", help="the column naming the student (default: id, Student ID, "
                                                         "Email address, ... else the name columns)")
    p.add_argument("--param-column", metavar="COLUMN", help="the column naming the parameter (default: param, "
                                                            "Parameter, ...)")
    p.add_argument("--answer-column", metavar="COLUMN[=PARAM]", action="append", default=[],
                   help="a column of answers, for PARAM if given (repeat for several; default: answer, Response, "
                        "... or each column whose header names one parameter, like 'Give dE/dw11')")
    p.add_argument("--encoding", help="the file's encoding (default: found: UTF-8, UTF-16, Windows-1252, CP949, "
                                      "Shift_JIS)")
    p.add_argument("--out", help="write the report as CSV here (and as JSON next to it, .json)")
    p.add_argument("--json-out", help="write the JSON report here")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the summary")
    p.add_argument("--workers", type=integer(1, 256), default=None, help="worker processes (default: every core)")
    p.add_argument("--timeout", type=seconds, default=5.0, metavar="SECONDS",
                   help=f"hard time limit per answer (default 5, at most {MAX_TIMEOUT})")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    store = p.add_mutually_exclusive_group()
    store.add_argument("--store", metavar="PATH", help="verdict store (SQLite) read and written, so a regrade is "
                                                       "instant and a killed run resumes (default: "
                                                       "$XDG_CACHE_HOME/derive/verdicts.sqlite)")
    store.add_argument("--no-store", action="store_true", help="no verdict store: every answer checked afresh")
    p.add_argument("--scheduler", metavar="ADDRESS", help="check the distinct answers on a Dask cluster "
                                                          "(tcp://HOST:8786; needs pip install 'derive[cluster]')")
    add_budget(p, timeout=False)
    return p


def check_outputs(args, json_out: str | None):
    """Refuse, before any work, a report path that is an input, the other report, or not a file."""
    from ..safeio import check_writable, exists, same_file
    inputs = [("the answers file", args.answers)] + ([("the spec", args.spec)] if exists(args.spec) else [])
    outs = [(f"--out {args.out}", args.out)] if args.out else []
    if json_out:
        outs.append((f"--json-out {args.json_out}" if args.json_out else f"the JSON report {json_out}", json_out))
    for label, path in outs:
        check_writable(path, label)
        for what, other in inputs:
            if same_file(path, other):
                raise DeriveError(f"{label} would overwrite {what}; choose another file")
    if args.store and any(same_file(args.store, other) for _, other in inputs + outs):
        raise DeriveError(f"--store {args.store} is the answers file, the spec or a report; choose another file")
    if len(outs) == 2 and same_file(outs[0][1], outs[1][1]):
        raise DeriveError(f"--out {args.out}: the CSV and JSON reports would be the same file; "
                          "give --json-out another name")


def run(args) -> int:
    from .. import api
    from ..safeio import check_writable
    if args.out:
        check_writable(args.out, f"--out {args.out}")
    json_out = args.json_out or (str(Path(args.out).with_suffix(".json")) if args.out else None)
    check_outputs(args, json_out)
    from ..checking.store import Store, open_default
    if args.no_store:
        store = None
    elif args.store:
        store = Store(args.store)            # a bad store named by the user: refused first, exit 2
    else:
        store = open_default(lambda m: print(f"derive: warning: {m}", file=sys.stderr))
    try:
        from ..checking.answercols import Columns
        model = api.load(args.spec)
        columns = Columns(args.id_column, args.param_column, tuple(Columns.parse_answer(a) for a in args.answer_column))
        rows = api.read_answers(args.answers, model, columns=columns, encoding=args.encoding)
        report = api.grade_report(model, rows, workers=args.workers, timeout=args.timeout,
                                  progress=False if args.no_progress else None, store=store,
                                  scheduler=args.scheduler)
    finally:
        if store is not None:
            store.close()
    if args.out:
        report.write_csv(args.out)
    if json_out:
        report.write_json(json_out)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(report.summary_text())
        if args.out or json_out:
            print("report: " + ", ".join(p for p in (args.out, json_out) if p))
    return 0
