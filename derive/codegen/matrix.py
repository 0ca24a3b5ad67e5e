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
from ..errors import DeriveError
from ..model.graph import Network
from ..model.naming import symbol
from .printer import Printer, lines as _lines


# ---------------------------------------------------------------------------------------------
# Layered networks: matrix form

def matrix_names(li: int) -> dict[str, str]:
    """Identifiers of layer ``li`` (1-based) in matrix code: W1, b1, Z1, A1, D1 (delta), dW1, db1."""
    return {k: f"{k}{li}" for k in ("W", "b", "Z", "A", "D", "dW", "db")}


def bias_kind(layer) -> str:
    """none | shared (one scalar) | vector (one name per unit); partly shared biases are refused."""
    names = [b for b in layer.biases if b]
    if not names:
        return "none"
    if len(names) != len(layer.biases):
        raise DeriveError("compile: a layer with biases on some units only is not supported")
    if len(set(names)) == 1 and len(names) > 1:
        return "shared"
    if len(set(names)) != len(names):
        raise DeriveError("compile: a layer whose units share some (not all) biases is not supported")
    return "vector"


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


def _loss_code(net: Network, p: Printer, Y: str) -> str:
    """Batch-mean loss from the table's value, vectorised over outputs when it is a sum of terms."""
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
        return "np.mean((%s).sum(axis=1))" % p.doprint(ratio * elem)
    cols = {s: symbol(f"{Y}[:, {j}]") for j, s in enumerate(ys)}
    cols.update({s: symbol(f"T[:, {j}]") for j, s in enumerate(ts)})
    return "np.mean(%s)" % p.doprint(full.xreplace(cols))


def _output_delta(net: Network, p: Printer, L: int) -> list[str]:
    """delta^(L) = dJ/dz^(L) / n from the loss rule and the output activation's rule."""
    spec = net.spec
    act = rules.activation(spec.layers[-1].activation)
    loss = rules.loss(spec.loss)
    m = matrix_names(L)
    a, z, t = symbol(m["A"]), symbol(m["Z"]), symbol("T")
    dy = loss.local(a, t, len(spec.outputs))
    if act.unitwise:
        e = dy * act.local(a, z)
        if sp.fraction(sp.together(e))[1].has(a):
            e = sp.factor(sp.cancel(e))
        value = p.doprint(e)
        if not e.free_symbols:     # a constant delta still needs one entry per example and output
            value = f"np.full_like({m['A']}, {value})"
        elif e.is_Symbol:          # a fresh array: it is scaled in place below
            value += ".copy()"
        return [f"# delta^({L}) = dJ/dz^({L}) = dJ/dy * f'(z^({L})): loss rule {dy}, "
                f"activation rule {act.local(a, z)}",
                f"{m['D']} = {value}"] + _batch_mean(m["D"])
    # softmax: da_k/dz_j = a_k (1 - a_k) if k == j else -a_k a_j (the table's local and cross), so
    # delta_j = sum_k dJ/da_k da_k/dz_j = g_j - a_j sum_k g_k with g_k = dJ/da_k * a_k
    g = dy * a
    return [f"# delta^({L})_j = sum_k dJ/da_k da_k/dz_j = g_j - a_j sum_k g_k, g = dJ/da * a = {g}",
            f"G = {p.doprint(g)}",
            f"{m['D']} = G - {m['A']} * G.sum(axis=1, keepdims=True)"] + _batch_mean(m["D"])


def _batch_mean(D: str) -> list[str]:
    """The loss is the batch mean, so every delta carries 1/n (dividing by 1 is skipped)."""
    return ["if n > 1:".ljust(40) + "# J is the mean over the batch: scale by 1/n once, here",
            f"    {D} /= n"]


_UNARY = {sp.exp: "np.exp", sp.tanh: "np.tanh"}


