"""Classes in a backward file, read as helper functions over a dict of attributes (a rewrite of the text that
keeps every line where it was; nothing is run).

``class Net:`` with ``def backward(self, X, Y): ... self.dW2 = ...`` becomes the helper ``Net__backward(self,
X, Y)``, its ``self`` a dict of the object's attributes: ``self.dW2 = v`` is ``self["dW2"] = v`` (a key naming
a gradient assigns that gradient there, as a dict's does, ``backward_values``) and ``self.W1`` reads
``self["W1"]``.  ``net = Net(W1, b1)`` calls ``Net____init__(dict(), W1, b1)``, which returns its self;
``net.backward(X, Y)`` calls ``Net__backward(net, X, Y)`` and ``net.dW1`` reads ``net["dW1"]``.  A method's
self is the caller's object (a parameter is bound to the caller's array, ``backward_alias``), so what a
method sets is the object's after the call.  Read: classes at the top level, methods taking ``self``, one
class per method name; anything else about a class (inheritance, class attributes) is refused.
"""
from __future__ import annotations

import re

from ..errors import DeriveError

_CLASS = re.compile(r"class\s+([A-Za-z_]\w*)\s*(\(\s*(object)?\s*\))?\s*:\s*$")
_STARTS = re.compile(r"class\s")       # not class_weights = ...
_METHOD = re.compile(r"def\s+([A-Za-z_]\w*)\s*\(\s*self\s*[,)]")


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" \t"))


def _docstring_end(lines: list, i: int, quote: str) -> int:
    """The line a docstring opened at line i closes on (its lines left out of the rewrite)."""
    j = i if lines[i].strip().count(quote) >= 2 else next((j for j in range(i + 1, len(lines)) if quote in lines[j]), None)
    if j is None:
        raise DeriveError(f"line {i + 1}: a {quote} string is never closed")
    return j


def classes(text: str) -> str:
    lines = text.splitlines()
    if not any(_STARTS.match(raw) for raw in lines):
        return text
    out, owner = list(lines), {}          # method name -> its class
    i = 0
    while i < len(lines):
        if not _STARTS.match(lines[i]):
            i += 1
            continue
        m = _CLASS.match(lines[i].split("#", 1)[0].rstrip())
        if not m:
            raise DeriveError(f"line {i + 1}: a class is read as 'class Name:' (no base class)")
        cls, out[i], inner = m.group(1), "", None
        i += 1
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
            raw = lines[i]
            if raw.strip():
                inner = inner or _indent(raw)
                row = raw[min(inner, _indent(raw)):]
                d = _METHOD.match(row)
                if _indent(raw) == inner and row.startswith(('"""', "'''")):     # the class's docstring
                    end = _docstring_end(lines, i, row[:3])
                    out[i:end + 1] = [""] * (end + 1 - i)
                    i = end + 1
                    continue
                if _indent(raw) == inner and not row.startswith(("def ", "#", '"', "'")):
                    raise DeriveError(f"line {i + 1}: only methods (def name(self, ...):) are read in a class")
                if d and _indent(raw) == inner:
                    if d.group(1) in owner and owner[d.group(1)] != cls:
                        raise DeriveError(f"line {i + 1}: two classes ({owner[d.group(1)]}, {cls}) define {d.group(1)}(); "
                                          "derive reads one class per method name (layer objects called in a loop "
                                          "are not read): write the layers' backward as functions, "
                                          "affine_backward(dout, cache)")
                    owner[d.group(1)] = cls
                    row = row.replace(f"def {d.group(1)}", f"def {cls}__{d.group(1)}", 1)
                out[i] = row
            i += 1
    made = {c for c in owner.values()}
    objects = {"self"} | {m.group(1) for raw in out for c in made
                          if (m := re.match(rf"\s*([A-Za-z_]\w*)\s*=\s*{c}\s*\(", raw))}
    text = "\n".join(out)
    for c in made:
        if owner.get("__init__") != c:      # no __init__: the object starts empty
            text = re.sub(rf"(?<![\w.]){c}\s*\(\s*\)", "dict()", text)
            continue
        text = re.sub(rf"\b{c}\s*\(\s*\)", f"{c}____init__(dict())", text)
        text = re.sub(rf"(?<![\w.]){c}\s*\((?!\s*\))", f"{c}____init__(dict(), ", text)
    obj = "|".join(sorted(objects))
    for name, c in owner.items():
        text = re.sub(rf"\b({obj})\.{name}\s*\(\s*\)", rf"{c}__{name}(\1)", text)
        text = re.sub(rf"\b({obj})\.{name}\s*\(", rf"{c}__{name}(\1, ", text)
    return re.sub(rf"\b({obj})\.([A-Za-z_]\w*)\b(?!\s*\()", r'\1["\2"]', text)
