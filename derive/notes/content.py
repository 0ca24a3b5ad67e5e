"""The notes as data: every equation a lecturer shows, built from the derivation, LaTeX by sympy."""
from __future__ import annotations

import math

import random
from dataclasses import dataclass
from fractions import Fraction

import sympy as sp

from ..derivation.derivation import Derivation
from ..derivation.proof import evaluate
from ..model.graph import Network

COLOURS = ("blue", "orange", "green", "purple", "red", "teal")
DIRECT_MAX_CHARS = 700


class M(str):
    """Inline math (LaTeX) for a prose field, as opposed to plain text."""


@dataclass(frozen=True)
class Eq:
    """A display equation: LaTeX expressions joined by '='."""
    parts: tuple[str, ...]

    @property
    def latex(self) -> str:
        return " = ".join(self.parts)


@dataclass(frozen=True)
class Row:
    """One line of the table of symbols: the symbol and a prose key with its fields."""
    symbol: str
    key: str
    args: dict


@dataclass(frozen=True)
class PathBlock:
    k: int
    colour: str
    nodes: str          # LaTeX: x \to y \to ... \to L
    eq: Eq


@dataclass(frozen=True)
class ParamBlock:
    name: str
    symbol: str
    path_count: int
    update: Eq
    chain: Eq
    paths: tuple[PathBlock, ...]
    path_sum: Eq | None
    locals: tuple[Eq, ...]
    delta_form: Eq
    delta_defs: tuple[Eq, ...]
    result: Eq
    direct: Eq | None
    direct_chars: int
    proven: bool
    points: int
    error: str
    method: str = "exact"           # how it was proven: "exact" | "randomized" (derivation.proof)
    bound: str = ""                 # randomized: the certified chance of a wrong "proven", as LaTeX


@dataclass(frozen=True)
class Notes:
    title: str
    slug: str
    preset: str
    loss: str                    # LaTeX of the loss symbol
    loss_kind: str               # spec loss name (half_sse, bce, ...)
    symbols: tuple[Row, ...]
    layers: tuple[tuple[int, str, tuple[Eq, ...]], ...]   # (layer, activation, equations)
    graph_nodes: tuple[Eq, ...]
    loss_eq: Eq
    params: tuple[ParamBlock, ...]
    matrix: tuple[tuple[str, int, tuple[Eq, ...]], ...]    # ("output"|"hidden", layer, equations)
    example: "Example | None"


def leibniz(net: Network, upper: str, lower: str) -> str:
    """``\\frac{\\partial U}{\\partial V}`` in the notation's glyphs."""
    names = net.latex_names
    return r"\frac{\partial %s}{\partial %s}" % (names[net.symbol(upper)], names[net.symbol(lower)])


def coloured(tex: str, colour: str) -> str:
    return r"{\color{%s} %s}" % (colour, tex)


def _symbols(d: Derivation, used_deltas: list[str]) -> tuple[Row, ...]:
    net, spec = d.net, d.net.spec
    L = net.latex_names
    m = lambda name: M(L[net.symbol(name)])  # noqa: E731
    about: dict[str, tuple[str, dict]] = {}
    prev = list(spec.inputs)
    for li, layer in enumerate(spec.layers, 1):
        for j, (row, b) in enumerate(zip(layer.weights, layer.biases)):
            for w, a in zip(row, prev):
                about[w] = ("kind_param", {"src": m(a), "dst": m(layer.units[j])})
            if b and b not in about:
                about[b] = ("kind_bias", {"dst": m(layer.units[j])})
        prev = list(layer.units)
    outs = dict(zip(spec.targets, spec.outputs))
    rows = []
    for n in net.nodes.values():
        if n.kind == "input":
            key, args = "kind_input", {"i": spec.inputs.index(n.name) + 1}
        elif n.kind == "param":
            key, args = about.get(n.name, ("kind_gparam", {}))
        elif n.kind == "target":
            key, args = "kind_target", {"dst": m(outs[n.name])}
        elif n.kind in ("pre", "act"):
            key, args = "kind_" + n.kind, {"l": n.layer, "i": n.index}
        elif n.kind == "node":
            key, args = "kind_node", {"srcs": M(", ".join(L[net.symbol(i)] for i in n.inputs))}
        else:
            key, args = "kind_loss", {"loss": spec.loss}
        rows.append(Row(L[n.symbol], key, args))
    for node in used_deltas:
        rows.append(Row(L[net.delta_symbol(node)], "kind_delta", {"dst": m(node)}))
    return tuple(rows)


