"""The plain-text grammar (and node expressions): ``(d1*w31 + d2*w41)*z1(1-z1)*x1``, ``∂E/∂w``.

    expr    := term (('+' | '-') term)*
    term    := unary (('*' | '/') unary | implicit-product operand)*      (no implicit product in nodes)
    unary   := ('+' | '-') unary | power
    power   := primary (('^' | '**') unary)?
    primary := number | '(' expr ')' | name | name '(' args ')' | f'(arg) | ∂x/∂y

The LaTeX grammar (``latex.py``) extends this class; both build through ``Builder``.
"""
from __future__ import annotations

import re

from ...errors import FormulaError
from .build import Builder
from .leibniz import LeibnizGrammar
from .name import Name
from .tokens import OPENERS, Tok

ACTIVATION_NAMES = ("relu", "sigmoid", "tanh", "sech", "softmax")   # also read capitalised: ReLU(z), Tanh(z)
HYPOTHESIS = re.compile(r"h_?(w|W|theta|Theta|[wW]_?b|theta_?b|Theta_?b)")   # h_w(x), h_{W,b}(x): the output


class Parser(LeibnizGrammar, Builder):
    """Recursive descent over tokens; ``resolve`` turns names into symbols, ``derivative`` Leibniz quotients."""
    openers = "(["

    def __init__(self, src, toks, resolve, functions, derivative, mode, limits):
        super().__init__(limits)
        self.src, self.toks, self.i, self.depth = src, toks, 0, 0
        self.resolve, self.functions, self.derivative, self.mode = resolve, functions, derivative, mode
        self.literal = None
        if mode == "node":
            self.openers = "("

    # -- token helpers -------------------------------------------------------------------------
    def peek(self, k=0) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> Tok:
        t = self.peek()
        self.i = min(self.i + 1, len(self.toks) - 1)
        return t

    def at(self, *vals, k=0) -> bool:
        t = self.peek(k)
        return t.kind == "op" and t.val in vals

    def err(self, msg: str, tok: Tok | None = None) -> FormulaError:
        tok = tok or self.peek()
        return FormulaError(f"{msg} at column {tok.pos + 1}")

    def unexpected(self, tok: Tok | None = None) -> FormulaError:
        tok = tok or self.peek()
        if tok.kind == "end":
            return FormulaError("unexpected end of formula")
        if tok.kind == "op" and tok.val == "=":
            return self.err("'=' inside a formula (give one side; split_equalities splits a chain)", tok)
        return self.err(f"unexpected {self.src[tok.pos:tok.end]!r}", tok)

    def expect(self, val: str) -> Tok:
        if not self.at(val):
            raise self.unexpected()
        return self.next()

    def enter(self):
        self.depth += 1
        if self.depth > self.lim.max_depth:
            raise self.err(f"formula nested too deeply (at most {self.lim.max_depth} levels)")

    def nested(self, fn):
        self.enter()
        v = fn()
        self.depth -= 1
        return v

    # -- grammar ---------------------------------------------------------------------------------
    def expr(self):
        self.enter()
        tok = self.peek()
        terms = [self.term()]
        while self.at("+", "-"):
            op = self.next()
            t = self.term()
            terms.append(t if op.val == "+" else self.neg(t, op))
        self.depth -= 1
        return self.add(terms, tok)

    def starts_operand(self) -> bool:
        t = self.peek()
        if t.kind == "op":
            return t.val in ("(", "[", "∂")
        return t.kind != "end"

    def term(self):
        tok = self.peek()
        factors = [self.unary()]
        while True:
            if self.at("*"):
                self.next()
                factors.append(self.unary())
            elif self.at("/"):
                op = self.next()
                factors.append(self.reciprocal(self.unary(), op))
            elif self.mode != "node" and self.starts_operand():
                factors.append(self.power())
            else:
                break
        return self.mul(factors, tok) if len(factors) > 1 else factors[0]

    def unary(self):
        if self.at("-", "+"):
            op = self.next()
            v = self.nested(self.unary)
            return v if op.val == "+" else self.neg(v, op)
        return self.power()

    def power(self):
        base = self.primary()
        if self.at("^", "**"):
            op = self.next()
            base = self.pow(base, self.exponent(op), op)
        return base

    def exponent(self, op: Tok):
        return self.nested(self.unary)

    def primary(self):
        t = self.peek()
        if t.kind == "num":
            return self.number_literal(self.next())
        if t.kind == "op" and t.val in self.openers:
            self.next()
            v = self.expr()
            self.expect(OPENERS[t.val])
            return v
        if t.kind == "name" and self.mode == "plain" and self.derivative is not None:
            quotient = self.typed_quotient()
            if quotient is not None:
                return quotient
        if t.kind in ("name", "greek", "wrap", "accent"):
            return self.named()
        if self.at("∂"):
            return self.partial_quotient()
        return self.primary_other(t)

    def primary_other(self, t: Tok):
        raise self.unexpected(t)

    def number_literal(self, tok: Tok):
        if self.literal is None or self.mode == "node":
            return self.number(tok.val)
        return self.guard(self.call(self.literal, tok.val), tok)

    # -- names, functions, primes ----------------------------------------------------------------
    def read_base(self, t: Tok) -> str:
        if t.kind in ("name", "greek"):
            return t.val
        raise self.unexpected(t)

    def read_scripts(self) -> tuple[str, str]:
        """Subscript and superscript after a name: none in plain text (``w31`` is one name)."""
        return "", ""

    def read_name(self) -> Name:
        t = self.next()
        base, accent = self.read_base(t), self.accent
        self.accent = ""
        sub, sup = self.read_scripts()
        time = self.read_time()
        return Name(base, sub, sup, self.src[t.pos:self.toks[self.i - 1].end].strip(), accent, time)

    accent = ""
    update_steps = False

    def read_time(self) -> str:
        """``(t)`` or ``(t+1)`` right after a name: the value at step t or after one update."""
        if not self.update_steps or not self.at("(") or self.peek(1).val != "t" or self.peek(1).kind != "name":
            return ""
        if self.at(")", k=2):
            self.i += 3
            return "t"
        if self.at("+", k=2) and self.peek(3).val == "1" and self.at(")", k=4):
            self.i += 5
            return "t+1"
        return ""

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
        if fn is None and fname.lower() in ACTIVATION_NAMES and (self.at("(") or self.at("'") or self.at("^")):
            fname = fname.lower()                 # ReLU(z), \operatorname{ReLU}'(z), Sigmoid(z), Tanh(z)
            fn = self.functions.get(fname)
        if self.read_prime():
            if fn is None or not self.at("("):
                raise self.err(f"a prime is only allowed on a function applied to (...), "
                               f"like \\sigma'(z), not {name.text!r}", tok)
            args = self.call_args()
            if len(args) != 1:
                raise self.err(f"{fname}' takes one argument", tok)
            return self.derivative_of(fname, fn, args[0], tok)
        if fn is not None and self.at("^"):
            powered = self.function_power(fname, fn, tok)
            if powered is not None:
                return powered
        special = self.named_special(name, tok)
        if special is not None:
            return special
        if self.at("(") and not name.sup and HYPOTHESIS.fullmatch(name.base + name.sub):
            return self.hypothesis(name, tok)
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

    def hypothesis(self, name: Name, tok: Tok):
        """``h_w(x)``, ``h_\\theta(x)``, ``h_{W,b}(x)``: the network's output on the input, read as ``\\hat{y}``."""
        start, depth = self.i, 0
        while True:
            t = self.next()
            if t.kind == "end":
                raise self.unexpected(t)
            if t.kind == "op":
                depth += t.val in "(["
                depth -= t.val in ")]"
            if depth == 0:
                break
            if not (t.kind in ("name", "greek", "num", "wrap") or t.kind == "op" and t.val in "()[]{}_^,"):
                raise self.err(f"{name.text}(...) is read as the network's output on an input, like "
                               f"{name.text}(x)", t)
        arg = self.src[self.toks[start].pos:self.toks[self.i - 1].end]
        return self.resolved(Name("y", text=f"{name.text}{arg}", accent="hat"), tok)

    def named_special(self, name: Name, tok: Tok):
        """A grammar's own reading of a name (LaTeX: ``e^{x}``); None to read it as usual."""
        return None

    def function_power(self, fname: str, fn, tok: Tok):
        """A function's power written on its name (LaTeX: ``\\tanh^2(z)``); None to read it as usual."""
        return None

    def resolved(self, name: Name, tok):
        return self.guard(self.call(self.resolve, name), tok)
