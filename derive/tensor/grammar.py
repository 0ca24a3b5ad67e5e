"""The tensor grammar: NumPy-style expression text -> an immutable tree (our own parser; no eval).

Expressions: numbers, names, ``+ - * / ** @``, unary minus, comparisons (1 or 0), ``.T``, ``.mT`` or
``^T``, indexing (``x[ids]`` an embedding lookup, ``x[:, 0:6:2]``, ``x[0]``, ``x[:, None]``,
``x[..., None]``), calls of the functions in ``calls.FUNCS`` with ``axis=``/``dim=``/``keepdims=``,
the method forms (``x.sum(axis=-1)``, ``x.var(0, ddof=1)``, ``x.transpose(0, 2, 1)``) and an optional
``np.``/``torch.``/``F.``/``math.`` prefix.  The spellings NumPy and PyTorch share are read into one
canonical tree by ``calls.make_call`` (``np.dot`` and ``.dot`` are ``@``, ``square`` is ``** 2``,
``std`` is ``sqrt(var)``); the nodes are in ``tree``.
"""
from __future__ import annotations

import keyword
import re
from fractions import Fraction

from ..errors import FormulaError, choices
from .calls import ALIASES, CONSTANTS, FUNCS, PREFIXES, SUGAR, entry_count, make_call, method_call, power
from .tree import (COMPARISONS, Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple,  # noqa: F401
                   children, const_fraction, names, walk)

MAX_CHARS = 2000
MAX_DEPTH = 60
# names a value may not take: Python's constants, pi, the module prefix and the functions the
# generated code defines at module level (a value with that name would hide them)
RESERVED = {"None", "True", "False", "pi", "np", "numpy", "scatter", "forward", "gradients", "NAME",
            "PARAMS", "INPUTS", "softmax", "log_softmax", "sigmoid", "relu", "one_hot", "pad_torch", "erf", "math"}
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<str>'[^'\n]{0,200}'|\"[^\"\n]{0,200}\")"
                    r"|(?P<op>\.\.\.|\*\*|>=|<=|==|!=|[-+*/@()\[\],.:<>=^]))")


