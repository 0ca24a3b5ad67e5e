"""Names and bias kinds of a layered network's layers in the generated matrix code."""
from __future__ import annotations

from ..errors import DeriveError


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
