"""Layer-level (matrix) equations as seed 003 writes them, and the cost over a batch of m examples."""
from __future__ import annotations

import re

import sympy as sp

from ..model.graph import Network
from .eqs import Eq, leibniz, shown_layer

BATCH = r"\frac{1}{m} \sum_{i=1}^{m} "


def _letter(latex: str) -> str:
    """The base glyph of a symbol's LaTeX: ``a^{(2)}_{1}`` -> ``a``, ``\\mathrm{H1}`` -> ``H``."""
    s = re.sub(r"\\mathrm\{([^{}]*)\}", r"\1", latex)
    m = re.match(r"\\?[A-Za-z]", s)
    return m.group(0) if m else "a"


def _fname(act: str) -> str:
    return {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{relu}",
            "linear": r"\operatorname{id}"}.get(act, r"\operatorname{%s}" % act)


def matrix_form(net: Network) -> tuple[tuple[str, int, tuple[Eq, ...]], ...]:
    """Seed 003's layer equations in the preset's own letters and layer numbers (layered nets only).

    The vectors are named by the preset's own letters: theta and ng write the weighted sum z and the
    output a; w-delta writes the weighted sum a and the output z (y at the output layer).
    """
    if not net.spec.layered:
        return ()
    L = net.latex_names
    W = r"\boldsymbol{\Theta}" if net.notation.preset == "theta" else r"\mathbf{W}"
    J = L[net.symbol(net.loss)]
    layers = net.spec.layers
    n = len(layers)
    sup = lambda l: "(%d)" % shown_layer(net, l)  # noqa: E731
    wsup = lambda l: "(%d)" % l  # noqa: E731  (theta: Theta^{(l)} maps layer l to l+1, as its entries say)

    def vec(letter: str, l: int, transpose: bool = False) -> str:
        return r"\mathbf{%s}^{%s%s}" % (letter, sup(l), r"\top" if transpose else "")

    pre = [_letter(L[net.symbol(layer.pres[0])]) for layer in layers]
    act = [_letter(L[net.symbol(layer.units[0])]) for layer in layers]
    out = []
    for l in range(n, 0, -1):
        delta, z = r"\boldsymbol{\delta}^{%s}" % sup(l), vec(pre[l - 1], l)
        if l == n:
            eqs = [Eq((delta, r"\frac{\partial %s}{\partial %s}" % (J, z)))]
        else:
            eqs = [Eq((delta, r"\left(%s^{%s\top} \boldsymbol{\delta}^{%s}\right) \odot %s'\left(%s\right)"
                       % (W, wsup(l + 1), sup(l + 1), _fname(layers[l - 1].activation), z)))]
        below = r"\mathbf{x}^{\top}" if l == 1 else vec(act[l - 2], l - 1, transpose=True)
        dW = r"\frac{\partial %s}{\partial %s^{%s}}" % (J, W, wsup(l))
        eqs.append(Eq((dW, r"%s %s" % (delta, below))))
        trained = set(net.trainable)
        if trained.issuperset(w for row in layers[l - 1].weights for w in row):
            eqs.append(Eq((r"%s^{%s}" % (W, wsup(l)), r"%s^{%s} - \alpha %s" % (W, wsup(l), dW))))
        biases = layers[l - 1].biases
        if len(set(biases)) == 1 and biases[0] and len(biases) > 1:   # one bias shared by the layer's units
            b = L[net.symbol(biases[0])]
            db = r"\frac{\partial %s}{\partial %s}" % (J, b)
            eqs.append(Eq((db, r"\mathbf{1}^{\top} %s" % delta)))
            if biases[0] in trained:
                eqs.append(Eq((b, r"%s - \alpha %s" % (b, db))))
        elif any(biases):
            db = r"\frac{\partial %s}{\partial \mathbf{b}^{%s}}" % (J, wsup(l))
            eqs.append(Eq((db, delta)))
            if trained.issuperset(biases):
                eqs.append(Eq((r"\mathbf{b}^{%s}" % wsup(l), r"\mathbf{b}^{%s} - \alpha %s" % (wsup(l), db))))
        out.append(("output" if l == n else "hidden", shown_layer(net, l), tuple(eqs)))
    return tuple(out)


def per_example(latex: str) -> str:
    """The loss symbol of example i: ``J(\\theta)`` -> ``J^{(i)}(\\theta)``, ``L`` -> ``L^{(i)}``."""
    if latex.endswith(r"(\theta)"):
        return latex[: -len(r"(\theta)")] + r"^{(i)}(\theta)"
    return "{%s}^{(i)}" % latex


def batch_form(net: Network) -> tuple[Eq, ...]:
    """The cost over m examples as seeds 000 and 003 write it, and its gradient: the mean.

    ``J = 1/(2m) sum_i sum_k (y_k - a_k)^2`` for half_sse (the per-example loss's 1/2 joins the
    1/m), ``1/m sum_i J^(i)`` otherwise; every output and target carries the example's ``(i)``.
    """
    L = net.latex_names
    loss = net.nodes[net.loss]
    J = L[loss.symbol]
    names = dict(L)
    for s in list(loss.expr.free_symbols):
        names[s] = "{%s}^{(i)}" % L[s]
    expr, coeff = loss.expr, BATCH
    if net.spec.loss == "half_sse":
        expr, coeff = 2 * loss.expr, r"\frac{1}{2m} \sum_{i=1}^{m} "
    from .order import printer
    body = printer(net, names=names).doprint(expr)
    if sp.Add.make_args(expr)[1:]:
        body = r"\left[%s\right]" % body
    p = net.trainable[0] if net.trainable else None
    eqs = [Eq((J, coeff + body)), Eq((J, BATCH + per_example(J)))]
    if p:
        dp = leibniz(net, net.loss, p)
        eqs.append(Eq((dp, BATCH + dp.replace(r"\partial %s}" % J, r"\partial %s}" % per_example(J), 1))))
    return tuple(eqs)