class _Parser:
    def __init__(self, text: str, functions=()):
        self.user = set(functions)      # helper functions a backward file defines: Call("call", (name, args...))
        self.toks, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise FormulaError(f"unexpected character {text[pos:].lstrip()[:1]!r}")
            kind = m.lastgroup
            self.toks.append((kind, m.group(kind)))
            pos = m.end()
        self.i, self.depth = 0, 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def take(self, value=None):
        tok = self.peek()
        if value is not None and tok[1] != value:
            raise FormulaError(f"expected {value!r}, found {tok[1] or 'the end'!r}")
        self.i += 1
        return tok

    def nest(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("expression nested too deeply")

    def expr(self):
        self.nest()
        a = self.arith()
        if self.peek()[1] in COMPARISONS:
            op = self.take()[1]
            a = Bin(op, a, self.arith())
        self.depth -= 1
        return a

    def arith(self):
        a = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            a = Bin(op, a, self.term())
        return a

    def term(self):
        a = self.unary()
        while self.peek()[1] in ("*", "/", "@"):
            op = self.take()[1]
            a = Bin(op, a, self.unary())
        return a

    def unary(self):
        if self.peek()[1] in ("-", "+"):
            op = self.take()[1]
            self.nest()
            x = self.unary()
            self.depth -= 1
            if op == "-" and isinstance(x, Num):     # -1 is one number (an axis, an exponent)
                return Num(-x.value, None if x.text is None else "-" + x.text)
            return Neg(x) if op == "-" else x
        base = self.postfix()
        if self.peek()[1] == "**":
            self.take()
            self.nest()
            e = self.unary()
            self.depth -= 1
            return power(base, e)
        return base

    def postfix(self):
        node = self.atom()
        while True:
            t = self.peek()[1]
            if t == "^":                  # x^T, as the notes write a transpose
                self.take()
                if self.peek() != ("name", "T"):
                    raise FormulaError("'^' is only a transpose here (x^T); write powers with **")
                self.take()
                node = Call("transpose", (node,))
            elif t == ".":
                self.take()
                kind, attr = self.take()
                if kind != "name":
                    raise FormulaError(f"expected a name after '.', found {attr!r}")
                if attr == "T":
                    node = Call("transpose", (node,))
                elif attr == "mT":
                    node = Call("swapaxes", (node, Num(Fraction(-2)), Num(Fraction(-1))))
                elif attr in ("values", "data"):   # torch's x.max(1).values; x.data is x
                    continue
                elif attr == "indices" and isinstance(node, Call) and node.fn in ("max", "min"):
                    if node.fn == "min":
                        raise FormulaError(".min(...).indices is not read; write argmax of -x")
                    node = Call("argmax", node.args, node.kw)    # torch's x.max(1).indices
                elif attr == "shape":
                    node = Call("shape", (node,))
                elif attr == "size" and self.peek()[1] != "(":   # NumPy's x.size: how many entries
                    node = entry_count(node)
                elif attr in ("astype", "type", "to"):   # a dtype change: the values are the same numbers
                    self.skip_arguments()
                    node = Call("float", (node,))
                else:
                    args, kw = self.arguments() if self.peek()[1] == "(" else ((), ())
                    node = method_call(attr, node, args, kw)
            elif t == "[":
                self.take()
                items = [self.item()]
                while self.peek()[1] == ",":
                    self.take()
                    items.append(self.item())
                self.take("]")
                node = Index(node, tuple(items))
            else:
                return node

    def item(self):
        if self.peek()[1] == "...":
            self.take()
            return Const(Ellipsis)
        lo = None if self.peek()[1] == ":" else self.expr()
        if self.peek()[1] != ":":
            return lo
        self.take()
        hi = None if self.peek()[1] in (",", "]", ":") else self.expr()
        step = None
        if self.peek()[1] == ":":
            self.take()
            step = None if self.peek()[1] in (",", "]") else self.expr()
        return Slice(lo, hi, step)

    def skip_arguments(self):
        """The argument of .astype(float) / .to(torch.float64): a dtype, read and dropped."""
        if self.peek()[1] != "(":
            raise FormulaError("expected '(' after .astype")
        depth = 0
        while True:
            kind, t = self.take()
            if kind == "end":
                raise FormulaError("expected ')'")
            depth += {"(": 1, ")": -1}.get(t, 0)
            if depth == 0:
                return

    def arguments(self):
        self.take("(")
        args, kw = [], []
        while self.peek()[1] != ")":
            if self.peek()[0] == "name" and self.peek(1)[1] == "=":
                key = self.take()[1]
                self.take("=")
                kw.append((key, self.expr()))
            elif kw:
                raise FormulaError("a positional argument after a keyword argument")
            else:
                args.append(self.expr())
            if self.peek()[1] != ",":
                break
            self.take()
        self.take(")")
        return tuple(args), tuple(kw)

    def atom(self):
        kind, t = self.take()
        if kind == "num":
            return Num(Fraction(t), t if ("." in t or "e" in t.lower()) else None)
        if kind == "str":
            return Const(t[1:-1])
        if t == "[":                       # a list, as stack([a, b]) takes it
            self.nest()
            items = [self.expr()]
            while self.peek()[1] == ",":
                self.take()
                if self.peek()[1] == "]":
                    break
                items.append(self.expr())
            self.take("]")
            self.depth -= 1
            return Tuple(tuple(items))
        if t == "(":
            self.nest()
            first = self.expr()
            if self.peek()[1] == ",":
                items = [first]
                while self.peek()[1] == ",":
                    self.take()
                    if self.peek()[1] == ")":
                        break
                    items.append(self.expr())
                first = Tuple(tuple(items))
            self.take(")")
            self.depth -= 1
            return first
        if kind != "name":
            raise FormulaError(f"unexpected {t or 'end of expression'!r}")
        if t in ("True", "False", "None"):
            return Const({"True": True, "False": False, "None": None}[t])
        prefix = None
        while t in PREFIXES and self.peek()[1] == "." and self.peek(1)[0] == "name" and self._known(self.peek(1)[1]):
            prefix = prefix or t
            self.take()
            t = self.take()[1]
        if t in CONSTANTS and (prefix or t == "pi") and self.peek()[1] != "(":
            return CONSTANTS[t]
        if t == "scatter" and not prefix and self.peek()[1] == "(":
            return self.scatter()
        if t == "eye" and prefix and self.peek()[1] == "(":     # np.eye(V)[Yb]: the one-hot rows of Yb
            args, kw = self.arguments()
            if len(args) != 1 or kw or self.peek()[1] != "[":
                raise FormulaError("np.eye is read only as a one-hot table: np.eye(V)[ids]")
            self.take("[")
            ids = self.expr()
            self.take("]")
            return make_call("one_hot", (ids, args[0]), ())
        if self.peek()[1] == "(" and t in self.user and not prefix:
            args, kw = self.arguments()
            if kw:
                raise FormulaError(f"{t}(): pass its arguments by position")
            return Call("call", (Const(t),) + args)
        if self.peek()[1] == "(":
            fn = ALIASES.get(t, t)
            if fn not in FUNCS and t not in SUGAR:
                raise FormulaError(f"unknown function {t!r}; " + choices(t, sorted(FUNCS), "functions"))
            args, kw = self.arguments()
            return make_call(t, args, kw, prefix)
        if prefix:
            raise FormulaError(f"{prefix}.{t} is a function: call it, {prefix}.{t}(...)")
        if keyword.iskeyword(t):
            raise FormulaError(f"{t!r} is not allowed in an expression")
        return Name(t)

    def scatter(self):
        """scatter(g, x, np.s_[items]): zeros like x with g added at x[items], as derive prints a slice's gradient."""
        self.take("(")
        g = self.expr()
        self.take(",")
        x = self.expr()
        self.take(",")
        for tok in ("np", ".", "s_", "["):
            self.take(tok)
        items = [self.item()]
        while self.peek()[1] == ",":
            self.take()
            items.append(self.item())
        self.take("]")
        self.take(")")
        return Scatter(g, x, tuple(items))

    @staticmethod
    def _known(t: str) -> bool:
        return t in FUNCS or t in ALIASES or t in SUGAR or t in PREFIXES or t in CONSTANTS or t == "eye"


def parse(text, functions=()) -> object:
    """Parse one expression into a tree, or raise FormulaError with a one-line reason.
    ``functions``: names of helper functions (a backward file's ``def``) read as calls to inline."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise FormulaError("expected an expression")
    text = str(text)
    if len(text) > MAX_CHARS:
        raise FormulaError(f"expression longer than {MAX_CHARS} characters")
    p = _Parser(text, functions)
    if not p.toks:
        raise FormulaError("empty expression")
    node = p.expr()
    if p.peek()[0] != "end":
        hint = "; write a matrix product with @ and a product with *" if p.peek()[0] in ("name", "num") \
            or p.peek()[1] == "(" else ""
        raise FormulaError(f"unexpected {p.peek()[1]!r} after the expression{hint}")
    return node
