"""LaTeX maths as readable Unicode text for a terminal: ``\\delta_{z_{1}} x_{1}`` is ``δ_{z1}·x1``,
``\\left(1 - z_{1}\\right)`` is ``(1 − z1)``, ``\\theta^{(1)}_{11}`` is ``θ⁽¹⁾₁₁``.

Reads the subset of LaTeX derive itself prints (symbols with scripts, products by juxtaposition, \\frac,
\\left/\\right brackets, named functions); anything else passes through without its backslash, never an
error.  ``prose`` converts the ``$...$`` pieces of a sentence and leaves its words alone.
"""
from __future__ import annotations

import re

GREEK = dict(zip(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho sigma "
    "tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega".split(),
    "αβγδεεζηθϑικλμνξπρστυφφχψωΓΔΘΛΞΠΣΦΨΩ"))
SYMBOLS = {"partial": "∂", "cdot": "·", "times": "×", "odot": "⊙", "nabla": "∇", "infty": "∞", "sum": "Σ",
           "prod": "Π", "approx": "≈", "neq": "≠", "leq": "≤", "geq": "≥", "le": "≤", "ge": "≥", "to": "→",
           "ldots": "…", "cdots": "⋯", "top": "ᵀ", "prime": "′", "in": "∈", "mid": "|", "ell": "ℓ"}
FUNCTIONS = {"tanh", "sinh", "cosh", "sin", "cos", "log", "ln", "exp", "max", "min", "sigma", "operatorname",
             "softmax", "relu"}
SPACES = {",", ";", ":", "!", " ", "quad", "qquad", "displaystyle", "left", "right", "big", "Big", "bigl",
          "bigr", "Bigl", "Bigr"}
STYLES = {"mathrm", "mathbf", "mathit", "boldsymbol", "text", "mathsf", "mathcal", "operatorname", "textrm"}
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304", "tilde": "\u0303",
           "widetilde": "\u0303", "dot": "\u0307"}
SUP = dict(zip("0123456789+-−()=nTi", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁽⁾⁼ⁿᵀⁱ"))
SUB = dict(zip("0123456789+-−()=", "₀₁₂₃₄₅₆₇₈₉₊₋₋₍₎₌"))
OPS = {"+": " + ", "-": " − ", "=": " = ", "<": " < ", ">": " > ", ",": ", ", "/": "/", "|": "|",
       "·": "·", "×": " × ", "⊙": " ⊙ ", "≈": " ≈ ", "≠": " ≠ ", "≤": " ≤ ", "≥": " ≥ ", "→": " → ", "∈": " ∈ "}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}^_])|(\s+)|([0-9]+(?:\.[0-9]+)?)|(.)", re.S)


def _tokens(latex: str) -> list[tuple[str, str]]:
    out = []
    for m in _TOKEN.finditer(latex):
        cmd, brace, space, num, ch = m.groups()
        out.append(("cmd", cmd) if cmd is not None else ("brace", brace) if brace else ("space", " ") if space
                   else ("num", num) if num else ("ch", ch))
    return out


