"""``derive export``: a standalone NumPy module with forward, loss and gradients."""
from __future__ import annotations

import json

from .options import add_budget, seed


def add_parser(sub):
    p = sub.add_parser("export", help="write forward, loss and gradients as a readable NumPy module")
    p.add_argument("spec", nargs="?", default="seed002",
                   help="spec file (YAML/JSON) or bundled example name (default: seed002)")
    p.add_argument("-o", "--output", required=True, metavar="FILE.py", help="module to write")
    p.add_argument("--seed", type=seed, default=0, help="seed for starting values the spec does not give")
    p.add_argument("--json", action="store_true", help='print {"written": path, "params": n} instead of a sentence')
    add_budget(p)
    return p


def run(args) -> int:
    from .. import api
    out = api.export(api.load(args.spec), args.output, seed=args.seed)
    if args.json:
        print(json.dumps(out))
    elif "params" in out:
        print(f"wrote {out['written']}: forward(params, X), loss(params, X, T), gradients(params, X, T), START "
              f"({out['params']} trainable parameters)")
    else:
        import re
        from pathlib import Path
        sig = re.search(r"^def forward\(([^)]*)\)", Path(out["written"]).read_text(encoding="utf-8"), re.M)
        args_ = sig.group(1) if sig else "..."
        print(f"wrote {out['written']}: forward({args_}) and gradients({args_}), positional arguments in this order")
    return 0
