"""Print tensor trees as the LaTeX a lecturer writes (matrix-form notes)."""
from __future__ import annotations

from fractions import Fraction

from .printer import _PREC, _folded, _prec, negative, number
from .tree import Bin, Call, Const, Index, Name, Neg, Num, Scatter, Slice, Tuple


class LatexPrinter:
    """The lecturer's LaTeX: juxtaposition for matmul, \\odot for the elementwise product, \\sum_n for sums.

    ``latex_name`` maps an identifier to LaTeX; ``is_scalar(t)`` says when * is a plain product;
    ``axis_index(t, axis)`` names the index a sum over that axis runs over (n for the batch).
    """

    def __init__(self, latex_name, is_scalar, axis_index):
        self.name, self.is_scalar, self.axis_index = latex_name, is_scalar, axis_index

    def __call__(self, t) -> str:
        return self.p(t)

    def wrap(self, t, prec: int) -> str:
        s = self.p(t)
        return f"\\left({s}\\right)" if _prec(t) < prec else s

    def p(self, t) -> str:
        if isinstance(t, Num):
            q = t.value
            if q.denominator == 1:
                return str(q.numerator)
            text = number(q, t.text)
            if "e" in text:
                mant, exp = text.split("e")
                return (f"{mant} \\cdot " if mant not in ("1", "1.0") else "") + f"10^{{{int(exp)}}}"
            return text
        if isinstance(t, Name):
            return self.name(t.id)
        if isinstance(t, (Neg, Bin)) and (isinstance(t, Bin) and t.op in ("*", "/")
                                          or isinstance(t, Neg) and isinstance(t.x, Bin) and t.x.op in ("*", "/")):
            return self.product(t)
        if isinstance(t, Neg):
            return "-" + self.wrap(t.x, _PREC["neg"])
        if isinstance(t, Bin):
            prec = _prec(t)
            if t.op == "**":
                return f"{{{self.wrap(t.a, _PREC['atom'])}}}^{{{self.p(t.b)}}}"
            if prec == _PREC["cmp"]:
                op = {">=": "\\ge", "<=": "\\le", "!=": "\\ne", "==": "="}.get(t.op, t.op)
                return f"\\mathbb{{1}}\\left[{self.p(t.a)} {op} {self.p(t.b)}\\right]"
            if t.op == "@":
                return f"{self.wrap(t.a, prec)}\\, {self.wrap(t.b, prec + 1)}"
            if t.op == "*":
                op = " " if self.is_scalar(t.a) or self.is_scalar(t.b) else " \\odot "
                return f"{self.wrap(t.a, prec)}{op}{self.wrap(t.b, prec + 1)}"
            if t.op in ("+", "-") and negative(t.b) is not None:     # a - -b is a + b
                return f"{self.p(t.a)} {'-' if t.op == '+' else '+'} {self.wrap(negative(t.b), prec + 1)}"
            b = self.wrap(t.b, prec + 1)
            return f"{self.p(t.a)} {t.op} {b}"
        if isinstance(t, Index):
            items = [self.item(it) for it in t.items]
            items = [x for x in items if x is not None]
            return f"{self.wrap(t.x, _PREC['atom'])}" + (f"_{{[{', '.join(items)}]}}" if items else "")
        if isinstance(t, Scatter):
            items = ", ".join(x for x in (self.item(it) for it in t.items) if x is not None)
            return f"\\operatorname{{scatter}}_{{[{items}]}}\\left({self.p(t.g)}\\right)"
        if isinstance(t, Tuple):
            return " \\times ".join(self.p(x) for x in t.items)
        if isinstance(t, Call):
            return self.call(t)
        return "?"

    def product(self, t) -> str:
        """A chain of * and / as one fraction; \\odot between two tensors, juxtaposition with a scalar."""
        sign, num, den = _folded(t)

        def join(fs):
            out = ""
            for i, f in enumerate(fs):
                s = self.p(f) if len(fs) == 1 and den else self.wrap(f, _PREC["*"] + (1 if isinstance(f, Bin) and f.op == "@" else 0))
                if i and isinstance(fs[i - 1], Num) and isinstance(f, Num):
                    out += " \\cdot "
                elif i:
                    out += " " if self.is_scalar(fs[i - 1]) or self.is_scalar(f) else " \\odot "
                out += s
            return out or "1"
        if len(num) == 1 and not den:
            body = self.p(num[0]) if sign > 0 or _prec(num[0]) > _PREC["neg"] else self.wrap(num[0], _PREC["*"] + 1)
        else:
            body = join(num) if not den else f"\\frac{{{join(num)}}}{{{join(den)}}}"
        return ("-" if sign < 0 else "") + body

    def item(self, it):
        if isinstance(it, Const) and it.value is None:
            return None
        if isinstance(it, Slice):
            return ("" if it.lo is None else self.p(it.lo)) + "{:}" + ("" if it.hi is None else self.p(it.hi))
        if isinstance(it, Call) and it.fn == "arange":
            return "n"
        return self.p(it)

    def call(self, t: Call) -> str:
        fn, a = t.fn, t.args
        if fn == "transpose":
            return f"{{{self.wrap(a[0], _PREC['atom'])}}}^{{\\top}}"
        if fn in ("sum", "mean", "max", "min", "var"):
            ax = t.get("axis")
            if ax is None:
                sub = ""
            else:
                axs = ax.items if isinstance(ax, Tuple) else (ax,)
                sub = "_{" + ",".join(self.axis_index(a[0], int(x.value)) for x in axs if isinstance(x, Num)) + "}"
            body = self.wrap(a[0], _PREC["*"] + 1)
            if fn in ("max", "min"):
                return f"\\{fn}{sub} {body}"
            if fn == "var":
                return f"\\operatorname{{var}}{sub} {body}"
            head = f"\\sum{sub} " if fn == "sum" else f"\\operatorname{{mean}}{sub} "
            return head + body
        simple = {"exp": "\\exp", "log": "\\log", "tanh": "\\tanh", "sigmoid": "\\sigma", "erf": "\\operatorname{erf}",
                  "relu": "\\operatorname{relu}", "softmax": "\\operatorname{softmax}",
                  "log_softmax": "\\operatorname{log\\,softmax}", "one_hot": "\\operatorname{onehot}",
                  "stack": "\\operatorname{stack}"}
        if fn == "sqrt":
            return f"\\sqrt{{{self.p(a[0])}}}"
        if fn == "exp" and isinstance(a[0], Neg) and isinstance(a[0].x, Bin) and a[0].x.op == "**":
            return f"e^{{{self.p(a[0])}}}"          # e^{-z^2}: a Gaussian's exponent, as erf's derivative is written
        if fn == "pi":
            return "\\pi"
        if fn == "abs":
            return f"\\left|{self.p(a[0])}\\right|"
        if fn == "pad":
            w = a[1].items if isinstance(a[1], Tuple) else (a[1],)
            widths = ", ".join("(" + ", ".join(self.p(v) for v in x.items) + ")" if isinstance(x, Tuple) else self.p(x)
                               for x in w)
            return f"\\operatorname{{pad}}\\left({self.p(a[0])};\\ {widths}\\right)"
        if fn == "einsum":
            sub = str(a[0].value).replace("->", "\\to ")
            return (f"\\operatorname{{einsum}}_{{\\mathrm{{{sub}}}}}\\left("
                    + ", ".join(self.p(x) for x in a[1:]) + "\\right)")
        if fn in ("maximum", "minimum", "where", "concatenate", "clip"):
            args = a[0].items if fn == "concatenate" else a[1:] if fn == "einsum" else a
            name = {"maximum": "\\max", "minimum": "\\min"}.get(fn, f"\\operatorname{{{fn}}}")
            return f"{name}\\left({', '.join(self.p(x) for x in args)}\\right)"
        if fn in ("swapaxes", "permute") and len(a) and self._last_two(t):
            return f"{{{self.wrap(a[0], _PREC['atom'])}}}^{{\\top}}"
        if fn in ("ones_like",):
            return "\\mathbf{1}"
        if fn in ("zeros_like",):
            return "\\mathbf{0}"
        if fn == "float":
            return self.p(a[0])
        if fn == "reshape":
            shape = ", ".join(self.p(x) for x in a[1].items) if isinstance(a[1], Tuple) else self.p(a[1])
            return f"\\operatorname{{reshape}}\\left({self.p(a[0])},\\ ({shape})\\right)"
        if fn == "stack":
            return f"{simple[fn]}\\left({', '.join(self.p(x) for x in a[0].items)}\\right)"
        if fn in simple:
            return f"{simple[fn]}\\left({self.p(a[0])}\\right)"
        return f"\\operatorname{{{fn}}}\\left({', '.join(self.p(x) for x in a)}\\right)"

    @staticmethod
    def _last_two(t: Call) -> bool:
        """swapaxes(x, -2, -1) / a permute of the last two axes: the batched transpose, x^T."""
        if t.fn == "swapaxes":
            k = {x.value for x in t.args[1:] if isinstance(x, Num)}
            return k in ({Fraction(-2), Fraction(-1)}, {Fraction(1), Fraction(2)})
        items = t.args[1].items if isinstance(t.args[1], Tuple) else ()
        order = [int(x.value) for x in items if isinstance(x, Num)]
        return len(order) == 3 and order == [0, 2, 1]
