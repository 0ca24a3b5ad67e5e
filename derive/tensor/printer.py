"""Print tensor trees: as NumPy code (generated modules, re-readable by our grammar) and as the
formula a lecturer writes (``dW2 = h^T dlogits``, ``db2 = sum over the batch of dlogits``); LaTeX is latex.py."""
from __future__ import annotations

from fractions import Fraction

from .tree import Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple

# binding strength: higher binds tighter (Python's order)
_PREC = {"cmp": 1, "+": 2, "-": 2, "*": 3, "/": 3, "@": 3, "neg": 4, "**": 5, "atom": 6}
HELPERS = ("softmax", "log_softmax", "sigmoid", "relu", "one_hot", "scatter", "erf")


def number(q: Fraction, text: str | None = None) -> str:
    if text is not None and Fraction(text) == q:
        return text
    if q.denominator == 1:
        return str(q.numerator)
    f = float(q)
    return repr(f) if Fraction(f) == q or len(repr(f)) < 12 else f"({q.numerator} / {q.denominator})"


def _flatten(t, sign=1, num=None, den=None, up=True):
    """(sign, numerator factors, denominator factors) of a product/quotient tree."""
    num = [] if num is None else num
    den = [] if den is None else den
    if isinstance(t, Neg):
        return _flatten(t.x, -sign, num, den, up)
    if isinstance(t, Num) and t.value < 0:
        return _flatten(Num(-t.value, None if t.text is None else t.text.lstrip("-")), -sign, num, den, up)
    if isinstance(t, Bin) and t.op == "*":
        sign, num, den = _flatten(t.a, sign, num, den, up)
        return _flatten(t.b, sign, num, den, up)
    if isinstance(t, Bin) and t.op == "/":
        sign, num, den = _flatten(t.a, sign, num, den, up)
        return _flatten(t.b, sign, num, den, not up)
    if isinstance(t, Num) and t.value.denominator != 1 and t.value.numerator == 1 and t.text is None:
        t = Num(Fraction(t.value.denominator))
        up = not up
    if t != Num(Fraction(1)):
        (num if up else den).append(t)
    return sign, num, den


def _written(f) -> bool:
    """A decimal the program wrote (0.044715, 1e-5): printed as written, never folded into a fraction."""
    return isinstance(f, Num) and f.text is not None and f.value.denominator != 1


def _folded(t):
    """_flatten with the numbers multiplied into one leading coefficient: 2 (out - Y) / (2 N) -> (out - Y) / N.
    Decimals as the program wrote them stay factors of their own (0.5, 0.044715)."""
    sign, num, den = _flatten(t)
    coef = Fraction(1)
    for f in num:
        if isinstance(f, Num) and not _written(f):
            coef *= f.value
    for f in den:
        if isinstance(f, Num) and not _written(f):
            coef /= f.value
    written = [f for f in num if _written(f)]
    num = written + [f for f in num if not isinstance(f, Num)]
    den = [f for f in den if not isinstance(f, Num) or _written(f)]
    if coef.numerator != 1:
        num.insert(0, Num(Fraction(coef.numerator)))
    if coef.denominator != 1:
        den.insert(0, Num(Fraction(coef.denominator)))
    return sign, num, den


def negative(t):
    """The tree without its leading minus sign if it prints with one (-x, -3, -y / N), else None."""
    if isinstance(t, Neg):
        return t.x
    if isinstance(t, Num) and t.value < 0:
        return Num(-t.value, None if t.text is None else t.text.lstrip("-"))
    if isinstance(t, Bin) and t.op in ("*", "/") and _flatten(t)[0] < 0:
        a, b = t.a, t.b
        if negative(a) is not None:
            return Bin(t.op, negative(a), b)
        if negative(b) is not None:
            return Bin(t.op, a, negative(b))
    return None


