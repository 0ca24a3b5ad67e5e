"""Parse a backward file into statements, loops and helper functions (the grammar's trees; nothing run).

``parse_program(text)`` gives a ``Program``: top-level blocks (``Stmt`` assignments, ``Loop`` blocks over a
range), the helper functions (``def name(params): ... return expr``) and every statement by id, so
``backward_program.Runner`` can run it symbolically and ``backward_blame`` can change one statement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import DeriveError, FormulaError
from ..tensor import grammar
from ..tensor.tree import Const, Name, Neg, Num, Tuple
from .backward_text import chained, dict_literals, fstrings, keywords, lists, randoms, split_args, unpacked, withs

_DEF = re.compile(r"def\s+([A-Za-z_]\w*)\s*\(([^)]*)\)\s*:\s*$")
_FOR = re.compile(r"for\s+([A-Za-z_]\w*)\s+in\s+(reversed\s*\(\s*)?range\s*\((.*)\)\s*(\))?\s*:\s*$")
_EACH = re.compile(r"for\s+([A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)*)\s+in\s+(.+?)\s*:\s*$")
_ASSIGN = re.compile(r"([A-Za-z_][\w]*(?:\s*,\s*[A-Za-z_]\w*)*|[A-Za-z_]\w*\s*\[.*\])\s*(\+=|-=|\*=|/=|=)(?!=)(.*)$")
_SKIP = re.compile(r"(import\s|from\s+\S+\s+import\s|pass$|@)")
_IF = re.compile(r"(if|elif)\s+(.*?)\s*:\s*$")
_ELSE = re.compile(r"else\s*:\s*$")
BUILTINS = {"str", "dict", "list", "zip"}   # str(l) in a dict's key, dict() / {}, lists (backward_values)
_OUT = re.compile(r"\s*,\s*out\s*=(?!=)\s*([A-Za-z_]\w*)\s*\)")
_ADD_AT = re.compile(r"(?:np|numpy)\s*\.\s*add\s*\.\s*at\s*\((.*)\)$")


@dataclass
class Stmt:
    id: int
    line: int
    targets: tuple          # names assigned (several for a tuple assignment)
    op: str                 # "=" "+=" "-=" "*=" "/=" or "mask" (d[mask] = value)
    tree: object
    mask: object = None
    add: bool = False       # d[...] += value


@dataclass
class Loop:
    line: int
    var: str
    start: object
    stop: object
    reverse: bool
    body: list
    step: object = None     # range(T - 1, -1, -1): None for 1
    over: object = None     # for b, w in zip(bs, ws): the list it runs over (var: the names it unpacks to)


@dataclass
class Cond:
    line: int
    test: object            # a comparison of loop steps, sizes and numbers
    body: list
    orelse: list


@dataclass
class Helper:
    name: str
    params: tuple
    body: list              # Stmt
    result: object          # the returned tree
    line: int
    defaults: dict = field(default_factory=dict)     # parameter -> its default's tree


@dataclass
class Judged:
    line: int               # where the gradient is complete: its last assignment
    target: str
    tree: object
    stmts: tuple            # ids of the statements it was built from
    later: str = ""         # changed in place through another name afterwards: why a wrong verdict is refused


@dataclass
class Program:
    blocks: list
    helpers: dict = field(default_factory=dict)
    stmts: dict = field(default_factory=dict)     # id -> Stmt (every statement, helpers' too)
    reuse: frozenset = frozenset()  # ids of d[mask] = 0 / d *= mask read as the next gradient back


def _indent(raw: str) -> int:
    return len(raw) - len(raw.lstrip(" \t"))


def parse_program(text: str) -> Program:
    """Statements, loops and helper functions of a backward file (one clear error per bad line)."""
    from .backward_classes import classes
    text = classes(text)
    lines, open_ = [], None      # open_: a statement still inside ( [ or after a trailing backslash
    doc, opened = None, 0        # the quotes a docstring still open ends with, and its line
    for k, raw in enumerate(text.splitlines(), 1):
        if doc is not None or open_ is None and raw.strip()[:3] in ('"""', "'''"):
            quote = doc or raw.strip()[:3]     # a docstring (a string alone on its lines): skipped
            opened = k if doc is None else opened
            doc = None if raw.count(quote) - (doc is None) >= 1 else quote
            continue
        body = raw.split("#", 1)[0].rstrip()
        if open_ is not None:
            k0, ind, before = open_
            body = before + " " + body.strip()
        elif not body.strip() or _SKIP.match(body.strip()):
            continue
        else:
            k0, ind = k, _indent(body)
        depth = sum({"(": 1, "[": 1, "{": 1, ")": -1, "]": -1, "}": -1}.get(ch, 0) for ch in body)
        if depth > 0 or body.endswith("\\"):
            open_ = (k0, ind, body.rstrip("\\").rstrip())
            continue
        open_ = None
        lines += [(k0, ind + extra, line) for part in split_args(body.strip(), ";") if part.strip()
                  for each in chained(part.strip()) for one in unpacked(k0, fstrings(randoms(each)))
                  for extra, line in lists(one)]
    if open_ is not None:
        raise DeriveError(f"line {open_[0]}: a '(' or '[' is never closed")
    if doc is not None:
        raise DeriveError(f"line {opened}: a {doc} string is never closed")
    lines = withs(lines)
    signatures = {m.group(1): [(p.split("=")[0].strip(), p.split("=", 1)[1].strip() if "=" in p else None)
                               for p in split_args(m.group(2)) if p.strip()] for _, _, b in lines if (m := _DEF.match(b))}
    lines = [(k, ind, b if _DEF.match(b) else keywords(k, b, signatures)) for k, ind, b in lines]
    functions = set(signatures) | BUILTINS
    prog = Program([])
    pos = 0

    def block(level: int, inside_def: bool) -> tuple[list, object]:
        nonlocal pos
        out, result = [], None
        while pos < len(lines):
            k, ind, body = lines[pos]
            if ind < level:
                break
            if ind > level:
                raise DeriveError(f"line {k}: unexpected indentation")
            pos += 1
            m = _DEF.match(body)
            if m:
                if inside_def:
                    raise DeriveError(f"line {k}: a helper function inside another is not read")
                inner = _inner_level(k, level)
                params = tuple(p.split("=")[0].strip() for p in split_args(m.group(2)) if p.strip())
                defaults = {p.split("=")[0].strip(): _parse(k, p.split("=", 1)[1], functions)
                            for p in split_args(m.group(2)) if "=" in p}
                stmts, res = block(inner, True)
                if res is None and m.group(1).endswith("____init__"):
                    res = (k, Name("self"))     # a class's __init__ gives the object (backward_classes)
                if res is None:                 # called for what it changes (net.backward(X, Y)): None
                    res = (k, Const(None))
                prog.helpers[m.group(1)] = Helper(m.group(1), params, stmts, res[1], res[0], defaults)
                prog.stmts[("return", m.group(1))] = Stmt(("return", m.group(1)), res[0], (m.group(1) + "()",), "=", res[1])
                continue
            m = _FOR.match(body)
            each = None if m else _EACH.match(body)
            if each:                              # for b, w in zip(self.biases, self.weights): over a list
                names = tuple(v.strip() for v in each.group(1).split(","))
                stmts, _ = nested(k, _inner_level(k, level), inside_def)
                out.append(Loop(k, names, None, None, False, stmts, over=_parse(k, each.group(2), functions)))
                continue
            if m:
                inside = m.group(3).rstrip()
                if m.group(2) and not m.group(4) and inside.endswith(")"):
                    inside = inside[:-1]          # reversed(range(T)): the last ')' closes reversed
                args = [_parse(k, a, functions) for a in split_args(inside)]
                if not 1 <= len(args) <= 3:
                    raise DeriveError(f"line {k}: read as 'for t in range(T):', range(a, b) or range(a, b, step)")
                start, stop = (args[0], args[1]) if len(args) >= 2 else (Num(Fraction(0)), args[0])
                inner = _inner_level(k, level)
                stmts, _ = nested(k, inner, inside_def)
                out.append(Loop(k, m.group(1), start, stop, bool(m.group(2)), stmts, args[2] if len(args) == 3 else None))
                continue
            m = _IF.match(body)
            if m and m.group(1) == "if":
                out.append(conditional(k, level, m.group(2), inside_def))
                continue
            if m or _ELSE.match(body):
                raise DeriveError(f"line {k}: '{body.split()[0].rstrip(':')}' without an 'if' just before it")
            if body.startswith("return"):
                if not inside_def:
                    raise DeriveError(f"line {k}: 'return' outside a helper function")
                ret = body[len("return"):]
                result = (k, _parse(k, f"({ret})" if len(split_args(ret)) > 1 else ret, functions))
                continue
            out.append(_statement(k, body, functions, prog))
        return out, result

    def conditional(k: int, level: int, test: str, inside_def: bool) -> Cond:
        """if / elif / else: run by ``Runner`` on the branch its loop steps and sizes choose."""
        nonlocal pos
        body, _ = nested(k, _inner_level(k, level), inside_def)
        cond = Cond(k, _parse(k, test, functions), body, [])
        if pos < len(lines) and lines[pos][1] == level:
            k2, _, nxt = lines[pos]
            m = _IF.match(nxt)
            if m and m.group(1) == "elif":
                pos += 1
                cond.orelse = [conditional(k2, level, m.group(2), inside_def)]
            elif _ELSE.match(nxt):
                pos += 1
                cond.orelse, _ = nested(k2, _inner_level(k2, level), inside_def)
        return cond

    def nested(k: int, inner: int, inside_def: bool):
        out, result = block(inner, inside_def)
        if result is not None:
            raise DeriveError(f"line {result[0]}: a 'return' inside a loop or an 'if' is not read; "
                              "return once, at the end of the function")
        return out, None

    def _inner_level(k: int, level: int) -> int:
        if pos >= len(lines) or lines[pos][1] <= level:
            raise DeriveError(f"line {k}: expected an indented block after ':'")
        return lines[pos][1]

    prog.blocks, _ = block(0, False)
    return prog


