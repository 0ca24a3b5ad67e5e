"""Unicode in formulas: what has one clear meaning is rewritten (and said), everything else refused.

NFKC alone would silently turn ``x²`` into ``x2`` (another symbol) and a math-bold or fullwidth ``ｗ``
into ``w``.  Here superscript digits and signs become an exponent (``x²`` -> ``x^(2)``), subscript
digits an index (``w₁₁`` -> ``w_11``), and each such rewrite is reported in ``notes``.  Styled letters
and digits (mathematical alphanumerics, fullwidth, circled ...) are refused with their Unicode name;
other compatibility characters (no-break spaces, fullwidth punctuation) are NFKC-normalised.
"""
from __future__ import annotations

import unicodedata

from ...errors import FormulaError

SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-"))
SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉", "0123456789"))
KEEP = set("·⋅∙×−–÷′∂σδθαβγηλμπρτφψωΔΘΣΦΨΩ≈⊙∘⊤")


def _before(s: str, i: int) -> int:
    """Start of the name or number just before position i (for saying what was read)."""
    k = i
    while k > 0 and (s[k - 1].isalnum() or s[k - 1] in "_{}") and s[k - 1].isascii():
        k -= 1
    return k


def _run(s: str, i: int, table: dict) -> int:
    j = i
    while j < len(s) and s[j] in table:
        j += 1
    return j


def normalize(text: str, mode: str, notes: list | None = None) -> str:
    """``text`` with super/subscript characters rewritten, styled letters refused, the rest NFKC."""
    if text.isascii():
        return text
    out, i, n = [], 0, len(text)
    latex = mode == "latex"
    while i < n:
        c = text[i]
        if c in SUPERSCRIPTS:
            j = _run(text, i, SUPERSCRIPTS)
            power = "".join(SUPERSCRIPTS[ch] for ch in text[i:j])
            if not power.lstrip("+-").isdigit():
                raise FormulaError(f"superscript {text[i:j]!r} at column {i + 1} is not a power")
            out.append("^{" + power + "}" if latex else "^(" + power + ")")
            if notes is not None:
                k = _before(text, i)
                note = f"{text[k:j]} read as {text[k:i]}^{power}"
                if note not in notes:
                    notes.append(note)
            i = j
            continue
        if c in SUBSCRIPTS:
            j = _run(text, i, SUBSCRIPTS)
            index = "".join(SUBSCRIPTS[ch] for ch in text[i:j])
            out.append("_{" + index + "}" if latex else index)
            if notes is not None:
                note = f"{text[max(0, i - 1):j]} read as {text[max(0, i - 1):i]}_{index}"
                if note not in notes:
                    notes.append(note)
            i = j
            continue
        if c == "𝟙":       # the indicator derive prints for relu's derivative (𝟙[z > 0]): as typed in LaTeX
            out.append("\\mathbb{1}" if latex else "1")
            i += 1
            continue
        if c == "ᵀ":       # a superscript T: the transpose (matrix formulas)
            out.append("^{\\top}")
            i += 1
            continue
        if c.isascii() or c in KEEP:
            out.append(c)
            i += 1
            continue
        folded = unicodedata.normalize("NFKC", c)
        cat = unicodedata.category(c)
        if folded != c and cat[0] in "LN" and c != "\u00b5":   # µ (micro sign) is plain mu
            raise FormulaError(f"styled character {c!r} (U+{ord(c):04X} {unicodedata.name(c, '')}) at column "
                               f"{i + 1}: type it as plain {folded!r} if that is what you mean")
        out.append(folded)
        i += 1
    return "".join(out)


__all__ = ["normalize", "SUPERSCRIPTS", "SUBSCRIPTS"]
