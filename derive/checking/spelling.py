"""Say what a name that is not the one wanted is, in one line: another notation preset's name for a
symbol of this network (``theta2_11`` where the spec writes Ng's ``W^{(2)}_{11}``), a node given where a
parameter is wanted, or close matches among the known names (never the whole list).
"""
from __future__ import annotations

import re
from functools import lru_cache

from ..errors import choices
from ..model.graph import Network
from ..model.naming import PRESETS, notation

KIND = {"input": "an input", "target": "a target", "act": "a unit's output", "pre": "a pre-activation",
        "node": "a node of the graph", "delta": "a delta", "loss": "the loss", "lr": "the learning rate"}


def loose(text: str) -> str:
    """A spelling with the marks that vary between notations removed: ``\\theta^{(2)}_{11}`` -> theta211."""
    return re.sub(r"[_{}()\[\]\\^\s,]", "", text)


@lru_cache(maxsize=8)
def _elsewhere(net: Network) -> dict[str, list[tuple[str, str]]]:
    """Loose spelling in another preset -> [(preset, this network's name)], for a layered network."""
    spec, out = net.spec, {}
    if not spec.layers:
        return out
    n_layers = len(spec.layers)
    for preset in PRESETS:
        if preset == net.notation.preset:
            continue
        nota = notation(preset)
        pairs = [(nota.input(i), x) for i, x in enumerate(spec.inputs, 1)]
        pairs += [(nota.target(k), t) for k, t in enumerate(spec.targets, 1)]
        first = 1
        for li, layer in enumerate(spec.layers, 1):
            shared = len(set(layer.biases)) == 1 and len(layer.biases) > 1
            for j, unit in enumerate(layer.units, 1):
                theirs = nota.unit(li, n_layers, j, first)
                pairs += [(theirs, unit), (nota.pre(li, n_layers, j, theirs), layer.pres[j - 1])]
                pairs += [(nota.weight(li, j, i, first + j - 1, len(layer.units)), w)
                          for i, w in enumerate(layer.weights[j - 1], 1)]
                if layer.biases[j - 1]:
                    pairs.append((nota.bias(li, None if shared else j), layer.biases[j - 1]))
            first += len(layer.units)
        for theirs, ours in pairs:
            for key in {loose(theirs), loose(nota.latex(theirs))}:
                if (preset, ours) not in out.setdefault(key, []):
                    out[key].append((preset, ours))
    return out


def other_notation(net: Network, text: str) -> str | None:
    """"theta2_11 is the theta notation's name; ..." when ``text`` names a symbol here in another preset."""
    found = _elsewhere(net).get(loose(text), [])
    ours = list(dict.fromkeys(o for _, o in found))
    if not ours or len(ours) > 2:
        return None
    presets = " and ".join(dict.fromkeys(p for p, _ in found))
    here = " or ".join(f"{net.latex(net.nodes[o].symbol)} ({o})" for o in ours)
    return (f"{text} is a name in the {presets} notation; this spec uses the {net.notation.preset} notation, "
            f"where it is {here}")


def not_a_parameter(net: Network, text: str, sym=None, kind: str | None = None) -> str:
    """One line for a --param that is not a parameter: what the symbol ``sym`` it names is instead
    (its ``kind``), or what was meant."""
    params = list(net.trainable)
    if sym is not None and kind in KIND:
        like = _param_near(net, sym.name) or params[0]
        return (f"{net.latex(sym)} is {KIND[kind]}, not a parameter: the gradient is checked for "
                f"a weight or bias, like {net.latex(net.nodes[like].symbol)} ({like})")
    return other_notation(net, text) or f"{text} is not a parameter; " + choices(text, params, "parameters")


def _param_near(net: Network, name: str) -> str | None:
    """A trainable parameter that feeds node ``name`` within two steps (the weights into its unit)."""
    frontier = [name]
    for _ in range(2):
        frontier = [i for n in frontier if n in net.nodes for i in net.nodes[n].inputs]
        hit = [i for i in frontier if i in net.trainable]
        if hit:
            return hit[0]
    return None


__all__ = ["KIND", "loose", "not_a_parameter", "other_notation"]
