"""Keras 3 model files (``.keras``) read as data: the architecture and compile config from ``config.json``,
the weights from ``model.weights.h5`` (h5py).  Keras is never imported and nothing in the file runs.

Supported layers: InputLayer, Dense (bias or not, an activation derive has), Activation and the
activation layers ReLU (plain, or max_value 6: relu6), LeakyReLU, ELU and Softmax (over the features),
LayerNormalization, BatchNormalization (training mode, as ``fit`` computes the loss), Embedding (then
Flatten, or GlobalAveragePooling1D), Dropout (the identity, as predict computes it; a rate above 0 beside a BatchNormalization is
refused) and Flatten; in a Sequential model or a Functional one of one input whose layers are each called
once, with Add, Subtract, Multiply, Average and Concatenate (along the features) joining branches
(``keras_layers.join``).  Anything else, a subclassed model (its call()
is code) and every layer that carries code (Lambda, custom objects), is refused in one line naming it.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .. import safeio
from ..errors import DeriveError
from .build import Program
from .forms import finish
from .imported import Imported
from .keras_compile import flag, loss_of, optimizer_of, real, refuse_set, whole
from .keras_file import MAX_FILE, read_archive
from .keras_layers import JOINS, act, activation_layer, join, store_name, take

MAX_LAYERS = 256
EPSILON = 1e-7              # keras.config.epsilon(): the clip of probabilities in the cross-entropies
ACTIVATION_LAYERS = ("ReLU", "LeakyReLU", "ELU", "Softmax")     # layers that are one activation
LAYERS = ("InputLayer", "Dense", "Activation", *ACTIVATION_LAYERS, "LayerNormalization", "BatchNormalization",
          "Embedding", "GlobalAveragePooling1D", "Dropout", "Flatten", *JOINS)



def is_keras_path(x) -> bool:
    return isinstance(x, (str, Path)) and str(x).lower().endswith(".keras")


def read_keras(path: str | Path, loss: str | None = None) -> Imported:
    """The model in a ``.keras`` file; ``loss`` overrides (or supplies) the compile config's loss."""
    data = safeio.read_bytes(Path(path), MAX_FILE, str(path))
    return from_bytes(data, Path(path).stem, loss)


def from_bytes(data: bytes, stem: str = "model", loss: str | None = None) -> Imported:
    """The model in a ``.keras`` file's bytes (untrusted: see ``keras_file``)."""
    config, weights = read_archive(data, stem)
    try:
        return from_config(config, weights, stem, loss)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as e:   # a field
        raise DeriveError(f"{stem}.keras: config.json is not a Keras model config derive reads "     # of the
                          f"({type(e).__name__}: {str(e)[:80]})") from None                         # wrong kind


def _layers(config: dict, stem: str) -> list:
    if not isinstance(config, dict):
        raise DeriveError(f"{stem}.keras: config.json is not a model config")
    kind = config.get("class_name")
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    layers = inner.get("layers")
    if kind not in ("Sequential", "Functional", "Model") and isinstance(config.get("registered_name"), str):
        raise DeriveError(f"{stem}.keras: {str(kind)[:40]} is a subclassed keras.Model: its call() joins the layers "
                          "in Python code, which the file does not hold; derive reads Sequential and Functional "
                          "models (keras.Model(inputs, outputs)); nothing was run")
    if kind not in ("Sequential", "Functional", "Model"):
        raise DeriveError(f"{stem}.keras: a {str(kind)[:40]} model is not supported; "
                          "expected a Sequential or Functional model")
    if not isinstance(layers, list) or len(layers) > MAX_LAYERS:
        raise DeriveError(f"{stem}.keras: config.json's model needs a list of at most {MAX_LAYERS} layers")
    for k, L in enumerate(layers):
        if not isinstance(L, dict) or not isinstance(L.get("config"), dict):
            raise DeriveError(f"{stem}.keras: layer {k} is not a layer config")
        cls = str(L.get("class_name"))[:40]
        name = str(L["config"].get("name", k))[:60]
        if not isinstance(L["config"].get("name", ""), str):
            raise DeriveError(f"{stem}.keras: layer {k}'s name is not text")
        if cls == "Lambda":
            raise DeriveError(f"{stem}.keras: layer {name!r} is a Lambda layer, which carries code; "
                              "derive refuses it (nothing was run)")
        if L.get("registered_name") not in (None, cls) or L.get("module") not in ("keras.layers", None):
            raise DeriveError(f"{stem}.keras: layer {name!r} is a custom object ({cls}); derive reads only "
                              "Keras's own layers (nothing was run)")
        if cls not in LAYERS:
            raise DeriveError(f"{stem}.keras: layer {name!r} ({cls}) is not supported; supported: "
                              + ", ".join(LAYERS))
    if sum(L["class_name"] == "InputLayer" for L in layers) > 1:
        raise DeriveError(f"{stem}.keras: a model with several inputs is not supported (one keras.Input)")
    seen = set()
    for L in layers:
        name, cls = L["config"].get("name"), L["class_name"]
        if kind != "Sequential" and cls != "InputLayer":
            srcs = _inbounds(L)
            if not srcs or any(src not in seen for src in srcs) or (len(srcs) > 1) != (cls in JOINS):
                raise DeriveError(f"{stem}.keras: layer {str(name)[:60]!r} takes inputs derive cannot follow "
                                  "(a layer called once on earlier layers' outputs; Add and Concatenate on two or more)")
        elif cls in JOINS:
            raise DeriveError(f"{stem}.keras: an {cls} layer inside a Sequential model")
        seen.add(name)
    return layers


