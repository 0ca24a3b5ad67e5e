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

from .checker import Checker, Mistake, checker_for
from ..errors import DeriveError
from ..model.formula import Name, parse, split_equalities

_FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_MATH = re.compile(r"\$\$(?P<d>.+?)\$\$|\\\[(?P<b>.+?)\\\]|\\begin\{(?P<env>equation|align|gather|eqnarray|multline)"
                   r"(?P<star>\*?)\}(?P<e>.+?)\\end\{(?P=env)(?P=star)\}|\\\((?P<p>.+?)\\\)|\$(?P<i>[^$\n]+?)\$", re.S)
_BRACE_INDEX = re.compile(r"(?<![A-Za-z\\])([A-Za-z])\{(\d+)\}")     # y{1}: a typo for y_{1}
_DROP = re.compile(r"\\(label|tag)\{[^}]*\}|\\nonumber|\\notag")


@dataclass(frozen=True)
class Step:
    """One equality ``left = right`` of a chain, where it is, and its verdict."""
    line: int
    left: str
    right: str
    status: str                       # correct | wrong | definition | unchecked
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
        count = {k: sum(s.status == k for s in self.steps) for k in ("correct", "wrong", "definition", "unchecked")}
        out = [f"{len(self.steps)} equalities: {count['correct']} correct, {count['wrong']} wrong, "
               f"{count['definition']} definitions, {count['unchecked']} not checked"]
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


def equations(text: str) -> list[tuple[int, str]]:
    """The math chains of a document as (line, LaTeX), adjacent inline pieces joined."""
    text = _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)
    out: list[list] = []          # [line, latex, end offset, inline?]
    for m in _MATH.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        inline = m.group("i") is not None
        if m.group("e") is not None:
            first = text.count("\n", 0, m.start("e")) + 1
            body, at = m.group("e"), 0
            for row in re.split(r"(\\\\)", body):
                row_line, at = first + body.count("\n", 0, at), at + len(row)
                r = " ".join(_DROP.sub("", row).split())
                if not r or r == "\\\\":
                    continue
                if out and out[-1][3] == "env" and r.lstrip("& ").startswith("="):
                    out[-1][1] += " " + r
                else:
                    out.append([row_line + (row[:len(row) - len(row.lstrip())].count("\n")), r, m.end(), "env"])
            continue
        body = " ".join((m.group("d") or m.group("b") or m.group("p") or m.group("i")).split())
        if inline and out and out[-1][3] == "inline" and not text[out[-1][2]:m.start()].strip():
            out[-1][1] += " " + body
            out[-1][2] = m.end()
        else:
            out.append([line, body, m.end(), "inline" if inline else "display"])
    return [(line, _BRACE_INDEX.sub(r"\1_{\2}", body)) for line, body, _, _ in out]


class _Reader:
    """Parses sides with the spec's symbols plus the names the derivation itself defined."""

    def __init__(self, c: Checker):
        self.c = c
        self.defs: dict[str, tuple[sp.Symbol, sp.Expr]] = {}
        self.leibniz: list[tuple] = []

    def resolve(self, name: Name) -> sp.Expr:
        if name.key() in self.defs:
            return self.defs[name.key()][0]
        return self.c.table(name)

    def derivative(self, of: Name, args: tuple, wrt: Name) -> sp.Expr:
        v = self.c.leibniz(of, args, wrt)
        upper = self.c.loss_node(of) or self.c.node_of(of)
        self.leibniz.append((self.c.node_of(wrt), upper, args[0].name if args else None, v))
        return v

    def read(self, text: str):
        """(value with definitions substituted, the Leibniz target if the side is one derivative)."""
        self.leibniz = []
        e = self.c.parse(text, self.resolve, self.derivative)
        target = self.leibniz[0][:3] if len(self.leibniz) == 1 and e == self.leibniz[0][3] else None
        subs = {sym: value for sym, value in self.defs.values()}
        return e.xreplace(subs), target

    def bare_new_name(self, text: str) -> Name | None:
        seen: list[Name] = []
        try:
            e = parse(text, lambda n: seen.append(n) or sp.Symbol("_new"))
        except DeriveError:
            return None
        if len(seen) == 1 and e == sp.Symbol("_new") and self.c.table.find(seen[0]) is None:
            return seen[0]
        return None


def check_chain(c: Checker, reader: _Reader, line: int, parts: list[str]) -> list[Step]:
    """Steps for one chain a = b = c ..., updating the reader's definitions."""
    read: list = []
    for p in parts:
        try:
            read.append(reader.read(p))
        except DeriveError as e:
            read.append(e)
    target = next((r[1] for r in read if not isinstance(r, Exception) and r[1]), None)
    steps = []
    for i in range(1, len(parts)):
        left, right, a, b = parts[i - 1], parts[i], read[i - 1], read[i]
        if isinstance(a, Exception) or isinstance(b, Exception):
            known, new_side = (a, right) if not isinstance(a, Exception) else (b, left)
            name = reader.bare_new_name(new_side) if not isinstance(known, Exception) else None
            if name is not None:
                sym = sp.Symbol("local_" + re.sub(r"\W", "_", name.key()))
                reader.defs[name.key()] = (sym, known[0])
                steps.append(Step(line, left, right, "definition", note=f"defines {name.text}"))
            else:
                err = a if isinstance(a, Exception) else b
                steps.append(Step(line, left, right, "unchecked", note=str(err)))
            continue
        ok, method, cex = c.compare(b[0], a[0])
        if ok:
            steps.append(Step(line, left, right, "correct", note="" if method == "exact" else method))
            continue
        mistakes: tuple = ()
        if target:
            from .diagnose import diagnose
            lower, upper, through = target
            mistakes = diagnose(c, lower, b[0], lower=lower, upper=upper, through=through)
        steps.append(Step(line, left, right, "wrong", mistakes, counterexample=cex))
    return steps


def _check_all(c: Checker, text: str) -> DerivationReport:
    reader = _Reader(c)
    steps: list[Step] = []
    for line, latex in equations(text):
        parts = split_equalities(latex)
        if len(parts) >= 2:
            steps += check_chain(c, reader, line, parts)
    return DerivationReport(tuple(steps))


def check_derivation(network, text: str, timeout: float | None = 5.0) -> DerivationReport:
    """Check every equality of a derivation document about ``network`` (a Network, Derivation,
    Checker or spec name), in a child process killed after ``timeout`` seconds per chain."""
    c = network if isinstance(network, Checker) else checker_for(network)
    if timeout is None:
        return _check_all(c, text)
    from .. import sandbox
    c._env                                   # built here once, inherited by the child
    limit = timeout * (1 + len(equations(text)))
    return sandbox.call(functools.partial(_check_all, c), text, timeout=limit)


__all__ = ["DerivationReport", "Step", "check_derivation", "equations"]
