"""``derive verify``: derive every parameter both ways and prove them equal."""
from __future__ import annotations

import json
import math
import sys


def add_parser(sub):
    p = sub.add_parser("verify", help="derive every dJ/dparam by chain rule and directly; prove them equal")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return p


def run(args) -> int:
    from ..derivation.derivation import derive
    d = derive(args.spec)
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
    ok = all(r["proven"] for r in rows)
    if args.json:
        deltas = {str(x.symbol): str(x.expr) for x in d.deltas.values()}
        json.dump({"spec": d.net.spec.name, "params": rows, "deltas": deltas, "all_proven": ok},
                  sys.stdout, indent=1)
        print()
    else:
        print(d.net.spec.name)
        w = max([len(r["name"]) for r in rows] + [9])
        cw = min(70, max([len(r["delta_form"]) for r in rows] + [10]))
        print(f"{'parameter':<{w}}  paths  {'chain rule (delta form)':<{cw}}  proven  method")
        for r in rows:
            form = r["delta_form"] if len(r["delta_form"]) <= cw else r["delta_form"][:cw - 3] + "..."
            print(f"{r['name']:<{w}}  {r['paths']:>5}  {form:<{cw}}  {'yes' if r['proven'] else 'NO':<6}  "
                  f"{proofs[r['name']].how}")
        if d.deltas:
            print("\ndeltas (each computed once, reused by every parameter below it):")
            for x in d.deltas.values():
                print(f"  {x.symbol} = {x.expr}")
        n = sum(r["proven"] for r in rows)
        print(f"{n} of {len(rows)} gradients proven equal (chain rule == direct differentiation)")
        randomized = [proofs[r["name"]] for r in rows if proofs[r["name"]].method == "randomized"]
        if randomized:
            worst = max(q.bound_log2 for q in randomized)
            print(f"{len(rows) - len(randomized)} by exact expansion, {len(randomized)} by a randomized identity "
                  f"test over random prime fields (each: P(wrong) < 2^{math.floor(worst)})")
    return 0 if ok else 1
