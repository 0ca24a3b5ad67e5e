"""Generate readable NumPy source for a network's forward pass, loss and gradients.

Layered networks get matrix-form code from the layer-level equations
    delta^(L) = dJ/dy * f'(z^(L)),  delta^(l) = (W^(l+1)^T delta^(l+1)) * f'(z^(l)),
    dJ/dW^(l) = delta^(l) a^(l-1)^T,  dJ/db^(l) = delta^(l),
with every activation, local derivative and loss printed from the rules table by sympy's NumPy
printer.  Computation graphs get per-scalar code: one line per node forward, one line per
memoised delta definition backward (``derive.derivation.chain``), in the network's own names
(``derive.codegen.scalar``).  Both are vectorised over a batch: row n of X and T is one example; the loss is the batch mean.
"""
from __future__ import annotations

import sympy as sp

from ..model import rules
from ..model.graph import Network
from ..model.naming import symbol
from .forward import forward_lines, keeps_z
from .inplace import Emitter, work_lines, work_source
from .layers import bias_kind, matrix_names
from .printer import Printer, lines as _lines
from . import fused as fuse, kernels, tanhform

__all__ = ["bias_kind", "layered_source", "layout", "matrix_names", "source"]


# ---------------------------------------------------------------------------------------------
# Layered networks: matrix form

def layout(net: Network) -> dict[str, object]:
    """Array name -> the spec's parameter names at each entry (nested tuples; a name for a scalar)."""
    out: dict[str, object] = {}
    for li, L in enumerate(net.spec.layers, 1):
        m = matrix_names(li)
        out[m["W"]] = L.weights
        kind = bias_kind(L)
        if kind == "vector":
            out[m["b"]] = L.biases
        elif kind == "shared":
            out[m["b"]] = L.biases[0]
    return out


def _loss_lines(net: Network, p: Printer, Y: str, em: Emitter | None) -> list[str]:
    """J = the batch-mean loss, from the table's value; a sum of per-output terms is computed in
    place into the output layer's scratch array (``em``) and summed once."""
    rule = rules.loss(net.spec.loss)
    k = len(net.spec.outputs)
    ys = [symbol(f"y_{j}") for j in range(k)]
    ts = [symbol(f"t_{j}") for j in range(k)]
    full = rule.value(ys, ts)
    y, t = symbol(Y), symbol("T")
    elem = rule.value([y], [t])
    total = sp.Add(*[elem.xreplace({y: a, t: b}) for a, b in zip(ys, ts)])
    ratio = sp.cancel(full / total) if total != 0 else None
    if ratio is not None and ratio.is_Number:
        # the constant factor (1/2 of 1/2 SSE) multiplies the sum, not every element; a square
        # is summed as a dot product (one BLAS pass instead of squaring, then summing)
        c, e = sp.Mul(ratio, elem).as_coeff_Mul()
        base = e.base if isinstance(e, sp.Pow) and e.exp == 2 else None
        F = em.temps[0] if em is not None else None
        scratch = em.into(base if base is not None else e, F) if em is not None else None
        if scratch is not None:
            total = f"np.vdot({F}, {F})" if base is not None else f"{F}.sum()"
            scale = "" if c == 1 else f"{float(c)!r} * "
            return scratch + [f"J = {scale}{total} / n".ljust(40)
                              + f"# J = mean over the batch of the sum over outputs of {ratio * elem}"]
        return [f"J = np.mean(({p.doprint(ratio * elem)}).sum(axis=1))"]
    cols = {s: symbol(f"{Y}[:, {j}]") for j, s in enumerate(ys)}
    cols.update({s: symbol(f"T[:, {j}]") for j, s in enumerate(ts)})
    return [f"J = np.mean({p.doprint(full.xreplace(cols))})"]


def _output_delta(net: Network, p: Printer, L: int) -> list[str]:
    """delta^(L) = dJ/dz^(L) / n from the loss rule and the output activation's rule, computed
    into the work array D<L> (scratch F<L>)."""
    spec = net.spec
    act = rules.activation(spec.layers[-1].activation)
    loss = rules.loss(spec.loss)
    m = matrix_names(L)
    em = Emitter(p, [f"F{L}"])
    a, z, t = symbol(m["A"]), symbol(m["Z"]), symbol("T")
    dy = loss.local(a, t, len(spec.outputs))
    if act.unitwise:
        e = dy * act.local(a, z)
        if sp.fraction(sp.together(e))[1].has(a):
            e = sp.factor(sp.cancel(e))
        lines = em.into(e, m["D"]) or [f"{m['D']} = {p.doprint(e)}" if e.free_symbols
                                       else f"{m['D']} = np.full_like({m['A']}, {p.doprint(e)})"]
        return [f"# delta^({L}) = dJ/dz^({L}) = dJ/dy * f'(z^({L})): loss rule {dy}, "
                f"activation rule {act.local(a, z)}, so delta^({L}) = {e}"] + lines + _batch_mean(m["D"])
    # softmax: da_k/dz_j = a_k (1 - a_k) if k == j else -a_k a_j (the table's local and cross), so
    # delta_j = sum_k dJ/da_k da_k/dz_j = g_j - a_j sum_k g_k with g_k = dJ/da_k * a_k
    g = dy * a
    lines = em.into(g, m["D"]) or [f"{m['D']} = {p.doprint(g)}"]
    return [f"# delta^({L})_j = sum_k dJ/da_k da_k/dz_j = g_j - a_j sum_k g_k, g = dJ/da * a = {g}"] + lines + [
        f"np.multiply({m['A']}, {m['D']}.sum(axis=1, keepdims=True), F{L})",
        f"np.subtract({m['D']}, F{L}, {m['D']})"] + _batch_mean(m["D"])


