"""A text's scratch letters: identities about names the network does not have, read in the text's own terms.

Blogs and books state a node's local rule with fresh letters before using it (``z = xy`` then
``\\frac{\\partial z}{\\partial x} = y``; ``y = \\frac{1}{1 + \\exp(-x)}`` then ``\\frac{\\partial y}{\\partial x} =
y(1 - y)``; ``\\sigma(x) = \\frac{1}{1+e^{-x}}``).  Such a line is unread by the network's reader (``x``, ``y``, ``z``
name nothing there); here it is read on its own: a bare new name equal to an expression defines it, a derivative
of a defined name is the derivative of its definition, a name given a number (``x = 0.5``) has that value in the
steps with numbers after it, and every other step must hold for every value of the letters left free.

A letter defined again (a text reusing ``z`` for the next node) keeps each definition as a reading: a step is
right under the latest, unread when only an earlier one makes it hold (a slip may equal what the letter meant
before), and wrong only when no reading makes it hold.  ``f(x) = ...`` defines a function of a dummy letter
(then ``f'(x) = ...``); ``\\sigma'(x)``, ``\\tanh'(u)`` of a dummy are identities of the known functions.  A
derivative is taken only by a letter the definitions use (or the line's dummy); one of a name with no definition
here (an upstream ``\\frac{\\partial L}{\\partial y}``) is one unknown number: a step is judged only when it is on
both sides (carried along, as the chain rule carries it).  Layer notation (bold letters, transposes,
``\\odot``, ``[l]`` and ``(l)`` superscripts) never reads here: its letters are vectors and matrices, and an
identity of numbers says nothing about them.
"""
from __future__ import annotations

import itertools
import re
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from ..model.formula import default_functions, parse
from .judging import Side
from .numbers import Literals, value
from .textlocal_judge import judge_step, which_definition

_LAYER_NOTATION = re.compile(r"\\mathbf|\\boldsymbol|\\bm\b|\\vec|\\top|\^\s*\{?\s*T\b|\\odot|\\circ|\\otimes|"
                             r"\^\s*\{\s*[\[(]|\\nabla|\\sum|\\prod|\\in\b")
_UNREAD_HERE = ("unknown symbol", "unknown function '", "a value for ", "a prime is only allowed on a function")
_APPLIED = re.compile(r"(?<![A-Za-z\\])([fghl]|\\phi|\\varphi|\\ell)\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)*\s*\(")
# a function of one dummy letter on a chain's first side: \sigma(x), \tanh'(u), f(x), \frac{d\sigma(x)}{dx}
_DUMMY = re.compile(r"(?:\\(?:sigma|tanh|exp|log|ln)|(?<![A-Za-z\\])[fgh]|\\phi|\\varphi)\s*"
                    r"(?:'|\^\s*\{?\s*\\prime\s*\}?)*\s*\(\s*([A-Za-z])\s*\)")
# a rule of a known function on a chain's first side: \log(ab) = \log a + \log b, \exp(a + b), \sqrt{a^2}: the
# letters of its argument are dummies (the rule is claimed for every value of them)
_RULE = re.compile(r"\s*\\(?:log|ln|exp|sqrt|tanh|sigma)\s*(?:\(([a-z\s+\-*/^0-9{}]|\\cdot|\\frac)+\)|"
                   r"\{([a-z\s+\-*/^0-9{}]|\\cdot|\\frac)+\})"
                   r"|\s*\\frac\s*\{\s*(?:\\partial|d)\s*\}\s*\{\s*(?:\\partial|d)\s*[a-z]\s*\}\s*\(?[a-z\s+\-*/^0-9]+\)?\s*$")
# (and a rule of differentiation, colah's \frac{\partial}{\partial u}uv: its letters are independent dummies)
_FUNCTION_DEF = re.compile(r"\s*([fgh]|\\phi|\\varphi)\s*\(\s*([A-Za-z])\s*\)\s*")     # f(x) = ...: defines f
_READINGS = 16                  # at most this many combinations of a redefined letter's definitions


