"""float32 sigmoid layers as one tanh pass, the sigmoid's 0.5s folded into the small arrays around it.

sigmoid(z) = (1 + tanh(z/2))/2.  NumPy's float32 tanh is one vectorised pass where exp, add 1 and
divide are three (``python -m benchmarks.passes``: 246 against 453 µs on 4096 x 128), so for a hidden
layer l whose activation the rules table defines as that function, with a bias per unit, followed by a
layer with a bias per unit:
- layer l's product and bias take W/2 and b/2; the lines that add the bias already leave -(z/2) in Z
  (bias and minus sign in one pass), so ``np.tanh`` leaves A = tanh(-z/2) = 1 - 2a, i.e. a = (1 - A)/2;
- layer l+1 reads A: W' a + b' = (-W'/2) A + (b' + W' 1/2), its arrays rebound once per call;
- backward: dJ/dW' = delta'^T a = -(delta'^T A)/2 + (delta' summed over the batch)/2, and f'(z) = a(1 - a)
  (the table's rule) in terms of A is (1 - A^2)/4, its constant folded into the W' of delta' W'.
Only float32 and batches with at least ``ENTRIES`` such entries (below that the small arrays' extra calls
cost more than the two passes saved); float64 keeps exp: its tanh is slower than exp, add and divide.
"""
from __future__ import annotations

import functools
import math

import sympy as sp

from ..model import rules
from ..model.graph import Network
from ..model.naming import symbol
from .layers import bias_kind, matrix_names

ENTRIES = 65536         # n x (units in tanh form) from which the float32 tanh form is used
FLAG = "tanh_form"      # the generated code's name for "this call uses it"

# a = ALPHA + BETA * A, A = tanh(GAMMA * (-z)) as the code computes it; the identity is checked per rule
GAMMA, ALPHA, BETA = sp.Rational(1, 2), sp.Rational(1, 2), sp.Rational(-1, 2)


@functools.lru_cache(maxsize=None)
def _is_tanh_form(name: str) -> bool:
    """Whether the table's activation ``name`` equals ALPHA + BETA tanh(-GAMMA z) for every z."""
    act = rules.activation(name)
    if not act.unitwise:
        return False
    z = sp.Symbol("z", real=True)
    e = act.value([z], 0)
    if not e.has(sp.exp) and isinstance(e, sp.Function):
        e = e.rewrite(sp.exp)
    return sp.simplify((e - ALPHA - BETA * sp.tanh(-GAMMA * z)).rewrite(sp.exp)) == 0


def layers(net: Network) -> set[int]:
    """The (1-based) layers computed in tanh form when the call is float32 and large enough."""
    spec = net.spec
    out = set()
    for li, L in enumerate(spec.layers[:-1], 1):
        if (_is_tanh_form(L.activation) and bias_kind(L) == "vector"
                and bias_kind(spec.layers[li]) == "vector"):
            out.add(li)
    return out


def prelude(net: Network, tanh: set[int]) -> list[str]:
    """Lines deciding the form for this call and, in tanh form, rebinding the small arrays."""
    if not tanh:
        return []
    units = sum(len(net.spec.layers[li - 1].units) for li in tanh)
    rows = math.ceil(ENTRIES / units)
    out = [f"{FLAG} = dtype is _F32 and n >= {rows}".ljust(38)
           + f"  # float32, {ENTRIES:,} entries or more: sigmoid layers {sorted(tanh)} as one tanh pass (tanhform)"]
    out += [f"W{li}b = W{li}" for li in sorted(tanh_after(tanh))]
    out.append(f"if {FLAG}:")
    for li in range(1, len(net.spec.layers) + 1):
        m = matrix_names(li)
        W, b = m["W"], m["b"]
        if li - 1 in tanh:
            c = backward_factor(net, li - 1)[0]
            out.append(f"    {W}b, {b}, {W} = {W} * {float(c)!r}, {b} + {float(ALPHA)!r} * {W}.sum(axis=1), "
                       f"{W} * {float(BETA)!r}".ljust(76) + f"# layer {li} reads A{li - 1} = 1 - 2 a^({li - 1})")
        if li in tanh:
            out.append(f"    {W}, {b} = {W} * {float(GAMMA)!r}, {b} * {float(GAMMA)!r}".ljust(76)
                       + f"# layer {li} computes z^({li})/2")
    return out


def tanh_after(tanh: set[int]) -> set[int]:
    """The layers that read a tanh-form layer's output."""
    return {li + 1 for li in tanh}


def activation(li: int, exp_lines: list[str]) -> list[str]:
    """Layer li's activation in Z<l>'s memory: one tanh pass in tanh form, else the table's lines."""
    A = matrix_names(li)["A"]
    return [f"if {FLAG}:", f"    np.tanh({A}, {A})".ljust(40)
            + f"# {A} = tanh(-z^({li})/2) = 1 - 2 a^({li}): the next layer's arrays take it so",
            "else:"] + ["    " + line for line in exp_lines]


def backward_factor(net: Network, li: int) -> tuple[sp.Expr, sp.Expr]:
    """(c, g): the table's f'(z^(l)) in terms of A = (a - ALPHA)/BETA is c * g(A), c a number."""
    L = net.spec.layers[li - 1]
    m = matrix_names(li)
    a, z, A = symbol(m["A"]), symbol(m["Z"]), symbol(m["A"])
    fp = rules.activation(L.activation).local(a, z)
    c, g = sp.factor_terms(sp.expand(fp.xreplace({a: ALPHA + BETA * A}))).as_coeff_Mul()
    if g.has(z):
        raise ValueError(f"tanh form: f' of {L.activation} reads z")
    return c, g


def weight_gradient(li: int) -> list[str]:
    """dJ/dW^(l) when layer l-1 is in tanh form: dW holds delta^T A, a = ALPHA + BETA A."""
    m = matrix_names(li)
    return [f"if {FLAG}:".ljust(40) + f"# a^({li - 1}) = (1 - A{li - 1})/2: dJ/dW = -(delta^T A)/2 + (delta summed)/2",
            f"    {m['dW']} *= {float(BETA)!r}", f"    {m['dW']} += {float(ALPHA)!r} * {m['db']}[:, None]"]
