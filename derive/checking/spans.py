"""Where the math of a document is, row by row: ``$..$``, ``$$..$$``, ``\\[..\\]``, ``\\(..\\)``, equation/align
environments (also inside ``$$``, as Markdown writers put them), rows split at ``\\\\``, Markdown quote marks
(``> $$``) and code fences blanked, statements apart (``x_1 = 0.05,\\quad x_2 = 0.1``; ``\\Rightarrow``).
A chain is what one ``a = b = c`` says; every row keeps its own source line.
"""
from __future__ import annotations

import re

from . import tables

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
# Math openers; each closer is then found with str.find, remembered per kind, so that a document full
# of unclosed openers costs linear time (one regex for the whole span was quadratic: 96 KB took 68 s).
_OPENER = re.compile(r"\$\$?|\\\[|\\\(|\\begin\{(equation|align|gather|eqnarray|multline|dmath|flalign)(\*?)\}")
_BRACE_INDEX = re.compile(r"(?<![A-Za-z\\])([A-Za-z])\{(\d+)\}")     # y{1}: a typo for y_{1}
_CONTINUES = re.compile(r"^(&|\s|\\q?quad\b)*(=|\+|-|\\cdot\b|\\times\b|\\approx\b)")   # an aligned row going on
_ENDS_OPEN = re.compile(r"(=|\+|-|\\cdot|\\times|\\approx|\(|\\left\(|\\leftarrow|\\gets|:=)\s*$")
_DROP = re.compile(r"\\(label|tag)\{[^}]*\}|\\nonumber|\\notag")
_QUOTE = re.compile(r"^[ \t]*>(?:[ \t]?>)*[ \t]?", re.M)          # Markdown quote marks: > $$ ... $$
# an environment nested in display math ($$\begin{align} ... \end{align}$$, \begin{equation}\begin{split}):
# its markers are blanked and its rows read as an align's
_INNER_ENV = re.compile(r"\\(?:begin|end)\{(?:align|aligned|alignat|alignedat|equation|split|gather|gathered|eqnarray"
                        r"|multline|flalign|dmath)\*?\}(?:\{\d+\})?")
_GRID = re.compile(r"\\begin\{([pbvBV]?matrix|smallmatrix|array|cases)\}.*?\\end\{\1\}", re.S)   # rows kept whole
_SPACE = r"(?:\\[,;:!> ]|\\q?quad\b|~|\s)*"
_AND = re.compile(_SPACE + r"\\(?:text|textrm|mbox|mathrm)\s*\{\s*(?:and|or)\s*\}" + _SPACE)
_LEADS = re.compile(r"\\(?:Rightarrow|implies|Longrightarrow|therefore|iff|Leftrightarrow)(?![A-Za-z])")


def _blank(m: re.Match) -> str:
    return re.sub(r"[^\n]", " ", m.group(0))


def _rows(body: str) -> list[str]:
    """A display body split at its ``\\\\`` row breaks (never inside a matrix, array or cases)."""
    kept = _GRID.sub(lambda m: m.group(0).replace("\\\\", "\0\0"), body)
    return [r.replace("\0\0", "\\\\") for r in re.split(r"(\\\\)", kept)]



class _Math:
    """One math span, answering the few ``re.Match`` questions ``equations`` asks."""

    def __init__(self, kind: str, start: int, body_start: int, body_end: int, end: int, text: str, env=None):
        self.kind, self._start, self._body, self._end = kind, start, (body_start, body_end), end
        self._groups = {kind: text[body_start:body_end], "env": env}

    def group(self, name: str):
        return self._groups.get(name)

    def start(self, name: str | None = None) -> int:
        return self._body[0] if name else self._start

    def end(self) -> int:
        return self._end


class _Finder:
    """``text.find(needle, at)`` for increasing ``at``, each needle's last answer reused: linear overall."""

    def __init__(self, text: str):
        self.text, self.last = text, {}

    def find(self, needle: str, at: int) -> int:
        seen = self.last.get(needle)
        if seen is not None and seen[0] <= at and (seen[1] == -1 or at <= seen[1]):
            return seen[1]
        found = self.text.find(needle, at)
        self.last[needle] = (at, found)
        return found


def _math_spans(text: str):
    """The math of ``text`` left to right, as the regex ``$$..$$ | \\[..\\] | \\begin{env}..\\end{env} |
    \\(..\\) | $..$`` (bodies non-empty, inline ``$..$`` within one line) would find it, in linear time."""
    f = _Finder(text)
    at = 0
    while True:
        m = _OPENER.search(text, at)
        if m is None:
            return
        p, o = m.start(), m.group(0)
        span = None
        if o == "$$":
            q = f.find("$$", p + 3)
            if q != -1:
                span = _Math("d", p, p + 2, q, q + 2, text)
        elif o.startswith("\\begin"):
            close = "\\end{%s%s}" % (m.group(1), m.group(2))
            q = f.find(close, m.end() + 1)
            if q != -1:
                span = _Math("e", p, m.end(), q, q + len(close), text, env=m.group(1))
        elif o in ("\\[", "\\("):
            close = "\\]" if o == "\\[" else "\\)"
            q = f.find(close, p + 3)
            if q != -1:
                span = _Math("b" if o == "\\[" else "p", p, p + 2, q, q + 2, text)
        if span is None and o.startswith("$") and text[p + 1:p + 2] not in ("", "$", "\n"):
            q, nl = f.find("$", p + 1), f.find("\n", p + 1)
            if q != -1 and (nl == -1 or q < nl):
                span = _Math("i", p, p + 1, q, q + 1, text)
        if span is None:
            at = p + 1
            continue
        yield span
        at = span.end()