def _deltas_below(d: Derivation, terms) -> list[str]:
    """Every delta node a set of terms needs, transitively, in the derivation's (backward) order."""
    need, todo = set(), [t.delta for t in terms if t.delta]
    while todo:
        n = todo.pop()
        if n not in need:
            need.add(n)
            todo.extend(t.delta for t in d.deltas[n].terms if t.delta)
    return [n for n in d.deltas if n in need]


def _term_leibniz(d: Derivation, t) -> str:
    net = d.net
    head = [leibniz(net, net.loss, t.delta)] if t.delta else []
    return " ".join(head + [leibniz(net, f.upper, f.lower) for f in t.factors])


def _param_block(d: Derivation, p: str) -> ParamBlock:
    net = d.net
    g = d.gradient(p)
    L = net.latex_names
    dLdp = leibniz(net, net.loss, p)
    ps = L[net.symbol(p)]
    update = Eq((ps + "(t+1)", ps + r"(t) - \alpha " + dLdp))
    paths, locals_, seen = [], [], set()
    for k, q in enumerate(g.paths):
        colour = COLOURS[k % len(COLOURS)] if len(g.paths) > 1 else ""
        lz = " ".join(leibniz(net, f.upper, f.lower) for f in q.factors)
        val = net.latex(q.product)
        if colour:
            lz, val = coloured(lz, colour), coloured(val, colour)
        nodes = r" \to ".join(L[net.symbol(n)] for n in q.nodes)
        paths.append(PathBlock(k + 1, colour, nodes, Eq((lz, val))))
        for f in q.factors:
            if (f.upper, f.lower) not in seen:
                seen.add((f.upper, f.lower))
                locals_.append(Eq((leibniz(net, f.upper, f.lower), net.latex(f.value))))
    if paths:
        chain = Eq((dLdp, " + ".join(pb.eq.parts[0] for pb in paths)))
    else:
        chain = Eq((dLdp, " + ".join(_term_leibniz(d, t) for t in g.terms) or "0"))
    path_sum = Eq((dLdp, " + ".join(pb.eq.parts[1] for pb in paths))) if len(paths) > 1 else None
    delta_form = Eq((dLdp, " + ".join(_term_leibniz(d, t) for t in g.terms) or "0",
                     net.latex(g.delta_form)))
    defs = tuple(Eq((L[d.deltas[n].symbol], leibniz(net, net.loss, n), net.latex(d.deltas[n].expr)))
                 for n in _deltas_below(d, g.terms))
    result = Eq((dLdp, net.latex(d.in_nodes(p))))
    direct_expr = d.direct.sympy_gradient(p)
    direct_expr = direct_expr.xreplace({s: net.symbol(s.name) for s in direct_expr.free_symbols})
    direct_tex = net.latex(direct_expr)
    direct = Eq((dLdp, direct_tex)) if len(direct_tex) <= DIRECT_MAX_CHARS else None
    proof = d.proof(p)
    err = "0" if proof.numeric_max_error == 0 else "< 10^{-8}"   # the prover's own threshold
    return ParamBlock(p, ps, g.path_count, update, chain, tuple(paths), path_sum, tuple(locals_),
                      delta_form, defs, result, direct, len(direct_tex), proof.proven,
                      proof.points, err, proof.method,
                      "" if proof.method == "exact" else "< 2^{%d}" % math.floor(proof.bound_log2))


