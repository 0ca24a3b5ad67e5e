"""What a derivation's report says it read, as data for a page: the network a text's forward pass determined
(no spec), which of the text's own names were bound to which network quantity (with a spec), and how a preset
notation rewrote the text's symbols.  The command line says the same in words (``DerivationReport.read``,
each definition step's note); these are the same facts, structured, so a page can set each name as maths.
"""
from __future__ import annotations

import math
import re

import sympy as sp

KINDS = {"pre": "weighted sum", "act": "activation", "param": "parameter", "input": "input", "loss": "loss",
         "delta": "delta", "node": "quantity"}
_ACTIVATIONS = {"sigmoid": lambda t: 1 / (1 + math.exp(-t)), "tanh": math.tanh, "ReLU": lambda t: max(t, 0.0)}
_PROBES = (-1.3, -0.2, 0.45, 2.1)


def activation(expr: sp.Expr, of: sp.Symbol) -> str:
    """``expr`` as a function of one quantity ``of``: the activation it is (sigmoid, tanh, ReLU), else ''.
    Decided numerically at a few points (1/(1+e^{-x}) and sigmoid(x) are the same activation)."""
    from .numbers import walk
    from ..model.rules import relu, sigmoid, step
    funcs = {sigmoid: _ACTIVATIONS["sigmoid"], sp.exp: math.exp, sp.log: math.log, sp.tanh: math.tanh,
             relu: _ACTIVATIONS["ReLU"], step: lambda t: float(t > 0), sp.Abs: abs}
    for name, f in _ACTIVATIONS.items():
        try:
            if all(abs(walk(expr, {of: x}, funcs, float, math.fsum, math.prod) - f(x)) < 1e-12 for x in _PROBES):
                return name
        except (ValueError, OverflowError, ZeroDivisionError, KeyError, TypeError):
            return ""
    return ""


def _role(expr: sp.Expr, nodes: set, leaves: set) -> str:
    """A quantity's role in the network read from a text: a weighted sum of earlier values (affine in them, its
    weights parameters), an activation of one quantity, or '' (the formula says what it is)."""
    free = expr.free_symbols
    if len(free & nodes) == 1 and not (free - nodes):
        (of,) = free & nodes
        if act := activation(expr, of):
            return act
    square = expr.as_coeff_Mul()[1]
    if square.is_Pow and square.exp == 2 and len(sp.Add.make_args(square.base)) == 2:
        return "squared error"
    terms = sp.Add.make_args(sp.expand(expr))
    if len(terms) > 1 and free & leaves and all(_product(t) for t in terms):
        return "weighted sum"
    return ""


def _product(term: sp.Expr) -> bool:
    """A weighted sum's term: a value (a bias), or a number times two different values (a weight and an input)."""
    rest = term.as_coeff_Mul()[1]
    factors = sp.Mul.make_args(rest)
    return rest.is_Symbol or (len(factors) == 2 and all(f.is_Symbol for f in factors))


def network_read(tn, c) -> dict:
    """The network a text's forward pass determined (``textgraph.TextNetwork``; ``c`` its ``Checker``): inputs and
    parameters with their values (solved from the text's numbers, or none), each quantity with the formula it was
    read as and its role (weighted sum, sigmoid, ...), the loss, the learning rate.  Names are the text's LaTeX."""
    from fractions import Fraction
    net = c.net
    values = {**tn.values, **tn.solved}
    named = lambda k: tn.names.get(k, k)            # noqa: E731
    num = lambda v: int(v) if isinstance(v, Fraction) and v.denominator == 1 else float(v)  # noqa: E731

    def leaf(k):
        return {"name": named(k), "value": num(values[k]) if k in values else None, "solved": k in tn.solved}
    leaves = [k for k in tn.leaves if k in net.nodes]
    params = [k for k in leaves if tn.is_param(k)]
    inputs = [k for k in leaves if k not in params]
    node_syms = {net.nodes[k].symbol for k in tn.nodes if k in net.nodes}
    leaf_syms = {net.nodes[k].symbol for k in leaves}
    generalised = dict(tn.generalised)
    units = []
    for k in tn.ordered():
        if k not in net.nodes or net.nodes[k].expr is None:
            continue
        expr = net.nodes[k].expr
        units.append({"name": named(k), "formula": c.latex(expr), "line": tn.lines.get(k, 0) or None,
                      "role": "loss" if k == tn.output else _role(expr, node_syms, leaf_syms),
                      "generalised_from": named(generalised[k]) if k in generalised else None})
    return {"inputs": [leaf(k) for k in inputs], "params": [leaf(k) for k in params], "units": units,
            "loss": named(tn.output) if tn.output else None,
            "learning_rate": num(tn.rate) if tn.rate is not None else None}


_DEFINES = re.compile(r"defines (?P<name>.+?)(?:: the network's \$(?P<latex>.+)\$ \((?P<kind>[\w ]+)\))?")


def bindings(steps) -> list[dict]:
    """Each name a text defined (a definition step), and the network quantity it was bound to: ``{"name",
    "latex", "kind", "line"}``; ``latex`` None for a local definition (it matches no quantity of the network)."""
    out, seen = [], set()
    for s in steps:
        m = _DEFINES.fullmatch(s.note or "") if s.status == "definition" else None
        if m is None or m["name"] in seen:
            continue
        seen.add(m["name"])
        out.append({"name": m["name"], "latex": m["latex"], "kind": KINDS.get(m["kind"], m["kind"]) if m["kind"]
                    else "local definition", "line": s.line})
    return out


# a symbol with sub- and superscripts in either order (w^l_{jk}, \delta^{(2)}_1, a_j^l), or a preset's own forms
_SYMBOL = re.compile(r"(?:\\[A-Za-z]+|[A-Za-z])(?:\s*[_^]\s*(?:\{(?:[^{}]|\{[^{}]*\})*\}|\\?[A-Za-z0-9]))+"
                     r"|\\nabla_\{?a\}?\s*C|\\nabla_\{[^{}]*\{[^{}]*\}[^{}]*\}\s*J|J\s*\(\s*W\s*,\s*b[^)]*\)"
                     r"|f'\s*\(|(?<![A-Za-z\\{])C(?![A-Za-z_(])")
MAX_SYMBOLS = 40


def preset_symbols(preset: str | None, text: str, layers: int | None = None) -> list[dict]:
    """The text's symbols that ``preset`` reads as derive's own (``w^l_{jk}`` -> ``W^{(l)}_{jk}``), each once, in
    the text's order: ``{"name", "latex", "kind": "<preset>'s notation"}``.  The rewriting is the checker's
    (``presets.read_as``), applied to each symbol alone."""
    from .presets import read_as
    if preset in (None, "", "ng", "mazur"):
        return []
    out, seen = [], set()
    for m in _SYMBOL.finditer(text):
        written = m.group(0).strip()
        if written in seen:
            continue
        seen.add(written)
        read = read_as(preset, written, layers=layers)
        if read != written:
            out.append({"name": written.rstrip("( "), "latex": read.rstrip("( "), "kind": f"{preset}'s notation",
                        "line": text.count("\n", 0, m.start()) + 1})
            if len(out) >= MAX_SYMBOLS:
                break
    return out


__all__ = ["activation", "bindings", "network_read", "preset_symbols"]
