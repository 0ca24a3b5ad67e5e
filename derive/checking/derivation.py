"""Check a whole hand derivation (Markdown or LaTeX): every equality of every chain, step by step.

Math is taken from ``$..$``, ``$$..$$``, ``\\[..\\]``, ``\\(..\\)`` and equation/align
environments; inline pieces separated only by spaces are one chain (seed 002 writes
``$A=$ $B$ $\\cdot C$``).  Each ``a = b = c`` is checked pair by pair with the spec's symbols;
``\\frac{\\partial E}{\\partial w_{11}}`` is the graph's derivative, and ``error(y_1)`` in a
numerator keeps the paths through y1.  An equality whose one side is a new bare name defines it
(``... = \\delta_{h}``).  Sides that cannot be read are reported, never guessed.
"""
from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass

import sympy as sp

from . import tables
from .batch import BatchReader
from .checker import Checker, Mistake, checker_for
from .lookup import LEARNING_RATE
from .steps import Reader, Side
from ..model.formula import split_equalities

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
# Math openers; each closer is then found with str.find, remembered per kind, so that a document full
# of unclosed openers costs linear time (one regex for the whole span was quadratic: 96 KB took 68 s).
_OPENER = re.compile(r"\$\$?|\\\[|\\\(|\\begin\{(equation|align|gather|eqnarray|multline|dmath|flalign)(\*?)\}")
_BRACE_INDEX = re.compile(r"(?<![A-Za-z\\])([A-Za-z])\{(\d+)\}")     # y{1}: a typo for y_{1}
_CONTINUES = re.compile(r"^(&|\s|\\q?quad\b)*(=|\+|-|\\cdot\b|\\times\b|\\approx\b)")   # an aligned row going on
_ASSIGN = re.compile(r"\\leftarrow\b|\\gets\b|\\coloneqq\b|:=|←")     # an update written as an assignment
_ENDS_OPEN = re.compile(r"(=|\+|-|\\cdot|\\times|\\approx|\(|\\left\(|\\leftarrow|\\gets|:=)\s*$")
_DROP = re.compile(r"\\(label|tag)\{[^}]*\}|\\nonumber|\\notag")


@dataclass(frozen=True)
class Step:
    """One equality ``left = right`` of a chain, where it is, and its verdict."""
    line: int
    left: str
    right: str
    status: str                       # correct | wrong | definition | given | unchecked
    diagnosis: tuple[Mistake, ...] = ()
    note: str = ""
    counterexample: dict | None = None


@dataclass(frozen=True)
class DerivationReport:
    steps: tuple[Step, ...]

    @property
    def checked(self) -> int:
        return sum(s.status in ("correct", "wrong") for s in self.steps)

    @property
    def first_wrong(self) -> Step | None:
        return next((s for s in self.steps if s.status == "wrong"), None)

    @property
    def correct(self) -> bool:
        return self.checked > 0 and self.first_wrong is None

    def to_dict(self) -> dict:
        steps = [asdict(s) | {"diagnosis": [asdict(m) for m in s.diagnosis]} for s in self.steps]
        first = self.first_wrong
        return {"correct": self.correct, "checked": self.checked, "steps": steps,
                "first_wrong": self.steps.index(first) if first else None}

    def __str__(self) -> str:
        count = {k: sum(s.status == k for s in self.steps)
                 for k in ("correct", "wrong", "definition", "given", "unchecked")}
        out = [f"{len(self.steps)} equalities: {count['correct']} correct, {count['wrong']} wrong, "
               f"{count['definition']} definitions, {count['given']} given values, {count['unchecked']} not checked"]
        for s in self.steps:
            eq = _short(f"{s.left} = {s.right}", 100)
            out.append(f"  line {s.line:>3}  {s.status:<10} {eq}" + (f"  ({_short(s.note, 80)})" if s.note else ""))
            out += [f"{'':18}- {m.message}" for m in s.diagnosis]
        first = self.first_wrong
        out.append(f"first wrong step: line {first.line}: {_short(first.left + ' = ' + first.right, 90)}"
                   if first else "no wrong step")
        return "\n".join(out)


def _short(s: str, n: int) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[:n - 3] + "..."


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
    text = tables.rewrite(_FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text))
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
        if m.group("e") is not None:
            first = line_at(m.start("e"))
            body, at = m.group("e"), 0
            for row in re.split(r"(\\\\)", body):
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
                if out and out[-1][3] == "env" and _CONTINUES.match(r):
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
    return [(line, _BRACE_INDEX.sub(r"\1_{\2}", body), tuple(rows)) for line, body, _, _, rows in out]


def _cells(row: str) -> list[str]:
    """An aligned row split at its top-level ``&`` (not ``\\&``)."""
    cells, depth, cur = [], 0, []
    for i, ch in enumerate(row):
        depth += ch in "{"
        depth -= ch in "}"
        if ch == "&" and depth == 0 and (i == 0 or row[i - 1] != "\\"):
            cells.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    cells.append("".join(cur))
    return cells


def equations(text: str) -> list[tuple[int, str]]:
    """The math chains of a document as (line, LaTeX), adjacent inline pieces joined."""
    return [(line, latex) for line, latex, _ in chains(text)]


