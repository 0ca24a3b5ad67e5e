"""Hagan et al.'s notation (Neural Network Design, ch. 11), read as derive's own (``presets.read_as``).

    n^m = W^m a^{m-1} + b^m, a^m = f^m(n^m), a^0 = p, a = a^M, \\hat{F} = (t - a)^T (t - a),
    s^m = \\partial \\hat{F} / \\partial n^m, s^M = -2 \\dot{F}^M(n^M)(t - a), s^m = \\dot{F}^m(n^m)(W^{m+1})^T s^{m+1},
    W^m(k+1) = W^m(k) - \\alpha s^m (a^{m-1})^T, b^m(k+1) = b^m(k) - \\alpha s^m.

Hagan numbers the layers as derive does (layer 1 is the first after the input, W^1 maps the input to it), so
a layer superscript keeps its number; m and M are derive's l and L.  His net input n is derive's z, his
sensitivity s (of the performance index \\hat{F}, the spec's loss: his squared error has no 1/2, derive's
``sse``) is derive's \\delta; t is the target y, a bare a (``\\mathbf{a}``, ``a_i``) the output a^{(L)}, p the input x.
\\dot{\\mathbf{F}}^m(\\mathbf{n}^m), the diagonal matrix of the transfer functions' derivatives, times what follows
it is that derivative element-wise (``g'(z^{(l)}) \\odot (...)``, g the layer's own activation); \\dot{f}^m(n^m_i)
is one entry.  The iteration (k) after a weight is the step: (k+1) the value after it.
"""
from __future__ import annotations

import re

_L = r"(?:\d+|[mM]\s*(?:[+-]\s*\d+)?)"
_SUP = rf"\^\s*(?:\{{\s*({_L})\s*\}}|(\d|[mM]))"
_BOLD = re.compile(r"\\(?:mathbf|boldsymbol|bm)\s*\{\s*([WabnsFe])\s*\}" + rf"(?:{_SUP})?")
_PLAIN = re.compile(r"(?<![A-Za-z\\{])([wabns])" + _SUP + r"(?:\s*_\s*(\{[^{}]*\}|[A-Za-z0-9]))?")
_FDOT = re.compile(r"\\dot\s*\{\s*\\(?:mathbf|boldsymbol|bm)\s*\{\s*F\s*\}\s*\}" + _SUP + r"\s*\(\s*(\\mathbf\s*\{\s*n\s*\}"
                   + _SUP + r")\s*\)")
_FDOT_ONE = re.compile(r"\\dot\s*\{\s*f\s*\}" + _SUP + r"\s*\(\s*(n\s*" + _SUP + r"\s*(?:_\s*(?:\{[^{}]*\}|[A-Za-z0-9]))?)\s*\)")
# his transfer functions by name: logsig(n) the sigmoid, tansig tanh, poslin relu, purelin the identity
_TRANSFER = re.compile(r"(?:\\mathbf\s*\{\s*(logsig|tansig|poslin|purelin)\s*\}|(?<![A-Za-z\\])(logsig|tansig|poslin|purelin))"
                       r"(?=\s*(?:\\left)?\s*\()")
_FUNCTION = {"logsig": "\\sigma", "tansig": "\\tanh", "poslin": "\\operatorname{ReLU}", "purelin": ""}
_COST = re.compile(r"\\hat\s*\{\s*F\s*\}(?:\s*\(\s*\\mathbf\s*\{\s*x\s*\}\s*\))?")
_STEP = re.compile(r"(\\mathbf\{[Wb]\}\^\{\([^{}()]*\)\}|[Wb]\^\{\([^{}()]*\)\}_\{?[0-9a-z]+\}?)\s*\(\s*(?:k|0)\s*\)"
                   r"|(\\mathbf\{[Wb]\}\^\{\([^{}()]*\)\}|[Wb]\^\{\([^{}()]*\)\}_\{?[0-9a-z]+\}?)\s*\(\s*(?:k\s*\+\s*1|1)\s*\)")
_EXAMPLE = re.compile(r"(\\mathbf\s*\{\s*[tae]\s*\}(?:\^\{?T\}?)?)\s*\(\s*k\s*\)")   # t(k), a(k), e^T(k): this example's
_TRANSFER_OF = re.compile(r"\\mathbf\s*\{\s*f\s*\}" + _SUP + r"\s*(?=\()")     # f^{m+1}(...): the layer's own g
_OUTPUT = {"a": "a^{(L)}", "t": "y"}      # a_i, t_i: the output's and the target's entries


