"""A network read from a derivation's own forward pass, when no spec is given (the graph form).

A text defines its symbols as it computes: ``net_{h1} = w_1 i_1 + w_2 i_2 + b_1``,
``out_{h1} = \\frac{1}{1+e^{-net_{h1}}}``, ``E_{total} = E_{o1} + E_{o2}``.  Each such line (a name, then
an expression of names) becomes a node; the names no line defines are leaves: parameters when the
text differentiates or updates them (or they are spelled w, W, b, \\theta), inputs otherwise.  Numbers
come from the text's own substitutions, aligned token by token with the symbolic side
(``w_1 \\cdot i_1 + ... = 0.15 * 0.05 + ...`` gives w_1 = 0.15 and i_1 = 0.05), and from ``x = 0.05``.

Units the text names but does not compute (``out_{h2} = 0.5969``, "the same process for h2") are
generalised from a sibling: ``net_{h1}``'s line, with h1 read as h2 and its weights as the next block
of the same numbering (w_1, w_2 -> w_3, w_4; w_{11}, w_{12} -> w_{21}, w_{22}); a bias stays shared when
its shifted name belongs to another layer.  Values the text never states are solved from the numbers it
does state (``textsolve.py``).  What the text does not determine is named, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
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
        self.updated: set[str] = set()
        self.leibniz = False
        self.decimals = False
        self.expr = None
        try:
            self.expr = parse(text, self._resolve, derivative=self._derivative, numbers=self._number,
                              update_steps=True, mode="latex")
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


@dataclass
class TextNetwork:
    """What a text's forward pass determines: nodes, leaves, values; ``spec`` is the graph-form dict."""
    nodes: dict[str, sp.Expr] = field(default_factory=dict)       # in the text's order
    lines: dict[str, int] = field(default_factory=dict)           # where each node is defined (0: generalised)
    texts: dict[str, str] = field(default_factory=dict)           # each node's defining side, as written
    names: dict[str, str] = field(default_factory=dict)           # ident -> as first written
    values: dict[str, Fraction] = field(default_factory=dict)
    rate: Fraction | None = None
    wrt: set = field(default_factory=set)
    updated: set = field(default_factory=set)
    stated: list = field(default_factory=list)                    # (line, ident, Fraction, text): X = number
    generalised: list = field(default_factory=list)               # (node, from node)
    solved: dict = field(default_factory=dict)                    # leaf -> Fraction (textsolve)
    output: str | None = None

    @property
    def leaves(self) -> list[str]:
        seen: dict[str, None] = {}
        for e in self.nodes.values():
            for s in sorted(e.free_symbols, key=lambda s: s.name):
                if s.name not in self.nodes and s.name not in _RATES:
                    seen[s.name] = None
        return list(seen)

    def is_param(self, leaf: str) -> bool:
        base = re.match(r"[A-Za-z]*", leaf).group(0) if "_" not in leaf else leaf.split("_")[0]   # w1, w_1: w
        return leaf in self.wrt or leaf in self.updated or base in _PARAM_BASES

    def repeated_inputs(self) -> list[tuple[str, str, str | None]]:
        """Weighted sums that use one input twice (``y1 = w5 h1 + w6 h1 + b2``): (node, the input, a sibling of
        that input the text names but no quantity uses, if there is one)."""
        used = {s.name for e in self.nodes.values() for s in e.free_symbols}
        named = set(self.names) | set(self.nodes)
        out = []
        def param(name):
            return name not in self.nodes and self.is_param(name)
        for node, e in self.nodes.items():
            terms = sp.Add.make_args(e)
            seen: dict[str, int] = {}
            linear = True                     # a weighted sum: every term one parameter times at most one input
            for term in terms:
                syms = term.free_symbols
                ps = [f for f in syms if param(f.name)]
                if len(ps) != 1 or len(syms) > 2 or sp.Poly(term, *syms).total_degree() != len(syms):
                    linear = False
                    break
                for f in syms - set(ps):
                    seen[f.name] = seen.get(f.name, 0) + 1
            if not linear:
                continue
            for u, n in seen.items():
                if n < 2 or len(terms) < 3:
                    continue
                m = re.fullmatch(r"(.*?)(\d+)", u)
                idle = None
                if m:
                    idle = next((x for x in sorted(named) if x != u and x not in used and
                                 re.fullmatch(re.escape(m.group(1)) + r"\d+", x)), None)
                out.append((node, u, idle))
        return out

    def taken(self) -> dict[str, tuple]:
        """Quantities whose leaves the text leaves without values, at the value it states (first statement)."""
        missing = {x for x in self.leaves if x not in self.values and x not in self.solved}
        out: dict[str, tuple] = {}
        for _, key, v, t in self.stated:
            if key in self.nodes and key not in out and any(
                    s.name in missing for n in self.ancestors(key) for s in self.nodes[n].free_symbols):
                out[key] = (v, t)
        return out

    def ancestors(self, node: str) -> set[str]:
        """``node`` and every node it is computed from."""
        out, todo = set(), [node]
        while todo:
            n = todo.pop()
            if n in self.nodes and n not in out:
                out.add(n)
                todo += [s.name for s in self.nodes[n].free_symbols]
        return out

    def ordered(self) -> list[str]:
        """The nodes, each after the nodes it uses."""
        out: list[str] = []

        def visit(n, depth=0):
            if n in out or depth > len(self.nodes):
                return
            for s in sorted(self.nodes[n].free_symbols, key=lambda s: s.name):
                if s.name in self.nodes:
                    visit(s.name, depth + 1)
            out.append(n)
        for n in self.nodes:
            visit(n)
        return out

    def spec(self) -> dict:
        leaves = self.leaves
        params = [x for x in leaves if self.is_param(x)]
        inputs = [x for x in leaves if x not in params]
        values = {**self.values, **self.solved}
        unknown = [x for x in inputs if x not in values]      # an input with no value yet: a fixed parameter
        inputs = [x for x in inputs if x in values]
        out: dict = {"name": "read from the text", "notation": "graph", "fixed": unknown,
                     "graph": {"inputs": inputs, "params": params + unknown,
                               "nodes": {n: _node_text(self.nodes[n]) for n in self.ordered()},
                               "output": [self.output]},
                     "loss": "none",
                     "values": {"inputs": {k: _num(values[k]) for k in inputs if k in values},
                                "params": {k: _num(values[k]) for k in params if k in values}}}
        if self.rate is not None:
            out["values"]["learning_rate"] = _num(self.rate)
        return out

    def summary(self) -> str:
        leaves = self.leaves
        params = [x for x in leaves if self.is_param(x)]
        inputs = [x for x in leaves if x not in params]

        def listed(xs):
            return ", ".join(f"{self.names.get(x, x)} = {_show(self.values[x])}" if x in self.values else
                             f"{self.names.get(x, x)} (solved)" if x in self.solved else
                             f"{self.names.get(x, x)}" for x in xs) or "none"
        hidden = [n for n in self.nodes if n != self.output]
        text = (f"read from the text: inputs {listed(inputs)}; parameters {listed(params)}; "
                f"{len(hidden)} quantities ({', '.join(self.names.get(n, n) for n in hidden)}); "
                f"loss {self.names.get(self.output, self.output)}")
        if self.rate is not None:
            text += f"; learning rate {_show(self.rate)}"
        if self.generalised:
            text += "; generalised " + ", ".join(f"{self.names.get(a, a)} from {self.names.get(b, b)}"
                                                for a, b in self.generalised)
        if self.solved:
            text += "; solved from the text's numbers: " + ", ".join(
                f"{self.names.get(k, k)} = {_show(v)}" for k, v in self.solved.items())
        missing = [x for x in leaves if x not in self.values and x not in self.solved]
        if missing:
            text += "; no value for " + ", ".join(self.names.get(x, x) for x in missing)
            taken = self.taken()
            if taken:
                text += "; so these values are taken as the text states them: " + ", ".join(
                    f"{self.names.get(k, k)} = {t}" for k, (_, t) in taken.items())
        return text


