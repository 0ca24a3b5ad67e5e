"""Diagnoses of a wrong gradient named from their cause, not from a number that happens to fit.

- a forgotten branch or a branch counted twice: the true gradient is the sum of the shares flowing back
  through each forward value that reads the tensor (``Line.shares``); a line equal to the sum without
  one share forgot that path (named: "the skip connection", "time step 2", "the path through bnvar"),
  with one share twice counted it twice;
- a missing or extra constant, named as the program writes it: ``1/N`` of a mean over the batch, ``/ 3``
  of a sum over three steps, ``N - 1`` of a Bessel-corrected variance (never a size that happens to equal
  the number);
- keepdims: the right numbers in a shape with an axis of size 1 too many or too few;
- an unstated assumption: right when every row of a target sums to 1 (one-hot), which the spec does not say.
"""
from __future__ import annotations

import re
from dataclasses import replace
from fractions import Fraction

import numpy as np

from ..errors import DeriveError, FormulaError
from ..tensor.evaluate import NumpyOps, evaluate
from ..tensor.printer import to_code
from ..tensor.tree import Bin, Call, Const, Name, walk


def branch(target: str, got, want, bw, truth) -> list:
    """A forgotten branch or one counted twice, named by the forward value it flows back through."""
    from .backward_truth import same
    line = next((x for x in bw.lines if x.target == target), None)
    if line is None or len(line.shares) < 2:
        return []
    by_reader: dict = {}
    with np.errstate(all="ignore"):
        for reader, tree in line.shares:
            try:
                v = np.broadcast_to(np.asarray(evaluate(tree, truth.env, NumpyOps(), truth.sizes), float), want.shape)
            except (FormulaError, ValueError, IndexError, TypeError):
                return []
            by_reader[reader] = by_reader.get(reader, 0) + v
    readers = list(by_reader)
    for r in readers:
        share = by_reader[r]
        if not np.any(share):
            continue
        what = path_name(target[1:], r, readers, bw)
        if same(got, want - share):
            return [{"kind": "branch", "message": f"forgets {what}: {target} must add the gradient that flows back "
                                                 f"through {r} as well"}]
        if same(got, want + share):
            return [{"kind": "double", "message": f"counts {what} twice: its share belongs in {target} once"}]
    return []


def path_name(name: str, reader: str, readers: list, bw) -> str:
    """How a lecturer names the branch through ``reader``: the skip connection, a time step, or the path."""
    prog = bw.program
    tree = next((t for n, t, _ in prog.forward if n == reader), None)
    text = next((x for n, _, x in prog.forward if n == reader), "")
    stems = {re.sub(r"\d+$", "", r) for r in readers}
    if len(stems) == 1 and all(re.search(r"\d+$", r) for r in readers):
        step = re.search(r"(\d+)$", reader).group(1)
        return f"time step {step} (the term through {reader} = {text})"
    if tree is not None and _added_directly(tree, name):
        return f"the path through the skip connection ({reader} = {text})"
    return f"the path through {reader} ({reader} = {text})"


def _added_directly(tree, name: str) -> bool:
    """name is a term of a sum in the tree (r = x + f(x)): the identity path of a residual block."""
    for node in walk(tree):
        if isinstance(node, Bin) and node.op in ("+", "-") and Name(name) in (node.a, node.b):
            return True
    return False


def constants(bw, truth, target: str | None = None) -> list:
    """(label, value, how it enters) of each constant the program divides by or averages over, as written:
    ``/ (2 * N)``, ``/ np.sqrt(H)``, ``/ 3``, the count of a mean, a variance's ``N - 1``."""
    from ..tensor.shapes import Info, axes, infer
    from ..tensor.tree import names
    prog = bw.program
    out, seen = [], []
    env = {k: Info(np.shape(v), k in truth.integer) for k, v in truth.forward.items()}

    def note(label, v, how="divides"):
        if v > 1 + 1e-12 and not any(abs(v - w) <= 1e-12 * v for w in seen):
            seen.append(v)
            out.append((label, v, how, where))
    down = _downstream(prog, target[1:]) if target else set()
    order = sorted(prog.forward, key=lambda f: (f[0] not in down, -[x[0] for x in prog.forward].index(f[0])))
    for name, tree, text in order:
        where = f"{name} = {text}"
        for node in walk(tree):
            if isinstance(node, Bin) and node.op == "/" and all(n in truth.sizes for n in names(node.b)):
                try:
                    v = float(evaluate(node.b, {}, NumpyOps(), truth.sizes))
                except (FormulaError, ValueError, TypeError):
                    continue
                note(to_code(node.b), v)
            elif isinstance(node, Bin) and node.op == "*":
                for x in (node.a, node.b):
                    if type(x).__name__ == "Num" and x.value.numerator == 1 and x.value.denominator > 1:
                        note(str(x.value.denominator), float(x.value.denominator))
            elif isinstance(node, Call) and node.fn in ("mean", "var"):
                try:
                    shape = infer(node.args[0], env, truth.sizes).shape
                except FormulaError:
                    continue
                ax = axes(node, len(shape), truth.sizes)
                picked = ax if ax is not None else range(len(shape))
                v = int(np.prod([shape[i] for i in picked]))
                label = _count_name(bw, node.args[0], picked, v, truth)
                d = int(node.get("ddof").value) if node.fn == "var" and node.get("ddof") is not None else 0
                if d:
                    out.append((f"({label} - {d})", float(v - d), "bessel", where))
                note(label, float(v))
    return out


