"""The notes as data: every equation a lecturer shows, built from the derivation, in textbook order."""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from ..derivation.derivation import Derivation
from ..model.graph import Network
from .eqs import COLOUR_HEX, COLOURS, Eq, M, coloured, leibniz, linear_tex, shown_layer, tex, update_eq  # noqa: F401
from .example import worked_example
from .matrix import batch_form, matrix_form

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
    nodes: str              # LaTeX: x \to y \to ... \to L
    names: tuple[str, ...]  # the same nodes by name (the diagram lights them)
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
    direct: Eq | None              # None when too long to print (a large network): its size and the proof say it
    direct_linear: str             # the same right side as a / b with plain brackets (LaTeX appendix)
    proven: bool
    points: int
    error: str
    method: str = "exact"           # how it was proven: "exact" | "randomized" (derivation.proof)
    bound: str = ""                 # randomized: the certified chance of a wrong "proven", as LaTeX
    direct_size: int = 0            # operations in the direct derivative (counted up to DIRECT_LIMIT + 1)
    paths_folded: bool = False      # more paths than PATHS_SHOWN: the chain rule in delta form, not path by path


@dataclass(frozen=True)
class Notes:
    title: str
    slug: str
    preset: str
    loss: str                    # LaTeX of the loss symbol
    loss_kind: str               # spec loss name (half_sse, bce, ...)
    symbols: tuple[Row, ...]
    layers: tuple[tuple[int, str, tuple[Eq, ...]], ...]   # (layer as printed, activation, equations)
    graph_nodes: tuple[Eq, ...]
    loss_eq: Eq
    batch: tuple[Eq, ...]        # the cost over m examples and its gradient (not per-example maths)
    params: tuple[ParamBlock, ...]
    omitted: tuple[str, ...]     # LaTeX of the trainable parameters these notes leave out
    matrix: tuple[tuple[str, int, tuple[Eq, ...]], ...]    # ("output"|"hidden", layer, equations)
    example: "object | None"     # example.Example
    large: bool = False          # past LARGE parameters: the layer (matrix) form first, a sample worked in full


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
            key, args = "kind_" + n.kind, {"l": shown_layer(net, n.layer), "i": n.index}
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


DIRECT_LIMIT = 400    # operations: a longer direct derivative is not printed (8-8-8-3's first weight: ~100,000)
PATHS_SHOWN = 12      # paths worked one by one; more are summed by the delta form (and lit on the diagram)
LARGE = 30            # parameters: a larger network's notes lead with the layer (matrix) form


def size(expr, limit: int = DIRECT_LIMIT) -> int:
    """Operations (tree nodes) in a SymEngine or sympy expression, counted up to ``limit + 1``."""
    count, todo = 0, [expr]
    while todo and count <= limit:
        e = todo.pop()
        count += 1
        todo.extend(e.args)
    return count


