"""Equations written for a generic layer, ``W^{(l)} = W^{(l)} - \\alpha \\frac{\\partial J}{\\partial W^{(l)}}``
(seed 003), ``\\delta^{[l]} = W^{[l+1]T} \\delta^{[l+1]} \\odot g'(z^{[l]})``, ``\\delta^{(L)}``: the layer
index ``l`` (``l+1``, ``l-1``) stands for every layer where all the symbols exist, ``L`` for the last one.
"""
from __future__ import annotations

import re

_INDEX = re.compile(r"(\^\s*\{\s*)([(\[])\s*([lL])\s*(?:([+-])\s*(\d{1,2}))?\s*([)\]])")


def has_layer_index(text: str, letters: str = "lL") -> bool:
    return any(m.group(3) in letters for m in _INDEX.finditer(text))


def at_layer(text: str, l: int, last: int) -> str:
    """``text`` with the layer index ``l`` (and ``L``, the last layer) replaced by numbers."""
    def number(m: re.Match) -> str:
        base = l if m.group(3) == "l" else last
        shift = int(m.group(5) or 0) * (-1 if m.group(4) == "-" else 1)
        return f"{m.group(1)}{m.group(2)}{base + shift}{m.group(6)}"
    return _INDEX.sub(number, text)


__all__ = ["at_layer", "has_layer_index"]
