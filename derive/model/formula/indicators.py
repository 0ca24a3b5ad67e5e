"""Comparisons read as indicators, as texts and code write relu's derivative: ``(z > 0)`` (NumPy's mask),
``[z > 0]`` (Iverson's bracket), ``\\mathbb{1}[z > 0]``, ``\\mathbb{1}_{z > 0}``, ``\\mathbf{1}(z > 0)``,
``\\mathbb{I}\\{z > 0\\}``, ``\\left[ z > 0 \\right]``.  Each becomes ``step(a - b)``: 1 where a > b, else 0
(``a < b`` is ``b > a``).  ``>=`` and ``\\geq`` are read the same way: the two differ only where a = b,
where relu has no derivative.  A comparison must be all of its bracket; anywhere else (``z > 0`` alone, a
chain ``0 < z < 1``, mismatched brackets) it is refused in one line.

The text is rewritten before it is tokenized, so a formula reads exactly as if ``step(...)`` had been
typed.  Bounded: at most ``MAX_COMPARISONS`` per formula, each a linear scan.
"""
from __future__ import annotations

import re

from ...errors import FormulaError

MAX_COMPARISONS = 100
_CMP = re.compile(r">=|<=|\\g(?:eq?|t)(?![A-Za-z])|\\l(?:eq?|t)(?![A-Za-z])|[><≥≤]")
_GREATER = (">", ">=", "≥", "\\gt", "\\ge", "\\geq")
_CLOSE = {"(": ")", "[": "]", "{": "}", "\\{": "\\}"}
# what texts put before the bracket: \mathbb{1}, \mathbf 1, \mathds{1}, \mathbb{I}, 𝟙 (NFKC: 1), a bare 1 or I
_PREFIX = re.compile(r"(?:\\(?:mathbb|mathbf|mathds|boldsymbol|mathrm)\s*(?:\{\s*[1I]\s*\}|[1I])"
                     r"|(?<![A-Za-z0-9_}\\])[1I])\s*(?:_\s*)?$")
_LEFT = re.compile(r"\\(?:left|bigl?|Bigl?|biggl?|Biggl?)\s*$")
_RIGHT = re.compile(r"\\(?:right|bigr?|Bigr?|biggr?|Biggr?)\s*")


def has_comparison(s: str) -> bool:
    return _CMP.search(s) is not None


def indicators(s: str, latex: bool) -> str:
    """``s`` with every bracketed comparison written as ``step(...)`` (LaTeX: ``\\operatorname{step}``)."""
    for _ in range(MAX_COMPARISONS + 1):
        m = _CMP.search(s)
        if m is None:
            return s
        start, opener = _opener(s, m.start())
        end, closer_end = _closer(s, m.end(), opener)
        right = s[m.end():end]
        if _CMP.search(right):
            raise FormulaError(f"a chain of comparisons at column {m.start() + 1}: write one, like (z > 0)")
        left = s[start + len(opener):m.start()]
        a, b = (left, right) if m.group(0) in _GREATER else (right, left)
        if not a.strip() or not b.strip():
            raise FormulaError(f"a comparison needs two sides at column {m.start() + 1}, like (z > 0)")
        left_cmd = _LEFT.search(s[:start])                     # \left[ ... \right]
        begin = left_cmd.start() if left_cmd else start
        prefix = _PREFIX.search(s[:begin])
        if prefix:
            begin = prefix.start()
        diff = f"{a} - ({b})" if b.strip() != "0" else a
        s = s[:begin] + (f"\\operatorname{{step}}\\left({diff}\\right)" if latex else f"step({diff})") + s[closer_end:]
    raise FormulaError(f"more than {MAX_COMPARISONS} comparisons in one formula")


def _opener(s: str, at: int) -> tuple[int, str]:
    """The position and text of the bracket the comparison at ``at`` is in."""
    depth = 0
    for i in range(at - 1, -1, -1):
        c = s[i]
        if c in ")]}":
            depth += 1
        elif c in "([{":
            if depth == 0:
                return (i - 1, "\\{") if c == "{" and i > 0 and s[i - 1] == "\\" else (i, c)
            depth -= 1
    raise FormulaError(f"a comparison is read only as an indicator, in brackets: (z > 0), [z > 0] or "
                       f"\\mathbb{{1}}[z > 0] (column {at + 1})")


def _closer(s: str, at: int, opener: str) -> tuple[int, int]:
    """(where the comparison's right side ends, where its closing bracket ends)."""
    depth = 0
    for i in range(at, len(s)):
        c = s[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth:
                depth -= 1
                continue
            end = i - 1 if c == "}" and s[i - 1] == "\\" else i
            right = _RIGHT.search(s, max(0, end - 12), end)
            inner_end = right.start() if right and right.end() == end else end
            if s[end:i + 1] != _CLOSE[opener]:
                raise FormulaError(f"the bracket {opener} closes with {s[end:i + 1]} at column {i + 1}")
            return inner_end, i + 1
    raise FormulaError(f"the bracket {opener} around a comparison is never closed")