def _param_block(d: Derivation, p: str) -> ParamBlock:
    net = d.net
    g = d.gradient(p)
    folded = len(g.paths) > PATHS_SHOWN
    L = net.latex_names
    dLdp = leibniz(net, net.loss, p)
    paths, locals_, seen = [], [], set()
    for k, q in enumerate(g.paths):
        colour = COLOURS[k % len(COLOURS)] if 1 < len(g.paths) <= PATHS_SHOWN else ""
        lz = " ".join(leibniz(net, f.upper, f.lower) for f in q.factors)
        val = tex(net, q.product)
        if colour:
            lz, val = coloured(lz, colour), coloured(val, colour)
        nodes = r" \to ".join(L[net.symbol(n)] for n in q.nodes)
        paths.append(PathBlock(k + 1, colour, nodes, tuple(q.nodes), Eq((lz, val))))
        if folded:
            continue
        for f in q.factors:
            if (f.upper, f.lower) not in seen:
                seen.add((f.upper, f.lower))
                locals_.append(Eq((leibniz(net, f.upper, f.lower), tex(net, f.value))))
    if paths and not folded:
        chain = Eq((dLdp, " + ".join(pb.eq.parts[0] for pb in paths)))
    else:
        chain = Eq((dLdp, " + ".join(_term_leibniz(d, t) for t in g.terms) or "0"))
    path_sum = Eq((dLdp, " + ".join(pb.eq.parts[1] for pb in paths))) if 1 < len(paths) <= PATHS_SHOWN else None
    delta_form = Eq((dLdp, " + ".join(_term_leibniz(d, t) for t in g.terms) or "0",
                     tex(net, g.delta_form)))
    defs = tuple(Eq((L[d.deltas[n].symbol], leibniz(net, net.loss, n), tex(net, d.deltas[n].expr)))
                 for n in _deltas_below(d, g.terms))
    result = Eq((dLdp, tex(net, d.in_nodes(p))))
    ops = size(d.direct.gradient(p))
    direct, linear = None, ""
    if ops <= DIRECT_LIMIT:          # printed only when short; a long one is its size and the proof line
        direct_expr = d.direct.sympy_gradient(p)
        direct_expr = direct_expr.xreplace({s: net.symbol(s.name) for s in direct_expr.free_symbols})
        direct, linear = Eq((dLdp, tex(net, direct_expr))), linear_tex(net, direct_expr)
    proof = d.proof(p)
    err = "0" if proof.numeric_max_error == 0 else "< 10^{-8}"   # the prover's own threshold
    return ParamBlock(p, L[net.symbol(p)], g.path_count, update_eq(net, p), chain, tuple(paths),
                      path_sum, tuple(locals_), delta_form, defs, result,
                      direct, linear, proof.proven, proof.points, err, proof.method,
                      "" if proof.method == "exact" else "< 2^{%d}" % math.floor(proof.bound_log2),
                      ops, folded)


def _forward(d: Derivation):
    net, L = d.net, d.net.latex_names
    layers, graph = [], []
    for n in net.nodes.values():
        if n.kind in ("pre", "act"):
            shown = shown_layer(net, n.layer)
            if not layers or layers[-1][0] != shown:
                layers.append((shown, net.spec.layers[n.layer - 1].activation, []))
            layers[-1][2].append(Eq((L[n.symbol], tex(net, n.expr))))
        elif n.kind == "node":
            graph.append(Eq((L[n.symbol], tex(net, n.expr))))
    loss = net.nodes[net.loss]
    return (tuple((l, a, tuple(eqs)) for l, a, eqs in layers), tuple(graph),
            Eq((L[loss.symbol], tex(net, loss.expr))))


def default_params(net: Network, limit: int = 16) -> list[str]:
    """Every trainable parameter, or for a large network the first weight and bias of each layer."""
    if len(net.trainable) <= limit:
        return list(net.trainable)
    picks = []
    for layer in net.spec.layers:
        picks += [layer.weights[0][0]] + [b for b in layer.biases[:1] if b]
    return [p for p in dict.fromkeys(picks) if p in net.trainable] or list(net.trainable[:limit])


def build(d: Derivation, params: list[str] | None = None) -> Notes:
    """The notes' content for ``params`` (default: every trainable parameter, or a named sample)."""
    net = d.net
    todo = list(params) if params else default_params(net)
    for p in todo:
        d.gradient(p)   # a DeriveError naming the trainable parameters if p is not one
    blocks = tuple(_param_block(d, p) for p in todo)
    if len(net.trainable) > LARGE:      # a large network: each delta defined once, where it is first used
        seen: set = set()
        kept = []
        for b in blocks:
            defs = tuple(e for e in b.delta_defs if e.parts[0] not in seen)
            seen.update(e.parts[0] for e in defs)
            kept.append(replace(b, delta_defs=defs))
        blocks = tuple(kept)
    omitted = tuple(net.latex_names[net.symbol(p)] for p in net.trainable if p not in todo)
    used = _deltas_below(d, [t for p in todo for t in d.gradient(p).terms])
    layers, graph, loss_eq = _forward(d)
    return Notes(net.spec.name, net.spec.slug, net.notation.preset, net.latex_names[net.symbol(net.loss)],
                 net.spec.loss, _symbols(d, used), layers, graph, loss_eq, batch_form(net), blocks,
                 omitted, matrix_form(net), worked_example(d, todo), len(net.trainable) > LARGE)