def _forward(d: Derivation):
    net, L = d.net, d.net.latex_names
    layers, graph = [], []
    for n in net.nodes.values():
        if n.kind in ("pre", "act"):
            if not layers or layers[-1][0] != n.layer:
                layers.append((n.layer, net.spec.layers[n.layer - 1].activation, []))
            layers[-1][2].append(Eq((L[n.symbol], net.latex(n.expr))))
        elif n.kind == "node":
            graph.append(Eq((L[n.symbol], net.latex(n.expr))))
    loss = net.nodes[net.loss]
    return (tuple((l, a, tuple(eqs)) for l, a, eqs in layers), tuple(graph),
            Eq((L[loss.symbol], net.latex(loss.expr))))


def matrix_form(net: Network) -> tuple[tuple[str, int, tuple[Eq, ...]], ...]:
    """Seed 003's layer-level equations, in the preset's glyphs (layered networks only)."""
    if not net.spec.layered:
        return ()
    preset = net.notation.preset
    br = (lambda i: "[%d]" % i) if preset == "ng" else (lambda i: "(%d)" % i)
    shift = 1 if preset == "theta" else 0     # theta: weights theta^(l) feed units of layer l+1
    W = r"\boldsymbol{\Theta}" if preset == "theta" else r"\mathbf{W}"
    J = net.latex_names[net.symbol(net.loss)]
    a_t = lambda i: r"\mathbf{x}^{\top}" if i == shift else r"\mathbf{a}^{%s\top}" % br(i)  # noqa: E731
    out = []
    n = len(net.spec.layers)
    for l in range(n, 0, -1):
        u = l + shift
        delta, z = r"\boldsymbol{\delta}^{%s}" % br(u), r"\mathbf{z}^{%s}" % br(u)
        act = net.spec.layers[l - 1].activation
        if l == n:
            eqs = [Eq((delta, r"\frac{\partial %s}{\partial %s}" % (J, z)))]
        else:
            eqs = [Eq((delta, r"\left(%s^{%s\top} \boldsymbol{\delta}^{%s}\right) \odot %s'\left(%s\right)"
                       % (W, br(l + 1), br(u + 1), _fname(act), z)))]
        dW = r"\frac{\partial %s}{\partial %s^{%s}}" % (J, W, br(l))
        eqs.append(Eq((dW, r"%s %s" % (delta, a_t(u - 1)))))
        if any(net.spec.layers[l - 1].biases):
            eqs.append(Eq((r"\frac{\partial %s}{\partial \mathbf{b}^{%s}}" % (J, br(l)), delta)))
        eqs.append(Eq((r"%s^{%s}" % (W, br(l)), r"%s^{%s} - \alpha %s" % (W, br(l), dW))))
        out.append(("output" if l == n else "hidden", u, tuple(eqs)))
    return tuple(out)


def _fname(act: str) -> str:
    return {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{relu}",
            "linear": r"\operatorname{id}"}.get(act, r"\operatorname{%s}" % act)


def default_params(net: Network, limit: int = 16) -> list[str]:
    """Every trainable parameter, or for a large network the first weight and bias of each layer."""
    if len(net.trainable) <= limit:
        return list(net.trainable)
    picks = []
    for layer in net.spec.layers:
        picks += [layer.weights[0][0]] + [b for b in layer.biases[:1] if b]
    return [p for p in dict.fromkeys(picks) if p in net.trainable] or list(net.trainable[:limit])


def build(d: Derivation, params: list[str] | None = None) -> Notes:
    """The notes' content for ``params`` (default: every trainable parameter)."""
    net = d.net
    todo = list(params) if params else default_params(net)
    for p in todo:
        d.gradient(p)   # a DeriveError naming the trainable parameters if p is not one
    blocks = tuple(_param_block(d, p) for p in todo)
    used = _deltas_below(d, [t for p in todo for t in d.gradient(p).terms])
    layers, graph, loss_eq = _forward(d)
    return Notes(net.spec.name, net.spec.slug, net.notation.preset, net.latex_names[net.symbol(net.loss)],
                 net.spec.loss, _symbols(d, used), layers, graph, loss_eq, blocks, matrix_form(net),
                 worked_example(d, todo))


# ---------------------------------------------------------------------------------------------
# The worked example: one step of gradient descent with the spec's numbers (exact when they are)