def _num(v: Fraction):
    return int(v) if v.denominator == 1 else float(v)


def _show(v: Fraction) -> str:
    return str(_num(v))


def _node_text(e: sp.Expr) -> str:
    """A node expression in the spec's grammar (numbers, names, + - * / **, sigmoid tanh relu exp log)."""
    s = sp.sstr(e, order="none")
    if re.search(r"[A-Za-z_]+\(", s.replace("sigmoid(", "").replace("tanh(", "").replace("relu(", "")
                 .replace("exp(", "").replace("log(", "")):
        raise DeriveError(f"cannot write {s} as a node of the graph form")
    return s


def _equalities(text: str):
    for line, latex, _rows in chains(text):
        for st in statements(latex):
            parts = split_equalities(_ASSIGN.sub("=", st))
            if len(parts) >= 2:
                yield line, parts


def read_network(text: str) -> TextNetwork:
    """The network a text's forward pass determines (DeriveError naming what is missing)."""
    net = TextNetwork()
    rows = [(line, parts, [_Reading(p) for p in parts]) for line, parts in _equalities(text)]
    everywhere: dict[str, Name] = {}
    pending: dict[str, tuple] = {}
    for line, parts, reads in rows:
        for r in reads:
            net.wrt |= r.wrt
            net.updated |= r.updated
            for k, n in r.names.items():
                if not n.index:
                    everywhere.setdefault(k, n)
                if not n.time:
                    net.names.setdefault(k, n.text or k)
    for line, parts, reads in rows:
        head = reads[0]
        if head.kind == "name":
            key = next(iter(head.names))
            body = next((r for r in reads[1:] if r.kind == "expr"), None)
            if body is None and key not in net.nodes:      # E_{total} = \sum \frac12 (target - output)^2, if nothing else
                summed = next((r for r in (_bare_sum(p, everywhere) for p in parts[1:]) if r is not None), None)
                if summed is not None:
                    pending.setdefault(key, (line, summed))
            backward = any(r.leibniz for r in reads[1:])      # \delta_{o1} = dE/dout * ...: not forward
            if body is not None and not backward and key not in net.nodes and key not in _RATES \
                    and key not in body.expr.free_symbols and _acyclic(net, key, body.expr):
                net.nodes[key], net.lines[key] = body.expr, line
                net.texts[key] = parts[reads.index(body)] if body in reads else ""
            if net.texts.get(key) and reads[1].kind in ("number", "mixed"):     # net_{h1} = 0.15 * 0.05 + ...
                _take_values(net, net.texts[key], parts[1])
            last = reads[-1]
            if last.kind == "number":
                if key in _RATES:
                    net.rate = Fraction(str(last.expr))
                else:
                    net.stated.append((line, key, Fraction(str(last.expr)), parts[-1].strip()))
        for k in range(len(parts) - 1):          # symbolic side, then the same with numbers in
            if reads[k].kind in ("expr", "other", "name") and reads[k + 1].kind in ("number", "mixed"):
                _take_values(net, parts[k], parts[k + 1])
    for key, (line, summed) in pending.items():  # a sum over bare names, for a name no line defines in the network
        loose = key in net.nodes and not any(x.name in net.nodes for x in net.nodes[key].free_symbols)
        if (key not in net.nodes or loose) and key not in summed.expr.free_symbols and \
                any(x.name in net.nodes for x in summed.expr.free_symbols):
            net.nodes[key], net.lines[key], net.texts[key] = summed.expr, line, ""
    for line, key, v, _ in net.stated:            # x_1 = 0.05: a leaf's value
        if key not in net.nodes:
            net.values.setdefault(key, v)
    _generalise(net, everywhere)
    net.output = _objective(net)
    keep = net.ancestors(net.output)            # \delta_{o1} = -(t - out) out (1 - out): a local name, not a node
    net.nodes = {k: e for k, e in net.nodes.items() if k in keep}
    net.generalised = [(a, b) for a, b in net.generalised if a in keep]
    for leaf in net.leaves:                       # stated values of leaves only; nodes are checked, not taken
        for line, key, v, _ in net.stated:
            if key == leaf:
                net.values.setdefault(leaf, v)
    return net


