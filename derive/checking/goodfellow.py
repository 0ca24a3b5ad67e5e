"""Goodfellow, Bengio & Courville's notation (Deep Learning, ch. 6.5), read as derive's own (``presets.read_as``).

    a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)}, h^{(k)} = f(a^{(k)}), h^{(0)} = x, \\hat{y} = h^{(l)}: their a is the
    pre-activation (derive's z), their h the activation (derive's a); W^{(k)} and b^{(k)} feed layer k, as in
    derive.  Their generic layer is k and their last layer l: derive's l and L.  \\nabla_{X} J is
    \\frac{\\partial J}{\\partial X}, L(\\hat{y}, y) the loss J, f and f' the layer's own activation and its derivative
    (g, g': never a guessed sigmoid).

    The algorithm's running gradient ``g \\leftarrow \\nabla_{a^{(k)}} J = g \\odot f'(a^{(k)})`` is read as it is
    meant: the right side's g is the gradient the last assignment named, and from there on g (and g_i) is
    \\nabla_{a^{(k)}} J (its entry i).  The head ``g \\leftarrow`` itself states no equality and is dropped.
"""
from __future__ import annotations

import re

_LAYER_SUP = re.compile(r"\^\s*\{\s*\(\s*([kl])\s*(?:([+-])\s*(\d+))?\s*\)")
_UNIT = re.compile(r"(?<![A-Za-z\\])([ah])(?=\^\s*\{\s*\()")
_NABLA = re.compile(r"\\nabla_")
_LOSS = re.compile(r"(?<![A-Za-z\\])L\s*\(\s*\\hat\{y\}\s*,\s*y\s*\)")
_F = re.compile(r"(?<![A-Za-z\\])f('?)\s*\(")
_HEAD = re.compile(r"(?<![A-Za-z\\])g\s*(?:\\leftarrow|\\gets|←|:=)\s*(?=\\frac\{\\partial J\}\{\\partial )")
_G = re.compile(r"(?<![A-Za-z\\])g(?:_\{?([A-Za-z0-9])\}?)?(?![A-Za-z'(\\])")


def _group(s: str, at: int) -> int:
    """The end of the brace group (or single token) starting at ``at``."""
    if at < len(s) and s[at] == "{":
        depth = 0
        for i in range(at, len(s)):
            depth += {"{": 1, "}": -1}.get(s[i], 0)
            if depth == 0:
                return i + 1
        return len(s)
    m = re.match(r"\\[A-Za-z]+|.", s[at:])
    return at + (len(m.group(0)) if m else 0)


def _nabla(line: str) -> str:
    """``\\nabla_{X} J`` as ``\\frac{\\partial J}{\\partial X}`` (X any brace group)."""
    out, i = [], 0
    for m in _NABLA.finditer(line):
        if m.start() < i:
            continue
        end = _group(line, m.end())
        of = re.match(r"\s*J(?![A-Za-z_(])", line[end:])
        if not of:
            continue
        wrt = line[m.end():end]
        wrt = wrt[1:-1] if wrt.startswith("{") else wrt
        out += [line[i:m.start()], "\\frac{\\partial J}{\\partial " + wrt + "}"]
        i = end + of.end()
    return "".join(out) + line[i:]


def _layers(m: re.Match) -> str:
    letter = "l" if m.group(1) == "k" else "L"             # their k: every layer; their l: the last
    shift = f"{m.group(2)}{m.group(3)}" if m.group(2) else ""
    return f"^{{({letter}{shift})"


def _named(line: str) -> str | None:
    """The X of an assignment ``g \\leftarrow \\frac{\\partial J}{\\partial X}`` in ``line``, if it has one."""
    head = _HEAD.search(line)
    if not head:
        return None
    below = head.end() + len("\\frac{\\partial J}")             # the group {\\partial X}
    return line[below + len("{\\partial "):_group(line, below) - 1].strip()


_GENERIC = re.compile(r"\^\{\(l[+-]?")
_BEFORE = re.compile(r"\^\{\(l-1\)")


def _running(line: str, current: str | None, later: list[str]) -> tuple[str, str | None]:
    """``g`` in ``line`` as the gradient it stands for; the gradient an assignment in it names, for what follows.

    In the loop over layers (a line with their k, derive's l), g at the top of an iteration is what the loop's
    last assignment, ``g \\leftarrow \\nabla_{h^{(k-1)}} J``, named one iteration before: \\nabla_{h^{(k)}} J (for
    k = l, \\nabla_{\\hat{y}} J).  Without such an assignment g is left as written (unread, never guessed)."""
    named = _named(line)
    if named is not None:
        line = _HEAD.sub("", line, count=1)
    meant = current
    if current is not None and _GENERIC.search(line) and not _GENERIC.search(current):
        loop = next((x for x in (_named(x) for x in later) if x and _BEFORE.search(x)), None)
        meant = _BEFORE.sub("^{(l)", loop) if loop else None

    def use(m: re.Match) -> str:
        if meant is None:
            return m.group(0)
        entry = f"_{m.group(1)}" if m.group(1) else ""
        return "\\frac{\\partial J}{\\partial " + meant + entry + "}"
    return _G.sub(use, line), (named if named is not None else current)


def goodfellow(text: str) -> str:
    lines = []
    for line in text.split("\n"):
        line = _LAYER_SUP.sub(_layers, line)
        line = _UNIT.sub(lambda m: "z" if m.group(1) == "a" else "a", line)
        line = _LOSS.sub("J", line)
        line = _nabla(line)
        lines.append(_F.sub(lambda m: "g" + m.group(1) + "(", line))      # the layer's own activation
    out, current = [], None
    for i, line in enumerate(lines):
        line, current = _running(line, current, lines[i + 1:])
        out.append(line)
    return "\n".join(out)


__all__ = ["goodfellow"]
