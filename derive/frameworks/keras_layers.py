"""One call of a Keras layer as ``keras.py`` reads it (:func:`apply`): its weights in model.weights.h5 (by
class, in order, each of the shape the config implies), the activation an activation string or layer
computes, and the joins of branches."""
from __future__ import annotations

import re

import numpy as np

from ..errors import DeriveError
from .imported import number
from .keras_compile import flag, real, refuse_set, whole

JOINS = ("Add", "Subtract", "Multiply", "Average", "Concatenate")   # layers called on a list of outputs
ACTIVATION_LAYERS = ("ReLU", "LeakyReLU", "ELU", "Softmax")     # layers that are one activation
ELEMENTWISE = ("Rescaling", "Identity")                          # x * scale + offset; x
LAYERS = ("InputLayer", "Dense", "Activation", *ACTIVATION_LAYERS, "LayerNormalization", "BatchNormalization",
          "Embedding", "GlobalAveragePooling1D", "Dropout", "Flatten", "Normalization", *ELEMENTWISE, *JOINS)
EPSILON = 1e-7              # keras.config.epsilon(): Normalization divides by max(sqrt(variance), it)


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


def apply(prog, L: dict, w: list, parts: list, n_in: int, where: str) -> tuple:
    """One call of layer ``L`` (weights ``w``) on ``parts``, the ``(value, width, ids)`` of its inputs
    (``ids``: an Embedding's output, to be flattened or pooled): the output's ``(value, width, ids)``."""
    cls, c = L["class_name"], L["config"]
    lname = str(c.get("name"))
    x, width, emb = parts[0]
    if cls in JOINS:
        return (*join(prog, cls, c, parts, where), False)
    if cls == "Flatten" and emb:
        return prog.reshape(x, width), width, False
    if cls == "GlobalAveragePooling1D":     # the mean of the ids' embeddings (a bag of words)
        if not emb or c.get("data_format", "channels_last") != "channels_last" or c.get("keepdims"):
            raise DeriveError(f"{where}: GlobalAveragePooling1D is read only right after an Embedding "
                              "(channels_last, keepdims false)")
        return prog.pool(x, "mean", where), width // n_in, False
    if cls in ("InputLayer", "Dropout", "Flatten", "Identity"):
        return x, width, emb
    if emb:
        raise DeriveError(f"{where}: an Embedding must be followed by Flatten or GlobalAveragePooling1D")
    if cls == "Rescaling":           # keras.layers.Rescaling: inputs * scale + offset, numbers only
        scale, offset = real(c, "scale", where, 1.0), real(c, "offset", where, 0.0)
        return prog.arithmetic(f"{x} * {number(scale)} + ({number(offset)})", where), width, False
    if cls == "Normalization":       # adapt()'s mean and variance: (x - mean) / max(sqrt(variance), 1e-7)
        return _normalization(prog, c, w, x, width, lname, where), width, False
    if cls == "Dense":
        refuse_set(c, where, "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                   "kernel_constraint", "bias_constraint", "lora_rank")
        units, bias = whole(c, "units", where), flag(c, "use_bias", where, True)
        kernel = take(w, 0, (width, units), where)
        x = prog.dense(x, f"{lname}/kernel", kernel, f"{lname}/bias" if bias else None,
                       take(w, 1, (units,), where) if bias else None)
        return prog.activation(x, act(c.get("activation"), where), where), units, False
    if cls == "Activation":
        return prog.activation(x, act(c.get("activation"), where), where), width, False
    if cls in ACTIVATION_LAYERS:
        kind, *parameter = activation_layer(cls, c, where)
        return prog.activation(x, kind, where, *parameter), width, False
    if cls in ("LayerNormalization", "BatchNormalization"):
        refuse_set(c, where, "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                   "rms_scaling", "renorm", "synchronized")
        axis = c.get("axis", -1)
        if axis not in (-1, 1, [-1], [1]):
            raise DeriveError(f"{where}: axis {str(axis)[:40]} is not supported (features only)")
        scale, center = flag(c, "scale", where, True), flag(c, "center", where, True)
        gamma = take(w, 0, (width,), where) if scale else None
        beta = take(w, int(scale), (width,), where) if center else None
        names = (f"{lname}/gamma", f"{lname}/beta")
        eps = real(c, "epsilon", where, 1e-3, 0.0)
        return (prog.layernorm if cls == "LayerNormalization" else prog.batchnorm)(x, gamma, beta, eps, names,
                                                                                   where), width, False
    if cls == "Embedding":
        refuse_set(c, where, "embeddings_regularizer", "embeddings_constraint", "mask_zero", "lora_rank")
        if x != "X":
            raise DeriveError(f"{where}: an Embedding must be the first layer")
        table = take(w, 0, (whole(c, "input_dim", where), whole(c, "output_dim", where)), where)
        return prog.embedding("X", f"{lname}/embeddings", table, where), n_in * table.shape[1], True
    raise DeriveError(f"{where}: layer {cls} is not supported")


def _normalization(prog, c: dict, w: list, x: str, width: int, lname: str, where: str) -> str:
    """keras.layers.Normalization after adapt(): its mean and variance are fixed inputs of the program."""
    if c.get("invert") or c.get("axis", [-1]) not in (-1, [-1]) or c.get("mean") is not None or \
            c.get("variance") is not None:
        raise DeriveError(f"{where}: Normalization is read over the features, adapted (mean and variance in the "
                          "weights, not the config), not inverted")
    mean, variance = take(w, 0, (width,), where), take(w, 1, (width,), where)
    if np.any(variance < 0):
        raise DeriveError(f"{where}: a variance below 0")
    mu = prog.constant(f"{lname}/mean", mean)
    sd = prog.constant(f"{lname}/std", np.maximum(np.sqrt(variance), EPSILON), "positive")
    return prog.arithmetic(f"({x} - {mu}) / {sd}", where)