_BARE = re.compile(r"(?<![\\A-Za-z_{])([A-Za-z]{2,})(?![A-Za-z_({])")
_SUM_HEAD = re.compile(r"^\s*\\sum(?:\\limits)?\s*(?:_\{?[A-Za-z]?\}?)?\s*")


def _bare_sum(part: str, everywhere: dict) -> _Reading | None:
    """``\\sum \\frac{1}{2}(target - output)^2``: a sum with no index over bare names, each the family the text
    names unit by unit (target_{o1}, out_{o1}, ...), read as the sum over the units both families have."""
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
    terms = []
    for label in sorted(labels):
        t = body
        for b, f in chosen.items():
            t = re.sub(rf"(?<![\\A-Za-z_{{]){b}(?![A-Za-z_({{])", f"{f}_{{{label}}}", t)
        terms.append("(" + t + ")")
    r = _Reading(" + ".join(terms))
    return r if r.kind == "expr" else None


def _acyclic(net: TextNetwork, key: str, expr: sp.Expr) -> bool:
    todo, seen = [s.name for s in expr.free_symbols], set()
    while todo:
        n = todo.pop()
        if n == key:
            return False
        if n in net.nodes and n not in seen:
            seen.add(n)
            todo += [s.name for s in net.nodes[n].free_symbols]
    return True


