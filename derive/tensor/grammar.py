"""The tensor grammar: NumPy-style expression text -> an immutable tree (our own parser; no eval).

Expressions: numbers, names, ``+ - * / ** @``, unary minus, comparisons (1 or 0), ``.T`` or ``^T``, indexing
``x[i]`` (an integer input: embedding lookup; also ``x[:, 0:4]``, ``x[0]``, ``x[:, None]``), calls
of the functions in FUNCS with ``axis=``/``keepdims=``, the method forms (``x.sum(axis=0)``,
``x.mean(0)``, ``x.view(N, -1)``) and an optional ``np.``/``torch.``/``F.`` prefix.
"""
from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from fractions import Fraction

from ..errors import FormulaError, choices

MAX_CHARS = 2000
MAX_DEPTH = 60
# function name -> (min positional args, max positional args, keywords it takes)
FUNCS = {
    "exp": (1, 1, ()), "log": (1, 1, ()), "tanh": (1, 1, ()), "sigmoid": (1, 1, ()), "relu": (1, 1, ()),
    "sqrt": (1, 1, ()), "softmax": (1, 2, ("axis", "dim")), "log_softmax": (1, 2, ("axis", "dim")),
    "sum": (1, 2, ("axis", "dim", "keepdims", "keepdim")), "mean": (1, 2, ("axis", "dim", "keepdims", "keepdim")),
    "max": (1, 2, ("axis", "dim", "keepdims", "keepdim")), "reshape": (2, 9, ()), "transpose": (1, 1, ()),
    "one_hot": (2, 2, ("num_classes",)), "broadcast_to": (2, 2, ()), "ones_like": (1, 1, ()),
    "zeros_like": (1, 1, ()), "float": (1, 1, ()), "arange": (1, 1, ()), "stack": (1, 2, ("axis", "dim")),
}
ALIASES = {"view": "reshape", "t": "transpose", "double": "float", "logsoftmax": "log_softmax",
           "amax": "max", "expand": "broadcast_to", "range": "arange", "clone": "float",
           "detach": "float"}
PREFIXES = {"np", "numpy", "torch", "F", "nn", "functional"}
RESERVED = set(FUNCS) | set(ALIASES) | PREFIXES | {"None", "True", "False", "scatter", "forward",
                                                   "gradients", "NAME", "PARAMS", "INPUTS"}
_TOKEN = re.compile(r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|>=|<=|==|!=|[-+*/@()\[\],.:<>=^]))")


# ---------------------------------------------------------------------------------------------
# The tree: frozen dataclasses, so a program prints the same every run

@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class Const:               # True, False, None as keyword values
    value: object


@dataclass(frozen=True)
class Neg:
    x: object


@dataclass(frozen=True)
class Bin:                 # + - * / ** @ and comparisons > < >= <= == !=
    op: str
    a: object
    b: object


@dataclass(frozen=True)
class Call:                # fn(args..., key=value...)
    fn: str
    args: tuple
    kw: tuple = ()         # ((key, node), ...)

    def get(self, key, default=None):
        return next((v for k, v in self.kw if k == key), default)


@dataclass(frozen=True)
class Tuple:
    items: tuple


@dataclass(frozen=True)
class Slice:               # lo:hi inside [...]; None means open
    lo: object
    hi: object


@dataclass(frozen=True)
class Index:               # x[items]; an item is a node, Slice(None, None) for ':', Const(None) for None
    x: object
    items: tuple


@dataclass(frozen=True)
class Scatter:             # backward only: zeros shaped like x, with g added at x[items] (np.add.at)
    g: object
    x: object
    items: tuple


COMPARISONS = (">", "<", ">=", "<=", "==", "!=")


