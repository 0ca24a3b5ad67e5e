"""Check a derivation with no spec: the network is read from the text (``textnet.py``), then every line
is checked against it, in the text's own names.

Values the text never states (Mazur's w_3 and w_7 are only in his picture) are solved from the numbers
it does state: each step that could not be checked for want of them (``out_{h2} = 0.596884378``,
``w_7^{+} = 0.511301270``) is an equation in the missing leaves.  They are solved by least squares, each
rounded to the fewest decimals that keep every such equation right to its written digits, and accepted
only when there are more equations than unknowns, so that the text's numbers confirm one another.  A
step that disagrees with the rest is left out of the solve (and then checked, and found wrong).
"""
from __future__ import annotations

import math
import re
from fractions import Fraction

import sympy as sp

from ..errors import DeriveError
from .batch import BatchReader
from .derivation import DerivationReport, check_lines
from .numbers import half_unit, iv, walk
from .textgraph import TextNetwork
from .textnet import read_network
from .textread import _LOSS_BASES

MAX_UNKNOWNS = 12


class _Probe(BatchReader):
    """A reader that also collects ``expression = number`` steps the missing leaves keep from being checked."""

    def __init__(self, c):
        super().__init__(c)
        self.claims: list[tuple[sp.Expr, Fraction, Fraction]] = []     # (expression, number, half unit)

    def judge(self, a, b):
        for sym, num in ((a, b), (b, a)):            # a symbolic side, and one number as written
            if not (sym.ok and num.ok) or sym.literals.text or not self.example.missing(sym.expr):
                continue
            e = num.expr
            sign = -1 if e.could_extract_minus_sign() else 1
            if (sign * e) in num.literals.text:
                t = num.literals.text[sign * e]
                self.claims.append((self._leaves(sym.expr), sign * Fraction(t), half_unit(t)))
        return super().judge(a, b)

    def _leaves(self, e: sp.Expr) -> sp.Expr:
        """``e`` written in leaves only: nodes replaced by their expressions."""
        nodes = self.c.net.nodes
        for _ in range(len(nodes) + 1):
            sub = {s: nodes[s.name].expr for s in e.free_symbols
                   if s.name in nodes and not nodes[s.name].leaf and nodes[s.name].expr is not None}
            sub |= {s: self.c.deltas[s] for s in e.free_symbols if s in self.c.deltas}
            if not sub:
                return e
            e = e.xreplace(sub)
        return e


def _network(tn: TextNetwork):
    from ..model.graph import Network
    from ..model.spec import from_dict
    try:
        return Network(from_dict(tn.spec(), "text"))
    except DeriveError as e:
        raise DeriveError(f"the network read from the text is not one derive can use ({e}): give a spec") from None


def _solve(tn: TextNetwork, text: str) -> None:
    """Fill ``tn.solved`` with the missing leaves' values, when the text's numbers determine them."""
    from .checker import Checker
    missing = [x for x in tn.leaves if x not in tn.values]
    if not missing or len(missing) > MAX_UNKNOWNS:
        return
    c = Checker(_network(tn))
    probe = _Probe(c)
    check_lines(c, text, probe)
    env = {c.net.nodes[k].symbol: float(v) for k, v in tn.values.items() if k in c.net.nodes}
    from .lookup import LEARNING_RATE
    if tn.rate is not None:
        env[LEARNING_RATE] = float(tn.rate)
    unknown = [c.net.nodes[x].symbol for x in missing]
    claims = [(e, float(v), float(h)) for e, v, h in probe.claims
              if e.free_symbols & set(unknown) and e.free_symbols <= set(env) | set(unknown)]
    fns = [(_compiled(e, env, unknown), v, h) for e, v, h in claims]
    fns = [f for f in fns if f[0] is not None]
    kept = list(fns)
    for _ in range(3):                           # leave out up to three steps that disagree with the rest
        if len(kept) <= len(unknown):
            return
        x = _least_squares(kept, len(unknown))
        if x is None:
            return
        bad = [f for f in kept if not _holds(f, x)]
        if not bad:
            break
        kept.remove(max(bad, key=lambda f: abs(f[0](x) - f[1]) / max(f[2], 1e-15)))
    else:
        return
    x = _rounded(kept, x)
    if x is None:
        return
    for sym, xi in zip(unknown, x):
        tn.solved[sym.name] = Fraction(repr(float(xi)))


def _compiled(e: sp.Expr, env: dict, unknown: list):
    fixed = e.xreplace({s: sp.Float(v, 30) for s, v in env.items()})
    if fixed.free_symbols - set(unknown):
        return None
    from ..model.rules import relu, sigmoid, step
    funcs = {sigmoid: lambda t: 1 / (1 + math.exp(-t)), sp.exp: math.exp, sp.log: math.log, sp.tanh: math.tanh,
             relu: lambda t: max(t, 0.0), step: lambda t: float(t > 0), sp.Abs: abs}

    def f(x):
        return walk(fixed, dict(zip(unknown, x)), funcs, float, math.fsum, math.prod)
    return f


def _residuals(fns, x):
    out = []
    for f, v, h in fns:
        try:
            out.append((f(x) - v) / max(h, abs(v) * 1e-9, 1e-12))
        except (ValueError, OverflowError, ZeroDivisionError):
            out.append(1e12)
    return out