# -- values from substitutions ------------------------------------------------------------------
def _units(text: str):
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


def _take_values(net: TextNetwork, symbolic: str, numeric: str):
    """Leaf values from ``symbolic = numeric`` when the two have the same shape, name for number."""
    try:
        a, b = _units(symbolic), _units(numeric)
    except DeriveError:
        return
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


# -- units the text names but does not compute ---------------------------------------------------
def _units_of(names) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for n in names.values():
        m = _UNIT.fullmatch(n.sub or "") if not n.index else None     # not a sum's own index (\sum_o w_{ho})
        if m:
            out.setdefault(m.group(1), set()).add(int(m.group(2)))
    return out


def _generalise(net: TextNetwork, everywhere: dict[str, Name]):
    units = _units_of(everywhere)
    layer_of: dict[str, str] = {}                 # a parameter leaf -> the unit prefix whose line uses it
    for key, e in net.nodes.items():
        m = _UNIT.fullmatch(everywhere[key].sub or "") if key in everywhere else None
        if m:
            for s in e.free_symbols:
                layer_of.setdefault(s.name, m.group(1))
    layer_of["?shared"] = _bias_convention(net, everywhere, layer_of)
    changed = True
    while changed:
        changed = False
        for key in list(net.nodes):
            name = everywhere.get(key)
            m = _UNIT.fullmatch(name.sub or "") if name else None
            if not m:
                continue
            prefix, k = m.group(1), int(m.group(2))
            for k2 in sorted(units.get(prefix, ())):
                new = ident(Name(name.base, f"{prefix}{k2}", name.sup))
                if new in net.nodes or k2 == k:
                    continue
                expr = _shifted(net, net.nodes[key], prefix, k, k2, everywhere, layer_of)
                if expr is None:
                    continue
                net.nodes[new], net.lines[new] = expr, 0
                net.generalised.append((new, key))
                everywhere[new] = Name(name.base, f"{prefix}{k2}", name.sup, text="")
                net.names.setdefault(new, (name.text or key).replace(f"{prefix}{k}", f"{prefix}{k2}"))
                changed = True


