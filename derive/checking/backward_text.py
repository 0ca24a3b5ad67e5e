"""Rewrites of a backward file's line before it is parsed (the text only; line numbers kept): arguments split at
top-level commas, a dict literal as ``dict("k", v, ...)``, an f-string key as ``"dW" + str(l)``, and a tuple of
subscripted targets (``dA, grads[f"dW{l}"] = f(...)``) as a temporary and one assignment per target."""
from __future__ import annotations

import re

from ..errors import DeriveError

_FSTRING = re.compile(r"""\bf(["'])([^"'\\]*)\1""")


def split_args(text: str, sep: str = ",") -> list:
    depth, cur, out = 0, "", []
    for ch in text:
        depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0)
        if ch == sep and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += ch
    return out + [cur] if cur.strip() else out


def dict_literal(k: int, inside: str) -> str:
    """{"dW1": dW1, "db1": db1} as dict("dW1", dW1, "db1", db1) (keys must be strings as written)."""
    parts = []
    for pair in split_args(inside):
        key, sep, value = pair.partition(":")
        key = key.strip()
        if not sep or len(key) < 2 or key[0] not in "'\"" or key[-1] != key[0] or not value.strip():
            raise DeriveError(f"line {k}: a dict is read with string keys as written: {{\"dW1\": dW1, ...}}")
        parts += [key, value.strip()]
    return "dict(" + ", ".join(parts) + ")"


def fstrings(body: str) -> str:
    """f"dW{l + 1}" as ("dW" + str(l + 1)): a dict's key built from a loop's step."""
    def one(m):
        parts = re.split(r"\{([^{}:!]+)\}", m.group(2))
        if "{" in "".join(parts[::2]) or "}" in "".join(parts[::2]):
            return m.group(0)             # a format spec or a brace left: the grammar refuses it
        order = [x for pair in zip(parts[::2], parts[1::2] + [""]) for x in pair]
        out = [repr(x) if i % 2 == 0 else f"str({x.strip()})" for i, x in enumerate(order) if x]
        return "(" + " + ".join(out or ["''"]) + ")"
    return _FSTRING.sub(one, body) if "f" in body else body


def unpacked(k: int, body: str) -> list:
    """dA, grads["dW1"], grads["db1"] = f(...) as a tuple put in a temporary, then one assignment per target."""
    m = re.fullmatch(r"([^=]+?)\s*=(?!=)(.*)$", body)
    if not m or "," not in m.group(1) or "[" not in m.group(1) or m.group(1).strip().startswith(("for ", "if ", "def ")):
        return [body]
    targets = split_args(m.group(1))
    if len(targets) < 2 or any(not re.fullmatch(r"\s*[A-Za-z_]\w*\s*(\[.*\])?\s*", t) for t in targets):
        return [body]
    tmp = f"_unpacked_{k}"
    rhs = m.group(2).strip()
    rhs = f"({rhs})" if len(split_args(rhs)) > 1 else rhs
    return [f"{tmp} = {rhs}"] + [f"{t.strip()} = {tmp}[{i}]" for i, t in enumerate(targets)]
