"""One Keras layer's pieces as ``keras.py`` reads them: its weights in model.weights.h5 (by class, in order,
each of the shape the config implies) and the activation an activation string or layer computes."""
from __future__ import annotations

import re

import numpy as np

from ..errors import DeriveError
from .keras_compile import real

JOINS = ("Add", "Subtract", "Multiply", "Average", "Concatenate")   # layers called on a list of outputs


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


def join(prog, cls: str, c: dict, parts: list, where: str) -> tuple[str, int]:
    """Concatenate (side by side along the features), or Add, Subtract (two), Multiply and Average of
    outputs of one width, elementwise: the value's name and its width."""
    if any(p[2] for p in parts):
        raise DeriveError(f"{where}: {cls} of an Embedding's output; expected Flatten first")
    names = [p[0] for p in parts]
    if cls == "Concatenate":
        if c.get("axis", -1) not in (-1, 1):
            raise DeriveError(f"{where}: Concatenate along axis {str(c.get('axis'))[:40]} is not supported; "
                              "derive joins outputs along the features (axis=-1)")
        return prog.concat(names, where), sum(p[1] for p in parts)
    if len({p[1] for p in parts}) != 1 or (cls == "Subtract" and len(parts) != 2):
        raise DeriveError(f"{where}: {cls} of outputs of different widths" if cls != "Subtract" or len(parts) == 2
                          else f"{where}: Subtract of {len(parts)} outputs; it takes two")
    if cls == "Add":
        x = names[0]
        for n in names[1:]:
            x = prog.add(x, n, where)
        return x, parts[0][1]
    expr = {"Subtract": " - ", "Multiply": " * ", "Average": " + "}[cls].join(names)
    return prog.arithmetic(f"({expr}) / {len(names)}" if cls == "Average" else expr, where), parts[0][1]
