"""The formula tokenizer: text to tokens, for plain text, LaTeX and node expressions alike.

Unicode is NFKC-normalised by the caller; Greek letters become their names; every limit on length and
nesting is enforced here, before any maths is built.
"""
from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from ...errors import FormulaError
from .indicators import has_comparison, indicators
from .limits import Limits

MODES = ("auto", "plain", "latex", "node")
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
          "tau upsilon phi chi psi omega").split()
_GREEK_CAPS = "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
# Unicode Greek letters read as their names; omicron and Latin look-alike capitals are refused.
_GREEK_CHARS = (dict(zip("αβγδεζηθικλμνξπρστυφχψω", _GREEK)) | {"ς": "sigma"}
                | dict(zip("ΓΔΘΛΞΠΣΦΨΩ", "Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split())))
_GREEK_CMDS = ({g: g for g in _GREEK + _GREEK_CAPS}
               | {"var" + g: g for g in ("epsilon", "theta", "phi", "pi", "rho", "sigma")})
_UNICODE_OPS = {"·": "*", "⋅": "*", "∙": "*", "×": "*", "−": "-", "–": "-", "÷": "/", "′": "'", "∂": "∂",
                "⊙": "*", "∘": "*", "⊤": "⊤"}
_ASCII_OPS = set("+-*/^()[]{}_',=")
_SKIP_CMDS = {",", ";", "!", ":", " ", "\\", "quad", "qquad", "displaystyle", "textstyle", "left", "right",
              "limits", "nolimits", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
_OP_CMDS = {"cdot": "*", "times": "*", "ast": "*", "odot": "*", "circ": "*", "div": "/", "{": "(", "}": ")", "partial": "∂", "prime": "'",
            "top": "⊤", "intercal": "⊤", "transpose": "⊤"}     # ⊤: a transpose (matrix formulas only)
_FN_CMDS = {"exp", "log", "ln", "tanh", "sin", "cos", "tan", "sinh", "cosh"}
_WRAP_CMDS = {"mathrm", "text", "operatorname", "mathit", "mathbf", "textrm", "textit", "boldsymbol", "bm", "mathsf"}
_FRAC_CMDS = {"frac", "dfrac", "tfrac"}
_ACCENT_CMDS = {"hat": "hat", "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "bar": "bar",
                "overline": "bar"}
_COLOR_ARG = re.compile(r"\s*\{[A-Za-z!0-9 ]{1,30}\}")     # \color{blue}, \textcolor{orange}
OPENERS = {"(": ")", "[": "]", "{": "}"}
D_NAME = re.compile(r"d[A-Za-z][0-9]*")
_NUMBER = re.compile(r"[0-9]*(\.[0-9]*)?")
_COMMAND = re.compile(r"\\([A-Za-z]+|.?)", re.S)
_GRID = re.compile(r"\s*\{\s*([pbB]?matrix)\s*\}")      # \begin{bmatrix} ... \end{bmatrix}: a matrix written out



class Tok(NamedTuple):
    kind: str   # num name greek wrap accent fn frac sqrt sum op end
    val: str
    pos: int
    end: int



def tokenize(s: str, mode: str, limits: Limits) -> list[Tok]:
    toks: list[Tok] = []
    latex = mode == "latex"
    if mode != "node" and has_comparison(s):     # relu's derivative: (z > 0), \mathbb{1}[z > 0] -> step(z)
        s = indicators(s, latex)
    i, n, depth, grids = 0, len(s), 0, 0
    while i < n:
        c, start = s[i], i
        if latex and grids and (c == "&" or s.startswith("\\\\", i)):   # a written-out matrix's columns and rows
            toks.append(Tok("grid", "&" if c == "&" else "row", i, i + (1 if c == "&" else 2)))
            i += 1 if c == "&" else 2
            continue
        if c.isspace() or (latex and c == "&"):
            i += 1
            continue
        if c.isascii() and c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isascii() and s[i + 1].isdigit()):
            m = _NUMBER.match(s, i)
            i = m.end()
            if i < n and s[i] == ".":
                raise FormulaError(f"malformed number {s[start:i + 1]!r} at column {start + 1}")
            if sum(ch.isdigit() for ch in m.group(0)) > limits.max_digits:
                raise FormulaError(f"number too long at column {start + 1} (at most {limits.max_digits} digits)")
            toks.append(Tok("num", m.group(0), start, i))
        elif c.isascii() and c.isalpha() or (mode == "plain" and c in _GREEK_CHARS):
            extra = "_" + "".join(_GREEK_CHARS) if mode == "plain" else ("_" if mode == "node" else "")
            while i < n and s[i].isascii() and s[i].isalnum() or (i < n and s[i] in extra):
                i += 1
            word = "".join(_GREEK_CHARS.get(ch, ch) for ch in s[start:i])
            toks.append(Tok("name", word, start, i))
        elif latex and c == "∑":                   # a pasted sum sign, as \sum
            toks.append(Tok("sum", "sum", i, i + 1))
            i += 1
        elif latex and c in _GREEK_CHARS:
            toks.append(Tok("greek", _GREEK_CHARS[c], i, i + 1))
            i += 1
        elif c == "\\" and latex:
            m = _COMMAND.match(s, i)
            cmd, i = m.group(1), m.end()
            if cmd in ("begin", "end") and (g := _GRID.match(s, i)):
                grids += 1 if cmd == "begin" else -1
                toks.append(Tok("grid", cmd, start, g.end()))
                i = g.end()
                continue
            if cmd in _SKIP_CMDS:
                if cmd.startswith(("left", "right", "big", "Big")):
                    j = i
                    while j < n and s[j] == " ":
                        j += 1
                    if j < n and s[j] == ".":
                        i = j + 1
                continue
            if cmd in ("color", "textcolor"):
                m = _COLOR_ARG.match(s, i)
                if not m:
                    raise FormulaError(f"\\{cmd} needs a colour name in braces at column {start + 1}")
                i = m.end()
                continue
            if cmd in _OP_CMDS:
                toks.append(Tok("op", _OP_CMDS[cmd], start, i))
            elif cmd in _GREEK_CMDS:
                toks.append(Tok("greek", _GREEK_CMDS[cmd], start, i))
            elif cmd in _FN_CMDS:
                toks.append(Tok("fn", cmd, start, i))
            elif cmd in _WRAP_CMDS:
                toks.append(Tok("wrap", cmd, start, i))
            elif cmd in _ACCENT_CMDS:
                toks.append(Tok("accent", _ACCENT_CMDS[cmd], start, i))
            elif cmd in _FRAC_CMDS:
                toks.append(Tok("frac", cmd, start, i))
            elif cmd == "sqrt":
                toks.append(Tok("sqrt", cmd, start, i))
            elif cmd == "sum":
                toks.append(Tok("sum", cmd, start, i))
            elif cmd == "nabla":
                toks.append(Tok("nabla", cmd, start, i))
            else:
                shown = "\\" + cmd if cmd.isalpha() or cmd.isprintable() and not cmd.isspace() else repr("\\" + cmd)
                raise FormulaError(f"unknown LaTeX command {shown} at column {start + 1}")
        elif c in _ASCII_OPS or (c in _UNICODE_OPS and mode != "node"):
            op = "**" if s.startswith("**", i) else _UNICODE_OPS.get(c, c)
            i += len(op) if op == "**" else 1
            toks.append(Tok("op", op, start, i))
        elif c in _GREEK_CHARS:
            raise FormulaError(f"Greek letter {c!r} at column {start + 1}: node expressions use ASCII names")
        elif not c.isascii() and unicodedata.category(c).startswith("L"):
            raise FormulaError(f"look-alike character {c!r} (U+{ord(c):04X} {unicodedata.name(c, '')}) at column "
                               f"{start + 1}; type it in ASCII")
        else:
            raise FormulaError(f"unexpected character {c!r} (U+{ord(c):04X}) at column {start + 1}")
        if toks and toks[-1].kind == "op" and toks[-1].pos == start:
            depth += toks[-1].val in OPENERS
            depth -= toks[-1].val in OPENERS.values()
            if depth > limits.max_depth:
                raise FormulaError(f"formula nested too deeply at column {start + 1} "
                                   f"(at most {limits.max_depth} levels)")
        if len(toks) > limits.max_nodes:
            raise FormulaError(f"formula too long (more than {limits.max_nodes} tokens)")
    for end in (-1, 0):    # a lone leading/trailing '=' is ignored
        if toks and toks[end].kind == "op" and toks[end].val == "=":
            toks.pop(end)
    toks.append(Tok("end", "", n, n))
    return toks
