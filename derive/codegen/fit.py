"""A framework model's gradients and ``model.fit``, computed with derive's compiled, proven gradients.

``gradients(model, X, y)``: dLoss/dP for every framework parameter P at the model's start values,
keyed and shaped as the framework has them; ``X`` and ``y`` as the framework takes them (class
indices for sparse categorical cross-entropy and PyTorch's cross_entropy, one-hot rows for
categorical cross-entropy), the loss the framework's (the mean over the batch).

``fit(model, X, y, epochs, batch_size)``: Keras's ``fit`` with ``shuffle=False``: batches in order
(the last one short), the compile config's optimizer with Keras's update formulas (a PyTorch
module: sgd, momentum or adam with torch.optim's)
(:mod:`derive.codegen.optim`), and per epoch the loss Keras reports, the mean of the batch losses
weighted by batch size, each at the weights its step started from.  Keras clips probabilities to
[eps, 1 - eps] inside its cross-entropies: the loss is computed clipped, and a clipped probability's
term contributes no gradient (the clip's derivative is zero there), element by element.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import DeriveError
from ..frameworks.imported import Imported
from .optim import Flat, keras_optimizer, optimizer as torch_optimizer

MAX_EPOCHS = 100_000


class _Engine:
    """Loss and gradients of one batch from the compiled code of the model's layered or tensor form."""

    def __init__(self, model: Imported, form: str | None = None):
        self.model = model
        self.layered = (form or model.form) == "layered" and model.spec is not None
        if self.layered:
            from .compile import compile
            self.compiled = compile(model.network())
            self.names = tuple(self.compiled.arrays)
            self.start = self.compiled.pack(model.layered_values())
        else:
            from .tensor import compile_tensor
            self.compiled = compile_tensor(model.tensor_program())
            self.names = tuple(model.arrays)
            self.start = {k: np.array(v, dtype=float) for k, v in model.tensor_values().items()}

    def probabilities(self, params, X, T):
        if self.layered:
            return self.compiled.forward(params, X)
        _, values = self.compiled.forward({**params, **self.model.constants, "X": X, "Y": T})
        return values[self.model.probability]

    def loss_gradients(self, params, X, T) -> tuple[float, dict]:
        if self.layered:
            J, g = self.compiled.loss_gradients(params, X, T)
            return float(J), g
        J, g = self.compiled.gradients({**params, **self.model.constants, "X": X, "Y": T})
        return float(J), g

    def framework(self, arrays: dict) -> dict:
        """Framework name -> array, from this form's arrays."""
        if self.layered:
            return self.model.framework_arrays(layered=self.compiled.unpack(arrays))
        return self.model.framework_arrays(tensor=arrays)


def _inputs(model: Imported, X) -> np.ndarray:
    X = np.asarray(X)
    if model.integer_inputs:
        if np.any(X != np.round(X)):
            raise DeriveError("an Embedding's inputs must be integer ids")
        return X.astype(int).reshape(len(X), -1)
    return np.asarray(X, dtype=float).reshape(len(X), -1)


def _clipped(model: Imported, engine: _Engine, params, X, T) -> tuple[float, np.ndarray | None]:
    """Keras's clipped loss on a batch, and targets under which the derived gradient is Keras's: where a
    probability was clipped its term is constant, so its target becomes the probability itself (the term's
    gradient (p - t) / (p (1 - p)) for bce, a row's p - t for softmax cross-entropy, is then zero)."""
    lo, hi = model.clip             # as the model's tensors hold them: 1 - 1e-7 is 0.99999988 in float32
    p = np.asarray(engine.probabilities(params, X, T), dtype=float).reshape(len(X), -1)
    if model.loss == "bce":
        q = np.clip(p, lo, hi)
        losses = -np.mean(T * np.log(q) + (1 - T) * np.log(1 - q), axis=1)
        hit = (p < lo) | (p > hi)                            # element by element
    else:
        p = p / p.sum(axis=1, keepdims=True)
        pt = np.sum(T * p, axis=1)
        losses = -np.sum(T * np.log(np.clip(p, lo, hi)), axis=1)
        hit = np.broadcast_to(((pt < lo) | (pt > hi))[:, None], p.shape)   # the target's row
    return float(np.mean(losses)), (np.where(hit, p, T) if hit.any() else None)


