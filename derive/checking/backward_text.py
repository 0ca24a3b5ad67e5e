"""Rewrites of a backward file's line before it is parsed (the text only; line numbers kept): arguments split at
top-level commas, a dict literal as ``dict("k", v, ...)``, an f-string key as ``"dW" + str(l)``, and a tuple of
subscripted targets (``dA, grads[f"dW{l}"] = f(...)``) as a temporary and one assignment per target, and a
value drawn by ``np.random`` as a name (``randoms``)."""
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


def dict_literals(k: int, rhs: str) -> str:
    """Every dict literal of a right side as dict(...) ({} and {"dW1": dW1} alone or inside a tuple: 0, {})."""
    out, i, quote = "", 0, None
    while i < len(rhs):
        ch = rhs[i]
        if quote is None and ch == "{":
            depth, end = 1, i + 1
            while end < len(rhs) and depth:
                depth += {"{": 1, "}": -1}.get(rhs[end], 0)
                end += 1
            inside = rhs[i + 1:end - 1]
            out += dict_literal(k, dict_literals(k, inside)) if inside.strip() else "dict()"
            i = end
            continue
        quote = ch if quote is None and ch in "'\"" else None if ch == quote else quote
        out += ch
        i += 1
    return out


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


def randoms(body: str) -> str:
    """np.random.randn(H, D) (a class's __init__ drawing weights the caller then sets) as the name
    np_random_randn: read, and refused in one line only if a judged line's value needs it."""
    while (m := re.search(r"\bnp\.random\.([A-Za-z_]\w*)\s*\(", body)):
        depth, end = 1, m.end()
        while end < len(body) and depth:
            depth += {"(": 1, ")": -1}.get(body[end], 0)
            end += 1
        body = body[:m.start()] + f"np_random_{m.group(1)}" + body[end:]
    return body


def keywords(k: int, body: str, helpers: dict) -> str:
    """A helper's call with keyword arguments (net.loss(X, y, reg=reg)) written by position, each parameter
    not given taking its default as written in the def; helpers: name -> [(parameter, default text)]."""
    if "=" not in body or not helpers:
        return body
    pat = re.compile(r"\b(" + "|".join(map(re.escape, helpers)) + r")\s*\(")
    out, pos = "", 0
    while (m := pat.search(body, pos)):
        depth, end = 1, m.end()
        while end < len(body) and depth:
            depth += {"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(body[end], 0)
            end += 1
        args = [keywords(k, a.strip(), helpers) for a in split_args(body[m.end():end - 1])]
        named = [a for a in args if re.match(r"[A-Za-z_]\w*\s*=(?!=)", a)]
        if named:
            given = dict(a.split("=", 1) for a in named)
            given = {key.strip(): v.strip() for key, v in given.items()}
            params = helpers[m.group(1)]
            args = args[:len(args) - len(named)]
            for p, default in params[len(args):]:
                if p not in given and default is None:
                    raise DeriveError(f"line {k}: {m.group(1)}() is called without its parameter {p}")
                args.append(given.pop(p, default))
            if given:
                raise DeriveError(f"line {k}: {m.group(1)}() has no parameter {next(iter(given))}")
        out += body[pos:m.start()] + m.group(1) + "(" + ", ".join(args) + ")"
        pos = end
    return out + body[pos:]


_COMPREHENSION = re.compile(r"([A-Za-z_]\w*(?:\[[^\]]*\])?)\s*=\s*\[(.+?)\s+for\s+([A-Za-z_][\w\s,]*?)\s+in\s+(.+)\]$")
_APPEND = re.compile(r"([A-Za-z_]\w*(?:\[[^\]]*\])?)\.append\((.*)\)$")


def lists(body: str) -> list:
    """Python's lists as the runner reads them, each (extra indentation, statement): [] as list(),
    xs.append(v) as xs = xs + [v], and a comprehension xs = [f(b) for b in bs] as the loop that builds it."""
    body = re.sub(r"(?<![\w\)\]])\[\s*\]", "list()", body)
    if (m := _APPEND.fullmatch(body)):
        return [(0, f"{m.group(1)} = {m.group(1)} + [{m.group(2)}]")]
    m = _COMPREHENSION.fullmatch(body)
    if m and " for " not in m.group(4) and " if " not in m.group(4):
        name, value, var, over = m.groups()
        return [(0, f"{name} = list()"), (0, f"for {var.strip()} in {over.strip()}:"),
                (1, f"{name} = {name} + [{value}]")]
    return [(0, body)]


def withs(lines: list) -> list:
    """(line, indentation, statement) with each ``with torch.no_grad():`` left out and its body read one level
    up (what a context manager does to a backward pass is not derive's to judge)."""
    out, stack = [], []          # stack: (the with's indentation, how far its body is indented past it)
    for k, ind, body in lines:
        while stack and ind <= stack[-1][0]:
            stack.pop()
        if stack and stack[-1][1] is None:
            stack[-1] = (stack[-1][0], ind - stack[-1][0])
        if re.fullmatch(r"with\s+.+:", body):
            stack.append((ind, None))
            continue
        out.append((k, ind - sum(shift for _, shift in stack if shift), body))
    return out


def chained(body: str) -> list:
    """a = b = expr as b = expr, then a = b (one object under two names, as Python binds it)."""
    parts = split_args(body, "=")
    if len(parts) < 3 or any(not re.fullmatch(r"\s*[A-Za-z_]\w*\s*", p) for p in parts[:-1]) or \
            any(p.endswith(("<", ">", "!", "=", "+", "-", "*", "/")) or p.startswith("=") for p in parts):
        return [body]
    names = [p.strip() for p in parts[:-1]]
    return [f"{names[-1]} = {parts[-1].strip()}"] + [f"{a} = {names[-1]}" for a in names[:-1]]
