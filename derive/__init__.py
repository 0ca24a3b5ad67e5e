"""derive: backpropagation derivations, by chain rule and by direct differentiation, proven equal."""
from .api import Derivation, derive, load, mlp
from .check import Verdict, check
from .compile import compile
from .errors import DeriveError, FormulaError, ProofError, SpecError
from .graph import Network
from .spec import bundled_examples

__all__ = ["Derivation", "DeriveError", "FormulaError", "Network", "ProofError", "SpecError",
           "Verdict", "bundled_examples", "check", "compile", "derive", "load", "mlp"]
__version__ = "0.1.0"
