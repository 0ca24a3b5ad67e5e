"""The LaTeX grammar: what the plain grammar reads, plus what students paste from their notes.

    name    := base ('_' script)? ('^{(' index ')}')?      \\delta^{(2)}_1, w_{31}, \\mathrm{net}_{h1}
    primary := ... | '{' expr '}' | \\frac{a}{b} | \\frac{\\partial E}{\\partial w} | \\sqrt[n]{x}
             | \\exp x | \\log(x) | e^{x}
    power   := primary '^' (group | operand)                         one superscript, never two
    sum     := \\sum_{i=1}^{m} body | \\sum_j body                   expanded (sums.py)

Built through the same ``Builder`` as plain text, so both obey the same limits.
"""
from __future__ import annotations

import re

import sympy as sp

from ...errors import FormulaError
from .derivatives import DerivativeGrammar
from .plain import Name, Parser
from .sums import SumGrammar
from .tokens import OPENERS, Tok


class LatexParser(DerivativeGrammar, SumGrammar, Parser):
    openers = "([{"

    def starts_operand(self) -> bool:
        t = self.peek()
        if t.kind == "grid":                 # a matrix written out starts one; its & and \\ end one
            return t.val == "begin"
        return super().starts_operand() or self.at("{")

    def power(self):
        base = super().power()
        if self.at("^"):
            raise self.err("double superscript")
        return base

    def exponent(self, op: Tok):
        return self.group_arg(lenient=True) if op.val == "^" else super().exponent(op)

    def primary_other(self, t: Tok):
        if t.kind == "fn":
            return self.fn_command()
        if t.kind == "frac":
            return self.frac()
        if t.kind == "nabla":
            return self.nabla()
        if t.kind == "grid" and t.val == "begin":
            return self.grid()
        if t.kind == "sqrt":
            self.next()
            root = sp.Integer(2)
            if self.at("["):
                self.next()
                root = self.expr()
                self.expect("]")
            return self.pow(self.group_arg(), self.reciprocal(root, t), t)
        return super().primary_other(t)

    def grid(self):
        """``\\begin{bmatrix} a & b \\\\ c & d \\end{bmatrix}`` (pmatrix, matrix): its entries, row by row."""
        tok, rows, row = self.next(), [], []
        while True:
            row.append(self.expr())
            t = self.next()
            if t.kind != "grid" or t.val == "begin":
                raise self.err("a matrix's entries are separated by & and \\\\, and it ends with \\end{bmatrix}", t)
            if t.val in ("row", "end") and not (t.val == "end" and not row):
                rows.append(row)
                row = []
            if t.val == "end":
                break
        if len({len(r) for r in rows}) != 1:
            raise self.err("the rows of a matrix written out have different lengths", tok)
        return self.literal_matrix(rows, tok)

    def literal_matrix(self, rows, tok):
        """A matrix written out: a number when it has one entry; more are read only as a matrix (``matrix.py``)."""
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        raise self.err(f"a {len(rows)}×{len(rows[0])} matrix written out is read only in a layer-form line", tok)

    # -- names with sub- and superscripts ------------------------------------------------------
    def read_base(self, t: Tok) -> str:
        if t.kind == "accent":    # \hat{y}, \hat{y_1}, \hat y: the accent is kept on the Name
            accent = t.val
            if self.at("{"):
                self.next()
                base = self.flat_until_close()
            else:
                base = self.read_base(self.next())
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_']*", base):
                raise self.err(f"expected a name under \\{accent}", t)
            self.accent = accent
            return base
        if t.kind == "wrap":
            self.expect("{")
            base = self.flat_until_close()
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_']*", base):
                raise self.err(f"expected a name inside \\{t.val}{{...}}", t)
            if t.val in ("mathbf", "boldsymbol", "bm"):
                self.accent = "bold"      # a vector or matrix (W^{(l)}, \\boldsymbol{\\delta}^{(l)})
            return base
        return super().read_base(t)

    def read_scripts(self) -> tuple[str, str]:
        """A name's subscript and superscript, in either order: ``_{11}``, ``^{(2)}``/``^{[2]}`` (a layer
        index), and what ``naming_sup`` takes (a superscript that names, not a power)."""
        sub = sup = ""
        while True:
            if self.at("_"):
                if sub:
                    raise self.err("double subscript")
                self.next()
                sub = self.script_text()
            elif self.at("^") and not sup and self.index_sup_ahead():
                self.next()
                self.next()
                sup = self.flat_until_close()
            elif self.at("^") and not sup and (named := self.naming_sup()) is not None:
                sup = named
            else:
                return sub, sup

    def naming_sup(self) -> str | None:
        """At ``^``: a superscript that is part of the name, read (Nielsen's layer ``a^l_j``), else None."""
        if not self.layer_sup_ahead():
            return None
        self.next()
        return self.script_text().replace("{", "")

    def layer_sup_ahead(self) -> bool:
        """Nielsen's layer superscript: ``a^l_j``, ``w^{l+1}_{kj}``, ``\\delta^L``, ``z^{L-1}`` (l and L are never
        powers here), and any superscript written before a subscript (``w^3_{24}``)."""
        k, braced = (2, True) if self.at("{", k=1) else (1, False)
        t = self.peek(k)
        if t.kind == "name" and t.val in ("l", "L"):
            if not braced:
                return True
            j = k + 1
            if self.at("+", "-", k=j) and self.peek(j + 1).kind == "num":
                j += 2
            return self.at("}", k=j)
        if braced:
            depth, j = 1, k
            while depth and self.peek(j).kind != "end" and j < k + 12:
                depth += self.at("{", k=j)
                depth -= self.at("}", k=j)
                j += 1
            return depth == 0 and self.at("_", k=j) and all(
                self.peek(i).kind in ("num", "name") or self.at("+", "-", k=i) for i in range(k, j - 1))
        return t.kind in ("num", "name") and self.at("_", k=k + 1)

    def index_sup_ahead(self) -> bool:
        """``^{(1)}`` or ``^{[l]}`` after a name is a layer index, not a power."""
        if not (self.at("{", k=1) and self.at("(", "[", k=2)):
            return False
        k, letters, signs = 3, False, False
        while self.peek(k).kind in ("num", "name", "greek") or self.at(",", "+", "-", k=k):    # a^{(l-1)}
            letters |= self.peek(k).kind in ("name", "greek")
            signs |= self.at("+", "-", k=k)
            k += 1
        return k > 3 and (letters or not signs) and self.at(OPENERS[self.peek(2).val], k=k) \
            and self.at("}", k=k + 1)       # w_5^{(1 - 1)}: a power, as Mazur writes it

    def script_text(self) -> str:
        t = self.next()
        if t.kind == "op" and t.val == "{":
            return self.flat_until_close()
        if t.kind in ("num", "name", "greek"):
            return t.val
        raise self.err("expected a subscript after '_'", t)

    def flat_until_close(self) -> str:
        """Flatten a brace group (the '{' already read) to text: ``{y_{1}}`` -> ``y1``, ``{(1)}`` -> ``1``."""
        parts, depth = [], 1
        while True:
            t = self.next()
            if t.kind == "end":
                raise FormulaError("unclosed '{' (unexpected end of formula)")
            if t.kind == "op" and t.val in "{}":
                depth += 1 if t.val == "{" else -1
                if depth == 0:
                    return "".join(parts)
            elif t.kind in ("num", "name", "greek"):
                parts.append(t.val)
            elif t.kind == "op" and t.val in ",+-*'":
                parts.append("_" if t.val == "," else t.val)
            elif not (t.kind == "wrap" or (t.kind == "op" and t.val in "()[]_^")):
                raise self.err(f"unexpected {self.src[t.pos:t.end]!r} in a subscript or name", t)

    def named_special(self, name: Name, tok: Tok):
        if name.base == "e" and not (name.sub or name.sup) and self.at("^"):
            op = self.next()
            return self.apply("exp", sp.exp, (self.group_arg(lenient=True),), op)
        return None

    def function_power(self, fname: str, fn, tok: Tok):
        """``\\tanh^2(z)``, ``\\operatorname{sech}^2(z)``: the power of the function's value.  A command
        (``\\tanh``, ``\\operatorname{sech}``, ``\\mathrm{sech}``) is never a name, so ``\\tanh^2 z`` is read so too; after any other
        name, None (nothing read) when no argument in parentheses follows (``\\sigma^2`` alone: a name squared)."""
        start = self.i
        op = self.next()
        k = self.group_arg(lenient=True)
        if self.at("("):
            return self.pow(self.apply(fname, fn, self.call_args(), tok), k, op)
        if tok.kind == "fn" or (tok.kind == "wrap" and tok.val in ("operatorname", "mathrm") and len(fname) > 1):
            return self.pow(self.apply(fname, fn, (self.nested(self.unary),), tok), k, op)
        self.i = start
        return None

    # -- commands with arguments -----------------------------------------------------------------
    def split(self, n=1) -> Tok:
        """Take the first n characters of the current num/name token (LaTeX ``x^23``, ``\\frac12``)."""
        t = self.peek()
        if len(t.val) > n:
            rest, pos = t.val[n:], t.pos + n
            digits = len(rest) - len(rest.lstrip("0123456789.")) if t.kind == "name" else 0
            if 0 < digits < len(rest):   # x^a1b: 'a', then number '1', then name 'b'
                self.toks.insert(self.i + 1, Tok("name", rest[digits:], pos + digits, t.end))
                rest, t = rest[:digits], t._replace(end=pos + digits)
            kind = "num" if rest[0] in "0123456789." else "name"
            self.toks[self.i] = Tok(kind, rest, pos, t.end)
            return Tok(t.kind, t.val[:n], t.pos, pos)
        return self.next()

    def fn_command(self):
        tok = self.next()
        fn = self.functions.get(tok.val)
        if fn is None:
            raise self.err(f"function \\{tok.val} is not allowed here", tok)
        if self.at("^") and not (self.at("'", k=1) or self.at("{", k=1) and self.at("'", k=2)):
            return self.function_power(tok.val, fn, tok)      # \tanh^2(z), \tanh^2 z
        if self.read_prime():             # \tanh'(z): the function's derivative
            if not self.at("("):
                raise self.err(f"write \\{tok.val}'(...) with its argument in parentheses", tok)
            args = self.call_args()
            if len(args) != 1:
                raise self.err(f"\\{tok.val}' takes one argument", tok)
            return self.derivative_of(tok.val, fn, args[0], tok)
        args = self.call_args() if self.at("(") else (self.nested(self.unary),)
        return self.apply(tok.val, fn, args, tok)

    def group_arg(self, lenient=False):
        """A LaTeX argument: ``{...}`` or one digit/letter/Greek letter; a superscript may be any operand."""
        t = self.peek()
        if self.at("{"):
            self.next()
            v = self.expr()
            self.expect("}")
            return v
        if t.kind == "num":
            return self.number(self.split().val)
        if t.kind == "name":
            s = self.split()
            return self.resolved(Name(s.val, text=s.val), s)
        if lenient:
            return self.nested(self.unary)
        if t.kind == "greek":
            self.next()
            return self.resolved(Name(t.val, text=self.src[t.pos:t.end]), t)
        raise self.err("expected {...} after \\frac or \\sqrt", t)

    def frac(self):
        tok = self.next()
        if self.is_leibniz():
            return self.leibniz_frac(tok)
        num = self.group_arg()
        den = self.group_arg()
        return self.mul([num, self.reciprocal(den, tok)], tok)
