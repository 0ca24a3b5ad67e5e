"""``derive grade``: grade a CSV of answers (id, param, answer) on every core; report and summary."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import DeriveError


def add_parser(sub):
    p = sub.add_parser("grade", help="grade a class's answers (CSV with columns id, param, answer)")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("answers", help="CSV file with columns id, param, answer")
    p.add_argument("--out", help="write the report as CSV here (and as JSON next to it, .json)")
    p.add_argument("--json-out", help="write the JSON report here")
    p.add_argument("--json", action="store_true", help="print the JSON report instead of the summary")
    p.add_argument("--workers", type=int, default=None, help="worker processes (default: every core)")
    p.add_argument("--timeout", type=float, default=5.0, help="hard time limit per answer in seconds (default 5)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def run(args) -> int:
    from ..checking.grade import grade, read_answers
    if args.timeout <= 0 or (args.workers is not None and args.workers < 1):
        raise DeriveError("--timeout and --workers must be positive")
    rows = read_answers(args.answers)
    report = grade(args.spec, rows, workers=args.workers, timeout=args.timeout,
                   progress=False if args.no_progress else None)
    json_out = args.json_out or (str(Path(args.out).with_suffix(".json")) if args.out else None)
    try:
        if args.out:
            report.write_csv(args.out)
        if json_out:
            report.write_json(json_out)
    except OSError as e:
        raise DeriveError(f"cannot write the report: {e.strerror or e}") from None
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(report.summary_text())
        if args.out or json_out:
            print("report: " + ", ".join(p for p in (args.out, json_out) if p))
    return 0