class LocalScope:
    """The scratch letters of one text: their definitions (every one, in order) and their stated values."""

    def __init__(self):
        self.defs: dict[str, list[tuple[int, sp.Expr]]] = {}
        self.values: dict[sp.Symbol, Fraction] = {}
        self.funcs: dict[str, tuple] = {}          # f(x) = ...: the letter, its dummy and its body
        self._dummy: set = set()                   # the chain's dummy letters (\\sigma(x) = ..., f(x) = ...)

    def functions(self) -> dict:
        own = {f: (lambda u, d=d, body=body: body.xreplace({d: u})) for f, (d, body) in self.funcs.items()}
        return default_functions() | own

    @staticmethod
    def takes(parts: list[str], notes: list[str]) -> bool:
        """A chain the network's reader left unread only for names it does not have, in no layer form (a letter
        applied as a function the text never defines, ``h(a)``, is refused later, in ``steps``)."""
        return bool(notes) and all(n.startswith(_UNREAD_HERE) for n in notes) and not any(
            _LAYER_NOTATION.search(p) for p in parts)

    @staticmethod
    def said(step) -> bool:
        """A step this reader decided, or left unread for a reason of its own (a letter defined twice)."""
        return step.status != "unchecked" or step.note.startswith("right only with")

    def _read(self, text: str, reading: dict) -> Side:
        lits = Literals()
        opaque: set = set()

        def symbol(name) -> sp.Expr:
            return sp.Mul(*map(sp.Symbol, self._letters(_key(name.text or name.base))))

        def derivative(of, args, wrt):
            x, y = (sp.Symbol(_key(n.text or n.base)) for n in (of, wrt))
            fn = self.functions().get(of.base) if args else None
            if args:                              # \frac{d\sigma(x)}{dx}: the function at its argument
                if fn is None or len(args) != 1:
                    raise DeriveError("a derivative with arguments is not read here")
                return sp.diff(fn(args[0]), y)
            if x == y:
                return sp.S.One
            if not (self._letter(y) or y.name in self.defs):
                raise DeriveError(f"{y.name} is no letter of the text's own definitions: d/d{y.name} is not determined")
            product = self._letters(x.name)
            if len(product) > 1 and all(self._letter(sp.Symbol(k)) or k in self.defs for k in product):
                x = sp.Mul(*map(sp.Symbol, product))          # \frac{\partial}{\partial u}uv: of the product u v
                return sp.diff(self._expanded(x, {k: v for k, v in reading.items() if k != y}), y)
            if x in reading:                   # its definition, with the letter differentiated by kept whole
                return sp.diff(self._expanded(reading[x], {k: v for k, v in reading.items() if k != y}), y)
            if self._letter(x):                # two free letters of the definitions: independent of each other
                if y.name in self.defs:
                    raise DeriveError(f"d{x.name}/d{y.name}: {y.name} is defined, {x.name} free: not determined")
                return sp.S.Zero
            d = sp.Symbol(f"\\partial {x.name}/\\partial {y.name}")
            opaque.add(d)
            return d
        try:
            e = parse(text, symbol, derivative=derivative, functions=self.functions(), numbers=lits,
                      mode="latex", free_names=True)
        except DeriveError as err:
            return Side(text, None, error=str(err))
        if not isinstance(e, sp.Expr):
            return Side(text, None, error="not a number")
        side = Side(text, self._expanded(e, reading), lits)
        side.opaque = opaque
        return side

    def _letters(self, key: str) -> list[str]:
        """``xy``, two plain letters, is their product as LaTeX sets it, unless the text defined ``xy`` itself."""
        return list(key) if re.fullmatch(r"[a-z]{2}", key) and key not in self.defs else [key]

    def _expanded(self, e: sp.Expr, reading: dict) -> sp.Expr:
        for _ in range(8):                                 # a definition in terms of another: z = p + q, p = xy
            new = e.xreplace(reading)
            if new == e:
                break
            e = new
        return e

    def _readings(self, used: set) -> list[dict]:
        names = sorted(n for n in used if self.defs.get(n))
        choices = [[(sp.Symbol(n), d) for _, d in reversed(self.defs[n])] for n in names]
        out = [dict(c) for c in itertools.islice(itertools.product(*choices), _READINGS)]
        return out or [{}]

    def _names(self, text: str) -> set:
        """The letters a side names (a derivative's two included)."""
        seen: set = set()

        def named(of, args, wrt):
            seen.update({_key(of.text or of.base), _key(wrt.text or wrt.base)})
            return sp.S.One
        try:
            parse(text, lambda n: seen.update(self._letters(_key(n.text or n.base))) or sp.Symbol("_"),
                  derivative=named, functions=self.functions(), mode="latex", free_names=True)
        except DeriveError:
            pass
        return seen

    def steps(self, lines: list[int], parts: list[str], make, known=lambda text: False,
              vector=lambda letter: False) -> list | None:
        """One step per ``=`` of the chain (``make`` builds a ``derivation.Step``), or None when a side is unread
        or the chain would define a name the network has (``known(text)``: its J is not the text's L + s).
        ``vector(letter)``: the letter may be a layer's vector here (seed 003's x), so no identity in it is read."""
        self._vector = vector
        defining = _FUNCTION_DEF.fullmatch(parts[0])
        self._dummy = {sp.Symbol(m.group(1)) for m in _DUMMY.finditer(parts[0])}      # \\sigma'(x) = ...
        if (rule := _RULE.match(parts[0])) is not None:                                # \log(ab) = ...
            self._dummy |= {sp.Symbol(c) for c in re.sub(r"\\[a-z]+|\{d\}|d(?=[a-z]\s*\})", "", rule.group(0))
                            if c.isalpha() and not vector(c)} - set(
                map(sp.Symbol, self.defs)) - set(self.values)
        if any(m.group(1) not in self.funcs and not (defining and m.group(1) == defining.group(1))
               for p in parts for m in _APPLIED.finditer(p)):
            return None                      # h(a), g'(z): an activation the text names but never defines here
        if defining and len(parts) >= 2:
            return self._function(lines, parts, defining, make)
        used = set().union(*(self._names(p) for p in parts))
        readings = self._readings(used)
        first = [self._read(p, readings[0]) for p in parts]
        if not all(s.ok for s in first):
            return None
        out = []
        head = _bare(parts[0])
        if head is not None and known(parts[0]):
            return None
        if head is not None and len(parts) >= 2 and sp.Symbol(head) not in self.values:
            plain = [self._read(p, {}) for p in parts[1:2]]
            rhs = plain[0].expr
            numbers_only = not (rhs.free_symbols - set(plain[0].literals.text))
            if numbers_only and not self.defs.get(head):          # x = 0.5: a value of a letter
                if not any(sp.Symbol(head) in d.free_symbols for ds in self.defs.values() for _, d in ds):
                    return None                  # k = 2, \\epsilon = 10^{-8}: a letter no definition here uses
                if len(parts) == 2 and not plain[0].literals.text or _decimal(plain[0]):
                    self.values[sp.Symbol(head)] = value(rhs, plain[0].literals.exact())
                    return [make(lines[0], parts[0], parts[1], "given", note=f"{head}: a value of the text's letter")]
            elif not numbers_only and sp.Symbol(head) not in rhs.free_symbols:
                again = bool(self.defs.get(head))
                holds = again and any(
                    judge_step(self.values, self._read(parts[0], r), self._read(parts[1], r)).status == "correct"
                    for r in self._readings(used))
                if not holds:
                    self.defs.setdefault(head, []).append((lines[0], rhs))
                    note = f"defines {head}, a letter of the text's own" + (
                        " (again: its earlier definitions stay readings)" if again else "")
                    out.append(make(lines[0], parts[0], parts[1], "definition", note=note))
                    parts, lines = parts[1:], lines[1:]
                    readings = self._readings(used)
        for i in range(1, len(parts)):
            out.append(self._step(lines[i - 1], parts[i - 1], parts[i], readings, make, self._dummy))
        return out

    def _function(self, lines, parts, defining, make) -> list | None:
        """``f(x) = \\frac{1}{1 + e^{-x}}``: defines the function f of the dummy x; the chain's other sides are
        checked as identities in x."""
        f, x = defining.group(1), sp.Symbol(defining.group(2))
        body = self._read(parts[1], {})
        if not body.ok or body.literals.text or body.opaque or body.expr.free_symbols - {x}:
            return None
        again = f in self.funcs
        self.funcs[f] = (x, body.expr)
        out = [make(lines[0], parts[0], parts[1], "definition", note=f"defines the function {f} of the text's own" + (
            " (again)" if again else ""))]
        for i in range(2, len(parts)):
            out.append(self._step(lines[i - 1], parts[i - 1], parts[i], [{}], make, {x}))
        return out

    def _letter(self, x: sp.Symbol) -> bool:
        """A letter the text's definitions use freely, or has a value, or is the dummy of the line's function."""
        return x in self.values or x in self._dummy or x in self._letters_free()

    def _letters_free(self) -> set:
        return {x for ds in self.defs.values() for _, d in ds for x in d.free_symbols}

    def _step(self, line: int, left: str, right: str, readings: list[dict], make, dummy: set = frozenset()):
        verdicts = []
        for k, r in enumerate(readings):
            a, b = self._read(left, r), self._read(right, r)
            if not (a.ok and b.ok):
                return make(line, left, right, "unchecked", note=a.error or b.error)
            foreign = (a.expr.free_symbols | b.expr.free_symbols) - self._letters_free() - set(self.values) - set(
                a.literals.text) - set(b.literals.text) - a.opaque - b.opaque - dummy
            if foreign:             # q_7 = r_2 + s_9: names no definition of the text's letters explains
                letters = ", ".join(sorted(str(x) for x in foreign))
                if len(readings) == 1 and not (a.literals.text or b.literals.text or a.opaque or b.opaque) and \
                        not any(getattr(self, "_vector", lambda _: False)(x.name.lstrip("\\")) for x in foreign) and \
                        judge_step({}, a, b).status == "correct":     # colah's paths, factored: true whatever they are
                    return make(line, left, right, "correct", note=f"an identity in ${letters}$: it holds for every value")
                return make(line, left, right, "unchecked", note="not read as the text's own letters: " + letters
                            + " neither defined nor used by a definition")
            if a.opaque ^ b.opaque:
                d = sorted(str(s) for s in a.opaque ^ b.opaque)[0]
                return make(line, left, right, "unchecked",
                            note=f"${d}$ is not determined by the text's own definitions of its letters")
            j = judge_step(self.values, a, b)
            if j.status == "correct" and k == 0:
                return make(line, left, right, "correct", note=j.note)
            if j.status == "correct":          # a slip may equal what a letter meant before: not decided
                return make(line, left, right, "unchecked", note=f"right only with {which_definition(r, self.defs)}, "
                            "not with the latest definition: which one the text means here is not determined")
            verdicts.append(j)
        if any(j.status == "unchecked" for j in verdicts):
            return make(line, left, right, "unchecked", note=next(j.note for j in verdicts if j.status == "unchecked"))
        note = verdicts[0].note + (" (under every definition of its letters)" if len(readings) > 1 else "")
        return make(line, left, right, "wrong", note=note)


def _bare(text: str) -> str | None:
    """The one name a side is, when it is one plain name (``z``, ``y``, ``\\sigma``-free)."""
    m = re.fullmatch(r"\s*([A-Za-z]|\\[A-Za-z]+)\s*", text)
    return _key(m.group(1)) if m else None


def _key(text: str) -> str:
    return re.sub(r"[{}\s]", "", text)


def _decimal(side: Side) -> bool:
    return len(side.literals.text) == 1 and side.expr in side.literals.text