def _downstream(prog, name: str) -> set:
    """Forward names computed from ``name`` (its gradient passes through their constants)."""
    uses, out, todo = prog.uses(), set(), [name]
    while todo:
        for n in uses.get(todo.pop(), ()):
            if n not in out:
                out.add(n)
                todo.append(n)
    return out


def _count_name(bw, x, picked, v: int, truth) -> str:
    """The number of entries a mean runs over, in size names (T, N * D) when they can be told."""
    from ..tensor.backward import builder
    from ..tensor.shapes import infer
    try:
        c = builder(bw.program)
        sym = infer(x, c.sym_env, c.sym_sizes, limit=False).shape
        return to_code(c.dim_tree(int(np.prod([sym[i] for i in picked]))))
    except (DeriveError, FormulaError, IndexError):
        names_ = [s for s, n in truth.sizes.items() if n == v]
        return names_[0] if len(names_) == 1 else str(v)


def scale(target: str, got, want, bw, truth) -> list:
    """A missing or extra constant, named as the program writes it; Bessel's n vs n - 1."""
    from .backward_truth import same
    consts = constants(bw, truth, target)
    for label, v, how, where in consts:
        if how == "bessel":
            n, size = v + 1, label[1:].split(" - ")[0]
            if same(got * v / n, want):
                return [{"kind": "n_minus_1", "message": f"divides by {label} where {size} belongs: the variance "
                         f"here is 1/{size}"}]
            if same(got * n / v, want):
                return [{"kind": "n_minus_1", "message": f"divides by {size} where {label} belongs: the program's "
                         f"variance is Bessel-corrected (1/{label})"}]
        elif same(got / v, want):
            return [{"kind": "scale", "message": f"missing the factor 1/{label} (from {where})"}]
        elif same(got * v, want):
            return [{"kind": "scale", "message": f"divides by {label} once too often (once, from {where})"}]
    for sname, n in truth.sizes.items():        # n vs n - 1 of a mean the program writes by hand
        if n > 2 and same(got * (n - 1) / n, want):
            return [{"kind": "n_minus_1", "message": f"divides by {sname}-1 where {sname} belongs "
                                                    f"(the mean over {sname} is 1/{sname}, no Bessel correction here)"}]
        if n > 2 and same(got * n / (n - 1), want):
            return [{"kind": "n_minus_1", "message": f"divides by {sname} where {sname}-1 belongs (Bessel's correction)"}]
    ratio = _ratio(got, want)
    if ratio is not None and ratio not in (1, -1):
        return [{"kind": "scale", "message": f"off by a constant factor {_num(ratio)}: "
                                             f"{target} is this times {_num(1 / ratio)}"}]
    return []


_ACTIVATIONS = {"tanh": "tanh's derivative 1 - tanh({x})**2", "sigmoid": "sigmoid's derivative s (1 - s)",
                "relu": "relu's derivative ({x} > 0)", "exp": "exp's derivative (times exp({x}))",
                "erf": "erf's derivative 2 / np.sqrt(np.pi) * np.exp(-({x}) ** 2)"}


def derivative_factors(prog) -> list:
    """(message, tree) for each activation the forward pass applies, inline ones too (GELU's tanh)."""
    from ..tensor.tree import Neg, Num
    from ..tensor.vjp import ERF_SCALE
    out, seen = [], set()
    one = Num(Fraction(1))
    for _, tree, _ in prog.forward:
        for node in walk(tree):
            if not (isinstance(node, Call) and node.fn in _ACTIVATIONS) or node in seen:
                continue
            seen.add(node)
            d = {"tanh": Bin("-", one, Bin("**", node, Num(Fraction(2)))),
                 "sigmoid": Bin("*", node, Bin("-", one, node)),
                 "relu": Bin(">", node.args[0], Num(Fraction(0))), "exp": node,
                 "erf": Bin("*", ERF_SCALE, Call("exp", (Neg(Bin("**", node.args[0], Num(Fraction(2)))),)))}[node.fn]
            out.append((f"missing {_ACTIVATIONS[node.fn].format(x=to_code(node.args[0]))}", d))
    return out[:6]