def chains(text: str) -> list[tuple[int, str, tuple]]:
    """The math chains of a document as (line, LaTeX, rows): rows are (offset, line) where each
    source row of the chain starts, so every step can be reported at its own line."""
    text = tables.rewrite(_QUOTE.sub(_blank, _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)))
    out: list[list] = []          # [line, latex, end offset, kind, rows]
    counted, lines = 0, 1         # newlines counted up to offset ``counted``: linear, not per match

    def line_at(offset: int) -> int:
        nonlocal counted, lines
        if offset >= counted:
            lines += text.count("\n", counted, offset)
        else:
            lines -= text.count("\n", offset, counted)
        counted = offset
        return lines

    for m in _math_spans(text):
        group = next(g for g in ("d", "b", "p", "i", "e") if m.group(g) is not None)
        body_at = m.start(group) + len(m.group(group)) - len(m.group(group).lstrip())
        line = line_at(body_at)
        inline = m.group("i") is not None
        raw = m.group(group)
        if m.group("e") is not None or (group in "db" and ("\\\\" in raw or "\\begin{" in raw)):
            first = line_at(m.start(group))
            body, at = _INNER_ENV.sub(_blank, raw), 0
            for row in _rows(body):
                row_line, at = first + body.count("\n", 0, at), at + len(row)
                r = " ".join(_DROP.sub("", row).split())
                if not r or r == "\\\\":
                    continue
                row_line += row[:len(row) - len(row.lstrip())].count("\n")
                cells = _cells(r)
                if len(cells) >= 3:       # align with several equations per row: A &= B & C &= D
                    for k in range(0, len(cells), 2):
                        out.append([row_line, " ".join(cells[k:k + 2]), m.end(), "cell", [(0, row_line)]])
                    continue
                if out and out[-1][3] == "env" and out[-1][2] == m.end() and (
                        _CONTINUES.match(r) or _ENDS_OPEN.search(out[-1][1])):
                    out[-1][4].append((len(out[-1][1]) + 1, row_line))
                    out[-1][1] += " " + r
                else:
                    out.append([row_line, r, m.end(), "env", [(0, row_line)]])
            continue
        body = " ".join(m.group(group).split())
        gap = text[out[-1][2]:m.start()] if out else "x"
        joins = bool(_ENDS_OPEN.search(out[-1][1]) or _CONTINUES.match(body) or body.startswith(")")) if out else False
        if inline and out and out[-1][3] == "inline" and not gap.strip() and gap.count("\n") < 2 and joins:
            # one equation split over $...$ pieces of one paragraph: a piece ending in an operator, or the next
            # starting with one (two complete equations side by side stay two)
            out[-1][1] += " " + body
            out[-1][2] = m.end()
        else:
            out.append([line, body, m.end(), "inline" if inline else "display", [(0, line)]])
    return [(line, _BRACE_INDEX.sub(r"\1_{\2}", _DROP.sub("", body)), tuple(rows)) for line, body, _, _, rows in out]


def _cells(row: str) -> list[str]:
    """An aligned row split at its top-level ``&`` (not ``\\&``)."""
    cells, depth, cur = [], 0, []
    row = _GRID.sub(lambda m: m.group(0).replace("&", "\0"), row)     # a matrix's own columns are no cells
    for i, ch in enumerate(row):
        depth += ch in "{"
        depth -= ch in "}"
        if ch == "&" and depth == 0 and (i == 0 or row[i - 1] != "\\"):
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    cells.append("".join(cur))
    return [c.replace("\0", "&") for c in cells]


def equations(text: str) -> list[tuple[int, str]]:
    """The math chains of a document as (line, LaTeX), adjacent inline pieces joined."""
    return [(line, latex) for line, latex, _ in chains(text)]


def equals_at(latex: str) -> list[int]:
    """Offsets of the top-level '=' (and \\approx) of a chain."""
    out, depth = [], 0
    for i, ch in enumerate(latex):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and (ch in "=≈" or latex.startswith("\\approx", i)):
            out.append(i)
    return out


def line_at(rows: tuple, offset: int) -> int:
    return [line for at, line in rows if at <= offset][-1]


def statements(latex: str) -> list[str]:
    """``x_1 = 0.05,\\quad x_2 = 0.1``: equalities listed with top-level commas or semicolons, apart (a spacing
    ``\\,`` or ``\\;`` never separates); ``\\Rightarrow``, ``\\implies``, ``\\therefore`` start a new statement."""
    out = []
    for piece in _LEADS.split(latex):
        words = _AND.split(piece)                  # d2l: a = 1 \; \textrm{and} \; b = 1, two statements
        for piece in (words if len(words) > 1 and all("=" in w for w in words) else [piece]):
            if "=" in piece or "\\approx" in piece or not piece.strip():
                out += [p for p in _listed(piece) if p]
    return out or [latex]


def _listed(latex: str) -> list[str]:
    pieces, depth, cur = [], 0, []
    for i, ch in enumerate(latex):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch in ",;" and depth == 0 and not (i and latex[i - 1] == "\\"):
            pieces.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    pieces.append("".join(cur))
    pieces = [re.sub(r"^\s*(\\q?quad|\\text\{\s*and\s*\})\s*", "", p).strip() for p in pieces]
    pieces = [re.sub(r"(?<=[^\d\s])\s*[.,;]$", "", p) for p in pieces]     # the sentence's full stop: \sigma'(z).
    pieces = [p for p in pieces if p]
    if len(pieces) > 1 and all("=" in p for p in pieces):
        return pieces
    return [re.sub(r"(?<=[^\d\s])\s*[.,;]$", "", latex.strip())]