def _inbounds(L: dict) -> list | None:
    """The names of the layers whose outputs a Functional model's layer takes (None: not one call)."""
    try:
        nodes = L["inbound_nodes"]
        if len(nodes) != 1 or len(nodes[0]["args"]) != 1:
            return None
        args = nodes[0]["args"][0]
        return [a["config"]["keras_history"][0] for a in (args if isinstance(args, list) else [args])]
    except (KeyError, IndexError, TypeError):
        return None


def _input_shape(config: dict, layers: list) -> list:
    for L in layers:
        c = L["config"]
        shape = c.get("batch_shape") or c.get("batch_input_shape") or (L.get("build_config") or {}).get("input_shape")
        if shape:
            return list(shape)[1:]
    shape = (config.get("build_config") or {}).get("input_shape") or config["config"].get("build_input_shape")
    if not shape:
        raise DeriveError("the model has no input shape (build it, or give Input(shape=...))")
    return list(shape)[1:]


def from_config(config: dict, weights: dict, stem: str = "model", loss: str | None = None) -> Imported:
    layers = _layers(config, stem)
    shape = _input_shape(config, layers)
    name = str(config["config"].get("name") or stem)[:60]
    prog = Program(f"Keras model {stem if stem != 'model' else name}", "keras")
    integer = any(L["class_name"] == "Embedding" for L in layers)
    first = next((L["class_name"] for L in layers if L["class_name"] not in ("InputLayer", "Dropout")), None)
    if len(shape) > 1 and first == "Flatten" and not integer:   # e.g. 28 x 28 images: read flattened, row-major
        shape = [math.prod(shape)] if all(type(d) is int and d > 0 for d in shape) else shape
    if len(shape) != 1 or type(shape[0]) is not int or not 1 <= shape[0] <= 4096:
        raise DeriveError(f"{stem}.keras: input shape {str(shape)[:60]} is not supported; expected (features,), "
                          "or a shape the first layer flattens, at most 4096 numbers")
    n_in, width, x = shape[0], shape[0], "X"
    prog.inputs["X"] = ["N", n_in]
    emb, used, dropout, values, prev = False, {}, [], {}, None
    sequential = config["class_name"] == "Sequential"
    for L in layers:
        cls, c = L["class_name"], L["config"]
        lname = str(c.get("name"))
        where = f"{stem}.keras: layer {lname!r}"
        w = weights.get(store_name(cls, used), [])
        srcs = [prev] if sequential or cls == "InputLayer" else _inbounds(L)
        x, width, emb = values.get(srcs[0], ("X", n_in, False))      # this layer's input (value, width, ids)
        if cls == "Dropout" and real(c, "rate", where, 0.0, 0.0, 1.0) > 0:
            dropout.append(lname)
        if cls in JOINS:
            x, width = join(prog, cls, c, [values[src] for src in srcs], where)
        if cls == "Flatten" and emb:
            x, emb = prog.reshape(x, width), False
        if cls == "GlobalAveragePooling1D":     # the mean of the ids' embeddings (a bag of words)
            if not emb or c.get("data_format", "channels_last") != "channels_last" or c.get("keepdims"):
                raise DeriveError(f"{where}: GlobalAveragePooling1D is read only right after an Embedding "
                                  "(channels_last, keepdims false)")
            x, width, emb = prog.pool(x, "mean", where), width // n_in, False
        if cls in ("InputLayer", "Dropout", "Flatten", "GlobalAveragePooling1D", *JOINS):
            values[lname], prev = (x, width, emb), lname
            continue
        if emb:
            raise DeriveError(f"{where}: an Embedding must be followed by Flatten or GlobalAveragePooling1D")
        if cls == "Dense":
            refuse_set(c, where, "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                       "kernel_constraint", "bias_constraint", "lora_rank")
            units, bias = whole(c, "units", where), flag(c, "use_bias", where, True)
            kernel = take(w, 0, (width, units), where)
            x = prog.dense(x, f"{lname}/kernel", kernel, f"{lname}/bias" if bias else None,
                           take(w, 1, (units,), where) if bias else None)
            x = prog.activation(x, act(c.get("activation"), where), where)
            width = units
        elif cls == "Activation":
            x = prog.activation(x, act(c.get("activation"), where), where)
        elif cls in ACTIVATION_LAYERS:
            kind, *parameter = activation_layer(cls, c, where)
            x = prog.activation(x, kind, where, *parameter)
        elif cls in ("LayerNormalization", "BatchNormalization"):
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
            x = (prog.layernorm if cls == "LayerNormalization" else prog.batchnorm)(x, gamma, beta, eps, names, where)
        elif cls == "Embedding":
            refuse_set(c, where, "embeddings_regularizer", "embeddings_constraint", "mask_zero", "lora_rank")
            if x != "X":
                raise DeriveError(f"{where}: an Embedding must be the first layer")
            table = take(w, 0, (whole(c, "input_dim", where), whole(c, "output_dim", where)), where)
            prog.inputs["X"] = ["N", n_in]
            x = prog.embedding("X", f"{lname}/embeddings", table, where)
            width, emb = n_in * table.shape[1], True
        values[lname], prev = (x, width, emb), lname
    if not sequential:      # output_layers: [name, 0, 0] for one output, [[name, 0, 0], ...] for several
        outs = config["config"].get("output_layers") or [prev]
        if isinstance(outs[0], list):
            if len(outs) > 1:
                raise DeriveError(f"{stem}.keras: a model with several outputs is not supported")
            outs = outs[0]
        if outs[0] not in values:
            raise DeriveError(f"{stem}.keras: the output layer {str(outs[0])[:60]!r} is not among the layers")
        x, width, emb = values[outs[0]]
    if emb:
        raise DeriveError(f"{stem}.keras: an Embedding must be followed by Flatten or GlobalAveragePooling1D")
    normalised = next((L["config"].get("name") for L in layers if L["class_name"] == "BatchNormalization"), None)
    if dropout and normalised:      # fit: random units and batch statistics; predict: neither. No call does both
        raise DeriveError(f"{stem}.keras: layer {dropout[0][:60]!r} is a Dropout with a rate above 0 beside a "
                          f"BatchNormalization ({str(normalised)[:60]!r}): derive reads BatchNormalization as fit does "
                          "(the batch's statistics) and Dropout as predict does (the identity), which no Keras call "
                          "computes together; set the rate to 0")
    compile_config = config.get("compile_config") or {}
    kind, targets, from_logits = loss_of(loss if loss is not None else compile_config.get("loss"), stem)
    policy = config["config"].get("dtype")
    policy = policy.get("config", {}).get("name") if isinstance(policy, dict) else policy
    wide = policy == "float64"      # the clip's bounds as the model's float type holds them (float32 by default)
    clip = None if kind not in ("bce", "ce") or from_logits else \
        (EPSILON, 1 - EPSILON) if wide else (float(np.float32(EPSILON)), float(np.float32(1 - EPSILON)))
    model = finish(prog, out=x, n_in=n_in, n_out=width, loss=kind, from_logits=from_logits, targets=targets,
                   optimizer=optimizer_of(compile_config.get("optimizer"), stem), clip=clip, integer_inputs=integer)
    model.dropout = tuple(dropout)
    return model


def from_model(model, loss: str | None = None) -> Imported:
    """A Keras model object: saved to a temporary ``.keras`` file by Keras itself, then read as data."""
    import tempfile
    save = getattr(model, "save", None)
    if save is None:
        raise DeriveError("expected a Keras model (with .save)")
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.keras"
        save(str(p))
        return from_bytes(p.read_bytes(), str(getattr(model, "name", "model")), loss)
