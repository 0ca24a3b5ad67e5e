"""A letter the text defines in its own sense: never judged in the network's.

Okatani's ``\\mathbf{z}^{(l)} = f(\\mathbf{u}^{(l)})`` makes z a unit's output, where the spec's notation has z
the weighted sum; Goodfellow's ``a^{(k)} = b^{(k)} + W^{(k)} h^{(k-1)}`` makes a the weighted sum.  Such a line
(its left side one of the network's layer letters, its right side in names the network does not have) says the
text's letter is not the network's: a later step written with that letter could be right in the text's sense and
wrong in the network's, or the other way round, so it is left unread with that reason, never judged.
"""
from __future__ import annotations

import re

from ..model.formula import Name

# one letter, bold or not, with a layer superscript: \mathbf{z}^{(l)}, z^{(2)}, a^{[l]}
_DEFINED = re.compile(r"\s*(?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*)?(\\?[A-Za-z]+)\s*\}?\s*"
                      r"\^\s*\{\s*[(\[]\s*[A-Za-z0-9+\-\s]+[)\]]\s*\}\s*(?:_\s*\{?\s*[A-Za-z0-9]+\s*\}?)?\s*")


def owned_letter(c, parts: list[str], steps: list) -> str | None:
    """The network letter a chain redefines in the text's own names (``z`` for ``\\mathbf{z}^{(l)} = f(\\mathbf{u}^{(l)})``),
    or None: its first side is a layer letter of the network, and the chain is unread for names it does not have."""
    m = _DEFINED.fullmatch(parts[0])
    if not m or not steps or any(s.status != "unchecked" for s in steps):
        return None
    letter = m.group(1).lstrip("\\")
    if c.table.layers.find(Name(letter, sup="(1)", text=f"{letter}^{{(1)}}"))[0] is None:
        return None
    rest = " ".join(parts[1:])
    if not _COMPUTED.search(rest):
        return None                     # \delta^{(l)} = \delta A^l: another name for the same thing, not a new sense
    own = {n for n in re.findall(r"(?<![A-Za-z\\])([A-Za-z])(?=\s*[\^_(]|\s*\})", rest)}
    return letter if any(c.table.layers.find(Name(x, sup="(1)", text=f"{x}^{{(1)}}"))[0] is None
                         and x not in ("f", "g", "h") for x in own) or _applies_own(rest) else None


# computed from the text's names: a sum or difference, a function applied, a fraction or derivative
_COMPUTED = re.compile(r"[+\-]|\\frac|\\partial|(?<![A-Za-z\\])[A-Za-z]\s*\(|\\[A-Za-z]+\s*\(")


def _applies_own(text: str) -> bool:
    """``f(\\mathbf{u}^{(l)})``: a function the text names applied to a quantity of its own."""
    return bool(re.search(r"(?<![A-Za-z\\])[fgh]\s*\(\s*(?:\\mathbf\s*\{\s*)?[A-Za-z]", text))


def uses(letter: str, text: str) -> bool:
    return re.search(r"(?<![A-Za-z\\])\\?" + re.escape(letter) + r"(?![A-Za-z])", text) is not None


def disowned(steps: list, owned: dict, replace) -> list:
    """``steps`` with every verdict on a step written with a letter the text defined in its own sense, earlier,
    turned into unread with the reason."""
    out = []
    for st in steps:
        hit = next(((k, v) for k, v in owned.items() if v[0] < st.line and uses(k, st.left + " " + st.right)), None)
        if hit and st.status in ("correct", "wrong"):
            k, (line, said) = hit
            st = replace(st, status="unchecked", diagnosis=(), counterexample=None,
                         note=f"not judged: the text defines its own {k} at line {line} ({said}), which need not be the "
                              f"network's {k}")
        out.append(st)
    return out


__all__ = ["disowned", "owned_letter", "uses"]
