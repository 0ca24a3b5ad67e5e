"""Check a student's backward pass line by line: ``dNAME = expression``, each against the true dJ/dNAME.

Every line is evaluated on its own at a random point at realistic sizes, with the forward values and
the TRUE values of every other d-tensor it reads (from derive's proven backward pass), so one wrong
line never makes a later one wrong.  A wrong line is diagnosed in words by finding the small change
that makes it right: a shape, a transpose or the wrong side of a matmul, the wrong axis or a missing
sum where broadcasting happened, a missing 1/N (or N-1 for N), a missing activation derivative, a sign.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import DeriveError, FormulaError, NotRead
from ..tensor.backward import Backward, derive_backward
from ..tensor.shapes import fmt
from .backward_blame import place, shared
from .backward_readings import as_computed, loss_sizes, reused, run, with_input_gradients
from .backward_program import top_level
from .backward_explain import diagnose, merged  # noqa: F401
from .backward_truth import RTOL, BackwardReport, LineVerdict, Truth, same  # noqa: F401

MAX_LINES = 2000
MAX_CHARS = 1_000_000
_LINE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)(.*)$")


def read_lines(text: str) -> list[tuple[int, str, object]]:
    """(line number, target name, tree) for each assignment of a backward file, read as a small program
    (``backward_program``: loops, helpers, ``+=`` and masked assignment are read, never run); one clear
    error for a line the grammar does not read."""
    from .backward_program import parse_program
    if len(text) > MAX_CHARS:
        raise DeriveError(f"the backward file is larger than {MAX_CHARS} bytes")
    raw = text.splitlines()
    if len(raw) > MAX_LINES:
        raise DeriveError(f"the backward file has {len(raw)} lines; at most {MAX_LINES}")
    out = [(st.line, t, st.tree) for st in parse_program(text).stmts.values() if isinstance(st.id, int)
           for t in st.targets[:1] if len(st.targets) == 1]
    if not out:
        raise DeriveError("no 'dNAME = expression' line found")
    return sorted(out, key=lambda x: x[0])


def check_backward(program, text: str, seed: int = 0) -> BackwardReport:
    """Check a backward file, read as a small program (``backward_program``), against the true gradients:
    each gradient is judged where it is complete, and a wrong one is placed on the line that makes it wrong."""
    from .backward_program import parse_program
    bw = program if isinstance(program, Backward) else derive_backward(program)
    read_lines(text)
    parsed = parse_program(text)
    bw = with_input_gradients(bw, {t for st in parsed.stmts.values() for t in st.targets})
    prog = bw.program
    truths = [Truth(bw, seed), Truth(bw, seed + 1)]
    grads = {x.target: x for x in bw.lines}
    tensors = {t.name for t in prog.leaves} | {n for n, _, _ in prog.forward}
    verdicts = []
    top = set(top_level(parsed.blocks))       # a helper's local may be named like a forward value
    for st in parsed.stmts.values():
        for target in st.targets:
            if st.id in top and target not in grads and target in tensors | {"d" + n for n in tensors}:
                verdicts.append(LineVerdict(st.line, target, False, [{"kind": "name", "message":
                    f"{target} is not a gradient derive computes (inputs and values the output does not use have none)"
                    if target.startswith("d") and target[1:] in tensors
                    else f"{target} is a forward value; backward lines assign dNAME"}]))
    verdicts += strays(parsed, truths, grads)
    report = _judged(bw, parsed, truths, grads, verdicts)
    for n in _scaled(run(parsed, truths, grads), grads, truths[0], loss_sizes(bw, truths[0])) if not report.correct else ():
        try:        # deeplearning.ai's dA = m * dJ/dA, the 1/m applied in each dW: read so when fewer lines are wrong
            other = _judged(bw, parsed, [Truth(bw, seed, n), Truth(bw, seed + 1, n)], grads, verdicts)
        except DeriveError:
            continue
        if _wrong(other) < _wrong(report):
            report = other
    return report


def strays(parsed, truths: list, grads: dict) -> list:
    """A dict's key like a layer's gradient that names none (grads["dW" + str(l - 1)] giving dW0): wrong there."""
    from .backward_program import Runner
    runner = Runner(parsed, truths[0].sizes, set(grads), None, truths[0].shapes)
    try:
        runner.run()
    except (DeriveError, FormulaError):
        return []
    return [LineVerdict(line, f"[{key!r}]", False, [{"kind": "name", "message": f"{key!r} names no gradient "
            f"(the program's are {', '.join(names)}): a layer's number one off?"}]) for line, key, names in
            dict.fromkeys((line, key, tuple(names)) for line, key, names in runner.strays
                          if all(grads[n].kind == "param" for n in names))]     # dA0 is the input's: right


def _scaled(judged: list, grads: dict, truth: Truth, sizes: list) -> list:
    """The sizes n to read the file's dA as n * dJ/dA with, when every value's gradient the file computes goes
    on into another of its gradients, read by name or through the same statements (a factor it carries is
    then made up for, or not, where those are judged): first those some value's gradient is exactly n times,
    then the others (a slip in dAL hides the factor everywhere after it; the reading is kept only when it
    makes fewer lines wrong)."""
    from ..tensor.tree import names
    read = {n for j in judged for n in names(j.tree) if n != j.target}
    values = [j for j in judged if grads[j.target].kind != "param"]
    params = [set(j.stmts) for j in judged if grads[j.target].kind == "param"]
    if not sizes or not all(j.target in read or any(p & set(j.stmts) for p in params) for j in values):
        return []
    out = set()
    for j in values:
        try:
            got = truth.value(j.tree, j.target, {})
        except (DeriveError, ValueError, IndexError, TypeError):
            continue
        out |= {n for n in sizes if same(got, n * truth.env[j.target])}
    return sorted(out) + [n for n in sizes if n not in out]    # a slip may hide the factor: tried after


def _wrong(report: BackwardReport) -> tuple:
    """Lines wrong, then values' gradients wrong (a tie goes to the reading whose dA are right)."""
    return sum(not v.correct for v in report.lines), report.wrong_values