def walk(node):
    """Every node of a tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def children(node) -> tuple:
    if isinstance(node, Neg):
        return (node.x,)
    if isinstance(node, Bin):
        return (node.a, node.b)
    if isinstance(node, Call):
        return node.args + tuple(v for _, v in node.kw)
    if isinstance(node, Tuple):
        return node.items
    if isinstance(node, Slice):
        return tuple(x for x in (node.lo, node.hi) if x is not None)
    if isinstance(node, Index):
        return (node.x,) + node.items
    if isinstance(node, Scatter):
        return (node.g, node.x) + node.items
    return ()


def names(node) -> list[str]:
    """Names a tree reads, in order of first use."""
    return list(dict.fromkeys(n.id for n in walk(node) if isinstance(n, Name)))


# ---------------------------------------------------------------------------------------------
# The parser

class _Parser:
    def __init__(self, text: str):
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
            return Neg(x) if op == "-" else x
        base = self.postfix()
        if self.peek()[1] == "**":
            self.take()
            self.nest()
            e = self.unary()
            self.depth -= 1
            return Bin("**", base, e)
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
                    continue
                if attr == "values":      # torch's x.max(1).values: the values are what max gives here
                    continue
                fn = ALIASES.get(attr, attr)
                if fn not in FUNCS:
                    raise FormulaError(f"unknown method .{attr}()")
                args, kw = self.arguments() if self.peek()[1] == "(" else ((), ())
                if fn == "reshape" and len(args) > 1:
                    args = (Tuple(args),)
                node = _call(fn, (node,) + args, kw)
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
        lo = None if self.peek()[1] in (":",) else self.expr()
        if self.peek()[1] != ":":
            return lo
        self.take()
        hi = None if self.peek()[1] in (",", "]") else self.expr()
        return Slice(lo, hi)

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
            return Num(Fraction(t))
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
        while t in PREFIXES and self.peek()[1] == ".":
            self.take()
            kind, t = self.take()
            if kind != "name":
                raise FormulaError("expected a function name after a module prefix")
        fn = ALIASES.get(t, t)
        if self.peek()[1] == "(":
            if fn not in FUNCS:
                raise FormulaError(f"unknown function {t!r}; " + choices(t, sorted(FUNCS), "functions"))
            args, kw = self.arguments()
            if fn == "reshape" and len(args) > 2:
                args = (args[0], Tuple(args[1:]))
            return _call(fn, args, kw)
        if t in RESERVED:
            raise FormulaError(f"{t!r} is a function, not a value")
        if keyword.iskeyword(t):
            raise FormulaError(f"{t!r} is not allowed in an expression")
        return Name(t)


def _call(fn: str, args: tuple, kw: tuple) -> Call:
    lo, hi, keys = FUNCS[fn]
    if fn == "one_hot" and len(args) == 1 and len(kw) == 1 and kw[0][0] == "num_classes":
        args, kw = args + (kw[0][1],), ()
    if not lo <= len(args) <= hi:
        raise FormulaError(f"{fn}() takes {lo if lo == hi else f'{lo} to {hi}'} argument(s), got {len(args)}")
    norm = []
    for k, v in kw:
        if k not in keys:
            raise FormulaError(f"{fn}() has no keyword {k!r}")
        k = {"dim": "axis", "keepdim": "keepdims"}.get(k, k)
        norm.append((k, v))
    if fn in ("sum", "mean", "max", "softmax", "log_softmax", "stack") and len(args) == 2:
        norm.insert(0, ("axis", args[1]))
        args = args[:1]
    if len({k for k, _ in norm}) != len(norm):
        raise FormulaError(f"{fn}() got a keyword twice")
    return Call(fn, args, tuple(norm))


def parse(text) -> object:
    """Parse one expression into a tree, or raise FormulaError with a one-line reason."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise FormulaError("expected an expression")
    text = str(text)
    if len(text) > MAX_CHARS:
        raise FormulaError(f"expression longer than {MAX_CHARS} characters")
    p = _Parser(text)
    if not p.toks:
        raise FormulaError("empty expression")
    node = p.expr()
    if p.peek()[0] != "end":
        hint = "; write a matrix product with @ and a product with *" if p.peek()[0] in ("name", "num") \
            or p.peek()[1] == "(" else ""
        raise FormulaError(f"unexpected {p.peek()[1]!r} after the expression{hint}")
    return node
