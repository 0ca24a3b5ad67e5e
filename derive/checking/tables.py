"""Tables of a derivation (Markdown ``| ... |`` rows, LaTeX tabular/longtable rows) as equations.

A worked example printed as a table means, row by row, ``quantity = formula = with the numbers =
value``: a row whose cells are each one maths piece becomes that chain.  A table whose header
cells are symbols (``| i | $x_1$ | $x_2$ |``) gives values: its one data row states
``x_1 = 0.05, x_2 = 0.1``.  With several data rows (a batch of m examples) no single value is
stated: row k states example k's values (``{x_1}^{(k)} = 1``, read by ``batch.py``).  In a row with
columns of one example each (``Example 1 | Example 2 | Mean``) the formula is checked at each example
(``{F}^{(1)} = v_1``) and the quantity against the mean (``\\partial J/\\partial w = v``: the batch's
gradient).  Each row is rewritten in place as ``\\[ ... \\]`` on its own line, so lines keep their numbers.
"""
from __future__ import annotations

import re

_MD_ROW = re.compile(r"^\s*\|(.*)\|\s*$")
_MD_RULE = re.compile(r"^\s*\|[\s:|-]+\|\s*$")
_TEX_BEGIN = re.compile(r"\\begin\{(tabular|longtable|array)\}")
_TEX_END = re.compile(r"\\end\{(tabular|longtable|array)\}")
_NUMBER = re.compile(r"-?\s*(\d+(\.\d+)?|\\frac\{\d+\}\{\d+\})")
_NAME = re.compile(r"[^\s=+]*[A-Za-z][^\s=+]*")
_MEAN = re.compile(r"\s*(mean|average|batch|batch mean)\s*", re.I)
_ONE_MATH = re.compile(r"^\s*(?:\$(?!\$)([^$]+)\$|\\\((.+?)\\\))\s*$")


def _math(cell: str) -> str | None:
    """The maths of a cell that is exactly one inline piece, else None."""
    m = _ONE_MATH.match(cell)
    return (m.group(1) or m.group(2)).strip() if m else None


def _is_index(cell: str) -> bool:
    return bool(re.fullmatch(r"\s*\$?\s*(i|k|n|#|\d+)\s*\$?\s*", cell))


def _symbolic_header(cells: list[str]) -> bool:
    maths = [_math(c) for c in cells]
    rest = [m for c, m in zip(cells, maths) if not (_is_index(c) and c is cells[0])]
    return bool(rest) and all(m is not None and not re.search(r"\d\.\d|=", m) for m in rest)


def _batch_columns(header: list[str]) -> set[int]:
    """Columns of one example each (``Example 1 | Example 2``): same words, different numbers."""
    heads = [re.fullmatch(r"\s*(\D*?)\s*(\d+)\s*", h) for h in header]
    prefixes = [m.group(1) for m in heads if m and m.group(1)]
    repeated = {p for p in prefixes if prefixes.count(p) > 1}
    return {k for k, m in enumerate(heads) if m and m.group(1) in repeated}


def _rows(block: list[tuple[int, list[str]]]) -> dict[int, str]:
    """Rewritten rows of one table: {line index: maths}."""
    out: dict[int, str] = {}
    for i, cells in block:          # a grid of name | value pairs: w_{11} | 0.15 | w_{12} | 0.2
        maths = [_math(c) for c in cells if c.strip()]
        if len(maths) >= 2 and len(maths) % 2 == 0 and all(maths) and \
                all(_NUMBER.fullmatch(v) for v in maths[1::2]) and all(_NAME.fullmatch(n) for n in maths[::2]):
            out[i] = ", ".join(f"{n} = {v}" for n, v in zip(maths[::2], maths[1::2]))
    block = [(i, cells) for i, cells in block if i not in out]
    if len(block) < 2:
        return out
    header, data = block[0][1], block[1:]
    if _symbolic_header(header):
        if len(data) != 1:
            return out | _examples_given(header, data)
        i, cells = data[0]
        pairs = [(_math(h), _math(c)) for h, c in zip(header, cells) if not (_is_index(h) and h is header[0])]
        if all(h and v for h, v in pairs):
            out[i] = ", ".join(f"{h} = {v}" for h, v in pairs)
        return out
    batch = _batch_columns(header)
    mean = {k for k, h in enumerate(header) if batch and _MEAN.fullmatch(h)}
    for i, cells in data:
        maths = [_math(c) for k, c in enumerate(cells) if k not in batch and k not in mean]
        if not (maths and all(maths)) or (len(maths) < 2 and not batch):
            continue
        eqs = [" = ".join(maths)] if len(maths) >= 2 else []
        for k in sorted(batch):              # example k's value of the formula: {F}^{(k)} = v
            v = _math(cells[k]) if k < len(cells) else None
            if v:
                eqs.append(f"{{{maths[-1]}}}^{{({_example_number(header[k])})}} = {v}")
        for k in mean:                       # the batch's value (J, dJ/dw: the mean over the examples)
            v = _math(cells[k]) if k < len(cells) else None
            if v:
                eqs.append(f"{maths[0]} = {v}")
        if eqs:
            out[i] = " \\] \\[ ".join(eqs)
    return out


def _example_number(head: str) -> str:
    return re.fullmatch(r"\s*\D*?\s*(\d+)\s*", head).group(1)


def _examples_given(header: list[str], data: list) -> dict[int, str]:
    """A table of m examples (``| i | $x_1$ | $y_1$ |``, one row each): example k's values,
    ``{x_1}^{(k)} = ...``, the row's own number when its first cell is one."""
    out: dict[int, str] = {}
    indexed = _is_index(header[0])
    for row, (i, cells) in enumerate(data, 1):
        k = cells[0].strip("$ ") if indexed else str(row)
        if not k.isdigit():
            continue
        pairs = [(_math(h), _math(c)) for h, c in zip(header, cells) if not (indexed and h is header[0])]
        if pairs and all(h and v for h, v in pairs):
            out[i] = ", ".join(f"{{{h}}}^{{({k})}} = {v}" for h, v in pairs)
    return out


def rewrite(text: str) -> str:
    """``text`` with every table row of maths written as one display equation on its line."""
    lines = text.split("\n")
    blocks: list[list[tuple[int, list[str]]]] = []
    in_tex = False
    current: list = []
    for i, line in enumerate(lines):
        if _TEX_BEGIN.search(line):
            in_tex, current = True, []
            blocks.append(current)
            continue
        if in_tex and _TEX_END.search(line):
            in_tex = False
            continue
        if in_tex:
            row = re.sub(r"\\\\\s*(\\hline\s*)?$", "", line.strip())
            if "&" in row:
                current.append((i, [c.strip() for c in row.split("&")]))
            continue
        m = _MD_ROW.match(line)
        if m and not _MD_RULE.match(line):
            if not (current and blocks and blocks[-1] is current and current[-1][0] in (i - 1, i - 2)):
                current = []
                blocks.append(current)
            current.append((i, [c.strip() for c in m.group(1).split("|")]))
        elif not _MD_RULE.match(line):
            current = []
    for block in blocks:
        for i, maths in _rows(block).items():
            lines[i] = "\\[ " + maths + " \\]"
    return "\n".join(lines)


__all__ = ["rewrite"]