def _judged(bw: Backward, parsed, truths: list, grads: dict, verdicts: list) -> BackwardReport:
    """The verdicts of every judged gradient of the file (after ``verdicts``, those said about names)."""
    verdicts = list(verdicts)
    judged = run(parsed, truths, grads)
    first = {id(j): _check_line(j.line, j.target, j.tree, bw, truths, [{}, {}]) for j in judged}
    if not all(v.correct for v in first.values()):
        before = judged
        parsed, judged = reused(parsed, judged, _right(bw, truths), truths, grads)
        first = first if judged is before else {}
    computed, placed = None, {}
    for j in judged:
        v = first.get(id(j)) or _check_line(j.line, j.target, j.tree, bw, truths, [{}, {}])
        if not v.correct and j.later:     # changed in place through another name afterwards: not judged
            raise DeriveError(j.later)
        later = [x.line for x in judged if x.target == j.target and x.line > j.line]
        if not v.correct and not later:
            computed = as_computed(parsed, truths, grads) if computed is None else computed
            tree = computed.get((j.line, j.target))
            if tree is not None and _right(bw, truths)(j, tree):
                v = LineVerdict(j.line, j.target, True)   # right in the file: it makes up for a line it reads
        if not v.correct and later and v.diagnosis:
            v.diagnosis[0] = dict(v.diagnosis[0], message=v.diagnosis[0]["message"] + f" ({j.target} is read by "
                                  f"another line before line {later[0]} adds the rest: finish it first)")
            verdicts.append(v)
        elif not v.correct and v.diagnosis[0]["kind"] != "name":
            placed[id(j)] = place(v, j, parsed, bw, truths, grads, judged)
            verdicts += placed[id(j)]
        else:
            verdicts.append(v)
    common = shared([j for j in judged if id(j) in placed], parsed, bw, truths, grads, judged)
    if common is not None:      # one helper line run for every layer makes them all wrong: said there, once
        line, verdict = common
        gone = {id(v) for j in judged for v in placed.get(id(j), ())}
        verdicts = [v for v in verdicts if id(v) not in gone] + [verdict] + \
                   [LineVerdict(j.line, j.target, True) for j in judged if id(j) in placed]
    if not any(v.name in grads for v in verdicts):
        raise DeriveError("no 'dNAME = expression' line found")
    verdicts.sort(key=lambda v: (v.line, v.correct))
    seen: set = set()
    out = []
    for v in verdicts:      # a mistake placed on a helper line by several gradients is said once
        key = (v.line, v.name) if v.correct else (v.line, "wrong")
        if key not in seen:
            seen.add(key)
            out.append(v)
    return BackwardReport(out, sum(1 for j in judged if id(j) in placed and grads[j.target].kind != "param"))