def _parse(k: int, text: str, functions):
    try:
        return grammar.parse(text.strip(), functions)
    except FormulaError as e:
        raise DeriveError(f"line {k}: {e}") from None


def _statement(k: int, body: str, functions, prog: Program) -> Stmt:
    out = _OUT.search(body)
    if out:                     # np.multiply(d, mask, out=d): NumPy writes into d in place
        call = body[:out.start()] + body[out.end() - 1:]
        call = call.split("=", 1)[1].strip() if _ASSIGN.fullmatch(call) else call
        raise DeriveError(f"line {k}: out= writes into {out.group(1)} in place, which derive does not read; "
                          f"write {out.group(1)} = {call}")
    add_at = _ADD_AT.fullmatch(body)
    if add_at:                  # np.add.at(d, idx, v) is d[idx] += v, repeated indices added
        args = split_args(add_at.group(1))
        if len(args) != 3:
            raise DeriveError(f"line {k}: read as np.add.at(dNAME, indices, values)")
        index = args[1].strip()
        if index.startswith("(") and index.endswith(")") and len(split_args(index[1:-1])) > 1:
            index = index[1:-1]        # np.add.at(d, (rows, cols), v): d[rows, cols]
        body = f"{args[0].strip()}[{index}] += {args[2].strip()}"
    call = re.fullmatch(r"([A-Za-z_]\w*)\s*\(.*\)", body)
    if call and call.group(1) in functions - BUILTINS:
        body = "_ = " + body              # net.forward(X): a helper called for what it changes
    m = _ASSIGN.fullmatch(re.sub(r"=\s*\{\s*\}$", "= dict()", body))    # grads = {}
    if not m:
        raise DeriveError(f"line {k}: expected an assignment (dNAME = expression, dNAME += expression, "
                          "d[mask] = value), a 'for t in range(T):' loop or a 'def'")
    lhs, op, rhs = m.group(1).strip(), m.group(2), m.group(3)
    rhs = dict_literals(k, rhs)
    if "," in lhs and "[" not in lhs and len(split_args(rhs)) > 1:
        rhs = "(" + rhs + ")"          # a, b = x, y: a tuple on the right
    tree = _parse(k, rhs, functions)
    sid = len(prog.stmts)
    if "[" in lhs:
        name, _, rest = lhs.partition("[")
        index = _parse(k, "_[" + rest.rsplit("]", 1)[0] + "]", functions)
        mask = index.items[0] if len(index.items) == 1 else Tuple(index.items)
        if op not in ("=", "+=", "-="):
            raise DeriveError(f"line {k}: {name.strip()}[...] {op} is not read; write {name.strip()}[...] = value")
        st = Stmt(sid, k, (name.strip(),), "mask", tree if op != "-=" else Neg(tree), mask, op != "=")
    else:
        targets = tuple(t.strip() for t in lhs.split(","))
        if len(targets) > 1 and op != "=":
            raise DeriveError(f"line {k}: a tuple can only be assigned with '='")
        st = Stmt(sid, k, targets, op, tree)
    prog.stmts[sid] = st
    return st
