"""Equations about every unit at once: a free index, checked for each of its values.

``\\delta^{(1)}_j = \\delta^{(2)}_1 W^{(2)}_{1j} a^{(1)}_j (1 - a^{(1)}_j)`` or
``\\frac{\\partial J}{\\partial W^{(1)}_{kj}} = \\delta^{(1)}_k x_j`` holds for every j (and k): when a chain
cannot be read as written but can with one, two or three of the letters i, j, k, l given a value, it is
checked for every value its left side has a meaning for (j = 1, 2, 3: the units of the layer), and a
step is right when it is right for each.  A wrong instance is reported with its values (``for j = 2:``);
one that cannot be read leaves the step unchecked, never wrong.
"""
from __future__ import annotations

import itertools
import re

from .steps import Side

LETTERS = "ijkl"
MAX_INSTANCES = 256


def _read(reader, parts: list[str], values: dict) -> list[Side]:
    old = dict(reader.options)
    reader.options.update(indices=values, mode="latex")      # x_j is LaTeX here, not the plain name x_j
    try:
        return [reader.read(p) for p in parts]
    finally:
        reader.options.clear()
        reader.options.update(old)


def _lhs(reader, part: str, values: dict):
    (side,) = _read(reader, [part], values)
    return side.expr if side.ok else None


def _indexes(left: str, var: str) -> bool:
    """``var`` is a free index of ``left`` as written (\\partial z_j / \\partial W_{ji} is x_i for every j, but j
    is in it), not one a sum in it binds."""
    if re.search(r"\\sum_\{?\s*" + var + r"(?![A-Za-z])", left):
        return False
    subs = "".join("".join(m) for m in re.findall(r"_\{([^{}]*)\}|_([A-Za-z])", left))
    layers = re.findall(r"\^\{\(\s*([a-z])\s*(?:[+-]\s*\d+)?\s*\)\}", left)      # \partial z^{(l)}_i / \partial b^{(l)}_i
    return var in subs or var in layers


def _width(c) -> int:
    """The largest index a unit, input or example can have in this network."""
    spec = c.net.spec
    widths = [len(spec.inputs), len(spec.targets), len(spec.values.examples) if spec.values else 1]
    widths += [len(layer.pres) for layer in spec.layers] or [len(c.net.nodes)]
    return max(widths)


def _instances(reader, left: str, combo: tuple) -> list[tuple] | None:
    """The values of ``combo`` for which the left side has a meaning (each letter must change it): every
    value up to the widest layer is tried, so a gap (a unit only some layers have) is not missed."""
    one = dict.fromkeys(combo, 1)
    base = _lhs(reader, left, one)
    if base is None and "l" in combo:                       # z^{(l-1)}: layer l starts where l-1 exists
        one["l"] = 2
        base = _lhs(reader, left, one)
    if base is None:
        return None
    for var in combo:
        if _lhs(reader, left, one | {var: one[var] + 1}) == base and not _indexes(left, var):
            return None                                              # the letter is not in the left side
    width = _width(reader.c)
    if width ** len(combo) > MAX_INSTANCES * 4:
        return None
    out = [v for v in itertools.product(range(1, width + 1), repeat=len(combo))
           if _lhs(reader, left, dict(zip(combo, v))) is not None]
    return out if len(out) <= MAX_INSTANCES else None


def for_each_index(c, reader, lines: list[int], parts: list[str], assigns: bool, step, update_rule):
    """The steps of ``parts`` checked for every value of its free index letters, or None if it has none
    (``step`` makes a Step, ``update_rule`` reads ``w(t+1) = ...``: derivation.py's own)."""
    text = " ".join(parts)
    scripts = "".join("".join(m) for m in re.findall(r"_\{([^{}]*)\}|_([A-Za-z])|\^\{\(([a-z])(?:[+-]\d+)?\)\}", text))
    letters = [v for v in LETTERS if v in scripts]
    combos = [(v,) for v in letters] + list(itertools.combinations(letters, 2)) + list(itertools.combinations(letters, 3))
    for combo in combos:                          # \partial C / \partial w^l_{jk}: three letters
        values = _instances(reader, parts[0], combo)
        if not values:
            continue
        readings = [(v, _read(reader, parts, dict(zip(combo, v)))) for v in values]
        if "l" in combo:      # BP2 for every layer l that has a layer l+1: the last layer's instance says nothing
            whole = [(v, sides) for v, sides in readings if all(s.ok for s in sides)]
            readings = whole or readings
        if not all(s.ok for s in readings[0][1]):
            continue
        return _merge(c, reader, lines, parts, combo, readings, assigns, step, update_rule)
    return None


def _label(combo, v) -> str:
    return ", ".join(f"{k} = {x}" for k, x in zip(combo, v))


def _every(combo, values) -> str:
    if len(combo) == 1:
        return f"every {combo[0]} ({', '.join(str(v[0]) for v in values)})"
    return f"every {', '.join(combo)} ({len(values)} values)"


def _merge(c, reader, lines, parts, combo, readings, assigns, Step, _update_rule):
    from .diagnose import diagnose
    steps = []
    for sides in (s for _, s in readings):
        _update_rule(reader, sides, assigns)
    for i in range(1, len(parts)):
        verdicts = []
        for v, sides in readings:
            a, b = sides[i - 1], sides[i]
            if not (a.ok and b.ok):
                verdicts.append((v, "unchecked", a.error or b.error, None, ()))
                continue
            j = reader.judge(a, b)
            mistakes: tuple = ()
            target = a.target or b.target or next((s.target for s in sides if s.target), None)
            if j.status == "wrong" and j.diagnosable and target and not (a.literals.text or b.literals.text):
                lower, upper, through = target
                mistakes = diagnose(c, lower, b.expr, lower=lower, upper=upper, through=through)
            verdicts.append((v, j.status, j.note, j.counterexample, mistakes))
        every = _every(combo, [v for v, *_ in verdicts])
        status = next((s for s in ("wrong", "unchecked") if any(x[1] == s for x in verdicts)), "correct")
        if status == "correct":
            steps.append(Step(lines[i - 1], parts[i - 1], parts[i], "correct", note=f"for {every}"))
            continue
        v, _, note, cex, mistakes = next(x for x in verdicts if x[1] == status)
        steps.append(Step(lines[i - 1], parts[i - 1], parts[i], status, tuple(mistakes),
                          f"for {_label(combo, v)}" + (f": {note}" if note else ""), cex))
    return steps


__all__ = ["for_each_index"]
