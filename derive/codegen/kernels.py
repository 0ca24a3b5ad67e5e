"""C kernels for the elementwise work of a layered network's gradients, generated from the rules table.

Between the products (``np.dot``) backprop does, per layer, a few passes over batch-sized arrays that
NumPy makes one ufunc at a time (16 passes for a 2-layer sigmoid net).  Here each step is one loop in
C over the whole array, generated from the same rules the NumPy code prints:

* ``fwd``: a = f(z + b) (z kept when f' reads it);
* ``out``: a = f(z + b), delta = dJ/da * f'(z) / n (the output delta, as ``matrix._output_delta``
  forms it), the bias sum of delta and the sum of the loss's terms, in one pass;
* ``bwd``: delta *= f'(z) (delta came from ``np.dot``) and its bias sum, in one pass;
* ``smax``: a softmax output layer, row by row: a, g = dJ/da * a, delta = g - a sum g, sums.

The loops' C text is ``ctext``'s; here is what each step computes.  Expressions are
printed to C from sympy (``c_expr``): numbers, + - * /, integer powers and the functions of
``cmath``; anything else gives None and the network keeps its NumPy code.  Every function exists for
float64 and float32 and checks its buffers (C-contiguous, one dtype, lengths).  The text is made only
of numbers and identifiers generated here.
"""
from __future__ import annotations

import sympy as sp

from ..model import rules
from ..model.graph import Network
from ..model.naming import symbol
from .forward import keeps_z
from .layers import bias_kind, matrix_names

_FUNCS = {sp.exp: "exp", sp.tanh: "tanh", sp.log: "log", rules.sigmoid: "sigmoid", rules.relu: "relu",
          rules.step: "step"}


def c_expr(e: sp.Expr, names: dict) -> str | None:
    """``e`` as a C expression of type ``real`` (functions ``exp_S`` etc.), or None if it cannot be."""
    if e.is_Symbol:
        return names.get(e)
    if e.is_Number:
        if not e.is_finite:
            return None
        return f"((real){float(e)!r})"
    args = [c_expr(a, names) for a in e.args]
    if any(a is None for a in args):
        return None
    if isinstance(e, sp.Add):
        return "(" + " + ".join(args) + ")"
    if isinstance(e, sp.Mul):
        num = [c_expr(a, names) for a in e.args if not (isinstance(a, sp.Pow) and a.exp.is_negative)]
        den = [c_expr(1 / a, names) for a in e.args if isinstance(a, sp.Pow) and a.exp.is_negative]
        if any(x is None for x in num + den):
            return None
        top = "*".join(num) or "((real)1)"
        return f"({top})" if not den else f"({top}/({'*'.join(den)}))"
    if isinstance(e, sp.Pow):
        base, k = args[0], e.exp
        if k.is_Integer and 1 <= k <= 4:
            return "(" + "*".join([base] * int(k)) + ")"
        if k.is_Integer and -4 <= k <= -1:
            return "(((real)1)/(" + "*".join([base] * int(-k)) + "))"
        return None
    if isinstance(e, sp.Function) and len(args) == 1 and e.func in _FUNCS:
        return f"{_FUNCS[e.func]}_S({args[0]})"
    return None


def _act(net: Network, li: int):
    """(value e(z), f'(a, z)) of layer li's activation in the symbols a, z."""
    act = rules.activation(net.spec.layers[li - 1].activation)
    a, z = sp.Symbol("a"), sp.Symbol("z")
    return act.value([z], 0), act.local(a, z)


NAMES = {sp.Symbol("a"): "a", sp.Symbol("z"): "z", sp.Symbol("t"): "t"}


def plan(net: Network):
    """The kernels of ``net`` as [(layer, kind, C text of its loop body parts)], or None (NumPy only)."""
    spec = net.spec
    Ln = len(spec.layers)
    if any(not rules.activation(L.activation).unitwise for L in spec.layers[:-1]) or \
            any(bias_kind(L) == "shared" for L in spec.layers):
        return None
    out = []
    for li in range(1, Ln + 1):
        if li == Ln and not rules.activation(spec.layers[-1].activation).unitwise:
            step = _softmax(net)
            if step is None:
                return None
            out.append((li, "smax", step))
            break
        value, fp = _act(net, li)
        f = c_expr(value, NAMES)
        if f is None:
            return None
        if li < Ln:
            out.append((li, "fwd", {"f": f, "keepz": keeps_z(net, li)}))
            continue
        m = matrix_names(li)
        A, Z, T = symbol(m["A"]), symbol(m["Z"]), symbol("T")
        loss = rules.loss(spec.loss)
        e = loss.local(A, T, len(spec.outputs)) * rules.activation(spec.layers[-1].activation).local(A, Z)
        swap = {A: sp.Symbol("a"), Z: sp.Symbol("z"), T: sp.Symbol("t")}
        d = c_expr(sp.factor(sp.cancel(e)).xreplace(swap), NAMES)
        ell = loss_term(net)
        j = None if ell is None else c_expr(ell, NAMES)
        if d is None:
            return None
        t = sp.Symbol("t")
        out.append((li, "out", {"f": f, "d": d, "loss": j, "t": e.has(T) or (j is not None and ell.has(t))}))
    for li in range(Ln - 1, 0, -1):
        value, fp = _act(net, li)
        g = c_expr(fp, NAMES)
        if g is None:
            return None
        out.append((li, "bwd", {"g": None if fp == 1 else g, "a": fp.has(sp.Symbol("a")),
                                "z": fp.has(sp.Symbol("z"))}))
    return out


def _softmax(net: Network) -> dict | None:
    """A softmax output layer's step: g = dJ/da * a per unit (the table's loss rule), then
    delta_j = g_j - a_j sum_k g_k, as ``matrix._output_delta`` forms it; None if not printable."""
    a, t = sp.Symbol("a"), sp.Symbol("t")
    g = sp.cancel(rules.loss(net.spec.loss).local(a, t, len(net.spec.outputs)) * a)
    gc = c_expr(g, NAMES)
    ell = loss_term(net)
    j = None if ell is None else c_expr(ell, NAMES)
    if gc is None:
        return None
    return {"g": gc, "loss": j, "t": g.has(t) or (j is not None and ell.has(t))}


def loss_term(net: Network) -> sp.Expr | None:
    """One output's term of the loss in a, t (the loss is its sum over outputs and the batch mean), or
    None when the loss is not such a sum."""
    loss = rules.loss(net.spec.loss)
    if not loss.needs_targets:
        return None
    k = len(net.spec.outputs)
    ys, ts = sp.symbols(f"y0:{k}"), sp.symbols(f"t0:{k}")
    y, t = sp.Symbol("a"), sp.Symbol("t")
    elem = loss.value([y], [t])
    total = sp.Add(*[elem.xreplace({y: a, t: b}) for a, b in zip(ys, ts)])
    ratio = sp.cancel(loss.value(list(ys), list(ts)) / total) if total != 0 else None
    return sp.Mul(ratio, elem) if ratio is not None and ratio.is_Number else None
