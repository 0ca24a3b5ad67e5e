"""Our own safe formula parser: node expressions and student answers (plain text or LaTeX) to sympy."""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple

import sympy as sp

from . import rules
from ..errors import DeriveError, FormulaError

__all__ = ["Name", "Limits", "parse", "looks_like_latex", "split_equalities"]

MODES = ("auto", "plain", "latex", "node")
_GREEK = ("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma "
          "tau upsilon phi chi psi omega").split()
_GREEK_CAPS = "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
# Unicode Greek letters read as their names; omicron and Latin look-alike capitals are refused.
_GREEK_CHARS = (dict(zip("αβγδεζηθικλμνξπρστυφχψω", _GREEK)) | {"ς": "sigma"}
                | dict(zip("ΓΔΘΛΞΠΣΦΨΩ", "Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split())))
_GREEK_CMDS = ({g: g for g in _GREEK + _GREEK_CAPS}
               | {"var" + g: g for g in ("epsilon", "theta", "phi", "pi", "rho", "sigma")})
_UNICODE_OPS = {"·": "*", "⋅": "*", "∙": "*", "×": "*", "−": "-", "–": "-", "÷": "/", "′": "'", "∂": "∂"}
_ASCII_OPS = set("+-*/^()[]{}_',=")
_SKIP_CMDS = {",", ";", "!", ":", " ", "\\", "quad", "qquad", "displaystyle", "textstyle", "left", "right",
              "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
_OP_CMDS = {"cdot": "*", "times": "*", "ast": "*", "div": "/", "{": "(", "}": ")", "partial": "∂", "prime": "'"}
_FN_CMDS = {"exp", "log", "ln", "tanh", "sin", "cos", "tan", "sinh", "cosh"}
_WRAP_CMDS = {"mathrm", "text", "operatorname", "mathit", "mathbf", "textrm", "textit", "boldsymbol", "bm", "mathsf"}
_FRAC_CMDS = {"frac", "dfrac", "tfrac"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_BAD = {sp.zoo, sp.nan, sp.oo, -sp.oo}
_D_NAME = re.compile(r"d[A-Za-z][0-9]*")
_NUMBER = re.compile(r"[0-9]*(\.[0-9]*)?")
_COMMAND = re.compile(r"\\([A-Za-z]+|.?)", re.S)


@dataclass(frozen=True)
class Name:
    base: str
    sub: str = ""
    sup: str = ""
    text: str = ""

    def key(self) -> str:
        """base + sup + sub without ``_ { } ( ) \\ ^`` and spaces, for loose matching."""
        return re.sub(r"[_{}()\\^\s]", "", self.base + self.sup + self.sub)


@dataclass(frozen=True)
class Limits:
    max_length: int = 20_000
    max_depth: int = 100
    max_exponent: int = 64
    max_digits: int = 30
    max_nodes: int = 20_000


class _Tok(NamedTuple):
    kind: str   # num name greek wrap fn frac sqrt op end
    val: str
    pos: int
    end: int


class _CallbackError(Exception):
    """Carries a caller callback's own (non-Derive) exception through the parser's safety net."""


def looks_like_latex(text: str) -> bool:
    """True when the text uses LaTeX: backslash commands, ``_{``, ``^{`` or ``$`` delimiters."""
    return any(mark in text for mark in ("\\", "_{", "^{", "$"))


def _strip_delimiters(s: str) -> str:
    """Blank out surrounding ``$``/``$$``/``\\(..\\)``/``\\[..\\]`` (same length, so columns stay)."""
    t = s.strip()
    start = s.find(t) if t else 0
    for open_, close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if len(t) >= len(open_) + len(close) and t.startswith(open_) and t.endswith(close):
            inner = t[len(open_):len(t) - len(close)]
            return s[:start] + " " * len(open_) + inner + " " * len(close) + s[start + len(t):]
    return s


def split_equalities(text: str) -> list[str]:
    """Split a chain ``a = b = c`` (delimiters stripped, ``&`` dropped) on top-level ``=``."""
    s = _strip_delimiters(unicodedata.normalize("NFKC", text))
    parts, depth, cur = [], 0, []
    for c in s:
        depth += c in "([{"
        depth -= c in ")]}"
        if c == "=" and depth == 0:
            parts.append("".join(cur))
            cur = []
        elif c != "&":
            cur.append(c)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _tokenize(s: str, mode: str, limits: Limits) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n, depth = 0, len(s), 0
    latex = mode == "latex"
    while i < n:
        c, start = s[i], i
        if c.isspace() or (latex and c == "&"):
            i += 1
            continue
        if c.isascii() and c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isascii() and s[i + 1].isdigit()):
            m = _NUMBER.match(s, i)
            i = m.end()
            if i < n and s[i] == ".":
                raise FormulaError(f"malformed number {s[start:i + 1]!r} at column {start + 1}")
            if sum(ch.isdigit() for ch in m.group(0)) > limits.max_digits:
                raise FormulaError(f"number too long at column {start + 1} (at most {limits.max_digits} digits)")
            toks.append(_Tok("num", m.group(0), start, i))
        elif c.isascii() and c.isalpha() or (mode == "plain" and c in _GREEK_CHARS):
            extra = "_" + "".join(_GREEK_CHARS) if mode == "plain" else ("_" if mode == "node" else "")
            while i < n and s[i].isascii() and s[i].isalnum() or (i < n and s[i] in extra):
                i += 1
            word = "".join(_GREEK_CHARS.get(ch, ch) for ch in s[start:i])
            toks.append(_Tok("name", word, start, i))
        elif latex and c in _GREEK_CHARS:
            toks.append(_Tok("greek", _GREEK_CHARS[c], i, i + 1))
            i += 1
        elif c == "\\" and latex:
            m = _COMMAND.match(s, i)
            cmd, i = m.group(1), m.end()
            if cmd in _SKIP_CMDS:
                if cmd.startswith(("left", "right", "big", "Big")):
                    j = i
                    while j < n and s[j] == " ":
                        j += 1
                    if j < n and s[j] == ".":
                        i = j + 1
                continue
            if cmd in _OP_CMDS:
                toks.append(_Tok("op", _OP_CMDS[cmd], start, i))
            elif cmd in _GREEK_CMDS:
                toks.append(_Tok("greek", _GREEK_CMDS[cmd], start, i))
            elif cmd in _FN_CMDS:
                toks.append(_Tok("fn", cmd, start, i))
            elif cmd in _WRAP_CMDS:
                toks.append(_Tok("wrap", cmd, start, i))
            elif cmd in _FRAC_CMDS:
                toks.append(_Tok("frac", cmd, start, i))
            elif cmd == "sqrt":
                toks.append(_Tok("sqrt", cmd, start, i))
            else:
                raise FormulaError(f"unknown LaTeX command \\{cmd} at column {start + 1}")
        elif c in _ASCII_OPS or (c in _UNICODE_OPS and mode != "node"):
            op = "**" if s.startswith("**", i) else _UNICODE_OPS.get(c, c)
            i += len(op) if op == "**" else 1
            toks.append(_Tok("op", op, start, i))
        elif c in _GREEK_CHARS:
            raise FormulaError(f"Greek letter {c!r} at column {start + 1}: node expressions use ASCII names")
        elif not c.isascii() and unicodedata.category(c).startswith("L"):
            raise FormulaError(f"look-alike character {c!r} (U+{ord(c):04X} {unicodedata.name(c, '')}) at column "
                               f"{start + 1}; type it in ASCII")
        else:
            raise FormulaError(f"unexpected character {c!r} (U+{ord(c):04X}) at column {start + 1}")
        if toks and toks[-1].kind == "op" and toks[-1].pos == start:
            depth += toks[-1].val in _OPENERS
            depth -= toks[-1].val in _OPENERS.values()
            if depth > limits.max_depth:
                raise FormulaError(f"formula nested too deeply at column {start + 1} "
                                   f"(at most {limits.max_depth} levels)")
        if len(toks) > limits.max_nodes:
            raise FormulaError(f"formula too long (more than {limits.max_nodes} tokens)")
    for end in (-1, 0):    # a lone leading/trailing '=' is ignored
        if toks and toks[end].kind == "op" and toks[end].val == "=":
            toks.pop(end)
    toks.append(_Tok("end", "", n, n))
    return toks


class _Parser:
    def __init__(self, src, toks, resolve, functions, derivative, mode, limits):
        self.src, self.toks, self.i, self.depth = src, toks, 0, 0
        self.resolve, self.functions, self.derivative = resolve, functions, derivative
        self.mode, self.latex, self.lim = mode, mode == "latex", limits
        self.big = 10 ** limits.max_digits

    # -- token helpers -------------------------------------------------------------------------
    def peek(self, k=0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> _Tok:
        t = self.peek()
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def at(self, *vals, k=0) -> bool:
        t = self.peek(k)
        return t.kind == "op" and t.val in vals

    def err(self, msg: str, tok: _Tok | None = None) -> FormulaError:
        tok = tok or self.peek()
        return FormulaError(f"{msg} at column {tok.pos + 1}")

    def unexpected(self, tok: _Tok | None = None) -> FormulaError:
        tok = tok or self.peek()
        if tok.kind == "end":
            return FormulaError("unexpected end of formula")
        if tok.kind == "op" and tok.val == "=":
            return self.err("'=' inside a formula (give one side; split_equalities splits a chain)", tok)
        return self.err(f"unexpected {self.src[tok.pos:tok.end]!r}", tok)

    def expect(self, val: str) -> _Tok:
        if not self.at(val):
            raise self.unexpected()
        return self.next()

    def enter(self):
        self.depth += 1
        if self.depth > self.lim.max_depth:
            raise self.err(f"formula nested too deeply (at most {self.lim.max_depth} levels)")

    def split(self, n=1) -> _Tok:
        """Take the first n characters of the current num/name token (LaTeX ``x^23``, ``\\frac12``)."""
        t = self.peek()
        if len(t.val) > n:
            rest, pos = t.val[n:], t.pos + n
            digits = len(rest) - len(rest.lstrip("0123456789.")) if t.kind == "name" else 0
            if 0 < digits < len(rest):   # x^a1b: 'a', then number '1', then name 'b'
                self.toks.insert(self.i + 1, _Tok("name", rest[digits:], pos + digits, t.end))
                rest, t = rest[:digits], t._replace(end=pos + digits)
            kind = "num" if rest[0] in "0123456789." else "name"
            self.toks[self.i] = _Tok(kind, rest, pos, t.end)
            return _Tok(t.kind, t.val[:n], t.pos, pos)
        return self.next()

    # -- safe sympy construction ---------------------------------------------------------------
    def guard(self, r, tok=None):
        if isinstance(r, int) and not isinstance(r, bool):
            r = sp.Integer(r)
        if not isinstance(r, sp.Basic):
            raise self.err(f"not an expression ({type(r).__name__})", tok)
        for node in (r, *(r.args if r.is_Mul or r.is_Add else ())):
            if node in _BAD:
                raise self.err("division by zero or undefined value", tok)
            if node.is_Rational and (abs(node.p) > self.big or node.q > self.big):
                raise self.err(f"number too large (more than {self.lim.max_digits} digits)", tok)
            if node.is_Pow and node.exp.is_Number and not node.base.is_Number and abs(node.exp) > self.lim.max_exponent:
                raise self.err(f"exponent {node.exp} too large (at most {self.lim.max_exponent})", tok)
        return r

    def build(self, fn, args, tok=None):
        try:
            r = fn(*args)
        except (DeriveError, _CallbackError, RecursionError):
            raise
        except Exception as e:
            raise self.err(f"cannot build {getattr(fn, '__name__', 'expression')} ({type(e).__name__})", tok) from None
        return self.guard(r, tok)

    def check_log_coeff(self, e, tok):
        """sympy turns exp(n*log(a)) into a**n and computes it: refuse a big n before it does."""
        for term in sp.Add.make_args(e):
            c, rest = term.as_coeff_Mul()
            if c.is_Number and abs(c) > self.lim.max_exponent and rest.has(sp.log):
                raise self.err(f"coefficient {c} too large next to a log", tok)

    def pow(self, b, e, tok=None):
        if e.is_Number:
            if b.is_Rational and abs(b) not in (0, 1) and e.is_Rational:
                if abs(e) * math.log10(max(abs(b.p), b.q)) > self.lim.max_digits:
                    raise self.err(f"number too large (more than {self.lim.max_digits} digits)", tok)
            elif not b.is_Number and abs(e) > self.lim.max_exponent:
                raise self.err(f"exponent {e} too large (at most {self.lim.max_exponent})", tok)
        else:
            self.check_log_coeff(e, tok)
        return self.build(sp.Pow, (b, e), tok)

    def mul(self, factors, tok=None):
        coeff, rest = sp.S.One, []
        for f in factors:
            if f.is_Number:
                coeff = self.build(sp.Mul, (coeff, f), tok)
            else:
                rest.append(f)
        return self.build(sp.Mul, (coeff, *rest), tok) if rest else coeff

    def apply(self, fname, fn, args, tok):
        for a in args:
            self.check_log_coeff(a, tok)
        try:
            r = fn(*args)
        except (DeriveError, RecursionError):
            raise
        except Exception:
            raise self.err(f"cannot apply {fname} to {len(args)} argument(s)", tok) from None
        return self.guard(r, tok)

    def call(self, fn, *args):
        try:
            return fn(*args)
        except DeriveError:
            raise
        except Exception as e:
            raise _CallbackError(e) from e

    # -- grammar ---------------------------------------------------------------------------------
    def expr(self):
        self.enter()
        tok = self.peek()
        terms = [self.term()]
        while self.at("+", "-"):
            op = self.next()
            t = self.term()
            terms.append(t if op.val == "+" else self.mul([sp.S.NegativeOne, t], op))
        self.depth -= 1
        return self.build(sp.Add, terms, tok) if len(terms) > 1 else terms[0]

    def starts_operand(self) -> bool:
        t = self.peek()
        if t.kind == "op":
            return t.val in ("(", "[", "∂") or (self.latex and t.val == "{")
        return t.kind not in ("end",)

    def term(self):
        tok = self.peek()
        factors = [self.unary()]
        while True:
            if self.at("*"):
                self.next()
                factors.append(self.unary())
            elif self.at("/"):
                op = self.next()
                factors.append(self.pow(self.unary(), sp.S.NegativeOne, op))
            elif self.mode != "node" and self.starts_operand():
                factors.append(self.power())
            else:
                break
        return self.mul(factors, tok) if len(factors) > 1 else factors[0]

    def unary(self):
        if self.at("-", "+"):
            op = self.next()
            self.enter()
            v = self.unary()
            self.depth -= 1
            return v if op.val == "+" else self.mul([sp.S.NegativeOne, v], op)
        return self.power()

    def power(self):
        base = self.primary()
        if self.at("^", "**"):
            op = self.next()
            e = self.group_arg(lenient=True) if self.latex and op.val == "^" else self.nested(self.unary)
            base = self.pow(base, e, op)
            if self.latex and op.val == "^" and self.at("^"):
                raise self.err("double superscript")
        return base

    def nested(self, fn):
        self.enter()
        v = fn()
        self.depth -= 1
        return v

    def number(self, tok):
        whole, _, frac = tok.val.partition(".")
        return sp.Rational(int((whole or "0") + frac), 10 ** len(frac))

    def primary(self):
        t = self.peek()
        if t.kind == "num":
            return self.number(self.next())
        allowed = "(" if self.mode == "node" else "([{" if self.latex else "(["
        if t.kind == "op" and t.val in allowed:
            self.next()
            v = self.expr()
            self.expect(_OPENERS[t.val])
            return v
        if t.kind in ("name", "greek", "wrap"):
            return self.named()
        if t.kind == "fn":
            return self.fn_command()
        if t.kind == "frac":
            return self.frac()
        if t.kind == "sqrt":
            self.next()
            root = sp.Integer(2)
            if self.at("["):
                self.next()
                root = self.expr()
                self.expect("]")
            return self.pow(self.group_arg(), self.pow(root, sp.S.NegativeOne, t), t)
        if self.at("∂"):
            return self.partial_quotient()
        raise self.unexpected(t)

    def read_name(self) -> Name:
        t = self.next()
        if t.kind == "wrap":
            self.expect("{")
            base = self.flat_until_close()
            if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_']*", base):
                raise self.err(f"expected a name inside \\{t.val}{{...}}", t)
        elif t.kind in ("name", "greek"):
            base = t.val
        else:
            raise self.unexpected(t)
        sub = sup = ""
        while self.latex:
            if self.at("_"):
                if sub:
                    raise self.err("double subscript")
                self.next()
                sub = self.script_text()
            elif self.at("^") and not sup and self.index_sup_ahead():
                self.next()
                self.next()
                sup = self.flat_until_close()
            else:
                break
        return Name(base, sub, sup, self.src[t.pos:self.toks[self.i - 1].end].strip())

    def index_sup_ahead(self) -> bool:
        """``^{(1)}`` or ``^{[l]}`` after a name is a layer index, not a power."""
        if not (self.at("{", k=1) and self.at("(", "[", k=2)):
            return False
        k = 3
        while self.peek(k).kind in ("num", "name", "greek") or self.at(",", k=k):
            k += 1
        return k > 3 and self.at(_OPENERS[self.peek(2).val], k=k) and self.at("}", k=k + 1)

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

    def read_prime(self) -> bool:
        if self.at("'"):
            self.next()
        elif self.at("^") and self.at("'", k=1):
            self.i += 2
        elif self.at("^") and self.at("{", k=1) and self.at("'", k=2) and self.at("}", k=3):
            self.i += 4
        else:
            return False
        if self.at("'"):
            raise self.err("higher derivatives (more than one prime) are not supported")
        return True

    def call_args(self):
        self.expect("(")
        args = [self.expr()]
        while self.at(","):
            self.next()
            args.append(self.expr())
        self.expect(")")
        return tuple(args)

    def named(self):
        tok = self.peek()
        name = self.read_name()
        fname = name.base if not (name.sub or name.sup) else ""
        fn = self.functions.get(fname) if fname else None
        if self.read_prime():
            if fn is None or not self.at("("):
                raise self.err(f"a prime is only allowed on a function applied to (...), "
                               f"like \\sigma'(z), not {name.text!r}", tok)
            args = self.call_args()
            if len(args) != 1:
                raise self.err(f"{fname}' takes one argument", tok)
            t = sp.Dummy("t")
            d = self.build(lambda: sp.diff(fn(t), t).xreplace({t: args[0]}), (), tok)
            if d.has(t):
                raise self.err(f"cannot differentiate {fname}", tok)
            return d
        if self.latex and name.base == "e" and not (name.sub or name.sup) and self.at("^"):
            op = self.next()
            arg = self.group_arg(lenient=True)
            return self.apply("exp", sp.exp, (arg,), op)
        if fn is not None and self.at("("):
            return self.apply(fname, fn, self.call_args(), tok)
        if self.at("(") and self.mode == "node":
            raise self.err(f"unknown function {name.text!r}", tok)
        if self.at("("):
            try:
                return self.resolved(name, tok)
            except FormulaError as e:
                raise FormulaError(f"unknown function {name.text!r} at column {tok.pos + 1} ({e})") from None
        return self.resolved(name, tok)

    def resolved(self, name: Name, tok):
        return self.guard(self.call(self.resolve, name), tok)

    def fn_command(self):
        tok = self.next()
        fn = self.functions.get(tok.val)
        if fn is None:
            raise self.err(f"function \\{tok.val} is not allowed here", tok)
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
            return self.number(self.split())
        if t.kind == "name":
            s = self.split()
            return self.resolved(Name(s.val, text=s.val), s)
        if lenient:
            return self.nested(self.unary)
        if t.kind == "greek":
            self.next()
            return self.resolved(Name(t.val, text=self.src[t.pos:t.end]), t)
        raise self.err("expected {...} after \\frac or \\sqrt", t)

    # -- Leibniz derivatives ---------------------------------------------------------------------
    def d_mark(self, k) -> int:
        """Tokens taken by a differential mark at offset k: \\partial, d, \\mathrm{d}; 0 if none."""
        t = self.peek(k)
        if self.at("∂", k=k):
            return 1
        if t.kind == "name" and t.val == "d" and self.peek(k + 1).kind in ("name", "greek", "wrap", "op"):
            return 1
        if t.kind == "name" and _D_NAME.fullmatch(t.val):
            return -1   # 'dE': the d is glued to the name
        if t.kind == "wrap" and self.at("{", k=k + 1) and self.peek(k + 2).val == "d" and self.at("}", k=k + 3):
            return 4
        return 0

    def is_leibniz(self) -> bool:
        if not self.at("{"):
            return False
        first = self.d_mark(1)
        if first and self.at("∂", k=1):
            return True
        if not first:
            return False
        j, depth = self.i, 0
        while j < len(self.toks) - 1:
            t = self.toks[j]
            depth += t.kind == "op" and t.val == "{"
            depth -= t.kind == "op" and t.val == "}"
            if depth == 0:
                return self.at("{", k=j + 1 - self.i) and self.d_mark(j + 2 - self.i) != 0
            j += 1
        return False

    def take_d_mark(self):
        n = self.d_mark(0)
        if n == -1:
            t = self.peek()
            self.toks[self.i] = _Tok("name", t.val[1:], t.pos + 1, t.end)
        elif n == 0:
            raise self.err("expected \\partial or d")
        else:
            self.i += n
        if self.at("^"):
            raise self.err("higher-order derivatives are not supported")

    def derivand(self):
        name = self.read_name()
        return name, (self.call_args() if self.at("(") else ())

    def frac(self):
        tok = self.next()
        if self.is_leibniz():
            self.expect("{")
            self.take_d_mark()
            x, args = (None, ()) if self.at("}") else self.derivand()
            self.expect("}")
            self.expect("{")
            self.take_d_mark()
            y = self.read_name()
            self.expect("}")
            if x is None:     # \frac{\partial}{\partial y} x
                if self.at("("):
                    self.next()
                    x, args = self.derivand()
                    self.expect(")")
                else:
                    x, args = self.derivand()
            return self.leibniz(x, args, y, tok)
        num = self.group_arg()
        den = self.group_arg()
        return self.mul([num, self.pow(den, sp.S.NegativeOne, tok)], tok)

    def partial_quotient(self):
        tok = self.peek()
        self.take_d_mark()
        x, args = self.derivand()
        self.expect("/")
        self.take_d_mark()
        return self.leibniz(x, args, self.read_name(), tok)

    def leibniz(self, x: Name, args, y: Name, tok):
        if self.derivative is None:
            raise self.err("derivative notation is not allowed here", tok)
        return self.guard(self.call(self.derivative, x, tuple(args), y), tok)


def _default_functions() -> dict[str, Callable]:
    table = dict(rules.FUNCTIONS)
    table.update({"sigma": rules.sigmoid, "σ": rules.sigmoid, "\\sigma": rules.sigmoid, "ln": sp.log})
    return table


def parse(text: str, resolve: Callable[[Name], sp.Expr], *,
          functions: Mapping[str, Callable] | None = None,
          derivative: Callable[[Name, tuple, Name], sp.Expr] | None = None,
          mode: str = "auto", limits: Limits = Limits()) -> sp.Expr:
    """Parse ``text`` into a sympy expression, resolving every name through ``resolve``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if not isinstance(text, str):
        raise FormulaError(f"a formula must be text, not {type(text).__name__}")
    if len(text) > limits.max_length:
        raise FormulaError(f"formula too long ({len(text)} characters; at most {limits.max_length})")
    s = unicodedata.normalize("NFKC", text)
    if len(s) > limits.max_length:
        raise FormulaError(f"formula too long ({len(s)} characters; at most {limits.max_length})")
    if mode != "node":
        s = _strip_delimiters(s)
    if mode == "auto":
        mode = "latex" if looks_like_latex(s) else "plain"
    if functions is None:   # node expressions get exactly rules.FUNCTIONS; answers also the aliases
        functions = rules.FUNCTIONS if mode == "node" else _default_functions()
    table = dict(functions)
    try:
        toks = _tokenize(s, mode, limits)
        if toks[0].kind == "end":
            raise FormulaError("empty formula")
        p = _Parser(s, toks, resolve, table, derivative, mode, limits)
        result = p.expr()
        if p.peek().kind != "end":
            raise p.unexpected()
    except FormulaError:
        raise
    except _CallbackError as e:
        raise e.args[0] from None
    except RecursionError:
        raise FormulaError("formula nested too deeply") from None
    except DeriveError:
        raise
    except Exception as e:   # a parser bug must still surface as a one-line FormulaError
        raise FormulaError(f"cannot read formula ({type(e).__name__}: {e})".splitlines()[0]) from None
    if not isinstance(result, sp.Expr):
        raise FormulaError(f"not an expression: {type(result).__name__}")
    return result