def _layer(text: str) -> str:
    t = re.sub(r"\s", "", text).replace("m", "l").replace("M", "L")
    return t


def _rest(text: str, start: int) -> int:
    """Where the side that goes on at ``start`` ends: a top-level =, a row or cell break, or the maths' end."""
    depth, i = 0, start
    while i < len(text):
        c = text[i]
        if c in "({[":
            depth += 1
        elif c in ")}]":
            if depth == 0:
                return i
            depth -= 1
        elif depth == 0 and (c in "=&$" or text.startswith("\\\\", i) or text.startswith("\\quad", i)):
            return i
        i += 1
    return i


def _fdot(line: str) -> str:
    """\\dot{\\mathbf{F}}^m(\\mathbf{n}^m) X: the derivative, element-wise, times the rest of its side."""
    while (m := _FDOT.search(line)) is not None:
        end = _rest(line, m.end())
        body = line[m.end():end].rstrip()
        tail = re.search(r"[.,;]*$", body).group(0)
        body = body[:len(body) - len(tail)]
        line = line[:m.start()] + f"g'({m.group(3)}) \\odot \\left({body}\\right){tail}" + line[m.start() + len(
            m.group(0)) + len(line[m.end():end].rstrip()):]
    return _FDOT_ONE.sub(lambda m: f"g'({m.group(3)})", line)


def _bold(m: re.Match, last: str) -> str:
    letter, layer = m.group(1), m.group(2) or m.group(3)
    if letter == "F":
        return m.group(0)
    if layer is None:              # a = a^M, and his error e = t - a
        return {"a": f"\\mathbf{{a}}^{{({last})}}", "e": f"(\\mathbf{{y}} - \\mathbf{{a}}^{{({last})}})"}.get(letter, m.group(0))
    if letter == "a" and layer.strip() == "0":
        return "\\mathbf{x}"
    name = {"n": "z", "s": "\\delta"}.get(letter, letter)
    bold = "\\boldsymbol" if letter == "s" else "\\mathbf"
    return f"{bold}{{{name}}}^{{({_layer(layer)})}}"


def _plain(m: re.Match) -> str:
    letter, layer, sub = m.group(1), m.group(2) or m.group(3), m.group(4)
    sub = re.sub(r"\s*,\s*", "", sub) if sub else ""
    if letter == "a" and layer.strip() == "0":
        return f"x_{sub}" if sub else "x"
    name = {"w": "W", "n": "z", "s": "\\delta"}.get(letter, letter)
    return f"{name}^{{({_layer(layer)})}}" + (f"_{sub}" if sub else "")


def _step(name: str, after: bool) -> str:
    """A weight at iteration k or k+1: an entry with (t) or (t+1); a whole layer's matrix bare, as derive's layer form
    writes an update (the left side of W = W - \\alpha ... is the value after the step)."""
    if name.startswith("\\mathbf"):
        return name
    return name + ("(t+1)" if after else "(t)")


def hagan(text: str, layers: int | None = None) -> str:
    """``text`` in derive's notation; ``layers``: the network's number of layers (M), for the bare output a."""
    last = str(layers) if layers else "L"
    out = []
    for line in text.split("\n"):
        line = _EXAMPLE.sub(lambda m: m.group(1), _fdot(line))
        line = _COST.sub("J", line).replace("\\equiv", "=")
        line = _BOLD.sub(lambda m: _bold(m, last), line)
        line = _PLAIN.sub(_plain, line)
        line = re.sub(r"\\mathbf\s*\{\s*t\s*\}", r"\\mathbf{y}", line).replace("\\mathbf{p}", "\\mathbf{x}")
        line = re.sub(r"(?<![A-Za-z\\{])([at])_(\{\s*[a-z]\s*\}|[a-z])(?![A-Za-z0-9^])",
                      lambda m: _OUTPUT[m.group(1)] + "_" + m.group(2), line)
        line = _STEP.sub(lambda m: _step(m.group(1) or m.group(2), not m.group(1)), line)      # (k), (0); (k+1), (1)
        line = _TRANSFER.sub(lambda m: _FUNCTION[m.group(1) or m.group(2)], line)
        line = _TRANSFER_OF.sub("g", line)
        out.append(line)
    return "\n".join(out)


__all__ = ["hagan"]
