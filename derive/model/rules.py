"""The one table of local derivative rules: activations, functions and losses, as sympy expressions.

Grammar of the table (the only place the maths of an op lives):

* ``FUNCTION_RULES[f](out, u)`` is d f(u)/du, written via the output ``out`` where the seeds do
  (sigmoid: ``out*(1 - out)``); ``local_derivative`` applies it, with the sum, product and power
  rules, to one graph node's expression.
* ``ACTIVATIONS[name]`` is an :class:`Activation`: ``value(zs, k)`` is unit k's output for the
  layer's pre-activation symbols ``zs``; ``local(a, z)`` is da/dz in terms of the unit's output
  ``a`` and pre-activation ``z``; ``cross(a_k, a_j)`` is da_k/dz_j for k != j (softmax only).
* ``LOSSES[name]`` is a :class:`Loss`: ``value(ys, ts)`` is the loss of output symbols ``ys`` and
  targets ``ts``; ``local(y, t, n)`` is dL/dy for one output of ``n``.

The chain-rule side uses only ``local``/``cross``/``FUNCTION_RULES``; the direct side uses
``value`` and a CAS.  The opaque functions below (sigmoid, relu, step) carry their own
``fdiff`` for sympy; each rule is tested against ``sympy.diff`` of the explicit formula and
against finite differences (tests/test_rules.py).  A missing rule is an error naming the op.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from ..errors import SpecError


class sigmoid(sp.Function):
    """Logistic function 1/(1+exp(-x)), kept opaque so derivatives stay polynomial in it."""

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _latex(self, printer, exp=None):
        arg = printer._print(self.args[0])
        base = r"\sigma\left(%s\right)" % arg
        return base if exp is None else r"%s^{%s}" % (base, exp)


class relu(sp.Function):
    """max(0, x), opaque; its derivative is the step function."""

    def fdiff(self, argindex=1):
        return step(self.args[0])

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((x, x > 0), (0, True))

    def _latex(self, printer, exp=None):
        base = r"\operatorname{relu}\left(%s\right)" % printer._print(self.args[0])
        return base if exp is None else r"%s^{%s}" % (base, exp)


class step(sp.Function):
    """Unit step, 1 for x > 0 else 0 (relu's derivative; its own derivative is taken as 0)."""

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((1, x > 0), (0, True))

    def _latex(self, printer, exp=None):
        base = r"\mathbb{1}\left[%s > 0\right]" % printer._print(self.args[0])
        return base if exp is None else r"%s^{%s}" % (base, exp)


# Functions a node expression or an answer may call, by name.
FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sigmoid": sigmoid,
    "tanh": sp.tanh,
    "relu": relu,
    "exp": sp.exp,
    "log": sp.log,
}

# Local derivative of each function, d f(u) / d u, written via its output ``out`` where the
# seeds do (sigmoid: out*(1-out)).  One entry per op; a missing entry is an error naming the op.
FUNCTION_RULES: dict = {
    sigmoid: lambda out, u: out * (1 - out),
    sp.tanh: lambda out, u: 1 - out**2,
    relu: lambda out, u: step(u),
    step: lambda out, u: sp.S.Zero,
    sp.exp: lambda out, u: out,
    sp.log: lambda out, u: 1 / u,
}


