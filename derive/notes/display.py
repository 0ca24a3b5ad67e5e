"""Rich display: HTML (and LaTeX) for Jupyter of networks, derivations, gradients, proofs, verdicts
and grade reports, and MathML for the web page.  Maths is MathML from latex2mathml: no network needed.

The lower stages' ``_repr_*`` methods import this module when a notebook shows an object.
"""
from __future__ import annotations

from ..errors import DeriveError


def mathml(latex: str, display: str = "inline") -> str:
    """LaTeX as a MathML element (DeriveError when the converter cannot read it)."""
    from latex2mathml.converter import convert
    try:
        return convert(latex, display=display)
    except Exception as e:   # the converter's own errors are of many types
        raise DeriveError(f"cannot convert to MathML: {latex[:80]}: {e}") from None
