"""``derive verify``: derive every parameter both ways and prove them equal."""
from __future__ import annotations

import json
import math
import sys

from .options import add_budget


def add_parser(sub):
    p = sub.add_parser("verify", help="derive every dJ/dparam by chain rule and directly; prove them equal")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--full", action="store_true",
                   help="with --json: every expression as text, however large (default: large ones by their size)")
    add_budget(p)
    return p


def run(args) -> int:
    from .. import api
    d = api.derive(api.load(args.spec))
    if not args.json and not api.is_tensor(d):
        # the table: only what it shows becomes text (not the --json object's path sums and sizes)
        from ..derivation.report import table
        rep = table(d)
        _text(rep)
        return 0 if rep["all_proven"] else 1
    rep = api.verify(d, full=args.full)
    if args.json:
        json.dump(rep, sys.stdout, indent=1)
        print()
    else:
        _tensor_text(rep, d.program.output)
    return 0 if rep["all_proven"] else 1


def _text(rep: dict):
    """A network's table (``derivation.report.table``): parameter, paths, delta form, proven, method."""
    rows = rep["params"]
    print(rep["spec"])
    w = max([len(r["name"]) for r in rows] + [9])
    head = "chain rule (delta form)"
    cw = min(70, max([len(r["delta_form"]) for r in rows] + [len(head)]))
    print(f"{'parameter':<{w}}  paths  {head:<{cw}}  proven  method")
    lines = []
    for r in rows:
        form = r["delta_form"] if len(r["delta_form"]) <= cw else r["delta_form"][:cw - 3] + "..."
        lines.append(f"{r['name']:<{w}}  {r['paths']:>5}  {form:<{cw}}  {'yes' if r['proof'].proven else 'NO':<6}  "
                     f"{r['proof'].how}")
    if rep["deltas"]:
        lines.append("\ndeltas (each computed once, reused by every parameter below it):")
        lines.extend(f"  {symbol} = {expr}" for symbol, expr in rep["deltas"].items())
    from ..derivation.report import summary
    lines.extend(summary([r["proof"] for r in rows]))
    print("\n".join(lines))


def _tensor_text(rep: dict, output: str):
    """A tensor program: its forward pass, then each gradient tensor with its shape and verdict."""
    rows = rep["lines"]
    print(rep["spec"])
    print("sizes for the proof: " + ", ".join(f"{k} = {v}" for k, v in rep["sizes"].items()))
    print("\nforward pass:")
    rows_f = [(f"{f['name']} = {f['code']}", f["shape"]) for f in rep["forward"]]
    wf = max(len(a) for a, _ in rows_f)
    for a, s in rows_f:
        print(f"  {a:<{wf}}  {s}")
    print("\nbackward pass (derived tensor by tensor):")
    w = min(max(len(r["formula"]) for r in rows), 72)
    for r in rows:
        f = r["formula"] if len(r["formula"]) <= w else r["formula"][:w - 3] + "..."
        print(f"  {f:<{w}}  {r['shape']:<10} {'proven' if r['proven'] else 'NOT PROVEN'}"
              f" ({r['entries']} entries)")
    n = sum(r["proven"] for r in rows)
    print(f"\n{n} of {len(rows)} gradient tensors proven equal to the direct derivative of {output}, "
          "every entry at once along random directions (exact arithmetic at random points of GF(2^61-1); "
          f"each: P(wrong) < 2^{math.floor(max([r['error_bound_log2'] for r in rows], default=0.0))})")
