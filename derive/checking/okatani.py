"""Okatani's notation (岡谷貴之『深層学習』, and the Japanese lectures that follow it), read as derive's own.

    u^{(l)} = W^{(l)} z^{(l-1)} + b^{(l)}, z^{(l)} = f(u^{(l)}), z^{(0)} = x, y = z^{(L)}, E = 1/2 ||y - d||^2,
    \\delta^{(l)}_j = \\partial E / \\partial u^{(l)}_j, \\partial E / \\partial w^{(l)}_{ji} = \\delta^{(l)}_j z^{(l-1)}_i.

His u (the total input, 総入力) is derive's z, his z (the unit's output) derive's a, with z^{(0)} the input x; y is
the network's output a^{(L)} and d the target (derive's y); f is the layer's own activation g.  Layers are numbered
as derive's (W^{(l)} maps layer l-1 to l); E, the error function, is the spec's loss.
"""
from __future__ import annotations

import re

_SUP = r"\^\s*\{\s*\(\s*([^{}()]*?)\s*\)\s*(\\top|\\intercal|T)?\s*\}"
_LAYERED = re.compile(r"(\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(?<![A-Za-z\\])([uzwW])(\s*\}\s*)?" + _SUP)
_OUT = re.compile(r"(\\(?:mathbf|boldsymbol|bm)\s*\{\s*)([yd])(\s*\})(?!\s*\^)|(?<![A-Za-z\\{])()([yd])()(?![A-Za-z]|\s*\^)")
_F = re.compile(r"(?<![A-Za-z\\])f(?=\s*'?\s*\()")
_E = re.compile(r"(?<![A-Za-z\\])E(?![A-Za-z_(])")          # his error function E: the spec's loss


def _layered(m: re.Match, last: str) -> str:
    bold, letter, close, layer, top = m.group(1) or "", m.group(2), m.group(3) or "", m.group(4), m.group(5) or ""
    if letter == "z" and layer.strip() == "0":
        return f"{bold}x{close}" if bold else "x"
    name = {"u": "z", "z": "a", "w": "W", "W": "W"}[letter]
    return f"{bold}{name}{close}^{{({layer}){top}}}"


def _out(m: re.Match, last: str) -> str:
    bold, letter, close = m.group(1) or "", m.group(2) or m.group(5), m.group(3) or ""
    if letter == "d":
        return f"{bold}y{close}"
    return f"{bold}a{close}^{{({last})}}"


def okatani(text: str, layers: int | None = None) -> str:
    last = str(layers) if layers else "L"
    out = []
    for line in text.split("\n"):
        if "$" not in line and "\\" not in line:
            out.append(line)
            continue
        line = _LAYERED.sub(lambda m: _layered(m, last), line)
        line = _OUT.sub(lambda m: _out(m, last), line)
        out.append(_E.sub("J", _F.sub("g", line)))
    return "\n".join(out)


__all__ = ["okatani"]