def term_variants(tree, sizes: dict, prog=None):
    """(kind, changed tree, message): a size used where its Bessel partner belongs (N vs N - 1), a power
    too many, an activation's derivative missing from one factor (GELU's inline tanh)."""
    from ..checking.mutate import _positions
    from ..tensor.tree import Num
    factors = derivative_factors(prog) if prog is not None else []
    count = 0
    if prog is not None:         # a factor forgotten from the whole line: gamma, w, a forward value
        for name in [t.name for t in prog.leaves if t.kind == "param"] + [n for n, _, _ in prog.forward][:20]:
            yield "factor", Bin("*", tree, Name(name)), f"missing the factor {name}"
    for node, rebuild in _positions(tree):
        if isinstance(node, Call) and node.fn in ("sum", "mean", "max", "min", "var") and node.get("axis") is not None \
                and node.get("keepdims") is None:
            kept = Call(node.fn, node.args, node.kw + (("keepdims", Const(True)),))
            yield "keepdims", rebuild(kept), (f"keepdims: {to_code(node)} drops the axis it reduces, so it broadcasts "
                                              f"along the wrong axis; {to_code(kept)} keeps it")
        if isinstance(node, Bin) and node.op == "**":
            yield "power", rebuild(node.a), f"a power too many: {to_code(node)} where {to_code(node.a)} belongs"
        if factors and (isinstance(node, Bin) and node.op in ("*", "/") or node is tree) and count < 60:
            for message, d in factors:
                count += 1
                yield "activation", rebuild(Bin("*", node, d)), message
        if isinstance(node, Name) and node.id in sizes:
            yield "n_minus_1", rebuild(Bin("-", node, Num(Fraction(1)))), \
                f"divides by {node.id} where {node.id} - 1 belongs (Bessel's correction)"
        if isinstance(node, Bin) and node.op == "-" and isinstance(node.a, Name) and node.a.id in sizes \
                and node.b == Num(Fraction(1)):
            yield "n_minus_1", rebuild(node.a), f"divides by {node.a.id} - 1 where {node.a.id} belongs"


def _ratio(got, want):
    with np.errstate(all="ignore"):
        r = np.asarray(got, float) / np.asarray(want, float)
    r = r[np.isfinite(r) & (np.abs(np.asarray(want)) > 1e-9)] if np.shape(got) == np.shape(want) else np.array([])
    if r.size and np.allclose(r, r.flat[0], rtol=1e-9, atol=0) and r.flat[0] != 0:
        return Fraction(float(r.flat[0])).limit_denominator(1000)
    return None


def _num(q: Fraction) -> str:
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def keepdims(target: str, got, want) -> list:
    """The right numbers in a shape with a size-1 axis too many or too few."""
    from .backward_truth import same
    from ..tensor.shapes import fmt
    if got.shape != want.shape and got.size == want.size and same(got.reshape(want.shape), want):
        extra = len(got.shape) > len(want.shape)
        return [{"kind": "keepdims", "message": f"keepdims: the numbers are right but the shape is {fmt(got.shape)}, "
                 f"not {fmt(want.shape)}: " + ("sum without keepdims=True" if extra else "sum with keepdims=True")}]
    return []


def one_hot(target: str, tree, bw, truth, helpers) -> list:
    """Right if a target's rows were one-hot (each sums to 1), which the spec does not declare."""
    from .backward_truth import Truth, same
    prog = bw.program
    for t in prog.leaves:
        if t.kind != "input" or t.data != "normal" or len(t.dims) < 1 or t.name in prog.integer_inputs:
            continue
        if not any(isinstance(n, Name) and n.id == t.name for _, f, _ in prog.forward for n in walk(f)):
            continue
        leaves = tuple(replace(x, data="one_hot") if x.name == t.name else x for x in prog.leaves)
        other = replace(bw, program=replace(prog, leaves=leaves))
        try:
            alt = Truth(other, 7)
            v = alt.value(tree, target, helpers)
        except (DeriveError, FormulaError, ValueError, IndexError, TypeError):
            continue
        if same(v, alt.env[target]):
            return [{"kind": "assumption", "message": f"holds only when every row of {t.name} sums to 1 (one-hot "
                     f"targets), which the spec does not say: declare {t.name}: {{shape: [...], data: one_hot}}, or "
                     "keep the term the row sums bring"}]
    return []
