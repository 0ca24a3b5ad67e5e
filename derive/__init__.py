"""derive: backpropagation derivations, by chain rule and by direct differentiation, proven equal.

One Python surface for every form of model (layered and graph networks, tensor programs)::

    model = derive.load("seed002")      # or "cs231n", a spec path, a spec dict, a model
    d = derive.derive(model)            # a Derivation (network) or a Backward (tensor program)
    derive.verify(model)                # the ``derive verify --json`` object
    derive.api.check(model, "w11", "delta_z1*x1")   # every use case, as plain data (derive.api)

The pipeline, one sub-package per stage (lower stages never import higher ones; README "Layout"):
``model`` -> ``derivation`` -> ``tensor`` -> ``frameworks`` -> ``notes`` / ``codegen`` / ``checking`` ->
``api`` (the use cases) -> ``cli`` / ``serve``.  This package sits on top and may import any of them.
The names below are loaded on first use, so ``derive --help`` does not pay for sympy.
"""
from __future__ import annotations

import importlib
import warnings

from . import jupyter as _jupyter
from .version import __version__


def _load_display():
    """The notes stage's drawers for Jupyter, registered in derive.jupyter on the first display."""
    from .notes import display  # noqa: F401


_jupyter.on_first_use(_load_display)

# public name -> (module, its name there)
_EXPORTS = {
    "load": ("derive.api.load", "load"), "derive": ("derive.api.load", "derive"),
    "verify": ("derive.api.verify", "verify"), "check": ("derive.api.check", "check_report"),
    "compile": ("derive.api.export", "compile"), "api": ("derive.api", None),
    "Derivation": ("derive.derivation.derivation", "Derivation"), "mlp": ("derive.model.build", "mlp"),
    "Network": ("derive.model.graph", "Network"), "bundled_examples": ("derive.model.spec", "bundled_examples"),
    "Verdict": ("derive.checking.verdict", "Verdict"),
    "from_keras": ("derive.frameworks", "from_keras"), "from_torch": ("derive.frameworks", "from_torch"),
    "gradients": ("derive.codegen.fit", "gradients"),
    "DeriveError": ("derive.errors", "DeriveError"), "FormulaError": ("derive.errors", "FormulaError"),
    "ProofError": ("derive.errors", "ProofError"), "SpecError": ("derive.errors", "SpecError"),
}
# The tensor programs' own names of the last release: thin aliases, each with a DeprecationWarning naming
# its replacement on the one surface.  They go in the next release.
_DEPRECATED = {
    "load_program": ("derive.tensor.program", "load_program", "derive.load(spec)"),
    "derive_backward": ("derive.tensor.backward", "derive_backward", "derive.derive(program)"),
    "prove_backward": ("derive.tensor.proof", "prove_backward", "derive.verify(program)"),
    "compile_tensor": ("derive.codegen.tensor", "compile_tensor", "derive.compile(program)"),
    "check_backward": ("derive.checking.backward", "check_backward", "derive.api.check_backward_report(program, text)"),
}
__all__ = sorted(_EXPORTS)


def _deprecated(name: str):
    module, attr, instead = _DEPRECATED[name]
    target = getattr(importlib.import_module(module), attr)

    def alias(*args, **kwargs):
        warnings.warn(f"derive.{name} is deprecated and goes in the next release; use {instead}",
                      DeprecationWarning, stacklevel=2)
        return target(*args, **kwargs)
    alias.__name__ = alias.__qualname__ = name
    alias.__doc__ = f"Deprecated: use {instead}.\n\n{target.__doc__ or ''}"
    return alias


def __getattr__(name: str):
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        value = importlib.import_module(module)
        value = value if attr is None else getattr(value, attr)
    elif name in _DEPRECATED:
        value = _deprecated(name)
    else:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