def _equals_at(latex: str) -> list[int]:
    """Offsets of the top-level '=' (and \\approx) of a chain."""
    out, depth = [], 0
    for i, ch in enumerate(latex):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and (ch in "=≈" or latex.startswith("\\approx", i)):
            out.append(i)
    return out


def _line_at(rows: tuple, offset: int) -> int:
    return [line for at, line in rows if at <= offset][-1]


def statements(latex: str) -> list[str]:
    """``x_1 = 0.05,\\quad x_2 = 0.1``: equalities listed with top-level commas or semicolons, apart."""
    pieces, depth, cur = [], 0, []
    for ch in latex:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch in ",;" and depth == 0:
            pieces.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    pieces.append("".join(cur))
    pieces = [re.sub(r"^\s*(\\q?quad|\\text\{\s*and\s*\})\s*", "", p).strip() for p in pieces]
    pieces = [p for p in pieces if p]
    if len(pieces) > 1 and all("=" in p for p in pieces):
        return pieces
    return [latex]


def check_chain(c: Checker, reader: Reader, lines: list[int], parts: list[str], assigns: bool = False) -> list[Step]:
    """Steps for one chain a = b = c ... (step i at lines[i - 1]), updating the reader's definitions
    and stated values; ``assigns``: written ``a \\leftarrow b`` (or ``:=``), a gradient step."""
    sides = [reader.read(p) for p in parts]
    if not all(s.ok for s in sides):       # the layer form: W^{(2)}, \mathbf{a}^{(1)\top}, \odot
        from .matrix import matrix_steps
        steps = matrix_steps(c, reader, lines, parts, sides, Step)
        if steps is not None:
            return steps
    if not all(s.ok for s in sides):            # \delta_j = ...: an equation for every unit j
        from .indices import for_each_index
        each = for_each_index(c, reader, lines, parts, assigns, Step, _update_rule)
        if each is not None:
            return each
    _update_rule(reader, sides, assigns)
    if len(sides) == 2 and (v := reader.statement(*sides)) is not None:
        note = reader.example.state(sides[0].expr, v)
        return [Step(lines[0], parts[0], parts[1], "given", note=note)]
    steps = []
    for i in range(1, len(parts)):
        left, right, a, b = parts[i - 1], parts[i], sides[i - 1], sides[i]
        line = lines[i - 1]
        if not (a.ok and b.ok):
            known, new_side = (a, right) if a.ok else (b, left)
            name = reader.bare_new_name(new_side) if known.ok else None
            if name is not None:
                reader.define(name, known.expr)
                steps.append(Step(line, left, right, "definition", note=f"defines {name.text}"))
            else:
                steps.append(Step(line, left, right, "unchecked", note=a.error or b.error))
            continue
        j = reader.judge(a, b)
        mistakes: tuple = ()
        target = a.target or b.target or next((s.target for s in sides if s.target), None)
        if j.status == "wrong" and j.diagnosable and target and not (b.literals.text or a.literals.text):
            from .diagnose import diagnose
            lower, upper, through = target
            mistakes = diagnose(c, lower, b.expr, lower=lower, upper=upper, through=through)
        steps.append(Step(line, left, right, j.status, mistakes, j.note, j.counterexample))
    return steps


def _update_rule(reader: Reader, sides: list[Side], assigns: bool = False):
    """``W = W - \\alpha dJ/dW`` (or ``W \\leftarrow ...``, ``W := ...``): the left side is the parameter
    after the step."""
    if len(sides) < 2 or not (sides[0].ok and sides[1].ok):
        return
    p = sides[0].expr
    if p.is_Symbol and p.name in reader.c.net.trainable and (assigns or LEARNING_RATE in sides[1].expr.free_symbols
                                                            and p in sides[1].expr.free_symbols):
        reader.update(sides[0], p)


def _check_all(c: Checker, text: str) -> DerivationReport:
    reader = BatchReader(c)
    steps: list[Step] = []
    for line, latex, rows in chains(text):
        for statement in statements(latex):
            at = latex.find(statement)
            assigns = _ASSIGN.search(statement) is not None
            statement = _ASSIGN.sub(lambda m: "=" + " " * (len(m.group(0)) - 1), statement)   # same offsets
            parts = split_equalities(statement)
            if len(parts) < 2:
                continue
            eqs = [at + o for o in _equals_at(statement)] if at >= 0 else []
            lines = [_line_at(rows, o) for o in eqs] if len(eqs) == len(parts) - 1 else [line] * (len(parts) - 1)
            steps += check_chain(c, reader, lines, parts, assigns)
    return DerivationReport(tuple(steps))


def check_derivation(network, text: str, timeout: float | None = 60.0, memory: int | None = None) -> DerivationReport:
    """Check every equality of a derivation document about ``network`` (a Network, Derivation,
    Checker or spec name) in a child process: ``timeout`` seconds and ``memory`` bytes for the
    whole document, however many equations it has (``timeout=None``: in this process, no limit)."""
    c = network if isinstance(network, Checker) else checker_for(network)
    if timeout is None:
        return _check_all(c, text)
    from .. import sandbox
    c._env                                   # built here once, inherited by the child
    return sandbox.call(functools.partial(_check_all, c), text, timeout=timeout,
                        memory=memory or sandbox.MEMORY, what="derivation check")


__all__ = ["DerivationReport", "Step", "chains", "check_derivation", "equations"]
