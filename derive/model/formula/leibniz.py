"""Leibniz quotients in the formula grammars: ``∂E/∂w``, the ``d`` marks (``\\partial``, ``d``, ``\\mathrm{d}``,
a ``d`` glued to its name), and quotients typed in plain text (``dE/dw11``, ``d error / d w11``).  A mixin of
``plain.Parser`` (the LaTeX grammar adds ``\\frac{\\partial E}{\\partial w}`` and ``\\nabla_w E``); the
derivative itself is the caller's ``derivative`` callback.
"""
from __future__ import annotations

import re

from .name import Name
from .tokens import D_NAME, Tok

TYPED_D = re.compile(r"d[A-Za-z][A-Za-z0-9_]*")     # dE, dJ, derror, dtheta2_11: d and a name, typed together


class LeibnizGrammar:
    def typed_quotient(self):
        """``dE/dw11``, ``dJ/dtheta2_11``, ``d error / d w11``: a Leibniz quotient typed in plain text, when
        the tokens are one (the lower name is one this formula may use, and ``dE`` is not a name itself);
        else None, nothing read."""
        tok, start = self.peek(), self.i
        upper, i = self._d_part(self.i)
        if upper is None or not (self.toks[i].kind == "op" and self.toks[i].val == "/"):
            return None
        lower, j = self._d_part(i + 1)
        if lower is None or not self._names(lower):
            return None
        self.i = j
        made = lambda k, v: Name(v, text=self.src[self.toks[k].pos:self.toks[k].end])    # noqa: E731
        return self.leibniz(made(start, upper), (), made(i + 1, lower), tok)

    def _d_part(self, k: int) -> tuple[str | None, int]:
        """(the name differentiated, the token after it) for ``dE`` or ``d E`` at token k; (None, k) if not."""
        t = self.toks[k]
        if t.kind != "name":
            return None, k
        if t.val == "d" and self.toks[k + 1].kind in ("name", "greek"):
            return self.toks[k + 1].val, k + 2
        if TYPED_D.fullmatch(t.val) and not self._names(t.val):
            return t.val[1:], k + 1
        return None, k

    def _names(self, text: str) -> bool:
        """``text`` is a name this formula may use (the resolver finds it)."""
        try:
            self.resolve(Name(text, text=text))
        except Exception:              # noqa: BLE001  (an unknown name, in whatever words the resolver has)
            return False
        return True

    # -- Leibniz derivatives: ∂E/∂w (the LaTeX grammar adds \frac{∂E}{∂w}) ----------------------
    def d_mark(self, k) -> int:
        """Tokens taken by a differential mark at offset k: \\partial, d, \\mathrm{d}; 0 if none."""
        t = self.peek(k)
        if self.at("∂", k=k):
            return 1
        if t.kind == "name" and t.val == "d" and self.peek(k + 1).kind in ("name", "greek", "wrap", "accent", "op"):
            return 1
        if t.kind == "name" and D_NAME.fullmatch(t.val):
            return -1   # 'dE': the d is glued to the name
        if t.kind == "wrap" and self.at("{", k=k + 1) and self.peek(k + 2).val == "d" and self.at("}", k=k + 3):
            return 4
        return 0

    def take_d_mark(self):
        n = self.d_mark(0)
        if n == -1:
            t = self.peek()
            self.toks[self.i] = Tok("name", t.val[1:], t.pos + 1, t.end)
        elif n == 0:
            raise self.err("expected \\partial or d")
        else:
            self.i += n
        if self.at("^"):
            raise self.err("higher-order derivatives are not supported")

    def derivand(self):
        name = self.read_name()
        return name, (self.call_args() if self.at("(") else ())

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
