"""Bishop's notation (Pattern Recognition and Machine Learning, §5.3), read as derive's own (``presets.read_as``).

    a_j = \\sum_i w_{ji} x_i + w_{j0}, z_j = h(a_j), y_k = \\sum_j w_{kj} z_j + w_{k0}, \\delta_k = y_k - t_k,
    \\delta_j = h'(a_j) \\sum_k w_{kj} \\delta_k, \\partial E_n / \\partial w_{ji} = \\delta_j z_i.

For a network of two layers the index letter says the layer: i an input, j a hidden unit, k an output.  So
a_j, a_k are derive's z^{(1)}_j, z^{(2)}_k; z_j is a^{(1)}_j and z_i the input x_i; y_k the output a^{(2)}_k and
t_k the target y_k; \\delta_j, \\delta_k the deltas of the two layers; w_{ji}, w_{kj} (or w^{(1)}_{ji},
w^{(2)}_{kj}) the weights W^{(1)}, W^{(2)}, with w_{j0}, w_{k0} the biases; E_n the one pattern's error J;
h(a_j) and h'(a_j) the hidden layer's own activation and its derivative (g, never a guessed sigmoid).  With
any other number of layers the letters do not say the layer, and the text is read as it is written.
"""
from __future__ import annotations

import re

_LAYER = {"i": 0, "j": 1, "k": 2}
_UNIT = re.compile(r"(?<![A-Za-z\\])(\\delta|[azyt])_(?:\{\s*([ijk])\s*\}|([ijk]))(?![A-Za-z0-9])(\s*\^)?")
_WEIGHT = re.compile(r"(?<![A-Za-z\\])w(?:\^\s*\{\s*\(\s*([12])\s*\)\s*\})?_\{\s*([jk])\s*,?\s*([ijk0])\s*\}"
                     r"(?:\^\s*\{\s*\(\s*([12])\s*\)\s*\})?")
_ERROR = re.compile(r"(?<![A-Za-z\\])E_(?:\{\s*n\s*\}|n)(?![A-Za-z0-9])")
_H = re.compile(r"(?<![A-Za-z\\])h('?)\s*\(")


def _unit(m: re.Match) -> str:
    base, index, power = m.group(1), m.group(2) or m.group(3), m.group(4)
    layer = _LAYER[index]
    if base == "\\delta":
        out = f"\\delta^{{({layer})}}_{index}" if layer else ""
    elif base == "a":
        out = f"z^{{({layer})}}_{index}" if layer else ""
    elif base == "z":
        out = f"a^{{({layer})}}_{index}" if layer else f"x_{index}"
    elif base == "y":
        out = f"a^{{(2)}}_{index}" if layer == 2 else ""
    else:                                                       # t_k: the target, derive's y_k
        out = f"y_{index}" if layer == 2 else ""
    if not out:
        return m.group(0)
    return f"({out}){power}" if power else out                  # z_j^2: (a^{(1)}_j)^2


def _weight(m: re.Match) -> str:
    to, frm = m.group(2), m.group(3)
    layer = m.group(1) or m.group(4) or str(_LAYER[to])
    return f"b^{{({layer})}}_{to}" if frm == "0" else f"W^{{({layer})}}_{{{to}{frm}}}"


def bishop(text: str, layers: int | None) -> str:
    if layers not in (None, 2):
        return text
    text = _ERROR.sub("J", text)
    text = _WEIGHT.sub(_weight, text)
    text = _UNIT.sub(_unit, text)
    return _H.sub(lambda m: "g" + m.group(1) + "(", text)


__all__ = ["bishop"]