def _chain(e: sp.Expr, z: sp.Symbol, p: Printer) -> list[tuple[str, str]] | None:
    """``e`` as ufuncs applied one after another to ``z`` [(ufunc, other operand)], or None.

    sigmoid's table definition 1/(1 + exp(-z)) is negative, exp, add 1, reciprocal: each can write
    into the same array, so the activation needs no temporary arrays.
    """
    if e == z:
        return []
    if e.func in _UNARY:
        inner = _chain(e.args[0], z, p)
        return None if inner is None else inner + [(_UNARY[e.func], "")]
    if isinstance(e, sp.Pow) and e.exp == -1:
        inner = _chain(e.base, z, p)
        return None if inner is None else inner + [("np.reciprocal", "")]
    if isinstance(e, (sp.Add, sp.Mul)):
        consts = [a for a in e.args if a.is_Number]
        rest = [a for a in e.args if not a.is_Number]
        if len(rest) != 1 or len(consts) != 1:
            return None
        inner = _chain(rest[0], z, p)
        if inner is None:
            return None
        c = consts[0]
        if isinstance(e, sp.Mul) and c == -1:
            return inner + [("np.negative", "")]
        return inner + [("np.add" if isinstance(e, sp.Add) else "np.multiply", p.doprint(c))]
    return None


def _activation_lines(e: sp.Expr, z: str, a: str, p: Printer, overwrite: bool) -> list[str] | None:
    """In-place lines computing a = e(z) in z's own memory (``overwrite``) or one new array."""
    steps = _chain(e, symbol(z), p)
    if not steps:
        return None
    out = []
    for k, (ufunc, operand) in enumerate(steps):
        src = z if k == 0 else a
        args = f"{src}, {operand}" if operand else src
        if k == 0:
            out.append(f"{a} = {ufunc}({args}, out={z})" if overwrite else f"{a} = {ufunc}({args})")
        else:
            out.append(f"{ufunc}({args}, out={a})")
    return out


def _forward_lines(net: Network, p: Printer, inplace: bool = True) -> list[str]:
    """The forward pass; with ``inplace``, activations overwrite their pre-activation when the
    backward pass never reads it (sigmoid and tanh write f' in terms of a)."""
    lines, prev = [], "X"
    Ln = len(net.spec.layers)
    for li, L in enumerate(net.spec.layers, 1):
        m = matrix_names(li)
        act = rules.activation(L.activation)
        lines.append(f"{m['Z']} = {prev} @ {m['W']}.T".ljust(40) + f"# z^({li}) = W^({li}) a^({li - 1})")
        if bias_kind(L) != "none":
            lines.append(f"{m['Z']} += {m['b']}".ljust(40) + f"#        + b^({li})")
        if act.unitwise:
            e = act.value([symbol(m["Z"])], 0)
            if isinstance(e, sp.Function) and e.func not in _UNARY:
                e = e.rewrite(sp.exp)         # sigmoid by the table's definition; relu stays itself
            a, z = symbol(m["A"]), symbol(m["Z"])
            needs_z = act.local(a, z).has(z) or (li == Ln and _output_uses_z(net))
            chain = _activation_lines(e, m["Z"], m["A"], p, overwrite=not needs_z) if inplace else None
            if chain:
                note = f"# a^({li}) = {L.activation}(z^({li}))" + (f" = {e}" if len(chain) > 1 else "") + \
                       (f", in {m['Z']}'s memory" if not needs_z else "")
                lines += [chain[0].ljust(40) + note] + chain[1:]
                prev = m["A"]
                continue
            value = p.doprint(e)
        else:   # softmax, shifted by the row maximum so exp cannot overflow (same value)
            lines.append(f"E = np.exp({m['Z']} - {m['Z']}.max(axis=1, keepdims=True))")
            value = "E / E.sum(axis=1, keepdims=True)"
        lines.append(f"{m['A']} = {value}".ljust(40) + f"# a^({li}) = {L.activation}(z^({li}))")
        prev = m["A"]
    return lines


def _output_uses_z(net: Network) -> bool:
    """Whether the output delta reads z^(L) (a relu output: step(z))."""
    spec = net.spec
    act = rules.activation(spec.layers[-1].activation)
    m = matrix_names(len(spec.layers))
    a, z = symbol(m["A"]), symbol(m["Z"])
    return bool((rules.loss(spec.loss).local(a, symbol("T"), len(spec.outputs)) * act.local(a, z)).has(z))


def _unpack_line(names: list[str]) -> str:
    return ", ".join(names) + " = " + ", ".join(f'params["{k}"]' for k in names)


