"""Haykin's notation (Neural Networks and Learning Machines, ch. 4), read as derive's own (``presets.read_as``).

    v_j(n) = \\sum_i w_{ji}(n) y_i(n), y_j(n) = \\varphi_j(v_j(n)), e_j(n) = d_j(n) - y_j(n),
    \\mathcal{E}(n) = \\frac{1}{2} \\sum_{j \\in C} e_j^2(n), \\delta_j(n) = -\\partial \\mathcal{E}(n) / \\partial v_j(n),
    \\delta_j(n) = e_j(n) \\varphi_j'(v_j(n)) (output), \\delta_j(n) = \\varphi_j'(v_j(n)) \\sum_k \\delta_k(n) w_{kj}(n) (hidden),
    \\Delta w_{ji}(n) = \\eta \\delta_j(n) y_i(n), w_{ji}(n+1) = w_{ji}(n) + \\Delta w_{ji}(n).

The iteration index (n) is dropped (in a line with (n+1) it is the step: w(n) the weight before it, w(n+1) after).
Neuron j is in any layer l, i in the layer before it and k in the one after, so a line holds for every l (each
is tried); a line with an error signal e_j, a desired response d_j or an output o_j is about an output neuron j
(j in the last layer L, i in L-1; with e_k, k in L, j in L-1).  His v is derive's z, his y (and o) its a, d the target (derive's y),
e_j = d_j - y_j, \\mathcal{E}(n) the spec's loss J, \\varphi_j the neuron's own activation g.  His local gradient
is the NEGATIVE of derive's: \\delta_j is read as (-\\delta^{(l)}_j).  His correction \\Delta w_{ji}(n) is the update
-\\eta \\partial J / \\partial w_{ji}, \\eta the learning rate (a symbol: the step holds for every \\eta).  The
logistic's slope a is 1 only where the text says a = 1 (derive's sigmoid has slope 1); otherwise it stays unread.
"""
from __future__ import annotations

import re

_IDX = r"(?:\{\s*([ijk])\s*\}|([ijk]))"
_N = r"\s*\(\s*n\s*\)"
_STEP = re.compile(r"(w_\{\s*[ijk]\s*,?\s*[ijk]\s*\}|w_[ijk][ijk])\s*\(\s*n\s*(\+\s*1\s*)?\)")
_DROP = re.compile(r"(?<=[A-Za-z0-9}'])" + _N)
_COST = re.compile(r"\\(?:mathcal|mathscr)\s*\{\s*E\s*\}|\\mathscr\s+E|(?<![A-Za-z\\{])E(?=\s*\(\s*n\s*\))")
_DELTA_W = re.compile(r"\\Delta\s*(w_\{\s*[ijk]\s*,?\s*[ijk]\s*\}|w_[ijk][ijk])(?:" + _N + ")?")
_PHI = re.compile(r"\\(?:varphi|phi)(?:_\{?\s*[ijk]\s*\}?)?\s*(')?(?:_\{?\s*[ijk]\s*\}?)?\s*(')?\s*(?=\(|\\left\s*\()")
_SUM = re.compile(r"\\sum_\{\s*([ijk])\s*(?:=\s*1\s*\}\s*\^\s*(?:\{\s*m(?:_\s*\{?\d\}?)?\s*\}|m)|\\in\s*C\s*\})")
_UNIT = re.compile(r"(?<![A-Za-z\\])(\\delta|[vyodeb])_" + _IDX + r"(?![A-Za-z0-9])(\s*\^\s*(?:\{\s*2\s*\}|2))?")
_WEIGHT = re.compile(r"(?<![A-Za-z\\])w_(?:\{\s*([ijk])\s*,?\s*([ijk0])\s*\}|([ijk])([ijk0]))")   # w_{ji}: to j, from i
# \sum_{i=0}^{m} w_{ji} y_i: the bias is the weight w_{j0} of the fixed input y_0 = +1
_BIAS_SUM = re.compile(r"\\sum_\{\s*i\s*=\s*0\s*\}\s*\^\s*(?:\{\s*m(?:_\s*\{?\d\}?)?\s*\}|m)\s*(w_\{\s*j\s*,?\s*i\s*\}|w_ji)\s*(y_\{?\s*i\s*\}?)(?![A-Za-z0-9_^])")
_SLOPE_IS_ONE = re.compile(r"(?<![A-Za-z\\])a\s*=\s*1(?![0-9.])")
_SLOPE = re.compile(r"(?<![A-Za-z\\])a(?![A-Za-z_^]|\s*=)")
_OUTPUT_LINE = re.compile(r"(?<![A-Za-z\\])[edo]_\{?\s*([ijk])(?![A-Za-z0-9])")


