"""One Keras layer's pieces as ``keras.py`` reads them: its weights in model.weights.h5 (by class, in order,
each of the shape the config implies) and the activation an activation string or layer computes."""
from __future__ import annotations

import re

import numpy as np

from ..errors import DeriveError
from .keras_compile import real


def take(w: list, i: int, shape: tuple, where: str) -> np.ndarray:
    """The layer's ``i``-th weight array, which must have ``shape`` and finite numbers."""
    a = w[i] if i < len(w) else None
    if a is None or a.shape != shape:
        got = "missing" if a is None else "of shape " + (" x ".join(map(str, a.shape)) or "() (one number)")
        raise DeriveError(f"{where}: weight {i} is {got}; the config needs {' x '.join(map(str, shape))}")
    if not np.all(np.isfinite(a)):
        raise DeriveError(f"{where}: weight {i} has NaN or infinite numbers; derive starts from finite weights")
    return a


def store_name(cls: str, used: dict) -> str:
    """The layer's group in model.weights.h5: its class in snake case, numbered from the second on
    (keras/src/saving/saving_lib.py: layers are stored by class, not by their names)."""
    name = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def activation_layer(cls: str, c: dict, where: str) -> tuple:
    """The activation (and its parameter) an activation layer computes, with Keras 3's defaults."""
    if cls == "ReLU":
        top = c.get("max_value")
        if real(c, "negative_slope", where, 0.0) != 0 or real(c, "threshold", where, 0.0) != 0 or \
                top not in (None, 6, 6.0):
            raise DeriveError(f"{where}: ReLU with negative_slope, threshold or a max_value other than 6 "
                              "is not supported")
        return ("relu",) if top is None else ("relu6",)
    if cls == "Softmax":
        if c.get("axis", -1) not in (-1, 1, [-1], [1]):
            raise DeriveError(f"{where}: Softmax over axis {str(c.get('axis'))[:40]}; expected the features (-1)")
        return ("softmax",)
    if cls == "LeakyReLU":
        return "leaky_relu", real(c, "negative_slope", where, 0.3)
    return "elu", real(c, "alpha", where, 1.0)


def act(a, where: str) -> str:
    if a is None:
        return "linear"
    if not isinstance(a, str):
        raise DeriveError(f"{where}: a custom activation is not supported (nothing was run)")
    return a
