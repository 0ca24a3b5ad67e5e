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
from dataclasses import asdict, dataclass, field, replace

from .batch import BatchReader
from .checker import Checker, Mistake, checker_for
from .lookup import LEARNING_RATE
from .steps import Reader, Side
from ..model.formula import Name, split_equalities
from .prose import prose as _prose
from .spans import chains, equations, statements, equals_at, line_at

_ASSIGN = re.compile(r"\\leftarrow\b|\\gets\b|\\coloneqq\b|:=|←")     # an update written as an assignment

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
    read: str = ""                    # without a spec: what was read from the text's forward pass
    suggested: str = ""               # most of the text unread: the preset that would read it
    applied: str = ""                 # no preset given, most unread: the preset it was then read with
    network: dict | None = field(default=None, compare=False)    # without a spec: readout.network_read
    bound: tuple = field(default=(), compare=False)   # textbind: {"name", "latex", "kind", "line"} per bound name

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
        out = {"correct": self.correct, "checked": self.checked, "steps": steps,
               "first_wrong": self.steps.index(first) if first else None}
        from .readout import bindings
        return out | ({"read": self.read} if self.read else {}) | {"bindings": [*self.bound, *bindings(self.steps)]} | (
            {"suggested_preset": self.suggested} if self.suggested else {}) | (
            {"applied_preset": self.applied} if self.applied else {}) | (
            {"network": self.network} if self.network else {})

    def __str__(self) -> str:
        count = {k: sum(s.status == k for s in self.steps)
                 for k in ("correct", "wrong", "definition", "given", "unchecked")}
        out = [self.read] if self.read else []
        out += [f"{len(self.steps)} equalities: {count['correct']} correct, {count['wrong']} wrong, "
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


def check_chain(c: Checker, reader: Reader, lines: list[int], parts: list[str], assigns: bool = False) -> list[Step]:
    """Steps for one chain a = b = c ... (step i at lines[i - 1]), updating the reader's definitions
    and stated values; ``assigns``: written ``a \\leftarrow b`` (or ``:=``), a gradient step.  A chain left
    wholly unread for names the network does not have is read in the text's own letters (``textlocal``)."""
    steps = _chain(c, reader, lines, parts, assigns)
    from .textlocal import LocalScope                        # z = xy, then dz/dx = y: the text's scratch letters
    if LocalScope.takes(parts, [s.note for s in steps if s.status == "unchecked"]):
        local = reader.__dict__.setdefault("scratch", LocalScope()).steps(
            lines, parts, Step, known=lambda text: reader.bare_new_name(text) is None,
            vector=lambda letter: c.table.layers.find(Name(letter, text=letter))[0] is not None)
        if local is not None and len(local) == len(steps):
            return [b if a.status == "unchecked" and LocalScope.takes(parts, [a.note]) and LocalScope.said(b) else a
                    for a, b in zip(steps, local)]
    return steps


def _chain(c: Checker, reader: Reader, lines: list[int], parts: list[str], assigns: bool = False) -> list[Step]:
    reader.context = " = ".join(parts)     # a free unit index (w_{ho}) is bound by the whole equation
    sides = [reader.read(p) for p in parts]
    if not all(s.ok for s in sides) and (why := _prose(parts)):
        return [Step(lines[0], parts[0], parts[1], "unchecked", note=why)]
    if not all(s.ok for s in sides):       # the layer form: W^{(2)}, \mathbf{a}^{(1)\top}, \odot
        from .matrix import matrix_steps
        steps = matrix_steps(c, reader, lines, parts, sides, Step)
        if steps is not None:
            from .matrix import cdot_elementwise
            return _layer_named(c, reader, lines, parts, cdot_elementwise(c, reader, lines, parts, steps, Step))
    if not all(s.ok for s in sides):            # \delta_j = ...: an equation for every unit j
        from .indices import for_each_index
        each = for_each_index(c, reader, lines, parts, assigns, Step, _update_rule)
        if each is not None:
            return _layer_named(c, reader, lines, parts, each)
    _update_rule(reader, sides, assigns)
    if len(sides) == 2 and (v := reader.statement(*sides)) is not None:
        note = reader.example.state(sides[0].expr, v)
        return [Step(lines[0], parts[0], parts[1], "given", note=note)]
    steps = []
    for i in range(1, len(parts)):
        for k in (i - 1, i):                          # a name the chain itself has just defined: d net/d w = i = 0.05
            if not sides[k].ok and reader.defs:
                sides[k] = reader.read(parts[k])
        left, right, a, b = parts[i - 1], parts[i], sides[i - 1], sides[i]
        line = lines[i - 1]
        if not (a.ok and b.ok):
            known, new_side = (a, right) if a.ok else (b, left)
            name = reader.bare_new_name(new_side) if known.ok else None
            if name is not None and _is_number(known):     # E_{o2} = 0.0235: a value, never a definition
                steps.append(Step(line, left, right, "unchecked",
                                  note=f"a value for {name.text}, which names nothing here (a value is not a definition)"))
            elif name is not None and (meant := reader.sibling(name)) is not None and not c.compare(known.expr, meant)[0]:
                # net_{h2} after net_{h1} was bound to a_1: the line must be a_2, and it is not
                from .explain import explain
                should = Side(name.text, meant)
                steps.append(Step(line, left, right, "wrong", explain(c, reader, should, known),
                                  note=f"by the text's own pattern ({reader.families[(name.base, name.sup)][0].text}), "
                                       f"{name.text} is the network's ${c.latex(meant)}$, and this line is not it"))
            elif name is not None:
                reader.define(name, known.expr, parts[i] if known is b else parts[i - 1])
                bound = reader.bound.get(name.key())
                steps.append(Step(line, left, right, "definition", note=f"defines {name.text}" + (
                    f": the network's ${c.latex(bound)}$ ({c.table.kinds.get(bound)})" if bound is not None else "")))
            else:
                steps.append(Step(line, left, right, "unchecked", note=a.error or b.error))
            continue
        j = reader.judge(a, b)
        if j.status == "wrong" and i >= 2 and steps and steps[-1].status == "wrong" and sides[0].ok:
            first = reader.judge(sides[0], b)          # a = b (wrong) = c: c is still judged against a
            if first.status == "correct":
                steps.append(Step(line, left, right, "correct",
                                  note=f"equals the chain's first side (the step before is wrong); {first.note}".rstrip("; ")))
                continue
        mistakes: tuple = ()
        target = a.target or b.target or next((s.target for s in sides if s.target), None)
        if j.status == "wrong" and j.diagnosable and target and not (b.literals.text or a.literals.text):
            from .diagnose import diagnose
            lower, upper, through = target
            mistakes = diagnose(c, lower, b.expr, lower=lower, upper=upper, through=through)
        if j.status == "wrong" and j.diagnosable and not mistakes and not (b.literals.text or a.literals.text):
            from .explain import explain      # an update, a forward line, any symbolic step: never no reason
            mistakes = explain(c, reader, a, b)
        steps.append(Step(line, left, right, j.status, mistakes, j.note, j.counterexample))
    return steps


def _layer_named(c: Checker, reader: Reader, lines: list[int], parts: list[str], steps: list[Step]) -> list[Step]:
    """A wrong layer-form step with no diagnosis: the one edit of its right side that makes it right, named
    (a missing transpose or \\sigma', a flipped sign, l where L belongs), else that more than one thing differs."""
    if getattr(reader, "_fixing", False):
        return steps
    from .explain import layer_fixes
    out = []
    for i, st in enumerate(steps):
        if st.status != "wrong" or st.diagnosis or len(parts) != len(steps) + 1:
            out.append(st)
            continue
        found = ()
        reader._fixing = True
        try:
            for fixed, mistake in layer_fixes(parts[i], parts[i + 1]):
                again = check_chain(c, reader, [lines[i]], [parts[i], fixed])
                if again and all(x.status == "correct" for x in again):
                    found = (mistake,)
                    break
        finally:
            reader._fixing = False
        if not found:
            found = (Mistake("several", "more than one thing differs from the right layer form (no single edit: "
                                        "transpose, \\sigma', sign, l or L, makes it right)"),)
        out.append(replace(st, diagnosis=found))
    return out


def _is_number(side: Side) -> bool:
    """A side that is only numbers: no symbol of the network or of the text in it."""
    return side.ok and not (side.expr.free_symbols - set(side.literals.text))


def _update_rule(reader: Reader, sides: list[Side], assigns: bool = False):
    """``W = W - \\alpha dJ/dW`` (or ``W \\leftarrow ...``, ``W := ...``): the left side is the parameter
    after the step."""
    if len(sides) < 2 or not (sides[0].ok and sides[1].ok):
        return
    p = sides[0].expr
    if p.is_Symbol and p.name in reader.c.net.trainable and (assigns or LEARNING_RATE in sides[1].expr.free_symbols
                                                            and p in sides[1].expr.free_symbols):
        reader.update(sides[0], p)


def check_lines(checker: Checker, text: str, reader: Reader | None = None) -> DerivationReport:
    """Check every equality of every line of ``text`` with ``checker``, in this process, with no time limit.
    ``reader`` reads the text's names (``textbind``: bound to the spec's; ``nospec``: with the values the text
    states); a plain ``BatchReader`` when None.  Returns one step per equality, in the text's order."""
    from .textowned import disowned, owned_letter
    reader = reader or BatchReader(checker)
    steps: list[Step] = []
    owned: dict[str, tuple[int, str]] = {}       # z: (line, "z^{(l)} = f(u^{(l)})"), a letter the text defines itself
    for line, latex, rows in chains(text):
        for statement in statements(latex):
            at = latex.find(statement)
            assigns = _ASSIGN.search(statement) is not None
            statement = _ASSIGN.sub(lambda m: "=" + " " * (len(m.group(0)) - 1), statement)   # same offsets
            parts = split_equalities(statement)
            if len(parts) < 2:
                continue
            eqs = [at + o for o in equals_at(statement)] if at >= 0 else []
            lines = [line_at(rows, o) for o in eqs] if len(eqs) == len(parts) - 1 else [line] * (len(parts) - 1)
            chain = disowned(check_chain(checker, reader, lines, parts, assigns), owned, replace)
            letter = owned_letter(checker, parts, chain)
            if letter is not None:
                owned.setdefault(letter, (lines[0], _short(" = ".join(parts), 60)))
            steps += chain
    return DerivationReport(tuple(steps))


def check_derivation(network, text: str, timeout: float | None = 60.0, memory: int | None = None,
                     preset: str | None = None) -> DerivationReport:
    """Check every equality of a derivation document about ``network`` (a Network, Derivation,
    Checker or spec name) in a child process: ``timeout`` seconds and ``memory`` bytes for the
    whole document, however many equations it has (``timeout=None``: in this process, no limit).  A text
    mostly unread that carries a famous notation's marks (``presets.suggest``) is read again with that
    preset (a second run, with its own time limit), and kept so when that finds more of it right and no more
    of it wrong than right (a misapplied notation shows as lines called wrong).
    With no spec, ``nospec.check_text`` reads the network from the text (``api.check_derivation_report``)."""
    c = network if isinstance(network, Checker) else checker_for(network)
    report = _hinted(_checked(c, text, timeout, memory, preset), text, preset)
    if preset or report.suggested in ("", "mazur"):
        return report
    again = _checked(c, text, timeout, memory, report.suggested)   # most of it unread: read it as its notation
    right, wrong = (sum(st.status == k for st in again.steps) for k in ("correct", "wrong"))
    if right <= sum(st.status == "correct" for st in report.steps) or wrong > right:
        return report                       # kept only when it reads the text as written: more right, few wrong
    unread = sum(st.status == "unchecked" for st in report.steps)
    return replace(again, read=f"read with --preset {report.suggested}: the text reads like {report.suggested}'s "
                               f"notation (without it, {unread} of {len(report.steps)} equalities were not checked)",
                   suggested="", applied=report.suggested)


def _checked(c: Checker, text: str, timeout: float | None, memory: int | None, preset: str | None) -> DerivationReport:
    if preset:                               # nielsen, ufldl: the text in derive's own layer notation
        from .presets import read_as
        text = read_as(preset, text, layers=len(c.net.spec.layers) if c.net.spec.layered else None)
    if timeout is None:
        return check_lines(c, text)
    from .. import sandbox
    c._env                                   # built here once, inherited by the child
    return sandbox.call(functools.partial(check_lines, c), text, timeout=timeout, memory=memory or sandbox.MEMORY,
                        what="derivation check")


def _hinted(report: DerivationReport, text: str, preset: str | None) -> DerivationReport:
    """When most of the text is unread, name the preset that would read it."""
    unread = sum(s.status == "unchecked" for s in report.steps)
    if preset or not report.steps or unread * 2 <= len(report.steps):
        return report
    from .presets import suggest
    found = suggest(text)
    if found is None:
        return report
    how = "check it with no spec" if found == "mazur" else f"check it with --preset {found}"
    return DerivationReport(report.steps, read=f"most symbols here are unknown: the text reads like {found}'s "
                                               f"notation; {how}", suggested=found)


__all__ = ["DerivationReport", "Step", "chains", "check_derivation", "check_lines", "equations"]
