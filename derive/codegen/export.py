"""``derive export``: write a network's compiled gradients as a standalone, readable NumPy module."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import safeio
from .compile import compile
from ..errors import DeriveError
from ..model.graph import Network


def module_source(net: Network, seed: int = 0) -> str:
    """The generated module (imports only numpy) plus START, the starting parameter values."""
    c = compile(net, fused=False)          # plain NumPy: no C kernels in an exported module
    start = c.start(seed)
    lines = ["", "", "",
             "# Starting values: the spec's values, a seeded random start (seed %d) for the rest." % seed,
             "START = {"]
    for k, v in start.items():
        text = repr(np.asarray(v).tolist())
        lines.append(f'    "{k}": np.array({text}),' if np.ndim(v) else f'    "{k}": {float(v)!r},')
    lines.append("}")
    return c.source.rstrip("\n") + "\n".join(lines) + "\n"


def export(net: Network, path: str | Path, seed: int = 0) -> Path:
    """Write the module for ``net`` to ``path`` (a .py file) and return the path."""
    p = Path(path)
    if p.suffix != ".py":
        raise DeriveError(f"{p}: the exported module must be a .py file")
    safeio.check_writable(p)
    return safeio.write_atomic(p, module_source(net, seed))