class _Reader:
    def __init__(self, latex: str):
        self.toks, self.i = _tokens(latex), 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("end", "")

    def take(self):
        t = self.peek()
        self.i += 1
        return t

    def group(self) -> str:
        """One argument: {...} or a single token, as text."""
        while self.peek()[0] == "space":
            self.take()
        if self.peek() == ("brace", "{"):
            self.take()
            return self.sequence(until="}")
        kind, value = self.take()
        return self.atom(kind, value) or ""

    def atom(self, kind: str, value: str) -> str | None:
        if kind in ("num", "ch"):
            return value
        if kind == "brace" and value == "{":
            return self.sequence(until="}")
        if kind != "cmd":
            return None
        if value in SPACES:
            return None
        if value == "frac":
            top, bottom = self.group(), self.group()
            wrap = lambda s: f"({s})" if re.search(r"[ +−·/]", s) else s  # noqa: E731
            return f"{wrap(top)}/{wrap(bottom)}"
        if value == "sqrt":
            return f"√({self.group()})"
        if value in STYLES:             # a name set upright: its letters as they are
            return self.raw()
        if value == "mathbb":
            inner = self.group()
            return "𝟙" if inner == "1" else inner
        if value in ACCENTS:            # \hat{y}: ŷ (a combining mark on the first letter)
            inner = self.group()
            return inner[:1] + ACCENTS[value] + inner[1:]
        return GREEK.get(value) or SYMBOLS.get(value) or value

    def raw(self) -> str:
        """A {...} argument's text with no products read into it (\\mathrm{error}: error)."""
        while self.peek()[0] == "space":
            self.take()
        if self.peek() != ("brace", "{"):
            return self.group()
        self.take()
        out, depth = [], 1
        while self.peek()[0] != "end":
            kind, value = self.take()
            if (kind, value) == ("brace", "{"):
                depth += 1
            elif (kind, value) == ("brace", "}"):
                depth -= 1
                if not depth:
                    break
            else:
                out.append(GREEK.get(value, SYMBOLS.get(value, value)) if kind == "cmd" else value)
        return "".join(out)

    def scripts(self, base: str) -> str:
        """A base followed by _ and ^ scripts: x1, δ_{z1}, θ⁽¹⁾₁₁, e^(x)."""
        sub = sup = None
        while self.peek() in (("brace", "_"), ("brace", "^")):
            which = self.take()[1]
            if which == "_":
                sub = self.group()
            else:
                sup = self.group()
        out = base
        if sup is not None:
            out += "".join(SUP[c] for c in sup) if sup and all(c in SUP for c in sup) else f"^({sup})"
        if sub is not None:
            if re.fullmatch(r"[A-Za-z]", base) and re.fullmatch(r"[A-Za-z0-9]+", sub) and sup is None:
                out += sub
            elif sub and all(c in SUB for c in sub):
                out += "".join(SUB[c] for c in sub)
            else:
                out += "_" + (f"{{{sub}}}" if len(sub) > 1 else sub)
        return out

    def sequence(self, until: str | None = None) -> str:
        """Atoms up to ``until``: operators spaced, operands side by side joined by ·."""
        out, prev, spaced = [], None, False   # prev: "operand" | "op" | "open" | "func-arg" | None
        while True:
            kind, value = self.peek()
            if kind == "end" or (until == "}" and (kind, value) == ("brace", "}")) or \
                    (until == ")" and kind == "cmd" and value == "right"):
                if kind != "end":
                    self.take()
                    if until == ")":
                        self.take()          # the bracket after \right
                return "".join(out).strip()
            self.take()
            if kind == "space" or (kind == "cmd" and value in SPACES and value not in ("left", "right")):
                spaced = True
                continue
            if kind == "cmd" and value == "left":
                opener = self.take()[1]
                inner = self.sequence(until=")")
                closer = {"(": ")", "[": "]", "\\{": "}", "|": "|", ".": ""}.get(opener, ")")
                text, kind_now = f"{opener if opener != '.' else ''}{inner}{closer}", "operand"
            elif kind == "ch" and value in "([":
                text, kind_now = value, "open"
            elif kind == "ch" and value in ")]":
                text, kind_now = value, "close"
            else:
                text = self.atom(kind, value)
                if text is None:
                    continue
                if text in OPS:
                    out.append(OPS[text] if not (text == "-" and prev in (None, "op", "open")) else "−")
                    prev = "op"
                    continue
                kind_now = "func" if (kind == "cmd" and value in FUNCTIONS) or text == "∂" else "operand"
            text = self.scripts(text)
            if prev == "operand" and kind_now in ("operand", "func", "open") and (spaced or out[-1][-1:] in ")]"):
                out.append("·")
            spaced = False
            out.append(text)
            prev = {"close": "operand", "func": "func-arg"}.get(kind_now, kind_now)


def unicode(latex: str) -> str:
    """LaTeX maths as one line of Unicode text."""
    text = _Reader(str(latex)).sequence()
    return re.sub(r" {2,}", " ", text).strip()


def prose(sentence: str) -> str:
    """A sentence with ``$...$`` maths: the maths as Unicode, the words as they are."""
    parts = str(sentence).split("$")
    if len(parts) % 2 == 0:
        return sentence
    return "".join(unicode(p) if i % 2 else p for i, p in enumerate(parts))
