"""``derive export``: a standalone NumPy module with forward, loss and gradients."""
from __future__ import annotations

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
    from ..codegen.export import export
    from ..model.build import load
    from . import tensor
    if tensor.is_tensor(args.spec):
        return tensor.export(args)
    net = load(args.spec)
    path = export(net, args.output, seed=args.seed)
    if args.json:
        import json
        print(json.dumps({"written": str(path), "params": len(net.trainable)}))
        return 0
    print(f"wrote {path}: forward(params, X), loss(params, X, T), gradients(params, X, T), START "
          f"({len(net.trainable)} trainable parameters)")
    return 0
