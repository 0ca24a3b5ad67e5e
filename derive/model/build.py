"""Networks from a spec file, a bundled example or a list of layer sizes."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import SpecError
from .graph import Network
from .spec import from_dict, load_spec


def load(path_or_name: str | Path = "seed002") -> Network:
    """Load a spec file (YAML/JSON) or a bundled example by name (``"seed001"``)."""
    return Network(load_spec(path_or_name))


def mlp(sizes: Iterable[int], activation: str = "sigmoid", loss: str = "half_sse", *,
        output_activation: str | None = None, bias: str | None = None,
        notation: str | None = None, name: str | None = None) -> Network:
    """Build a layered network from layer sizes, e.g. ``mlp([2, 2, 2])``.

    Args:
        sizes: input count, then the unit count of every layer.
        activation: hidden layers' activation; ``output_activation`` defaults to it.
        loss: half_sse | sse | mse | bce | ce.
        bias: None, "per-unit" or "shared" for every layer.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise SpecError("sizes", "expected the input count and at least one layer size")
    layers = [{"units": n, "activation": activation} for n in sizes[1:]]
    layers[-1]["activation"] = output_activation or activation
    for L in layers:
        if bias:
            L["bias"] = bias
    spec = {"name": name or "-".join(map(str, sizes)) + f" {activation} network", "inputs": sizes[0],
            "layers": layers, "loss": loss}
    if notation:
        spec["notation"] = notation
    return Network(from_dict(spec, "mlp-" + "-".join(map(str, sizes))))
