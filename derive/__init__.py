"""derive: backpropagation derivations, by chain rule and by direct differentiation, proven equal.

The pipeline, one sub-package per stage (lower stages never import higher ones):
``model`` -> ``derivation`` -> ``notes`` / ``codegen`` / ``checking`` -> ``cli``.
The names below are loaded on first use, so ``derive --help`` does not pay for sympy.
"""
from __future__ import annotations

import importlib

from .version import __version__

# public name -> the module that defines it
_EXPORTS = {
    "Derivation": "derive.derivation.derivation", "derive": "derive.derivation.derivation",
    "load": "derive.model.build", "mlp": "derive.model.build",
    "Network": "derive.model.graph", "bundled_examples": "derive.model.spec",
    "Verdict": "derive.checking.verdict", "check": "derive.checking.checker",
    "compile": "derive.codegen.compile",
    "load_program": "derive.tensor.program", "derive_backward": "derive.tensor.backward",
    "prove_backward": "derive.tensor.proof", "compile_tensor": "derive.codegen.tensor",
    "check_backward": "derive.checking.backward",
    "from_keras": "derive.frameworks", "from_torch": "derive.frameworks", "gradients": "derive.codegen.fit",
    "DeriveError": "derive.errors", "FormulaError": "derive.errors", "ProofError": "derive.errors",
    "SpecError": "derive.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'derive' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
