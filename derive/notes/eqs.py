"""The notes' building blocks: equations, inline maths, Leibniz fractions, textbook-order LaTeX."""
from __future__ import annotations

import weakref
from dataclasses import dataclass

from ..model.graph import Network
from .order import printer

COLOURS = ("blue", "orange", "green", "purple", "red", "teal")
# One hex per path colour: the SVG strokes, the MathML mathcolor and the LaTeX \\definecolor all use it.
COLOUR_HEX = {"blue": "#005ac8", "orange": "#e67800", "green": "#008c3c", "purple": "#8232a0",
              "red": "#c81e1e", "teal": "#008080"}
_PRINTERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def tex(net: Network, expr) -> str:
    """``expr`` as LaTeX in the notation's glyphs and a person's order (see ``order``)."""
    p = _PRINTERS.get(net)
    if p is None:
        p = _PRINTERS[net] = printer(net)
    return p.doprint(expr)


def linear_tex(net: Network, expr) -> str:
    """``expr`` with ``a / b`` fractions and plain brackets: long, but a paragraph breaks it."""
    return printer(net, linear=True).doprint(expr)


class M(str):
    """Inline math (LaTeX) for a prose field, as opposed to plain text."""


@dataclass(frozen=True)
class Eq:
    """A display equation: LaTeX expressions joined by '='."""
    parts: tuple[str, ...]

    @property
    def latex(self) -> str:
        return " = ".join(self.parts)


def leibniz(net: Network, upper: str, lower: str) -> str:
    """``\\frac{\\partial U}{\\partial V}`` in the notation's glyphs."""
    names = net.latex_names
    return r"\frac{\partial %s}{\partial %s}" % (names[net.symbol(upper)], names[net.symbol(lower)])


def coloured(latex: str, colour: str) -> str:
    return r"{\color{%s} %s}" % (colour, latex)


def shown_layer(net: Network, layer: int) -> int:
    """The layer number as the preset prints it: theta counts the inputs as layer 1 (seed 000)."""
    return layer + 1 if net.notation.preset == "theta" else layer


def update_eq(net: Network, p: str) -> Eq:
    ps = net.latex_names[net.symbol(p)]
    return Eq((ps + "(t+1)", ps + r"(t) - \alpha " + leibniz(net, net.loss, p)))