def _batch_mean(D: str) -> list[str]:
    """The loss is the batch mean, so every delta carries 1/n (dividing by 1 is skipped)."""
    return ["if n > 1:".ljust(38) + "  " + "# J is the mean over the batch: scale by 1/n once, here",
            f"    {D} /= n"]


def _unpack_line(names: list[str]) -> str:
    return ", ".join(names) + " = " + ", ".join(f'params["{k}"]' for k in names)


def _work_arrays(net: Network, tiled: set) -> list[tuple[str, int | str | None]]:
    """The batch-sized arrays of one call: Z, D and scratch F per layer (A when it needs its own);
    for a layer in ``tiled``, -b tiled k times (NB<l>, k rows; NB<l>f flat) and Z<l>w, Z<l> seen with
    k examples a row (k: ``_tile``)."""
    out: list[tuple[str, int | str | None]] = []
    for li, L in enumerate(net.spec.layers, 1):
        m, u = matrix_names(li), len(L.units)
        out += [(m["Z"], u)] + ([(m["A"], u)] if keeps_z(net, li) else []) + [(m["D"], u), (f"F{li}", u)]
        if li in tiled:
            out += [(f"NB{li}", f"np.empty((_tile(n, {u}), {u}), dtype)"), (f"NB{li}f", f"NB{li}.reshape(-1)"),
                    (f"{m['Z']}w", f"{m['Z']}.reshape(n // len(NB{li}), len(NB{li}) * {u})")]
    vector = any(bias_kind(L) == "vector" for L in net.spec.layers)
    return out + ([("ones", None)] if vector else []) + [("one", 0)]   # bias sums: ones @ D; the constant 1


