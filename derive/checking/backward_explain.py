"""What is wrong with a backward line, in words: the first small change that makes it right (``diagnose``),
one diagnosis kept (``merged``).  Split from ``backward`` (which judges the lines)."""
from __future__ import annotations

from itertools import chain

import numpy as np

from ..errors import FormulaError
from ..tensor.backward import Backward
from ..tensor.printer import to_code
from ..tensor.shapes import fmt
from .backward_diagnose import branch, keepdims, one_hot, scale, term_variants
from .backward_truth import Truth, same
from .mutate import activation_factors, mutations


def diagnose(target: str, tree, got, bw: Backward, truth: Truth, helpers: dict) -> list:
    """What is wrong, in words: the first explanations that make the line right."""
    name = target[1:]
    want = truth.env[target]
    shape = want.shape
    prog = bw.program
    out = []

    def add(kind, message):
        if all(d["kind"] != kind for d in out):
            out.append({"kind": kind, "message": message})

    if got is None:
        pass
    elif got.shape != shape:
        add("shape", f"wrong shape {fmt(got.shape)}: {target} must have {name}'s shape {fmt(shape)}")
        if got.T.shape == shape and same(got.T, want):
            add("transpose", f"transposed: it has shape {fmt(got.shape)}, its transpose is right; "
                             f"{target} must have {name}'s shape {fmt(shape)}")
        else:
            summed = _unbroadcast(got, shape)
            if summed is not None and summed.size == got.size:     # only size-1 axes: a reshape, not a sum
                summed = None
            if summed is not None and same(summed, want):
                axes = tuple(i for i in range(got.ndim) if i < got.ndim - len(shape)
                             or got.shape[i] != shape[i - (got.ndim - len(shape))])
                batch = truth.sizes.get(prog.batch) if prog.batch else None
                what = ", ".join(f"{a} (the batch)" if got.shape[a] == batch else str(a) for a in axes)
                add("not_summed", f"not summed where broadcasting happened: {name} was broadcast along "
                                  f"axis {what} in the forward pass, so {target} must sum over it")
        for d in keepdims(target, got, want):
            out.insert(0, d)
    elif same(-got, want):
        add("sign", f"wrong sign: {target} is the negative of this")
    elif got.ndim == 2 and same(got.T, want):
        add("transpose", f"transposed: its transpose is right ({target} is square here, so the shape cannot tell)")
    elif got is not None:
        for d in branch(target, got, want, bw, truth) + scale(target, got, want, bw, truth):
            add(d["kind"], d["message"])
        for factor_name, factor in activation_factors(prog, truth.forward, shape):
            if not out and same(got * factor, want):
                add("activation", f"missing {factor_name}")
        for other in (x.target for x in bw.lines if not out and x.target != target and truth.env[x.target].shape == shape):
            if same(got, truth.env[other]):     # dh[h <= 0] = 0 left in dh: it is dhpre now
                add("other", f"this is {other}, the gradient of {other[1:]}, not of {name}")
                break
    for kind, variant, message in chain(term_variants(tree, truth.sizes, prog),
                                               mutations(tree, truth.forward, truth.sizes)):
        if len(out) >= 3:
            break
        try:
            v = truth.value(variant, target, helpers)
        except (FormulaError, ValueError, IndexError, TypeError):
            continue
        if same(v, want):
            fixed = to_code(variant)
            add(kind, message + (f": {target} = {fixed} is right" if len(fixed) <= 90 else ""))
    if not out and got is not None and got.shape == shape:
        for d in one_hot(target, tree, bw, truth, helpers):
            add(d["kind"], d["message"])
    if not out and got is not None:
        err = np.abs(got - want)
        idx = np.unravel_index(int(np.nanargmax(err)), shape) if err.size else ()
        add("value", f"not equal to dJ/d{name} (largest difference {float(np.nanmax(err)) if err.size else 0:.3g}"
                     f" at entry {tuple(int(i) for i in idx)})")
    return merged(out, target, name, shape)


def merged(out: list, target: str, name: str, shape: tuple) -> list:
    """One diagnosis, the most specific: a bare wrong shape only when nothing else explains the line (the
    shape is then said in the specific one); the other kinds kept for grading, not repeated as sentences."""
    specific = [d for d in out if d["kind"] != "shape"]
    if not specific:
        return out[:1]
    first = dict(specific[0])
    if any(d["kind"] == "shape" for d in out) and fmt(shape) not in first["message"]:
        first["message"] += f" ({target} must have {name}'s shape {fmt(shape)})"
    first["kinds"] = [d["kind"] for d in out]
    return [first]


def _unbroadcast(g, shape):
    """g summed over the axes broadcasting added or stretched to reach ``shape`` (None: not possible)."""
    lead = g.ndim - len(shape)
    if lead < 0:
        return None
    if any(s != 1 and s != n for s, n in zip(shape, g.shape[lead:])):
        return None
    g = g.sum(axis=tuple(range(lead))) if lead else g
    ax = tuple(i for i, s in enumerate(shape) if s == 1 and g.shape[i] != 1)
    return g.sum(axis=ax, keepdims=True) if ax else g