def _prec(t) -> int:
    if isinstance(t, Bin):
        return _PREC.get(t.op, _PREC["cmp"])
    if isinstance(t, Neg) or (isinstance(t, Num) and t.value < 0):
        return _PREC["neg"]
    return _PREC["atom"]


class CodePrinter:
    """NumPy source; ``np.`` for NumPy functions, helpers for softmax & co (defined in the module)."""

    def __call__(self, t) -> str:
        return self.p(t)

    def wrap(self, t, prec: int, right: bool = False) -> str:
        s = self.p(t)
        mine = _prec(t)
        return f"({s})" if mine < prec or (right and mine == prec) else s

    def p(self, t) -> str:
        if isinstance(t, Num):
            return number(t.value, t.text)
        if isinstance(t, Name):
            return t.id
        if isinstance(t, Const):
            return "..." if t.value is Ellipsis else repr(t.value)
        if isinstance(t, Neg) and isinstance(t.x, Bin) and t.x.op in ("*", "/"):
            return self.product(t)
        if isinstance(t, Neg):
            return "-" + self.wrap(t.x, _PREC["neg"] + 1 if isinstance(t.x, Neg) else _PREC["neg"])
        if isinstance(t, Bin):
            prec = _prec(t)
            if t.op == "**":
                return f"{self.wrap(t.a, prec + 1)} ** {self.wrap(t.b, prec)}"
            if prec == _PREC["cmp"]:
                return f"{self.wrap(t.a, 2)} {t.op} {self.wrap(t.b, 2)}"
            if t.op in ("*", "/"):
                return self.product(t)
            if t.op in ("+", "-") and negative(t.b) is not None:     # a - -b is a + b
                return f"{self.wrap(t.a, prec)} {'-' if t.op == '+' else '+'} {self.wrap(negative(t.b), prec, right=True)}"
            return f"{self.wrap(t.a, prec)} {t.op} {self.wrap(t.b, prec, right=True)}"
        if isinstance(t, Index):
            return f"{self.wrap(t.x, _PREC['atom'])}[{self.items(t.items)}]"
        if isinstance(t, Scatter):
            return f"scatter({self.p(t.g)}, {self.p(t.x)}, np.s_[{self.items(t.items)}])"
        if isinstance(t, Tuple):
            inner = ", ".join(self.p(x) for x in t.items)
            return f"({inner},)" if len(t.items) == 1 else f"({inner})"
        if isinstance(t, Call):
            return self.call(t)
        raise TypeError(type(t).__name__)

    def product(self, t) -> str:
        """A chain of * and / as one fraction: -Y / (N * probs)."""
        sign, num, den = _folded(t)
        factor = lambda f: self.wrap(f, _PREC["*"] + 1 if isinstance(f, Bin) and f.op == "@" else _PREC["*"])  # noqa: E731
        top = " * ".join(factor(f) for f in num) or "1"
        if len(num) == 1 and not den and sign > 0:
            top = self.p(num[0])
        if den:
            bottom = factor(den[0]) if len(den) == 1 else "(" + " * ".join(factor(f) for f in den) + ")"
            top = f"{top} / {bottom}"
        return ("-" if sign < 0 else "") + top

    def items(self, items) -> str:
        out = []
        for it in items:
            if isinstance(it, Slice):
                out.append(("" if it.lo is None else self.p(it.lo)) + ":" + ("" if it.hi is None else self.p(it.hi))
                           + ("" if it.step is None else ":" + self.p(it.step)))
            elif isinstance(it, Call) and it.fn == "arange":
                out.append(f"np.arange({self.p(it.args[0])})")
            else:
                out.append(self.p(it))
        return ", ".join(out)

    def kw(self, t: Call) -> str:
        return "".join(f", {k}={self.p(v)}" for k, v in t.kw)

    def call(self, t: Call) -> str:
        fn, a = t.fn, t.args
        x = self.wrap(a[0], _PREC["atom"]) if a else ""
        if fn == "transpose":
            return f"{x}.T"
        if fn in ("sum", "mean", "max", "min", "var"):
            kws = ", ".join(f"{k}={self.p(v)}" for k, v in t.kw if not (fn == "var" and k == "ddof" and v.value == 0))
            return f"{x}.{fn}({kws})"
        if fn == "pi":
            return "np.pi"
        if fn == "argmax":
            return f"np.argmax({self.p(a[0])}{self.kw(t)})"
        if fn == "shape":
            return f"{x}.shape"
        if fn == "permute":
            return f"np.transpose({self.p(a[0])}, {self.p(a[1])})"
        if fn == "clip":
            bound = lambda k: self.p(t.get(k)) if t.get(k) is not None else "None"   # noqa: E731
            return f"np.clip({self.p(a[0])}, {bound('min')}, {bound('max')})"
        if fn == "concatenate":
            return f"np.concatenate([{', '.join(self.p(x) for x in a[0].items)}]{self.kw(t)})"
        if fn == "pad":
            style = t.get("style").value
            return f"{'pad_torch' if style == 'torch' else 'np.pad'}({self.p(a[0])}, {self.p(a[1])})"
        if fn in ("abs", "sign", "maximum", "minimum", "where", "swapaxes", "einsum"):
            return f"np.{fn}({', '.join(self.p(v) for v in a)})"
        if fn == "reshape":
            return f"{x}.reshape{self.p(a[1]) if isinstance(a[1], Tuple) else '(' + self.p(a[1]) + ')'}"
        if fn in ("exp", "log", "tanh", "sqrt", "ones_like", "zeros_like", "broadcast_to"):
            return f"np.{fn}({', '.join(self.p(v) for v in a)})"
        if fn == "float":
            return self.p(a[0])
        if fn == "stack":
            return f"np.stack([{', '.join(self.p(x) for x in a[0].items)}]{self.kw(t)})"
        return f"{fn}({', '.join(self.p(v) for v in a)}{self.kw(t)})"


