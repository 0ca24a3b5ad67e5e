"""sympy's NumPy printer as generated code spells it, and the indentation helper both code generators share."""
from __future__ import annotations

import sympy as sp
from sympy.printing.numpy import NumPyPrinter


class Printer(NumPyPrinter):
    """sympy's NumPy printer, spelling ``numpy.`` as ``np.`` and knowing the opaque functions."""

    def __init__(self, names: dict | None = None):
        super().__init__({"fully_qualified_modules": True})
        self.names = names or {}

    def _module_format(self, fqn, register=True):
        out = super()._module_format(fqn, register)
        return "np." + out[6:] if out.startswith("numpy.") else out

    def _print_Symbol(self, expr):
        return self.names.get(expr.name, expr.name)

    def _print_sigmoid(self, expr):
        # the table's own definition: sigmoid(u) = 1/(1 + exp(-u))
        return self._print(expr.rewrite(sp.exp))

    def _print_relu(self, expr):
        return "np.maximum(%s, 0.0)" % self._print(expr.args[0])

    def _print_step(self, expr):
        return "np.heaviside(%s, 0.0)" % self._print(expr.args[0])

    def _print_Pow(self, expr, rational=False):
        if expr.exp == -1:   # 1/(...) is faster in NumPy than (...)**(-1.0)
            return "1/%s" % self.parenthesize(expr.base, 1000)
        return super()._print_Pow(expr, rational)


def lines(text: str, indent: str = "    ") -> list[str]:
    return [indent + line if line else "" for line in text.splitlines()]
