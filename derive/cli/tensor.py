"""The commands' tensor-program forms: ``verify``, ``check --backward``, ``train``, ``export`` of a ``tensor:`` spec.

Each command module asks ``is_tensor(args.spec)`` and hands a tensor spec to the function here; the
library calls are the same a Python user makes (``derive.tensor``, ``derive.codegen.tensor``,
``derive.checking.backward``).  Imports happen inside the functions: ``derive --help`` stays light.
"""
from __future__ import annotations

import json
import sys


def is_tensor(spec) -> bool:
    from ..tensor.program import is_tensor_spec
    return is_tensor_spec(spec)


def verify(args) -> int:
    from ..tensor.backward import derive_backward
    from ..tensor.proof import prove_backward
    bw = derive_backward(args.spec)
    proofs = prove_backward(bw)
    prog = bw.program
    from ..tensor.backward import builder
    from ..tensor.grammar import Name
    c = builder(prog)
    rows = [{"name": x.target, "shape": "(" + ", ".join(_code(d) for d in c.dims(Name(x.name)).items) + ")",
             "formula": bw.text(x), "code": x.code,
             "entries": proofs[x.name].entries, "proven": proofs[x.name].proven} for x in bw.lines]
    ok = all(r["proven"] for r in rows)
    if args.json:
        json.dump({"spec": prog.name, "sizes": dict(prog.sizes), "lines": rows, "all_proven": ok,
                   "forward": [{"name": n, "code": _code(t), "shape": s} for n, t, s in _forward(prog)]},
                  sys.stdout, indent=1)
        print()
        return 0 if ok else 1
    print(prog.name)
    print("sizes for the proof: " + ", ".join(f"{k} = {v}" for k, v in prog.sizes))
    print("\nforward pass:")
    rows_f = [(f"{n} = {_code(t)}", s) for n, t, s in _forward(prog)]
    wf = max(len(a) for a, _ in rows_f)
    for a, s in rows_f:
        print(f"  {a:<{wf}}  {s}")
    print("\nbackward pass (derived tensor by tensor):")
    w = max(len(r["formula"]) for r in rows)
    w = min(w, 72)
    for r in rows:
        f = r["formula"] if len(r["formula"]) <= w else r["formula"][:w - 3] + "..."
        print(f"  {f:<{w}}  {r['shape']:<10} {'proven' if r['proven'] else 'NOT PROVEN'}"
              f" ({r['entries']} entries)")
    n = sum(r["proven"] for r in rows)
    print(f"\n{n} of {len(rows)} gradient tensors proven equal to the direct derivative of {prog.output}, "
          "entry by entry (exact arithmetic at 3 random points of GF(2^61-1))")
    return 0 if ok else 1


def _code(tree) -> str:
    from ..tensor.printer import to_code
    return to_code(tree)


def _forward(prog):
    """(name, tree, shape in size names) per assignment."""
    from ..tensor.backward import builder
    from ..tensor.grammar import Name
    c = builder(prog)
    return [(n, t, "(" + ", ".join(_code(d) for d in c.dims(Name(n)).items) + ")") for n, t, _ in prog.forward]


def check(args, text: str) -> int:
    """Each line checked in a forked child under a hard limit of --timeout seconds per line."""
    from ..checking.backward import check_backward, read_lines
    from ..sandbox import MAX_TIMEOUT, call
    from ..tensor.backward import derive_backward
    bw = derive_backward(args.spec)          # a bad program or an unreadable file fails here, in one line
    lines = read_lines(text)
    report = call(check_backward, bw, text, timeout=min(MAX_TIMEOUT, args.timeout * max(1, len(lines))))
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(report)
    return 0 if report.correct else 1


def train(args) -> int:
    from ..codegen.tensor import compile_tensor, train as run_training
    c = compile_tensor(args.spec)
    lr = args.lr if args.lr is not None else 0.01
    method = args.optimizer if args.optimizer != "sgd" or args.lr is not None else "adam"
    hist = run_training(c, steps=args.steps, lr=lr, method=method, seed=args.seed,
                        progress=False if args.json else None)
    if args.plot:
        from ..codegen import train as training
        training.plot(hist.losses, args.plot, f"{c.program.name}: {method}, lr {lr:g}")
    if args.json:
        json.dump({"loss": hist.losses, "params": {k: v.tolist() for k, v in hist.params.items()}},
                  sys.stdout, indent=1)
        print()
        return 0
    sizes = c.program.realistic()
    print(f"{c.program.name}: a random batch at " + ", ".join(f"{k} = {v}" for k, v in sizes.items())
          + f", {method}, lr {lr:g}, {args.steps} steps, seed {args.seed}")
    print(f"loss {hist.losses[0]:.6g} -> {hist.losses[-1]:.6g} in {hist.seconds:.2f} s")
    if args.plot:
        print(f"loss curve: {args.plot}")
    return 0


def export(args) -> int:
    from ..codegen.tensor import export_tensor
    path = export_tensor(args.spec, args.output)
    if getattr(args, "json", False):
        print(json.dumps({"written": str(path)}))
        return 0
    print(f"wrote {path}: forward({{...}}) and gradients({{...}}) over the program's inputs and parameters")
    return 0
