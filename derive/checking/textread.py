"""Reading a derivation's equalities with every name free (``textnet.py`` builds the network from them).

``_Reading`` parses one side with each written name as its own symbol (``net_{h1}`` -> net_h1), noting what it
differentiates and updates; ``take_values`` aligns a symbolic side with the same side written with numbers
(``w_1 \\cdot i_1 + ... = 0.15 * 0.05 + ...``) token by token; ``bare_sum`` reads ``\\sum \\frac12 (target - output)^2``
over the output units the text names.
"""
from __future__ import annotations

import re
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from ..model.formula import Limits, Name, parse, split_equalities
from ..model.formula.published import published
from ..model.formula.tokens import tokenize
from .spans import chains, statements

_ASSIGN = re.compile(r"\\leftarrow\b|\\gets\b|\\coloneqq\b|:=|←")
_PARAM_BASES = {"w", "W", "b", "theta", "Theta", "beta", "bias", "v", "V", "u", "U"}
_LOSS_BASES = {"E", "C", "J", "L", "loss", "Loss", "error", "Error", "cost", "Cost", "l", "ell"}
_RATES = {"eta", "alpha", "lr", "epsilon"}
_UNIT = re.compile(r"([A-Za-z]+)(\d+)")



def ident(name: Name) -> str:
    """The node name a written name becomes: ``net_{h1}`` -> net_h1, ``E_{total}`` -> E_total."""
    parts = [name.base] + [p for p in (name.sub, name.sup) if p]
    out = "_".join(re.sub(r"[^A-Za-z0-9]", "", p) for p in parts)
    return (out if out[:1].isalpha() else "n" + out)[:32]


class _Reading:
    """One side read with every name a free symbol: what it names, differentiates and updates."""

    def __init__(self, text: str):
        self.names: dict[str, Name] = {}
        self.wrt: set[str] = set()
        self.of: set[str] = set()
        self.updated: set[str] = set()
        self.leibniz = False
        self.decimals = False
        self.expr = None
        try:
            self.expr = parse(text, self._resolve, derivative=self._derivative, numbers=self._number,
                              update_steps=True, mode="latex", free_names=True)
        except DeriveError:
            self.expr = None

    def _resolve(self, name: Name):
        if name.time == "t+1":
            self.updated.add(ident(Name(name.base, name.sub, name.sup)))
            self.leibniz = True             # an update is not a forward-pass quantity
        key = ident(Name(name.base, name.sub, name.sup))
        self.names[key] = name
        return sp.Symbol(key)

    def _derivative(self, of, args, wrt):
        self.leibniz = True
        self.wrt.add(ident(wrt))
        self.of.add(ident(of))
        return sp.Symbol("_derivative")

    def _number(self, text: str):
        if "." in text:
            self.decimals = True
        return sp.Rational(Fraction(text).numerator, Fraction(text).denominator)

    @property
    def kind(self) -> str:
        if self.expr is None or self.leibniz:
            return "other"
        if not self.expr.free_symbols:
            return "number"
        if self.expr.is_Symbol and len(self.names) == 1:
            return "name"
        return "expr" if not self.decimals else "mixed"


def equalities(text: str):
    for line, latex, _rows in chains(text):
        for st in statements(latex):
            parts = split_equalities(_ASSIGN.sub("=", st))
            if len(parts) >= 2:
                yield line, parts


_BARE = re.compile(r"(?<![\\A-Za-z_{])([A-Za-z]{2,})(?![A-Za-z_({])")
_SUM_HEAD = re.compile(r"^\s*\\sum(?:\\limits)?\s*(?:_\{?[A-Za-z]?\}?)?\s*")


def bare_sum(part: str, everywhere: dict) -> _Reading | None:
    """``\\sum \\frac{1}{2}(target - output)^2``: a sum with no index over bare names, each the family the text
    names unit by unit (target_{o1}, out_{o1}, ...), read as the sum over the units both families have."""
    written = bare_sum_text(part, everywhere)
    r = _Reading(written) if written else None
    return r if r is not None and r.kind == "expr" else None


def bare_sum_text(part: str, everywhere: dict) -> str | None:
    """The sum ``bare_sum`` reads, written out unit by unit in the text's own names (LaTeX)."""
    terms = bare_terms(part, everywhere)
    return " + ".join(f"({terms[k]})" for k in sorted(terms)) if terms else None


def bare_terms(part: str, everywhere: dict) -> dict[str, str] | None:
    """The terms of ``bare_sum``, by the unit each is for (``o1``: ``\\frac{1}{2}(target_{o1} - out_{o1})^2``)."""
    m = _SUM_HEAD.match(part)
    if not m or not part.strip().startswith("\\sum"):
        return None
    body = part[m.end():]
    families: dict[str, dict[str, str]] = {}
    for n in everywhere.values():
        if _UNIT.fullmatch(n.sub or ""):
            families.setdefault(n.base, {})[n.sub] = n.sub
    chosen = {}
    for b in set(_BARE.findall(body)) - {"frac", "sum", "left", "right", "cdot", "partial", "exp", "log"}:
        fams = [f for f in families if f == b or (len(f) >= 3 and (b.startswith(f) or f.startswith(b)))]
        if len(fams) != 1:
            return None
        chosen[b] = fams[0]
    if not chosen:
        return None
    split = {f: {(m.group(1), m.group(2)) for m in (re.fullmatch(r"([A-Za-z]+)(\d+)", x) for x in families[f])}
             for f in chosen.values()}
    prefixes = set.intersection(*({p for p, _ in v} for v in split.values()))
    if len(prefixes) != 1:                        # the units all of them name: one layer (o1, o2, ...)
        return None
    prefix = prefixes.pop()
    labels = {p + k for v in split.values() for p, k in v if p == prefix}     # every unit any of them names
    terms = {}
    for label in sorted(labels):
        t = body
        for b, f in chosen.items():
            t = re.sub(rf"(?<![\\A-Za-z_{{]){b}(?![A-Za-z_({{])", f"{f}_{{{label}}}", t)
        terms[label] = t
    return terms