def local_derivative(expr: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """d expr / d x by the rules of sums, products, powers and FUNCTION_RULES (never sympy.diff).

    Used for one node's expression in terms of its direct inputs, as micrograd's local rules are.
    """
    if expr == x:
        return sp.S.One
    if not expr.has(x):
        return sp.S.Zero
    if isinstance(expr, sp.Add):
        return sp.Add(*[local_derivative(a, x) for a in expr.args])
    if isinstance(expr, sp.Mul):
        args = expr.args
        return sp.Add(*[sp.Mul(*args[:k], local_derivative(a, x), *args[k + 1:])
                        for k, a in enumerate(args)])
    if isinstance(expr, sp.Pow):
        base, e = expr.args
        if not e.has(x):
            return e * base ** (e - 1) * local_derivative(base, x)
        return expr * (local_derivative(e, x) * sp.log(base) + e * local_derivative(base, x) / base)
    if isinstance(expr, sp.Function) and len(expr.args) == 1:
        rule = FUNCTION_RULES.get(expr.func)
        if rule is None:
            raise KeyError(f"no derivative rule for {expr.func}")
        return rule(expr, expr.args[0]) * local_derivative(expr.args[0], x)
    raise KeyError(f"no derivative rule for {type(expr).__name__}")


@dataclass(frozen=True)
class Activation:
    name: str
    fn: Callable | None             # the opaque function, None for linear and softmax

    def value(self, zs, k):
        """Output of unit k of a layer with pre-activations ``zs``."""
        if self.name == "softmax":
            return sp.exp(zs[k]) / sp.Add(*[sp.exp(z) for z in zs])
        return zs[k] if self.fn is None else self.fn(zs[k])

    def local(self, a, z):
        """da/dz of one unit in terms of its output ``a`` and pre-activation ``z``."""
        if self.name == "softmax":
            return a * (1 - a)
        return sp.S.One if self.fn is None else FUNCTION_RULES[self.fn](a, z)

    def cross(self, ak, aj):
        """da_k/dz_j for k != j (softmax; zero for unit-wise activations)."""
        return -ak * aj if self.name == "softmax" else sp.S.Zero

    @property
    def unitwise(self) -> bool:
        return self.name != "softmax"


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", sigmoid),
    "tanh": Activation("tanh", sp.tanh),
    "relu": Activation("relu", relu),
    "linear": Activation("linear", None),
    "softmax": Activation("softmax", None),
}


@dataclass(frozen=True)
class Loss:
    name: str
    value: Callable                 # (ys, ts) -> loss
    local: Callable | None          # (y, t, n) -> dL/dy
    needs_targets: bool = True


def _bce(ys, ts):
    return sp.Add(*[-(t * sp.log(y) + (1 - t) * sp.log(1 - y)) for y, t in zip(ys, ts)])


LOSSES: dict[str, Loss] = {
    "half_sse": Loss("half_sse",
                     lambda ys, ts: sp.Add(*[sp.Rational(1, 2) * (t - y) ** 2 for y, t in zip(ys, ts)]),
                     lambda y, t, n: y - t),
    "sse": Loss("sse", lambda ys, ts: sp.Add(*[(t - y) ** 2 for y, t in zip(ys, ts)]),
                lambda y, t, n: 2 * (y - t)),
    "mse": Loss("mse", lambda ys, ts: sp.Add(*[(t - y) ** 2 for y, t in zip(ys, ts)]) / len(ys),
                lambda y, t, n: sp.Rational(2, n) * (y - t)),
    "bce": Loss("bce", _bce, lambda y, t, n: (y - t) / (y * (1 - y))),
    "ce": Loss("ce", lambda ys, ts: sp.Add(*[-t * sp.log(y) for y, t in zip(ys, ts)]),
               lambda y, t, n: -t / y),
    # Keras's and PyTorch's binary cross-entropy: the mean over the outputs (bce above sums them).
    "bce_mean": Loss("bce_mean", lambda ys, ts: _bce(ys, ts) / len(ys),
                     lambda y, t, n: (y - t) / (n * y * (1 - y))),
    "none": Loss("none", lambda ys, ts: ys[0], lambda y, t, n: sp.S.One, needs_targets=False),
}


def activation(name: str, field: str = "activation") -> Activation:
    """Return the rule for an activation, or fail naming the op and the choices."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise SpecError(field, f"unknown activation {name!r}; expected one of {', '.join(ACTIVATIONS)}") from None


def loss(name: str, field: str = "loss") -> Loss:
    """Return the rule for a loss, or fail naming the op and the choices."""
    try:
        return LOSSES[name]
    except (KeyError, TypeError):
        raise SpecError(field, f"unknown loss {name!r}; expected one of {', '.join(LOSSES)}") from None
