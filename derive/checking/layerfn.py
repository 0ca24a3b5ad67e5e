"""``g(z)`` and ``g'(z)``: the activation of the layer whose weighted sum z is (Ng's g, Bishop's h), never a
guessed sigmoid.  The layer form reads it of whole layers (``matrixread.py``); a step about one unit, of that
unit's z only (``strict``), so a text's own function named g stays the text's."""
from __future__ import annotations

import sympy as sp

from ..errors import FormulaError
from ..model.rules import FUNCTIONS

_ACTIVATIONS = {"sigmoid": FUNCTIONS["sigmoid"], "tanh": FUNCTIONS["tanh"], "relu": FUNCTIONS["relu"],
                "linear": lambda x: x}


class LayerActivation:
    """``g`` (``g'``) of the layer form: the activation of the layer whose pre-activation it is given."""

    def __init__(self, net, strict: bool = False):
        self.net = net
        self.strict = strict          # only of a unit's weighted sum (a step's g(x) may be the text's own g)

    def _fn(self, arg):
        node = self.net.nodes.get(arg.name) if isinstance(arg, sp.Symbol) else self._weighted_sum(arg)
        acts = sorted({layer.activation for layer in self.net.spec.layers})
        if node is not None and node.kind == "pre":
            act = self.net.spec.layers[node.layer - 1].activation
        else:
            act = acts[0] if len(acts) == 1 and not self.strict else None
        if act is None:
            raise FormulaError("g(...) is read as a layer's activation, of that layer's weighted sums z; "
                               f"the layers here use {', '.join(acts)}")
        if act not in _ACTIVATIONS:
            raise FormulaError(f"g'(...) of the {act} layer is not element-wise")
        return _ACTIVATIONS[act]

    def _weighted_sum(self, arg):
        """The unit whose weighted sum ``arg`` is written out (Hagan's f^{m+1}(W^{m+1} a^m + b^{m+1})), or None."""
        if self.strict or not isinstance(arg, sp.Expr):
            return None
        return next((n for n in self.net.nodes.values() if n.kind == "pre" and sp.expand(n.expr - arg) == 0), None)

    def __call__(self, arg):
        return self._fn(arg)(arg)

    def prime(self, arg):
        t = sp.Dummy("t")
        return sp.diff(self._fn(arg)(t), t).xreplace({t: arg})


__all__ = ["LayerActivation"]