@dataclass(frozen=True)
class Example:
    given: tuple[Eq, ...]
    random: tuple[str, ...]          # LaTeX of parameters given a seeded random start
    alpha: str                       # LaTeX of the learning rate's value
    alpha_given: bool
    forward: tuple[Eq, ...]
    deltas: tuple[Eq, ...]
    grads: tuple[Eq, ...]
    updates: tuple[Eq, ...]


def number(v) -> sp.Expr:
    """A spec number as sympy: Fraction -> Rational (exact), float -> Float."""
    return sp.Rational(v.numerator, v.denominator) if isinstance(v, Fraction) else sp.Float(v, 15)


def num_latex(v: sp.Expr) -> str:
    """Exact rationals as fractions (9/2 stays 9/2), floats as decimals with 6 significant digits."""
    if v.is_Rational:
        return sp.latex(v)
    s = "%.6g" % float(v)
    if "e" in s:
        mant, exp = s.split("e")
        return r"%s \cdot 10^{%d}" % (mant, int(exp))
    return s


def _paren(tex: str) -> str:
    return r"\left(%s\right)" % tex if tex.startswith("-") or "\\" in tex else tex


def _value(expr: sp.Expr, vals: dict) -> sp.Expr:
    """Exact when sympy can keep it exact, else a float from a forward evaluation."""
    v = expr.xreplace(vals)
    if v.is_Number:
        return v
    return sp.Float(evaluate(expr, lambda s: float(vals[s]), {}), 15)


def start_values(net: Network) -> tuple[dict, list[str]]:
    """Parameter values: the spec's, or a seeded random start (tenths in [-1, 1], never 0)."""
    given = net.spec.values.params
    rng = random.Random(0)
    out, rand = {}, []
    for p in net.params:
        if p in given:
            out[p] = number(given[p])
        else:
            out[p] = sp.Rational(rng.choice([-1, 1]) * rng.randint(1, 10), 10)
            rand.append(p)
    return out, rand


def worked_example(d: Derivation, params: list[str]) -> Example | None:
    net = d.net
    vals_spec = net.spec.values
    if vals_spec is None:
        return None
    L = net.latex_names
    params_v, rand = start_values(net)
    vals: dict = {}
    given = []
    for n in net.nodes.values():
        if n.leaf:
            v = params_v.get(n.name) if n.kind == "param" else number(
                (vals_spec.inputs if n.kind == "input" else vals_spec.targets)[n.name])
            vals[n.symbol] = v
            given.append(Eq((L[n.symbol], num_latex(v))))
    shown = {s: _paren(num_latex(v)) for s, v in vals.items()}

    def line(lhs: str, expr: sp.Expr, sym: sp.Symbol) -> Eq:
        v = vals[sym] = _value(expr, vals)
        parts = [lhs, net.latex(expr)]
        if not expr.is_Symbol:
            parts.append(sp.latex(expr, symbol_names={**L, **shown}, mul_symbol="dot"))
        parts.append(num_latex(v))
        shown[sym] = _paren(num_latex(v))
        return Eq(tuple(parts))

    forward = tuple(line(L[n.symbol], n.expr, n.symbol) for n in net.nodes.values() if not n.leaf)
    deltas = tuple(line(L[dl.symbol], dl.expr, dl.symbol) for dl in d.deltas.values())
    lr = number(vals_spec.learning_rate) if vals_spec.learning_rate is not None else sp.Rational(1, 10)
    alpha = num_latex(lr)
    grads, updates = [], []
    for p in params:
        g = sp.Symbol("grad_" + p)
        grads.append(line(leibniz(net, net.loss, p), d.gradient(p).delta_form, g))
        ps = L[net.symbol(p)]
        new = vals[net.symbol(p)] - lr * vals[g]
        updates.append(Eq((ps + "(t+1)", ps + r"(t) - \alpha " + leibniz(net, net.loss, p),
                           r"%s - %s \cdot %s" % (shown[net.symbol(p)], _paren(alpha), shown[g]),
                           num_latex(new))))
    return Example(tuple(given), tuple(L[net.symbol(p)] for p in rand), alpha,
                   vals_spec.learning_rate is not None, forward, deltas, tuple(grads), tuple(updates))