def _right(bw: Backward, truths: list):
    """j, tree -> whether the tree is j's true gradient (False for a line derive refuses to read)."""
    def right(j, tree) -> bool:
        try:
            return _check_line(j.line, j.target, tree, bw, truths, [{}, {}], explain=False).correct
        except DeriveError:
            return False
    return right


def _reason(e: Exception) -> str:
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return msg[:200]


def _check_line(k: int, target: str, tree, bw: Backward, truths: list, helpers: list, explain=True) -> LineVerdict:
    """The verdict on one judged gradient (``explain``: with the diagnosis of a wrong one; without, only whether
    it is right, as the readings that count wrong lines need)."""
    name = target[1:]
    shape = truths[0].forward[name].shape
    values = []
    for t, h in zip(truths, helpers):
        try:
            values.append(t.value(tree, target, h))
        except FormulaError as e:
            msg = str(e)
            if not explain:
                raise DeriveError(msg) from None
            if msg.startswith("unknown name 'np_random_"):
                raise DeriveError(f"line {k}: {target} needs a value drawn by np.random, which derive does not "
                                  "read: set the arrays from the spec's names (net.params = {'W1': W1, ...})")
            if msg.startswith("unknown name"):
                if f"'{target}'" in msg:
                    msg = f"uses {target} itself: a line must compute {target} from other values"
                return LineVerdict(k, target, False, [{"kind": "name", "message": msg}])
            return LineVerdict(k, target, False, _uncomputable(msg, target, tree, bw, truths, helpers, shape, k,
                                                               isinstance(e, NotRead)))
        except (ValueError, IndexError, TypeError) as e:
            if not explain:
                return LineVerdict(k, target, False)
            return LineVerdict(k, target, False, _uncomputable(_reason(e), target, tree, bw, truths, helpers, shape, k,
                                                               isinstance(e, TypeError)))
    if all(same(v, t.env[target]) for v, t in zip(values, truths)):
        return LineVerdict(k, target, True)
    line = next(x for x in bw.lines if x.target == target)
    if line.kind != "param" and all(_leading_ones(v, t.env[target]) for v, t in zip(values, truths)):
        return LineVerdict(k, target, True)     # makemore's dbnmeani: (H,) for (1, H), the same when broadcast
    return LineVerdict(k, target, False, diagnose(target, tree, values[0], bw, truths[0], helpers[0]) if explain else [])


def _leading_ones(v, want) -> bool:
    """v is want without leading axes of size 1 (it broadcasts to exactly want): right for a value a later
    line reads, though a parameter's gradient must have the parameter's shape."""
    lead = want.ndim - v.ndim
    return lead > 0 and all(n == 1 for n in want.shape[:lead]) and v.shape == want.shape[lead:] \
        and same(np.broadcast_to(v, want.shape), want)


def _uncomputable(reason: str, target: str, tree, bw, truths, helpers, shape, k: int = 0, not_read=False) -> list:
    """A line that cannot be computed, in one sentence: the fix that makes it right, if one does; a line
    needing what derive's evaluator does not read (``NotRead``: NumPy would compute it) is refused (exit 2),
    never called wrong."""
    if not_read:                # not read as written: a change that makes it right does not make it wrong
        raise DeriveError(f"line {k}: {target}: {reason}; derive does not read this spelling, write it another way")
    fixes = [d for d in diagnose(target, tree, None, bw, truths[0], helpers[0]) if d["kind"] not in ("shape", "value")]
    here = f"cannot be computed ({reason}); {target} must have {target[1:]}'s shape {fmt(shape)}"
    if not fixes:
        return [{"kind": "shape", "message": here}]
    return [{"kind": fixes[0]["kind"], "kinds": ["shape"] + fixes[0].get("kinds", [fixes[0]["kind"]]),
             "message": f"{fixes[0]['message']} (as written it {here})"}]