def layered_source(net: Network, fused: bool = True) -> str:
    """Matrix-form module source: forward, loss, gradients over a batch; with ``fused``, gradients
    and loss_gradients also get a branch calling C kernels (``codegen.fused``) where the network allows."""
    spec, p = net.spec, Printer()
    arrays = layout(net)
    names = list(arrays)
    Ln = len(spec.layers)
    out_A = matrix_names(Ln)["A"]
    scalars = {k for k, v in arrays.items() if isinstance(v, str)}      # a shared bias: one number
    tiled: set = set()
    tanh = {li for li in tanhform.layers(net) if not keeps_z(net, li)}     # float32 sigmoids as one tanh pass
    fwd = forward_lines(net, p, tiled=tiled, tanh=tanh)
    work = _work_arrays(net, tiled)

    plan = kernels.plan(net) if fused else None

    def start(given: list[str], branch: list[str] = ()) -> list[str]:
        # n, dtype, the work arrays; the fused branch; the tanh form's small arrays
        return work_lines(given, work, scalars) + list(branch) + tanhform.prelude(net, tanh)
    # The spec's name is user text: it appears only as the repr() of NAME, never inside a literal.
    doc = ['"""Forward pass, loss and gradients of the network NAME, generated by derive.',
           "", "Matrix form of the proven chain-rule derivation (entry j, i of W<l> is the weight",
           "of input i into unit j of layer l).  Parameters, as the spec names them:"]
    for k, v in arrays.items():
        doc.append(f"    {k}: {_short(v)}")
    doc += ["Batch: X[n, i] is input i of example n, T[n, k] its target k; the loss is the batch mean.",
            "float32 arrays in give float32 work and results; anything else computes in float64.",
            '"""', "import numpy as np", "",
            f"NAME = {spec.name!r}",
            f"PARAMS = {tuple(names)!r}",
            f"INPUTS = {spec.inputs!r}", f"OUTPUTS = {spec.outputs!r}", f"TARGETS = {spec.targets!r}",
            f"LAYOUT = {arrays!r}", "", ""]
    body = doc + work_source(work) + (fuse.module_lines(fuse.c_text(net, plan)) if plan else [])
    done = ["if n <= KEEP_ROWS and len(_SPARE) < 4:", "    _SPARE[(n, dtype)] = work",
            "else:", "    _spare(n, dtype, work)"]
    body += ["def forward(params, X):", '    """Outputs Y[n, k] for a batch of inputs X[n, i] (a new array)."""',
             "    " + _unpack_line(names)]
    body += _lines("\n".join(start(["X"] + names) + forward_lines(net, p, fresh_output=True, tanh=tanh)
                             + done)) + [f"    return {out_A}", "", ""]
    loss_lines = _loss_lines(net, p, out_A, Emitter(p, [f"F{Ln}"]))
    body += ["def loss(params, X, T):", '    """Mean loss over the batch."""', "    " + _unpack_line(names)]
    body += _lines("\n".join(start(["X", "T"] + names) + fwd + loss_lines + done)) + ["    return J", "", ""]
    back = _output_delta(net, p, Ln)
    for li in range(Ln, 0, -1):
        m = matrix_names(li)
        L = spec.layers[li - 1]
        prev = "X" if li == 1 else matrix_names(li - 1)["A"]
        unit = net.delta_symbol(L.pres[0])
        w, src = L.weights[0][0], (spec.inputs if li == 1 else spec.layers[li - 2].units)[0]
        back.append(f"{m['dW']} = np.dot({m['D']}.T, {prev})".ljust(40)
                    + f"# dJ/dW^({li}) = delta^({li}) a^({li - 1})^T   (e.g. dJ/d{w} = {unit} * {src})")
        kind = bias_kind(L)
        if kind == "vector":
            back.append(f"{m['db']} = np.dot(ones, {m['D']})".ljust(40)
                        + f"# dJ/db^({li}) = delta^({li}) summed over the batch (a matrix-vector product)")
        elif kind == "shared":
            back.append(f"{m['db']} = {m['D']}.sum()".ljust(40)
                        + f"# dJ/db^({li}) = delta^({li}) summed over the batch and the units (one shared bias)")
        if li - 1 in tanh:
            back += tanhform.weight_gradient(li)
        if li > 1:
            below = matrix_names(li - 1)
            act = rules.activation(spec.layers[li - 2].activation)
            fp = act.local(symbol(below["A"]), symbol(below["Z"]))
            W = m["W"] + ("b" if li - 1 in tanh else "")      # W<l>b: W<l> with the tanh form's f' constant
            back.append(f"np.dot({m['D']}, {W}, {below['D']})".ljust(40)
                        + f"# delta^({li - 1}) = (W^({li})^T delta^({li})) * f'(z^({li - 1})),")
            if fp != 1:
                # a^(l-1) is read for the last time here (dJ/dW^(l) is computed): its memory is the
                # scratch array, so f' costs no second batch-sized array (fewer cache misses at 4096)
                times = Emitter(p, [below["A"]]).multiply_into(below["D"], fp) or \
                    [f"{below['D']} *= {p.doprint(fp)}"]
                times = [times[0].ljust(38) + "  " + f"#   f'(z^({li - 1})) = {fp}"] + times[1:]
                if li - 1 in tanh:
                    c, g = tanhform.backward_factor(net, li - 1)
                    by_tanh = Emitter(p, [below["A"]]).multiply_into(below["D"], g)
                    times = [f"if {tanhform.FLAG}:", "    " + by_tanh[0].ljust(34) + "  "
                             + f"#   f'(z^({li - 1})) = {fp}: {c}*({g}) of A = 1 - 2a, {c} in {W}"] + \
                        ["    " + t for t in by_tanh[1:]] + ["else:"] + ["    " + t for t in times]
                back += times
    ret = ", ".join(f'"{k}": d{k}' for k in names)
    grads, both = "return {" + ret + "}", "return J, {" + ret + "}"
    fast = fuse.branch(net, plan, False, done, grads) if plan else []
    body += ["def gradients(params, X, T):", '    """dJ/dparam for every parameter array (batch mean; new arrays)."""',
             "    " + _unpack_line(names)] + _lines("\n".join(start(["X", "T"] + names, fast) + fwd + back + done))
    body += ["    " + grads, "", ""]
    fast = fuse.branch(net, plan, True, done, both) if plan and plan[len(spec.layers) - 1][2]["loss"] else []
    body += ["def loss_gradients(params, X, T):",
             '    """The mean loss and dJ/dparam for every parameter array, from one forward pass."""',
             "    " + _unpack_line(names)]
    body += _lines("\n".join(start(["X", "T"] + names, fast) + fwd + loss_lines + back + done))
    body += ["    " + both, ""]
    return "\n".join(body)


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 90 else text[:87] + "..."


def source(net: Network, chain=None, fused: bool = True) -> str:
    """Module source for ``net``: matrix form if layered (``fused``: with the C kernels' branch), else
    per-scalar from ``chain``."""
    if net.spec.layered:
        return layered_source(net, fused)
    from .scalar import graph_source
    if chain is None:
        from ..derivation.chain import derive_chain
        chain = derive_chain(net)
    return graph_source(net, chain)