def _batch(model: Imported, engine: _Engine, params, X, T) -> tuple[float, dict]:
    J, g = engine.loss_gradients(params, X, T)
    if model.clip is None:
        return J, g
    J, targets = _clipped(model, engine, params, X, T)
    if targets is not None:
        g = engine.loss_gradients(params, X, targets)[1]
    return J, g


def imported(model, example_input=None, loss: str | None = None) -> Imported:
    """``model`` as an Imported: itself, a ``.keras`` path, a Keras model or a torch module (traced at
    ``example_input``, with ``loss``: mse | cross_entropy | bce | bce_with_logits)."""
    from .. import frameworks
    from ..frameworks import keras as _keras  # noqa: F401  (frameworks.keras below)
    if isinstance(model, Imported):
        return model
    for inner in (model, getattr(model, "net", None), getattr(model, "program", None)):   # load()'s model, derive()'s
        if isinstance(getattr(inner, "framework", None), Imported):
            return inner.framework
    if frameworks.keras.is_keras_path(model) or (not isinstance(model, (str, bytes)) and hasattr(model, "save")
                                                 and hasattr(model, "get_config")):
        return frameworks.from_keras(model, loss)
    if example_input is None:
        raise DeriveError("expected an imported model, a .keras path, a Keras model or a torch module")
    return frameworks.from_torch(model, example_input, loss or "mse")


def gradients(model, X, y, form: str | None = None, loss: str | None = None) -> dict:
    """{framework parameter name: dLoss/dP shaped like P} at the start values (module docstring).

    ``model``: an Imported, a ``.keras`` path, a Keras model, or a torch module (traced at ``X``)."""
    model = imported(model, X, loss)
    engine = _Engine(model, form)
    X, T = _inputs(model, X), model.targets_matrix(y)
    if len(X) != len(T) or not len(X):
        raise DeriveError(f"X has {len(X)} rows and y {len(T)}; expected the same number, at least one")
    with np.errstate(all="ignore"):
        _, g = _batch(model, engine, engine.start, X, T)
    return engine.framework(g)


@dataclass
class FitHistory:
    loss: list = field(default_factory=list)          # per epoch, as Keras's History.history["loss"]
    params: dict = field(default_factory=dict)        # framework name -> array after training
    start_gradients: dict = field(default_factory=dict)


def fit(model: Imported, X, y, *, epochs: int = 1, batch_size: int | None = 32, optimizer: dict | None = None,
        form: str | None = None) -> FitHistory:
    """Keras's ``model.fit(X, y, epochs, batch_size, shuffle=False)`` (module docstring)."""
    if not 0 <= epochs <= MAX_EPOCHS:
        raise DeriveError(f"epochs must be between 0 and {MAX_EPOCHS}, got {epochs}")
    if model.dropout and epochs:
        raise DeriveError(f"{model.name}: layer {model.dropout[0]!r} is a Dropout, random while fit trains; derive "
                          "derives it as the identity (as Keras predicts), so it cannot replay fit (set its rate to 0)")
    config = optimizer or model.optimizer
    if config is None:
        raise DeriveError(f"{model.name}: no optimizer (compile the model, or give one)")
    opt = keras_optimizer(config) if model.framework == "keras" else \
        torch_optimizer(config["name"], config["learning_rate"])
    engine = _Engine(model, form)
    X, T = _inputs(model, X), model.targets_matrix(y)
    n = len(X)
    if n != len(T) or not n:
        raise DeriveError(f"X has {n} rows and y {len(T)}; expected the same number, at least one")
    if T.shape[1] != model.n_outputs:
        raise DeriveError(f"y has {T.shape[1]} columns; the model has {model.n_outputs} outputs")
    batch = n if batch_size is None else int(batch_size)
    if batch < 1:
        raise DeriveError(f"batch size must be at least 1, got {batch}")
    flat = Flat(engine.start, engine.names, {}, "float64")
    hist = FitHistory()
    with np.errstate(all="ignore"):
        hist.start_gradients = engine.framework(_batch(model, engine, flat.params, X, T)[1])
        for epoch in range(epochs):
            total = 0.0
            for lo in range(0, n, batch):
                xb, tb = X[lo:lo + batch], T[lo:lo + batch]
                J, g = _batch(model, engine, flat.params, xb, tb)
                if not math.isfinite(J):
                    raise DeriveError(f"the loss became {J} in epoch {epoch + 1}")
                total += J * len(xb)
                opt.step(flat.theta, flat.gather(g), None)
                if flat.scalars:
                    flat.sync()
            hist.loss.append(total / n)
    hist.params = engine.framework(flat.params)
    return hist
