"""A model read from a framework (Keras, PyTorch) as derive sees it: a layered spec and a tensor program.

Both readers describe the model as a chain (or, for PyTorch, a graph) of a few operations; this module
turns them into derive's own two forms, with the start values and the framework's parameter names:

* the **layered** form (``spec``: the dict a YAML spec parses to) when the model is dense layers and
  unit-wise activations under a loss the rules table has; the parameters are then scalars, one per
  kernel entry, each mapped to ``(framework name, index)``;
* the **tensor** form (``program``: a tensor program dict) always: one array per framework parameter.

Nothing here runs framework code: the readers hand over plain numbers and names.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import DeriveError

# The losses a framework model may carry: framework name -> how its targets come, its loss per example.
#   mse: mean over outputs of (y - t)^2;  bce: mean over outputs of Keras/PyTorch binary cross-entropy;
#   ce: -sum t log p over classes, with t one-hot (class indices are turned into one-hot rows).
LAYERED_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear", "softmax")
MAX_LAYERED = 400          # scalar parameters beyond which the layered proof is not attempted


@dataclass
class Imported:
    """A framework model as derive models: see the module docstring.

    ``params``: framework name -> start array (float64), in the framework's order.  ``spec``: the
    layered spec dict or None; ``entries``: layered parameter name -> (framework name, index).
    ``program``: the tensor program dict; ``arrays``: tensor parameter name -> framework name.
    ``loss``: "mse" | "bce" | "ce"; ``targets``: "values" | "one_hot" | "indices" (how y is given).
    ``optimizer``: the compile config's optimizer ({"name": ..., "learning_rate": ..., ...}) or None.
    ``clip``: the (low, high) bounds of Keras's clipping of probabilities (None when the loss has none).
    ``constants``: tensor input name -> fixed array (BatchNorm's running statistics in eval mode); the
    layered form has none.
    """
    framework: str
    name: str
    n_inputs: int
    n_outputs: int
    params: dict
    program: dict
    arrays: dict
    loss: str
    targets: str
    spec: dict | None = None
    entries: dict = field(default_factory=dict)
    optimizer: dict | None = None
    clip: tuple | None = None
    integer_inputs: bool = False
    why_tensor: str = ""
    dropout: tuple = ()         # layers with a dropout rate > 0: random in training, the identity here
    probability: str = ""       # the tensor program's probabilities under the log (bce, ce), if any
    constants: dict = field(default_factory=dict)   # fixed inputs of the tensor program (running statistics)

    @property
    def form(self) -> str:
        return "layered" if self.spec is not None else "tensor"

    @property
    def size(self) -> int:
        return int(sum(np.size(v) for v in self.params.values()))

    @property
    def input_columns(self) -> tuple[str, ...]:
        return tuple(f"x{i}" for i in range(1, self.n_inputs + 1))

    @property
    def target_columns(self) -> tuple[str, ...]:
        k = 1 if self.targets == "indices" else self.n_outputs
        return tuple(f"y{i}" for i in range(1, k + 1))

    def network(self, notation: str | None = None):
        """The layered form as a derive Network, in its own notation (ihv for two layers, as seed 004) or
        in ``notation``; raises when the model has only the tensor form."""
        if self.spec is None:
            raise DeriveError(f"{self.name}: no layered form ({self.why_tensor}); use the tensor form")
        from ..model.graph import Network
        from ..model.spec import from_dict
        net = Network(from_dict(self.spec, slug(self.name)))
        if notation and notation != self.spec.get("notation"):
            other = Network(from_dict({**self.spec, "notation": notation}, slug(self.name)))
            entries = {}
            for a, b in zip(net.spec.layers, other.spec.layers):      # the same entries, renamed by position
                for row_a, row_b in zip(a.weights, b.weights):
                    entries.update((q, self.entries[p]) for p, q in zip(row_a, row_b))
                entries.update((q, self.entries[p]) for p, q in zip(a.biases, b.biases) if p is not None)
            other.framework = replace(self, spec={**self.spec, "notation": notation}, entries=entries)
            return other
        net.framework = self        # the notes show the framework's code beside the update rules
        return net

    def tensor_program(self):
        from ..tensor.program import from_dict
        prog = from_dict(self.program, slug(self.name))
        object.__setattr__(prog, "framework", self)     # a frozen dataclass: the import rides along
        return prog

    def layered_values(self) -> dict:
        """Layered parameter name -> its start value (the framework's weights)."""
        return {p: float(self.params[fw][idx]) for p, (fw, idx) in self.entries.items()}

    def tensor_values(self) -> dict:
        """Tensor parameter name -> its start array."""
        return {a: self.params[fw] for a, fw in self.arrays.items()}

    def framework_arrays(self, layered: dict | None = None, tensor: dict | None = None) -> dict:
        """Framework name -> array, from layered scalars or tensor arrays (e.g. gradients)."""
        if tensor is not None:      # in the framework's order (self.params), whatever order forward used them in
            name = {fw: a for a, fw in self.arrays.items()}
            return {fw: np.asarray(tensor[name[fw]], dtype=float).reshape(v.shape) for fw, v in self.params.items()}
        out = {fw: np.zeros_like(v) for fw, v in self.params.items()}
        for p, (fw, idx) in self.entries.items():
            out[fw][idx] = layered[p]
        return out

    def targets_matrix(self, y) -> np.ndarray:
        """The targets as the derived loss reads them: one-hot rows for class indices."""
        y = np.asarray(y)
        if self.targets == "indices":
            flat = y.reshape(-1)
            if flat.size and (np.any(flat != np.round(flat)) or flat.min() < 0 or flat.max() >= self.n_outputs):
                raise DeriveError(f"class indices must be integers from 0 to {self.n_outputs - 1}")
            return np.eye(self.n_outputs)[flat.astype(int)]
        y = np.asarray(y, dtype=float)
        return y.reshape(len(y), -1)


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "model"


def identifier(path: str, taken: set) -> str:
    """A tensor-program identifier for a framework path (``dense/kernel`` -> ``dense_kernel``)."""
    base = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "p"
    if not base[0].isalpha():
        base = "p" + base
    base = base[:28]
    name, k = base, 1
    while name in taken or name.lower() in ("n", "x", "y", "j"):
        k += 1
        name = f"{base}{k}"
    taken.add(name)
    return name


def number(v: float) -> str:
    """A float as the tensor grammar reads it (no sign-less exponent surprises)."""
    text = repr(float(v))
    return text if "e" not in text else f"{float(v):.17f}".rstrip("0")