def _least_squares(fns, n):
    """The one best fit, or None when the equations leave the unknowns open (two fits as good, apart)."""
    from scipy.optimize import least_squares
    fits = []
    for start in (0.5, 0.1, 1.0, -0.5, 2.0):
        try:
            r = least_squares(lambda x: _residuals(fns, x), [start] * n, xtol=1e-15, ftol=1e-15, gtol=1e-15,
                              max_nfev=2000)
        except (ValueError, OverflowError):
            continue
        fits.append((float(r.cost), [float(v) for v in r.x]))
    if not fits:
        return None
    best = min(fits)
    good = [x for cost, x in fits if cost <= max(best[0] * 4, len(fns))]      # fits within rounding
    if any(max(abs(a - b) for a, b in zip(x, best[1])) > 1e-6 for x in good):
        return None
    return best[1]


def _holds(f, x, slack=1.0001) -> bool:
    fn, v, h = f
    try:
        return abs(fn(x) - v) <= h * slack + abs(v) * 1e-12 + 1e-15
    except (ValueError, OverflowError, ZeroDivisionError):
        return False


def _rounded(fns, x):
    """Each unknown at the fewest decimals (up to 12) that keep every equation right."""
    x = list(x)
    for i in range(len(x)):
        for d in range(1, 13):
            trial = x[:i] + [round(x[i], d)] + x[i + 1:]
            if all(_holds(f, trial) for f in fns):
                x = trial
                break
        else:
            return None
    return x


def _own_names(c, tn) -> dict:
    """For messages: the text's quantities written with a layer superscript (``a^{(L-1)}_1``), as the text
    writes them, where the graph notation would print the network's identifier (``a_{1_{L_{1}}}``).  Only
    printed: the names the checker reads are the notation's, unchanged."""
    from ..model.naming import symbol
    out = {}
    for ident, written in tn.names.items():
        s = symbol(ident)
        if "^" in written and s in c.net.latex_names and c.net.latex_names[s] != written.strip():
            out[s] = written.strip()
    return out


_HATTED = re.compile(r"\\(hat|tilde|bar)\s*\{\s*([A-Za-z]+\d+)\s*\}")


def check_text(text: str) -> DerivationReport:
    """Check a derivation with no spec: read its network, say so in one line, check every line."""
    from .checker import Checker
    # \hat{y1}: a quantity of the text's own (its output unit 1), named y1hat in the network read from it
    text = _HATTED.sub(lambda m: f"{m.group(2)}{m.group(1)}", text)
    tn = read_network(text)
    if tn.output.split("_")[0] not in _LOSS_BASES and tn.output not in tn.of:
        # Ng's A^{[2]} ends the forward pass, and his J is only sums; colah's e, which the text differentiates, is read
        raise DeriveError(f"the text's forward pass ends in {tn.names.get(tn.output, tn.output)}, which no line "
                          "names as the loss (E, L, J, C ...): give a spec")
    _solve(tn, text)
    c = Checker(_network(tn))
    c.printed = _own_names(c, tn)
    reader = BatchReader(c)
    from .lookup import _latex_key
    for ident, written in tn.names.items():      # a^{(L-1)}_1 as the text writes it: the network's a_1_L1
        key, node = _latex_key(written), c.net.nodes.get(ident)
        if key and node is not None and key not in c.table.loose:
            reader.bound.setdefault(key, node.symbol)
    for key, (v, t) in tn.taken().items():       # out_{h2} = 0.596884378 where the text gives no weights for h2
        h = half_unit(t) if "." in t else Fraction(0)
        reader.example.stated_nodes[c.net.nodes[key].symbol] = (
            v if not h else iv.mpf([_mp(v - h), _mp(v + h)]))
    reader.example._env = None
    report = check_lines(c, _summed(tn, text), reader)
    from .readout import network_read
    return DerivationReport(_repeated(tn, report.steps), read=tn.summary(), network=network_read(tn, c))


def _summed(tn: TextNetwork, text: str) -> str:
    """``E_{total} = \\sum \\frac12 (target - output)^2``, written out over the output units the text names
    (``(\\frac12 (target_{o1} - out_{o1})^2) + (...)``), so that the line is checked, not left unread.  Only
    within its own line: line numbers stay as written."""
    lines = text.split("\n")
    for line, part, written in tn.sums:
        at, part = line - 1, part.strip()
        if 0 <= at < len(lines) and lines[at].count(part) == 1:
            lines[at] = lines[at].replace(part, written)
    return "\n".join(lines)


def _repeated(tn: TextNetwork, steps) -> tuple:
    """The defining line of a weighted sum that uses one input twice is a wrong step, whatever follows from it."""
    from dataclasses import replace
    from .verdict import Mistake
    bad = {tn.lines.get(node): (node, u, idle) for node, u, idle in tn.repeated_inputs() if tn.lines.get(node)}
    out = []
    for st in steps:
        hit = bad.get(st.line)
        if hit and st.status in ("correct", "definition") and tn.names.get(hit[0], hit[0]) == st.left.strip():
            node, u, idle = hit
            say = f"${tn.names.get(u, u)}$ is used twice in the weighted sum of ${tn.names.get(node, node)}$"
            if idle:
                say += f", and ${tn.names.get(idle, idle)}$, which the text computes, feeds nothing: " \
                       f"${tn.names.get(idle, idle)}$ belongs in one of the two terms"
            st = replace(st, status="wrong", diagnosis=(Mistake("repeated_input", say),),
                         note="the network read from the text keeps this line as written")
        out.append(st)
    return tuple(out)


def _mp(x: Fraction):
    return iv.mpf(x.numerator) / x.denominator


__all__ = ["check_text"]
