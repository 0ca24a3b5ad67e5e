"""The one seeded start: parameter values for the notes' worked example, ``train`` and ``export``."""
from __future__ import annotations

import math
import random

from .graph import Network


def start_values(net: Network, seed: int = 0) -> dict[str, object]:
    """Every parameter's starting value: the spec's own number (kept exact), else a seeded draw.

    Each weight or bias not given draws uniform(-1/sqrt(fan-in), +1/sqrt(fan-in)); a graph
    parameter draws uniform(-1, 1). A draw is made for every parameter, in spec order, so giving
    one value never shifts the others.
    """
    rng = random.Random(seed)
    given = net.spec.values.params if net.spec.values else {}
    fan_in = fan_ins(net.spec)
    out = {}
    for p in net.params:
        r = 1.0 / math.sqrt(fan_in.get(p, 1))
        draw = rng.uniform(-r, r)
        out[p] = given[p] if p in given else draw
    return out


def fan_ins(spec) -> dict[str, int]:
    """Each weight's and bias's fan-in (the inputs of its unit), which scales its random start."""
    fan_in: dict[str, int] = {}
    for L in spec.layers:
        for row in L.weights:
            for w in row:
                fan_in[w] = len(row)
        for b in L.biases:
            if b:
                fan_in[b] = len(L.weights[0])
    return fan_in


def random_params(net: Network) -> list[str]:
    """The parameters :func:`start_values` draws at random (the spec gives no value)."""
    given = net.spec.values.params if net.spec.values else {}
    return [p for p in net.params if p not in given]