def _shifted(net, expr, prefix, k, k2, everywhere, layer_of):
    """``expr`` (unit prefix+k's line) for unit prefix+k2, or None when its parameters cannot be renamed."""
    subst = {}
    weights = []
    for s in expr.free_symbols:
        n = everywhere.get(s.name)
        if n is None:
            return None
        m = _UNIT.fullmatch(n.sub or "")
        if m and m.group(1) == prefix and int(m.group(2)) == k:
            subst[s] = sp.Symbol(ident(Name(n.base, f"{prefix}{k2}", n.sup)))
        elif net.is_param(s.name) and s.name not in net.nodes and re.fullmatch(r"\d+", n.sub or ""):
            weights.append((s, n))
    if weights:
        bias = [(s, n) for s, n in weights if _is_bias(expr, s)]
        plain = [(s, n) for s, n in weights if (s, n) not in bias]
        if plain and all(len(n.sub) == 2 and int(n.sub[0]) == k for _, n in plain):      # w_{kj}: row k
            for s, n in plain:
                subst[s] = sp.Symbol(ident(Name(n.base, f"{k2}{n.sub[1]}", n.sup)))
        elif plain:                                                                    # w_1, w_2: a block
            idx = sorted(int(n.sub) for _, n in plain)
            if idx != list(range(idx[0], idx[0] + len(idx))):
                return None
            step = (k2 - k) * len(idx)
            for s, n in plain:
                subst[s] = sp.Symbol(ident(Name(n.base, str(int(n.sub) + step), n.sup)))
        for s, n in bias:         # b_1: one per layer, or one per unit, as the text's other lines show
            if layer_of["?shared"] is None:
                return None
            if not layer_of["?shared"]:
                subst[s] = sp.Symbol(ident(Name(n.base, str(int(n.sub) + (k2 - k)), n.sup)))
    return expr.xreplace(subst)


def _bias_convention(net, everywhere, layer_of) -> bool | None:
    """True: a numbered bias is one per layer (b_1 in h1's line, b_2 in o1's); False: one per unit (b_2 is
    written in the same layer); None: the text does not say."""
    for key, e in net.nodes.items():
        name = everywhere.get(key)
        m = _UNIT.fullmatch(name.sub or "") if name else None
        if not m:
            continue
        for s in e.free_symbols:
            n = everywhere.get(s.name)
            if n is None or not re.fullmatch(r"\d+", n.sub or "") or not net.is_param(s.name) or not _is_bias(e, s):
                continue
            nxt = ident(Name(n.base, str(int(n.sub) + 1), n.sup))
            if layer_of.get(nxt, m.group(1)) != m.group(1):
                return True
            if nxt in everywhere:
                return False
    return None


def _is_bias(expr: sp.Expr, s: sp.Symbol) -> bool:
    """A term of the weighted sum that is the parameter alone (times a number)."""
    for term in sp.Add.make_args(sp.expand(expr)):
        if s in term.free_symbols and len(term.free_symbols) == 1:
            return True
    return False


def _objective(net: TextNetwork) -> str:
    """The loss: the one unused quantity (or the loss-named one computed from the most of the network)."""
    if not net.nodes:
        raise DeriveError("the text has no forward pass to read a network from (no line like "
                          "net_{h1} = w_1 i_1 + w_2 i_2 + b_1): give a spec")
    used = {s.name for e in net.nodes.values() for s in e.free_symbols}
    tops = [n for n in net.nodes if n not in used]
    if not tops:
        raise DeriveError("the text's forward pass has no loss: give a spec")
    lossy = [n for n in tops if n.split("_")[0] in _LOSS_BASES] or tops
    size = {n: len(net.ancestors(n)) for n in lossy}
    best = max(size.values())
    chosen = [n for n in lossy if size[n] == best]
    if len(chosen) > 1:
        chosen = [n for n in chosen if n.endswith("_total") or "_" not in n] or chosen
    if len(chosen) > 1:
        raise DeriveError("the text's forward pass does not say which quantity is the loss ("
                          + ", ".join(net.names.get(n, n) for n in chosen) + "): give a spec")
    out = chosen[0]
    if best < 3:
        raise DeriveError(f"the loss {net.names.get(out, out)} is not written in terms of the network's "
                          "outputs (no line like E = 1/2 (t - out)^2): give a spec")
    return out


__all__ = ["TextNetwork", "ident", "read_network"]
