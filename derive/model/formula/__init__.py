"""Our own safe formula parser: node expressions and student answers (plain text or LaTeX) to sympy.

The only way text becomes maths in derive: never ``eval``, ``sympify`` or ``parse_expr``.
    tokens.py  text -> tokens (limits on length, digits, nesting; Unicode normalised)
    plain.py   the plain-text grammar (also node expressions)
    latex.py   the LaTeX grammar, extending the plain one
    sums.py    \\sum over examples and units, expanded while reading (LaTeX)
    build.py   the one builder both use to make sympy objects safely
    matrix.py  the layer (matrix) form: LaTeX whose names may be matrices (``parse(..., matrices=True)``)
    mat.py     its values: ``Mat`` (vectors are columns), the ones vector, ``ShapeError``

Part of the model stage: may import only ``errors`` and the rules table (``model.rules``); imported by the
rest of ``model`` and every stage above.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

import sympy as sp

from .. import rules
from ...errors import DeriveError, FormulaError
from .build import CallbackError
from .latex import LatexParser
from .limits import Limits
from .mat import Mat
from .matrix import MatrixParser
from .plain import Name, Parser
from .published import published
from .sums import Examples
from .tokens import MODES, tokenize
from .unicode import normalize

__all__ = ["Examples", "FormulaError", "Limits", "Mat", "Name", "default_functions", "looks_like_latex", "parse",
           "split_equalities"]


def looks_like_latex(text: str) -> bool:
    """True when the text uses LaTeX: backslash commands, ``_{``, ``^{`` or ``$`` delimiters."""
    return any(mark in text for mark in ("\\", "_{", "^{", "$"))


def _strip_delimiters(s: str) -> str:
    """Blank out surrounding ``$``/``$$``/``\\(..\\)``/``\\[..\\]`` (same length, so columns stay)."""
    t = s.strip()
    start = s.find(t) if t else 0
    for open_, close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(t) >= len(open_) + len(close) and t.startswith(open_) and t.endswith(close):
            inner = t[len(open_):len(t) - len(close)]
            return s[:start] + " " * len(open_) + inner + " " * len(close) + s[start + len(t):]
    return s


_APPROX = re.compile(r"\\approx(?![A-Za-z])|≈|\\simeq(?![A-Za-z])|\\equiv(?![A-Za-z])|≡|\\triangleq(?![A-Za-z])")


_QUALIFIER = re.compile(r"(?:\\q?quad|\\[,;]|\s)*\\(?:text|textrm|mbox|mathrm)\s*\{\s*(?:for|for all|where|with)\b.*$",
                        re.S)
_GRID = re.compile(r"\\begin\{([pbB]?matrix)\}.*?\\end\{\1\}", re.S)


def split_equalities(text: str) -> list[str]:
    """Split a chain ``a = b = c`` (delimiters stripped, ``&`` dropped) on top-level ``=`` (or ``\\approx``, or the
    defining ``\\equiv`` of Nielsen's ``\\delta^l_j \\equiv \\partial C / \\partial z^l_j``)."""
    s = _APPROX.sub("=", _strip_delimiters(text))
    s = _QUALIFIER.sub("", s)                  # \quad \text{for } m = 0, 1, ...: where it holds, said in words
    s = _GRID.sub(lambda m: m.group(0).replace("&", "\0"), s)     # a written-out matrix keeps its columns
    parts, depth, cur = [], 0, []
    for c in s:
        depth += c in "([{"
        depth -= c in ")]}"
        if c == "=" and depth == 0:
            parts.append("".join(cur))
            cur = []
        elif c != "&":
            cur.append(c)
    parts.append("".join(cur))
    parts = [p.replace("\0", "&").strip() for p in parts if p.strip()]
    if parts and parts[-1][-1:] in ",.;" and not parts[-1].endswith(("\\,", "\\;")):
        parts[-1] = parts[-1].rstrip(",.; ")            # the sentence's punctuation after the maths: = 0.732,
    return [p for p in parts if p]


def _identity(x):
    return x


def _square(x):
    """``\\|x\\|^2`` of a number (a layer's vector is summed over its entries by the matrix grammar)."""
    return x ** 2


def _softmax(x):
    """softmax is read of a layer's vector in the layer form (``matrix.py``); of one number it means nothing."""
    raise FormulaError("softmax of one number: softmax is read of a layer's vector, like softmax(z^{[2]})")


def _examplesum(x):
    """np.sum(., axis=1, keepdims=True) sums a batch's columns: read in the layer form (``checking.matrixread``)."""
    raise FormulaError("np.sum(..., axis=1) sums the examples' columns: it is read of a layer's matrix, like dZ^{[2]}")


def _sech(x):
    """sech(x) = 2 / (e^x + e^-x): written with exp, which every evaluator of derive's reads."""
    return 2 / (sp.exp(x) + sp.exp(-x))


def default_functions() -> dict[str, Callable]:
    """The functions an answer may use: the rules' own, and the usual spellings (``\\sigma``, ``ln``, ``id``)."""
    table = dict(rules.FUNCTIONS)
    table.update({"sigma": rules.sigmoid, "σ": rules.sigmoid, "\\sigma": rules.sigmoid, "ln": sp.log,
                  "step": rules.step, "id": _identity, "abs": sp.Abs, "sqnorm": _square,
                  "softmax": _softmax, "examplesum": _examplesum, "sech": _sech})
    return table


def parse(text: str, resolve: Callable[[Name], sp.Expr], *,
          functions: Mapping[str, Callable] | None = None,
          derivative: Callable[[Name, tuple, Name], sp.Expr] | None = None,
          mode: str = "auto", limits: Limits = Limits(), numbers: Callable[[str], sp.Expr] | None = None,
          notes: list | None = None, update_steps: bool = False, examples: Examples | None = None,
          indices: Mapping[str, int] | None = None, matrices: bool = False, free_names: bool = False) -> sp.Expr | Mat:
    """Parse ``text`` into a sympy expression, resolving every name through ``resolve``.

    ``numbers`` (optional) turns each number literal's text into an expression (the checker keeps
    decimals as symbols to know their digits); ``notes`` collects what was read in a non-obvious way;
    ``update_steps`` reads ``w(t)`` and ``w(t+1)`` as a name at a time step (``Name.time``);
    ``examples`` lets LaTeX index examples (``\\sum_{i=1}^{m} {J}^{(i)}``, ``m``; see ``sums.py``);
    ``indices`` gives free index letters a value (``\\delta_j`` read as delta_2 with ``{"j": 2}``);
    ``matrices``: LaTeX whose names may resolve to ``Mat`` (the layer form), and the result may be one;
    ``free_names``: ``resolve`` accepts every name (a text read with no network), so the names that exist
    cannot say how far a sum with no upper bound runs: it is refused (``sums.py``).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    if len(text) > limits.max_length:
        raise FormulaError(f"formula too long ({len(text)} characters; at most {limits.max_length})")
    guess = mode if mode != "auto" else ("latex" if looks_like_latex(text) else "plain")
    s = normalize(text, guess, notes)
    if len(s) > limits.max_length:
        raise FormulaError(f"formula too long ({len(s)} characters; at most {limits.max_length})")
    if mode != "node":
        s = _strip_delimiters(s)
    if mode == "auto":
        mode = "latex" if looks_like_latex(s) else "plain"
    if mode == "latex":
        s = published(s)
    if functions is None:   # node expressions get exactly rules.FUNCTIONS; answers also the aliases
        functions = rules.FUNCTIONS if mode == "node" else default_functions()
    table = dict(functions)
    try:
        toks = tokenize(s, mode, limits)
        if toks[0].kind == "end":
            raise FormulaError("empty formula")
        grammar = (MatrixParser if matrices else LatexParser) if mode == "latex" else Parser
        p = grammar(s, toks, resolve, table, derivative, mode, limits)
        p.literal, p.update_steps, p.examples, p.notes = numbers, update_steps, examples, notes
        p.free_names = free_names
        if indices and grammar in (LatexParser, MatrixParser):
            p.free(indices)
        result = p.expr()
        if p.peek().kind != "end":
            raise p.unexpected()
    except FormulaError:
        raise
    except CallbackError as e:
        raise e.args[0] from None
    except RecursionError:
        raise FormulaError("formula nested too deeply") from None
    except DeriveError:
        raise
    except Exception as e:   # a parser bug must still surface as a one-line FormulaError
        raise FormulaError(f"cannot read formula ({type(e).__name__}: {e})".splitlines()[0]) from None
    if not isinstance(result, sp.Expr) and not (matrices and isinstance(result, Mat)):
        raise FormulaError(f"not an expression: {type(result).__name__}")
    return result
