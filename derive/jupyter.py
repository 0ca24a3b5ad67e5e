"""Jupyter display without upward imports: the registry every stage draws through and the notes stage fills.

Takes an object of any stage and a kind of display (``"html"``, ``"latex"``); gives the text a drawer
registered for the object's type, or None (Jupyter then shows the plain repr).  The notes stage
(``derive.notes.display``) registers its drawers when it is imported; the package (``derive/__init__``)
names it as the loader run on the first display, so no stage below notes ever imports it.

Imports nothing of derive: every stage may import it (it sits with ``errors`` at the bottom).
"""
from __future__ import annotations

# No import at all: every ``import derive`` loads this module, so it must cost nothing.
_DRAWERS: dict = {}       # (kind, type name) -> drawer, a function of the object giving text
_LOADERS: list = []       # functions that import a stage whose drawers are not registered yet


def register(kind: str, type_name: str, draw) -> None:
    """``draw(obj)`` gives the ``kind`` display ("html", "latex") of objects of the type named ``type_name``."""
    _DRAWERS[kind, type_name] = draw


def on_first_use(loader) -> None:
    """``loader()`` is run (once) before the first display that finds no drawer: it imports the stage
    that registers them."""
    _LOADERS.append(loader)


def show(kind: str, obj) -> str | None:
    """The ``kind`` display of ``obj``, or None when no drawer is registered for its type."""
    key = (kind, type(obj).__name__)
    while key not in _DRAWERS and _LOADERS:
        _LOADERS.pop(0)()
    draw = _DRAWERS.get(key)
    return None if draw is None else draw(obj)


def html(obj) -> str | None:
    """Jupyter's ``_repr_html_``: every lower stage's objects return ``jupyter.html(self)``."""
    return show("html", obj)


def latex(obj) -> str | None:
    """Jupyter's ``_repr_latex_``."""
    return show("latex", obj)
