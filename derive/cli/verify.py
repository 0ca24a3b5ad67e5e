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
    add_budget(p)
    return p


def report(spec, d=None) -> dict:
    """The ``--json`` object: every parameter derived both ways, proven, and every delta.

    ``spec`` is a path, an example name or a Network; pass ``d`` (a Derivation) to reuse its proofs.
    """
    from ..derivation.derivation import derive
    d = d or derive(spec)
    proofs = d.prove()
    rows = []
    for p in d.params:
        g = d.gradient(p)
        chain = g.path_sum if g.path_sum is not None else g.delta_form
        rows.append({"name": p, "paths": g.path_count, "chain": str(chain),
                     "delta_form": str(g.delta_form), "direct": str(d.direct.gradient(p)),
                     "proven": proofs[p].proven, "method": proofs[p].method,
                     # log2 of the certified chance that "proven" is wrong (null: exact, no chance)
                     "error_bound_log2": (None if proofs[p].method == "exact"
                                          else round(proofs[p].bound_log2, 1)),
                     "numeric_max_error": proofs[p].numeric_max_error, "numeric_points": proofs[p].points})
    deltas = {str(x.symbol): str(x.expr) for x in d.deltas.values()}
    return {"spec": d.net.spec.name, "params": rows, "deltas": deltas,
            "all_proven": all(r["proven"] for r in rows)}


def run(args) -> int:
    from . import tensor
    if tensor.is_tensor(args.spec):
        return tensor.verify(args)
    from ..derivation.derivation import derive
    d = derive(args.spec)
    rep = report(args.spec, d)
    proofs = d.proofs
    rows, ok = rep["params"], rep["all_proven"]
    if args.json:
        json.dump(rep, sys.stdout, indent=1)
        print()
    else:
        print(rep["spec"])
        w = max([len(r["name"]) for r in rows] + [9])
        head = "chain rule (delta form)"
        cw = min(70, max([len(r["delta_form"]) for r in rows] + [len(head)]))
        print(f"{'parameter':<{w}}  paths  {head:<{cw}}  proven  method")
        for r in rows:
            form = r["delta_form"] if len(r["delta_form"]) <= cw else r["delta_form"][:cw - 3] + "..."
            print(f"{r['name']:<{w}}  {r['paths']:>5}  {form:<{cw}}  {'yes' if r['proven'] else 'NO':<6}  "
                  f"{proofs[r['name']].how}")
        if rep["deltas"]:
            print("\ndeltas (each computed once, reused by every parameter below it):")
            for symbol, expr in rep["deltas"].items():
                print(f"  {symbol} = {expr}")
        n = sum(r["proven"] for r in rows)
        print(f"{n} of {len(rows)} gradients proven equal (chain rule == direct differentiation)")
        randomized = [proofs[r["name"]] for r in rows if proofs[r["name"]].method == "randomized"]
        if randomized:
            worst = max(q.bound_log2 for q in randomized)
            print(f"{len(rows) - len(randomized)} by exact expansion, {len(randomized)} by a randomized identity "
                  f"test over random prime fields (each: P(wrong) < 2^{math.floor(worst)})")
    return 0 if ok else 1