class TextPrinter(CodePrinter):
    """The lecturer's form: juxtaposition for matmul, ^T, and sums named by the axis they run over."""

    def __init__(self, axis_names=None):
        self.axis_names = axis_names or (lambda t, axis: f"axis {axis}")

    def wrap(self, t, prec: int, right: bool = False) -> str:
        if isinstance(t, Bin) and _prec(t) == _PREC["cmp"]:
            return self.p(t)
        return super().wrap(t, prec, right)

    def p(self, t) -> str:
        if isinstance(t, Bin) and t.op == "@":
            return f"{self.wrap(t.a, 3)} {self.wrap(t.b, 3, right=True)}"
        if isinstance(t, Bin) and t.op in (">", "<", ">=", "<=", "==", "!="):
            return f"[{self.p(t.a)} {t.op} {self.p(t.b)}]"
        return super().p(t)

    def call(self, t: Call) -> str:
        fn, a = t.fn, t.args
        if fn == "transpose" or fn == "swapaxes" and [x for x in a[1:]] == [Num(Fraction(-2)), Num(Fraction(-1))]:
            return f"{self.wrap(a[0], _PREC['atom'])}^T"
        ax = t.get("axis")
        axs = ax.items if isinstance(ax, Tuple) else (ax,)
        if fn in ("sum", "mean") and ax is not None and len(t.kw) <= 2 and all(isinstance(x, Num) for x in axs):
            over = " and ".join(self.axis_names(a[0], int(x.value)) for x in axs)
            word = "sum" if fn == "sum" else "mean"
            return f"{word} over {over} of {self.wrap(a[0], _PREC['*'] + 1)}"
        if fn in ("exp", "log", "tanh", "sqrt", "erf"):
            return f"{fn}({self.p(a[0])})"
        if fn in ("ones_like",):
            return f"ones_like({self.p(a[0])})"
        return super().call(t)


to_code = CodePrinter()

