"""Break a long equation into aligned lines at ``=`` and at the top-level ``+`` and ``-`` of a sum.

A line holds about ``budget`` glyphs (what a 1000 px page or an A4 column shows); a coloured path
term ``{\\color{blue} ...}`` too long for one line is broken inside, each piece keeping its colour.
"""
from __future__ import annotations

import re

_COLOUR = re.compile(r"\{\\color\{([a-z]+)\} ")


def glyphs(latex: str) -> float:
    """Rough printed width in glyphs: commands, braces and spaces count nothing, scripts 0.6."""
    s = re.sub(r"\\(left|right|color\{[a-z]+\}|quad|cdot|top)", " ", latex)
    s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: max(m.group(1), m.group(2), key=len), s)
    script = sum(len(x) for x in re.findall(r"[_^]\{([^{}]*)\}", s))
    s = re.sub(r"\\[A-Za-z]+", "x", s)
    plain = len(re.sub(r"[{}\s_^]", "", s))
    return plain - 0.4 * script


def _group_end(s: str, i: int) -> int:
    """Index just past the brace group that opens at ``s[i] == '{'``."""
    depth = 0
    for k in range(i, len(s)):
        if s[k] == "{":
            depth += 1
        elif s[k] == "}":
            depth -= 1
            if depth == 0:
                return k + 1
    return len(s)


def terms(latex: str) -> list[str]:
    """``latex`` cut before each top-level `` + `` and `` - `` (outside braces and \\left..\\right)."""
    out, start, depth, i = [], 0, 0, 0
    while i < len(latex):
        if latex.startswith(r"\left", i):
            depth += 1
            i += 5
            continue
        if latex.startswith(r"\right", i):
            depth -= 1
            i += 6
            continue
        c = latex[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif depth == 0 and i > start and latex.startswith((" + ", " - "), i):
            out.append(latex[start:i])
            start = i + 1
        i += 1
    out.append(latex[start:])
    return [t.strip() for t in out if t.strip()]


def _pieces(part: str, budget: float) -> list[str]:
    """The terms of ``part``, a long coloured group opened into its own coloured terms."""
    out = []
    for t in terms(part):
        sign, body = (t[:2], t[2:]) if t.startswith(("+ ", "- ")) else ("", t)
        m = _COLOUR.match(body)
        if m and _group_end(body, 0) == len(body) and glyphs(body) > budget:
            inner = terms(body[m.end():-1])
            if len(inner) > 1:
                colour = m.group(1)
                out += [sign + r"{\color{%s} %s}" % (colour, inner[0])]
                out += [r"%s {\color{%s} %s}" % (x[0], colour, x[2:]) for x in inner[1:]]
                continue
        out.append(t)
    return out


def aligned(parts: tuple[str, ...], budget: float) -> list[tuple[str, str]]:
    """(left, right) lines: ``parts[0]`` on the left of the first line; on the right the other parts,
    each opened by ``=``, packed greedily into lines of ``budget`` glyphs, broken at ``=`` or at a
    sum's top-level ``+``/``-`` (continuation lines open with ``\\quad``)."""
    pieces = []
    for part in parts[1:]:
        ps = _pieces(part, budget * 0.8)
        pieces += ["= " + ps[0]] + ps[1:]
    lines, current = [], ""
    for piece in pieces:
        if current and glyphs(current + " " + piece) > budget:
            lines.append(current)
            current = piece if piece.startswith("=") else r"\quad " + piece
        else:
            current = (current + " " + piece) if current else piece
    lines.append(current)
    return [(parts[0] if k == 0 else "", line) for k, line in enumerate(lines)]
