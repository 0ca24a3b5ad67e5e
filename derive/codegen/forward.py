"""The forward pass of a layered network as in-place NumPy lines over the generated code's work arrays."""
from __future__ import annotations

import sympy as sp

from ..model import rules
from ..model.graph import Network
from ..model.naming import symbol
from . import tanhform
from .inplace import UNARY, Emitter, activation_lines
from .layers import bias_kind, matrix_names
from .printer import Printer


def keeps_z(net: Network, li: int) -> bool:
    """Whether layer li's a^(l) needs memory of its own: the backward pass reads z^(l) (relu's step(z))."""
    L = net.spec.layers[li - 1]
    act = rules.activation(L.activation)
    m = matrix_names(li)
    a, z = symbol(m["A"]), symbol(m["Z"])
    if not act.unitwise:
        return False
    e = act.value([z], 0)
    return e != z and (act.local(a, z).has(z) or (li == len(net.spec.layers) and output_uses_z(net)))


def forward_lines(net: Network, p: Printer, fresh_output: bool = False, tiled: set | None = None,
                  tanh: set = frozenset()) -> list[str]:
    """The forward pass into the work arrays Z<l> (activations overwrite their pre-activation
    when the backward pass never reads it: sigmoid and tanh write f' in terms of a).  With
    ``fresh_output`` the output layer gets new arrays (forward() returns them).  The layers whose
    bias is added over a tiled view (``NB<l>``, ``Z<l>w`` in the work arrays) are added to ``tiled``;
    the layers in ``tanh`` get a float32 tanh-form branch (``derive.codegen.tanhform``)."""
    lines, prev, tiled = [], "X", set() if tiled is None else tiled
    Ln = len(net.spec.layers)
    for li, L in enumerate(net.spec.layers, 1):
        m = matrix_names(li)
        act = rules.activation(L.activation)
        fresh = fresh_output and li == Ln
        product = f"{m['Z']} = np.dot({prev}, {m['W']}.T)" if fresh else f"np.dot({prev}, {m['W']}.T, {m['Z']})"
        lines.append(product.ljust(38) + "  " + f"# z^({li}) = W^({li}) a^({li - 1})")
        if bias_kind(L) != "none":
            lines.append(f"{m['Z']} += {m['b']}".ljust(38) + "  " + f"#        + b^({li})")
        prev = m["A"]
        if not act.unitwise:    # softmax, shifted by the row maximum so exp cannot overflow (same value)
            lines += [f"np.subtract({m['Z']}, {m['Z']}.max(axis=1, keepdims=True), {m['Z']})".ljust(40)
                      + f"# a^({li}) = softmax(z^({li})), in {m['Z']}'s memory: the row maximum taken off",
                      f"{m['A']} = np.exp({m['Z']}, {m['Z']})",
                      f"{m['A']} /= {m['A']}.sum(axis=1, keepdims=True)"]
            continue
        e = act.value([symbol(m["Z"])], 0)
        if isinstance(e, sp.Function) and e.func not in UNARY:
            e = e.rewrite(sp.exp)         # sigmoid by the table's definition; relu stays itself
        note = f"# a^({li}) = {L.activation}(z^({li}))"
        if e == symbol(m["Z"]):
            lines.append(f"{m['A']} = {m['Z']}".ljust(38) + "  " + note)
            continue
        chain = None if keeps_z(net, li) else activation_lines(e, m["Z"], m["A"], p)
        if chain:
            note += (f" = {e}" if len(chain) > 1 else "") + f", in {m['Z']}'s memory"
            if bias_kind(L) != "none" and chain[0] == f"{m['A']} = np.negative({m['Z']}, {m['Z']})":
                # -(z + b) as (-b) - z: the bias and sigmoid's minus sign in one pass over the batch
                lines[-1] = f"np.subtract(-{m['b']}, {m['Z']}, {m['Z']})".ljust(38) + "  " + \
                    f"#        + b^({li}), negated for the exp below"
                if bias_kind(L) == "vector" and not fresh:
                    # over k examples a row (a view of Z): NumPy's inner loop runs k * units long,
                    # not units long (4-8x faster for narrow layers); -b tiled k times in NB<l>
                    tiled.add(li)
                    lines[-1:] = [f"np.negative({m['b']}, NB{li})".ljust(38) + "  "
                                  + f"#        + b^({li}), negated for the exp below:",
                                  f"np.subtract(NB{li}f, {m['Z']}w, {m['Z']}w)".ljust(38) + "  "
                                  + f"#   -b^({li}) - z^({li}), {m['Z']}w is {m['Z']} with k examples a row"]
                chain = [f"{m['A']} = {m['Z']}"] + (tanhform.activation(li, chain[1:]) if li in tanh else chain[1:])
            lines += [chain[0].ljust(38) + "  " + note] + chain[1:]
            continue
        into = None if fresh else Emitter(p, [f"F{li}"]).into(e, m["A"])
        if into:
            lines += [into[0].ljust(38) + "  " + note] + into[1:]
        else:
            lines.append(f"{m['A']} = {p.doprint(e)}".ljust(38) + "  " + note)
    return lines


def output_uses_z(net: Network) -> bool:
    """Whether the output delta reads z^(L) (a relu output: step(z))."""
    spec = net.spec
    act = rules.activation(spec.layers[-1].activation)
    m = matrix_names(len(spec.layers))
    a, z = symbol(m["A"]), symbol(m["Z"])
    return bool((rules.loss(spec.loss).local(a, symbol("T"), len(spec.outputs)) * act.local(a, z)).has(z))