def layered_source(net: Network) -> str:
    """Matrix-form module source: forward, loss, gradients over a batch."""
    spec, p = net.spec, Printer()
    arrays = layout(net)
    names = list(arrays)
    Ln = len(spec.layers)
    out_A = matrix_names(Ln)["A"]
    fwd = _forward_lines(net, p)
    # The spec's name is user text: it appears only as the repr() of NAME, never inside a literal.
    doc = ['"""Forward pass, loss and gradients of the network NAME, generated by derive.',
           "", "Matrix form of the proven chain-rule derivation (entry j, i of W<l> is the weight",
           "of input i into unit j of layer l).  Parameters, as the spec names them:"]
    for k, v in arrays.items():
        doc.append(f"    {k}: {_short(v)}")
    doc += ["Batch: X[n, i] is input i of example n, T[n, k] its target k; the loss is the batch mean.",
            '"""', "import numpy as np", "",
            f"NAME = {spec.name!r}",
            f"PARAMS = {tuple(names)!r}",
            f"INPUTS = {spec.inputs!r}", f"OUTPUTS = {spec.outputs!r}", f"TARGETS = {spec.targets!r}",
            f"LAYOUT = {arrays!r}", "", ""]
    body = doc
    body += ["def forward(params, X):", '    """Outputs Y[n, k] for a batch of inputs X[n, i]."""',
             "    " + _unpack_line(names)] + _lines("\n".join(fwd)) + [f"    return {out_A}", "", ""]
    body += ["def loss(params, X, T):", '    """Mean loss over the batch."""',
             "    " + _unpack_line(names)] + _lines("\n".join(fwd))
    body += [f"    return {_loss_code(net, p, out_A)}", "", ""]
    back = ["n = X.shape[0]"] + fwd + _output_delta(net, p, Ln)
    for li in range(Ln, 0, -1):
        m = matrix_names(li)
        L = spec.layers[li - 1]
        prev = "X" if li == 1 else matrix_names(li - 1)["A"]
        unit = net.delta_symbol(L.pres[0])
        w, src = L.weights[0][0], (spec.inputs if li == 1 else spec.layers[li - 2].units)[0]
        back.append(f"{m['dW']} = {m['D']}.T @ {prev}".ljust(40)
                    + f"# dJ/dW^({li}) = delta^({li}) a^({li - 1})^T   (e.g. dJ/d{w} = {unit} * {src})")
        kind = bias_kind(L)
        if kind != "none":
            s = ".sum(axis=0)" if kind == "vector" else ".sum()"
            back.append(f"{m['db']} = {m['D']}{s}".ljust(40) + f"# dJ/db^({li}) = delta^({li})"
                        + (" summed over units (one shared bias)" if kind == "shared" else ""))
        if li > 1:
            below = matrix_names(li - 1)
            act = rules.activation(spec.layers[li - 2].activation)
            fp = act.local(symbol(below["A"]), symbol(below["Z"]))
            back.append(f"{below['D']} = {m['D']} @ {m['W']}".ljust(40)
                        + f"# delta^({li - 1}) = (W^({li})^T delta^({li})) * f'(z^({li - 1})),")
            if fp != 1:
                back.append(f"{below['D']} *= {p.doprint(fp)}".ljust(40) + f"#   f'(z^({li - 1})) = {fp}")
    ret = ", ".join(f'"{k}": d{k}' for k in names)
    body += ["def gradients(params, X, T):", '    """dJ/dparam for every parameter array (batch mean)."""',
             "    " + _unpack_line(names)] + _lines("\n".join(back)) + ["    return {" + ret + "}", "", ""]
    with_loss = back[:1 + len(fwd)] + [f"J = {_loss_code(net, p, out_A)}"] + back[1 + len(fwd):]
    body += ["def loss_gradients(params, X, T):",
             '    """The mean loss and dJ/dparam for every parameter array, from one forward pass."""',
             "    " + _unpack_line(names)] + _lines("\n".join(with_loss)) + ["    return J, {" + ret + "}", ""]
    return "\n".join(body)


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 90 else text[:87] + "..."


def source(net: Network, chain=None) -> str:
    """Module source for ``net``: matrix form if layered, else per-scalar from ``chain``."""
    if net.spec.layered:
        return layered_source(net)
    from .scalar import graph_source
    if chain is None:
        from ..derivation.chain import derive_chain
        chain = derive_chain(net)
    return graph_source(net, chain)