def named_terms(net, key: str, line: int, terms: dict, everywhere: dict) -> None:
    """E_{total} read as \\sum \\frac12 (target - output)^2 in a text that also writes E_{o1}, E_{o2} and defines
    them nowhere: each is that unit's term (the loss's own name with the unit as its subscript), and the loss
    their sum.  Only when every term has such a name, so the loss is the same sum either way."""
    base = everywhere[key].base if key in everywhere else key.split("_")[0]
    named = {label: [k for k, n in everywhere.items() if n.base == base and n.sub == label and not n.sup]
             for label in terms}
    if not all(len(v) == 1 and v[0] not in net.nodes and v[0] != key for v in named.values()):
        return
    reads = {v[0]: _Reading(terms[label]) for label, v in named.items()}
    if any(r.kind != "expr" for r in reads.values()):
        return
    for k, r in reads.items():
        net.nodes[k], net.lines[k], net.texts[k] = r.expr, line, ""
    net.nodes[key] = sp.Add(*(sp.Symbol(k) for k in reads))


# -- values from substitutions ------------------------------------------------------------------
def units(text: str):
    """The side as a flat list of items: ('v', text) a name or a derivative, ('n', number), ('o', op)."""
    s = published(text)
    toks = tokenize(s, "latex", Limits())
    out, i = [], 0

    def group_end(j):                             # toks[j] is '{': index after its '}'
        depth = 0
        while j < len(toks):
            if toks[j].kind == "op" and toks[j].val == "{":
                depth += 1
            elif toks[j].kind == "op" and toks[j].val == "}":
                depth -= 1
                if depth == 0:
                    return j + 1
            j += 1
        raise DeriveError("unbalanced braces")

    def is_op(j, v):
        return j < len(toks) and toks[j].kind == "op" and toks[j].val == v

    while i < len(toks) and toks[i].kind != "end":
        t = toks[i]
        if t.kind == "num":
            out.append(("n", t.val))
            i += 1
        elif t.kind in ("name", "greek", "wrap", "accent"):
            start = i
            i += 1
            if t.kind in ("wrap", "accent") and is_op(i, "{"):
                i = group_end(i)
            while is_op(i, "_"):
                i = group_end(i + 1) if is_op(i + 1, "{") else i + 2
            if is_op(i, "(") and i + 1 < len(toks) and toks[i + 1].val == "t":
                while i < len(toks) and not is_op(i, ")"):
                    i += 1
                i += 1
            out.append(("v", s[toks[start].pos:toks[i - 1].end]))
        elif t.kind == "frac" and is_op(i + 1, "{") and i + 2 < len(toks) and (
                toks[i + 2].val == "∂" or toks[i + 2].val == "d"):
            j = group_end(group_end(i + 1))
            out.append(("v", s[t.pos:toks[j - 1].end]))
            i = j
        elif t.kind == "op" and t.val in "*()":      # products and grouping may be written either way
            i += 1
        else:
            out.append(("o", t.val))
            i += 1
    return out


def take_values(net, symbolic: str, numeric: str):
    """Leaf values from ``symbolic = numeric`` when the two have the same shape, name for number (``net``: a
    ``textgraph.TextNetwork``, which imports this module)."""
    try:
        a, b = units(symbolic), units(numeric)
    except DeriveError:
        return
    if len(a) != len(b):
        b = _signed(b)
    if len(a) != len(b):
        return
    pairs = []
    for (ka, va), (kb, vb) in zip(a, b):
        if ka == "v" and kb == "n":
            pairs.append((va, vb))
        elif (ka, va) != (kb, vb) and not (ka == kb == "n" and Fraction(va) == Fraction(vb)):
            return
    for written, number in pairs:
        r = _Reading(written)
        if r.kind != "name":
            continue
        key = next(iter(r.names))
        if key in _RATES:
            net.rate = net.rate if net.rate is not None else Fraction(number)
        elif key not in net.nodes:
            net.values.setdefault(key, Fraction(number))


def _signed(items: list) -> list:
    """A negative number written after an operator, ``+ (-0.5)`` (its parentheses are not items), is one number,
    where the symbolic side has one name."""
    out = []
    for item in items:
        if item[0] == "n" and out and out[-1] == ("o", "-") and (len(out) == 1 or out[-2][0] == "o"):
            out[-1] = ("n", "-" + item[1])
        else:
            out.append(item)
    return out


__all__ = ["bare_sum", "bare_sum_text", "bare_terms", "equalities", "ident", "named_terms", "take_values", "units"]
