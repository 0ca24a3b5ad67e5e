"""The commands' tensor-program forms: ``verify``, ``check --backward``, ``train``, ``export`` of a ``tensor:`` spec.

Each command module asks ``is_tensor(args.spec)`` and hands a tensor spec to the function here; the
library calls are the same a Python user makes (``derive.tensor``, ``derive.codegen.tensor``,
``derive.checking.backward``).  Imports happen inside the functions: ``derive --help`` stays light.
"""
from __future__ import annotations

import json
import sys

from ..errors import DeriveError


def is_tensor(spec) -> bool:
    from ..tensor.program import is_tensor_spec
    return is_tensor_spec(spec)


def report(program) -> dict:
    """The ``derive verify --json`` object of a tensor program (a Program, path or bundled name)."""
    from ..tensor.backward import builder, derive_backward
    from ..tensor.grammar import Name
    from ..tensor.proof import prove_backward
    bw = derive_backward(program)
    proofs = prove_backward(bw)
    prog = bw.program
    c = builder(prog)
    rows = [{"name": x.target, "shape": "(" + ", ".join(_code(d) for d in c.dims(Name(x.name)).items) + ")",
             "formula": bw.text(x), "code": x.code,
             "entries": proofs[x.name].entries, "proven": proofs[x.name].proven} for x in bw.lines]
    return {"spec": prog.name, "sizes": dict(prog.sizes), "lines": rows, "all_proven": all(r["proven"] for r in rows),
            "forward": [{"name": n, "code": _code(t), "shape": s} for n, t, s in _forward(prog)]}


def verify(args) -> int:
    from ..tensor.program import load_program
    prog = load_program(args.spec)
    out = report(prog)
    rows, ok = out["lines"], out["all_proven"]
    if args.json:
        json.dump(out, sys.stdout, indent=1)
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


def check_one(args, answer: str) -> int:
    """``check --param dW2 --answer 'h.T @ dlogits'``: one formula, judged as one line of a backward pass."""
    from ..sandbox import call
    from ..tensor.backward import derive_backward
    bw = derive_backward(args.spec)
    answer_text(bw, args.param, answer)       # an unusable answer fails here, in one line
    report, _ = call(check_answer, bw, args.param, answer, timeout=args.timeout)
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


def answer_text(bw, param: str | None, answer: str) -> tuple[str, str]:
    """(the dNAME checked, the backward text) for a typed answer to "what is dNAME?".

    The answer is a formula (``h.T @ dlogits``, for the tensor ``param`` names: ``dW2`` or ``W2``), a line
    ``dW2 = formula``, or several lines (helpers, other dNAMEs) one of which assigns the tensor checked.
    Without ``param`` the answer's last left side names it."""
    from ..checking.backward import _LINE
    targets = [x.target for x in bw.lines]
    target = None
    if param is not None and param.strip():
        p = param.strip()
        target = p if p in targets else "d" + p if "d" + p in targets else None
        if target is None:
            raise DeriveError(f"{param!r} is not a gradient tensor of this program; tensors: " + ", ".join(targets))
    lines = [x for x in (line.split("#", 1)[0].strip() for line in answer.splitlines()) if x]
    if not lines:
        raise DeriveError("the answer is empty")
    found = [m.group(1) for m in map(_LINE.fullmatch, lines) if m]
    if not found:
        if len(lines) > 1:
            raise DeriveError("several lines without 'dNAME =': type one formula, or one 'dNAME = expression' per line")
        if target is None:
            raise DeriveError("which tensor? write 'dNAME = formula' or choose the tensor")
        return target, f"{target} = {lines[0]}"
    if target is None:
        target = next((n for n in reversed(found) if n in targets), found[-1])
    elif target not in found:
        raise DeriveError(f"the left side is {found[-1]}, but the tensor checked is {target}" if len(found) == 1
                          else f"no line assigns {target} (the answer assigns {', '.join(dict.fromkeys(found))})")
    return target, "\n".join(lines)


def check_answer(program, param: str | None, answer: str, seed: int = 0):
    """Check one typed answer for one gradient tensor: (BackwardReport of that line, the line as code)."""
    from ..checking.backward import BackwardReport, check_backward, read_lines
    from ..tensor.backward import Backward, derive_backward
    from ..tensor.printer import to_code
    bw = program if isinstance(program, Backward) else derive_backward(program)
    target, text = answer_text(bw, param, answer)
    parsed = [f"{n} = {to_code(t)}" for _, n, t in read_lines(text) if n == target]
    report = check_backward(bw, text, seed)
    line = [x for x in report.lines if x.name == target][-1]
    return BackwardReport([line]), parsed[-1]


def _grade_row(bw, param: str, answer: str):
    report, parsed = check_answer(bw, param, answer)
    line = report.lines[0]
    return line.correct, tuple(d["message"] for d in line.diagnosis), tuple(d["kind"] for d in line.diagnosis), parsed


def grade(program, rows: list[dict], *, workers: int | None = None, timeout: float = 5.0,
          progress: bool | None = None, on_row=None):
    """``derive grade`` for a tensor program: each row's answer (a formula, or backward lines) for the
    gradient tensor its ``param`` names, checked as ``check --backward`` checks a line, on every core."""
    import functools
    import time

    from tqdm import tqdm

    from .. import sandbox
    from ..checking.grade import Graded, GradeReport
    from ..tensor.backward import derive_backward
    bw = derive_backward(program)        # a bad program fails here, once, before any worker starts
    pool = sandbox.Pool(functools.partial(_grade_row, bw), workers, timeout)
    results: list = [None] * len(rows)
    start = time.perf_counter()
    with tqdm(total=len(rows), desc="grading", unit="answer", disable=(None if progress is None else not progress),
              leave=False) as bar:
        for i, outcome, seconds in pool.run((r["param"], r["answer"]) for r in rows):
            r = rows[i]
            base = dict(id=r["id"], param=r["param"], answer=r["answer"], seconds=round(seconds, 4))
            if outcome[0] == "ok":
                correct, messages, kinds, parsed = outcome[1]
                results[i] = Graded(**base, status="correct" if correct else "incorrect", diagnosis=messages,
                                    kinds=kinds, parsed=parsed)
            elif outcome[0] == "error":
                results[i] = Graded(**base, status="unusable", error=outcome[2])
            else:
                results[i] = Graded(**base, status="timeout" if outcome[0] == "timeout" else "error", error=outcome[1])
            bar.update()
            if on_row is not None:
                on_row(results[i])
    return GradeReport(bw.program.name, results, time.perf_counter() - start, min(pool.size, max(len(rows), 1)))
