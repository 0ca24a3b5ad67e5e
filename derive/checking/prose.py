"""Prose set as maths in a derivation: an equality that states no relation to check, and why (one line).

``for $k = 1, 2$`` (a loop's range of an index), ``$f = \\sigma$`` (a function's name), cs231n's ``f(x,y) = x y``
(a function of several letters, one example's own, beside the network's f).
"""
from __future__ import annotations

import re

# prose set as maths: "for $k = 1, 2$" (a loop's range of an index), "$f = \\sigma$" (a function's name)
_RANGE = re.compile(r"\s*([ijklmn])\s*=\s*[\w\s,+\-.{}\\]*?(?:,|\\dots|\\ldots|\.\.\.)[\w\s,+\-.{}\\]*")
# cs231n's f(x,y) = x y, then f(x,y) = x + y: a function of several letters, each example its own
_SEVERAL = re.compile(r"\s*([A-Za-z])\s*\(\s*[a-z]\s*(?:,\s*[a-z]\s*)+\)\s*")
_FUNCTION_NAME = re.compile(r"\s*([fgh])\s*(?:\^\s*\{\s*[\[(][^\])]*[\])]\s*\})?\s*=\s*\\?(sigma|tanh|mathrm\{ReLU\}|operatorname\{ReLU\}|ReLU|relu)\s*")


def prose(parts: list[str]) -> str:
    """Why an equality is prose set as maths, or ""."""
    whole = " = ".join(parts)
    if (m := _RANGE.fullmatch(whole)) and len(parts) == 2:
        return f"{m.group(1)} = ... is the range of an index (a loop over units or layers), not an equation to check"
    if (m := _SEVERAL.fullmatch(parts[0])):
        return (f"{parts[0].strip()} is a function of the letters in parentheses, which a text may define for one example "
                f"apart from the network's {m.group(1)}: not read")
    if (m := _FUNCTION_NAME.fullmatch(whole)):
        return f"{m.group(1)} = ... names the activation function, not a quantity: read with its argument, {m.group(1)}(z)"
    return ""


__all__ = ["prose"]
