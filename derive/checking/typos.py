"""A side that does not parse because of one slip of the pen, read as it was meant -- only when that is unambiguous.

    (w^{l+1})^T \\delta^{l+1}) \\odot \\sigma'(z^l)     one ')' more than '(' (Nielsen's BP2 copied)
    \\frac{\\partial C}{w^l_{jk}}                     a derivative whose denominator lacks its \\partial (BP4)

Each slip has more than one mend (the stray ')' dropped, or its '(' put at the side's start); the side is read
as meant only when every mend that parses gives the same value.  The step is then wrong as written, and its
note says what the slip is and what the mended step is (``mended``): a typo is flagged, never silently fixed,
and a right step is never called wrong for what it means.  A parenthesis could belong in many places, so a
step that its two mends do not make right is left unchecked, with why; a missing \\partial has one place.
"""
from __future__ import annotations

import re

from ..errors import DeriveError

_FRAC = re.compile(r"\\[dt]?frac\s*\{\s*(\\partial|d)\s*([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}\s*\{")


def _unmatched(text: str) -> tuple[list[int], list[int]]:
    """Positions of the ')' that close nothing and the '(' never closed (``\\left(`` counts as '(')."""
    opens, stray = [], []
    for i, ch in enumerate(text):
        if ch == "(":
            opens.append(i)
        elif ch == ")":
            if opens:
                opens.pop()
            else:
                stray.append(i)
    return stray, opens


def mends(text: str) -> list[tuple[str, str]]:
    """(mended side, the slip in words) for each single repair of ``text``; [] when there is no such slip."""
    out = []
    stray, unclosed = _unmatched(text)
    if len(stray) == 1 and not unclosed:
        i = stray[0]
        what = f"one ')' more than '(' (the parentheses do not balance: '{text[:i + 1].strip()[-40:]}')"
        out += [(text[:i] + text[i + 1:], what), ("(" + text, what)]
    elif len(unclosed) == 1 and not stray:
        i = unclosed[0]
        what = f"a '(' never closed (the parentheses do not balance: '{text[i:].strip()[:40]}')"
        out += [(text[:i] + text[i + 1:], what), (text + ")", what)]
    for m in _FRAC.finditer(text):
        start = m.end()
        depth, j = 1, start
        while j < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[j], 0)
            j += 1
        below = text[start:j - 1]
        if depth or re.match(r"\s*(\\partial|d(?![a-zA-Z]))", below) or not below.strip():
            continue
        out.append((text[:start] + m.group(1) + " " + text[start:],
                    f"the derivative's denominator {{{below.strip()}}} lacks its {m.group(1)} "
                    f"(d{m.group(2).strip()}/d{below.strip()} meant)"))
    return out


def mended(text: str, parse, same) -> tuple[object, str] | None:
    """``(value, slip)``: ``text`` read through its one slip when every mend that parses (``parse``) gives the
    same value (``same(a, b)``); None when there is no slip, no mend parses, or two mends disagree."""
    got, what = [], ""
    for fixed, slip in mends(text):
        try:
            v = parse(fixed)
        except (DeriveError, ValueError, TypeError):     # a mend that does not parse either: not a reading
            continue
        if v is None:
            continue
        if what and slip != what:     # two different slips: no one reading
            return None
        got.append(v)
        what = slip
    if not got:
        return None
    first = got[0]
    return (first, what) if all(same(first, v) for v in got[1:]) else None


def flagged(status: str, note: str, slip: str) -> tuple[str, str]:
    """The verdict on a step read through a slip: wrong as written; what the mended step is, in the note."""
    if status == "correct":
        return "wrong", f"the text's error as written: {slip}; with it mended the step is right"
    if status == "wrong" and "do not balance" in slip:    # its mends are two of many places for the parenthesis
        return "unchecked", (f"as written, {slip}; mended by dropping it (or by one at the side's end) the step is "
                             "not right, and where the missing parenthesis belongs is not determined")
    if status == "wrong":
        return "wrong", f"the text's error as written: {slip}; and even mended it is wrong" + (f": {note}" if note else "")
    return "unchecked", f"{slip}; mended, it is not checked: {note}"


__all__ = ["flagged", "mended", "mends"]