def _layers(line: str) -> dict[str, str]:
    """The layer of each index letter in this line: j in l (any layer), i in l-1, k in l+1; where the line has an
    error signal, a desired response or an output (e_k, d_j, o_j) that letter's neuron is an output, in L."""
    outputs = set(_OUTPUT_LINE.findall(line))
    if len(outputs) > 1:
        return {}
    if outputs:
        top = "ijk".index(outputs.pop())
        return {c: "L" + (f"-{top - n}" if top > n else "") for n, c in enumerate("ijk"[:top + 1])}
    return {"i": "l-1", "j": "l", "k": "l+1"}


def _unit(m: re.Match, layer: dict[str, str]) -> str:
    base, index, square = m.group(1), m.group(2) or m.group(3), m.group(4) or ""
    if index not in layer:
        return m.group(0)
    at = layer[index]
    out = {"v": f"z^{{({at})}}_{index}", "y": f"a^{{({at})}}_{index}", "o": f"a^{{({at})}}_{index}",
           "b": f"b^{{({at})}}_{index}", "\\delta": f"(-\\delta^{{({at})}}_{index})"}.get(base)
    if base in "de" and at != "L":                 # a target or an error of a neuron that is not an output
        return m.group(0)
    if base == "d":
        out = f"y_{index}"
    elif base == "e":
        out = f"(y_{index} - a^{{({at})}}_{index})"
    return out + square


def _weight(m: re.Match, layer: dict[str, str]) -> str:
    to, frm = m.group(1) or m.group(3), m.group(2) or m.group(4)
    if frm == "0" and to in layer:                # w_{j0}: the bias b_j
        return f"b^{{({layer[to]})}}_{to}"
    if to not in layer or frm not in layer:
        return m.group(0)
    return f"W^{{({layer[to]})}}_{{{to}{frm}}}"


def _line(line: str, slope_one: bool) -> str:
    if slope_one:
        line = _SLOPE.sub("1", line)
    stepped = re.search(r"\(\s*n\s*\+\s*1\s*\)", line) is not None
    line = _DELTA_W.sub(lambda m: "\\left(-\\eta \\frac{\\partial J}{\\partial " + m.group(1) + "}\\right)", line)
    if stepped:                                   # w_{ji}(n+1) = w_{ji}(n) + ...: the values after and before the step
        line = _STEP.sub(lambda m: m.group(1) + ("(t+1)" if m.group(2) else "(t)"), line)
    line = _DROP.sub("", line)
    line = _COST.sub("J", line)
    line = _PHI.sub(lambda m: "g'" if (m.group(1) or m.group(2)) else "g", line)
    line = _BIAS_SUM.sub(lambda m: f"\\sum_i {m.group(1)} {m.group(2)} + b_j", line)
    line = _SUM.sub(lambda m: "\\sum_" + m.group(1), line)
    layer = _layers(line)
    line = _WEIGHT.sub(lambda m: _weight(m, layer), line)
    return _UNIT.sub(lambda m: _unit(m, layer), line)


def haykin(text: str, layers: int | None = None) -> str:
    """``text`` in derive's notation (``layers``, the network's last layer, is put for L by ``read_as``)."""
    slope_one = _SLOPE_IS_ONE.search(text) is not None
    out = []
    for line in text.split("\n"):
        out.append(_line(line, slope_one) if ("$" in line or "\\" in line) else line)
    return "\n".join(out)


__all__ = ["haykin"]
