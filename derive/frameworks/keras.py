"""Keras 3 model files (``.keras``) read as data: the architecture and compile config from ``config.json``,
the weights from ``model.weights.h5`` (h5py).  Keras is never imported and nothing in the file runs.

Supported layers: InputLayer, Dense (bias or not, an activation derive has), Activation and the
activation layers ReLU (plain, or max_value 6: relu6), LeakyReLU, ELU and Softmax (over the features),
LayerNormalization, BatchNormalization (training mode, as ``fit`` computes the loss), Embedding (then
Flatten, or GlobalAveragePooling1D), Dropout (the identity, as predict computes it; a rate above 0 beside a BatchNormalization is
refused), Flatten, Rescaling and Identity; in a Sequential model or a Functional one of one input, with Add,
Subtract, Multiply, Average and Concatenate (along the features) joining branches (``keras_layers.join``), and
its graph read by ``keras_graph`` (shared layers, ``x + y`` and keras.ops activations, nested Sequential models).
Anything else, a subclassed model's file (its call() is code) and every layer that carries code (Lambda,
custom objects), is refused in one line naming it; a subclassed model *object* is the user's own code, made
Functional by calling it on a ``keras.Input`` (:func:`from_model`).
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
from .keras_compile import loss_of, optimizer_of, real
from .keras_file import MAX_FILE, read_archive
from .keras_graph import MAX_LAYERS, OPERATIONS_READ, calls_of, flatten, order, renamed_outputs
from .keras_layers import ELEMENTWISE, JOINS, LAYERS, apply, store_name

EPSILON = 1e-7              # keras.config.epsilon(): the clip of probabilities in the cross-entropies


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
    if not isinstance(layers, list) or not layers or len(layers) > MAX_LAYERS:
        raise DeriveError(f"{stem}.keras: config.json's model needs a list of 1 to {MAX_LAYERS} layers")
    if kind != "Sequential":        # x + y, ops.relu(x) read as layers; a nested Sequential's layers in its place
        layers[:], renamed = flatten(layers, stem)
        inner["output_layers"] = renamed_outputs(inner.get("output_layers"), renamed)
        if len(layers) > MAX_LAYERS:
            raise DeriveError(f"{stem}.keras: more than {MAX_LAYERS} layers with the nested models' own")
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
        if str(L.get("module")).startswith(("keras.src.ops", "keras.src.activations")):
            raise DeriveError(f"{stem}.keras: layer {name!r} is the operation {cls} (keras.ops on a tensor), which "
                              "derive does not read; it reads +, - and * of tensors and " + ", ".join(OPERATIONS_READ))
        if L.get("registered_name") not in (None, cls) or L.get("module") not in ("keras.layers", None):
            raise DeriveError(f"{stem}.keras: layer {name!r} is a custom object ({cls}); derive reads only "
                              "Keras's own layers (nothing was run)")
        if cls not in LAYERS:
            raise DeriveError(f"{stem}.keras: layer {name!r} ({cls}) is not supported; supported: "
                              + ", ".join(LAYERS))
    if sum(L["class_name"] == "InputLayer" for L in layers) > 1:
        raise DeriveError(f"{stem}.keras: a model with several inputs is not supported (one keras.Input)")
    names = [L["config"].get("name") for L in layers]
    for L in layers:
        name, cls = L["config"].get("name"), L["class_name"]
        if kind != "Sequential" and cls != "InputLayer":
            calls = calls_of(L)
            if not calls or any(not srcs or any(s not in names for s, _ in srcs) or (len(srcs) > 1) != (cls in JOINS)
                                for srcs in calls):
                raise DeriveError(f"{stem}.keras: layer {str(name)[:60]!r} takes inputs derive cannot follow "
                                  "(a layer called on earlier layers' outputs; Add and Concatenate on two or more)")
        elif cls in JOINS:
            raise DeriveError(f"{stem}.keras: an {cls} layer inside a Sequential model")
    return layers


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
    first = next((L["class_name"] for L in layers if L["class_name"] not in ("InputLayer", "Dropout", *ELEMENTWISE)),
                 None)       # a Flatten after Rescaling flattens the same numbers
    if len(shape) > 1 and first == "Flatten" and not integer:   # e.g. 28 x 28 images: read flattened, row-major
        shape = [math.prod(shape)] if all(type(d) is int and d > 0 for d in shape) else shape
    if len(shape) != 1 or type(shape[0]) is not int or not 1 <= shape[0] <= 4096:
        raise DeriveError(f"{stem}.keras: input shape {str(shape)[:60]} is not supported; expected (features,), "
                          "or a shape the first layer flattens, at most 4096 numbers")
    n_in = shape[0]
    prog.inputs["X"] = ["N", n_in]
    sequential = config["class_name"] == "Sequential"
    used, dropout, values, stores = {}, [], {}, {}
    for L in layers:         # weights are stored by class, numbered in the order of the layers
        stores[L["config"]["name"]] = L.get("store") or store_name(L["class_name"], used)
    for L, k, srcs in order(layers, sequential, stem):
        cls, c = L["class_name"], L["config"]
        lname = str(c.get("name"))
        where = f"{stem}.keras: layer {lname!r}" + (f" (call {k + 1})" if k else "")
        parts = [values[s] for s in srcs] or [("X", n_in, False)]     # the inputs' (value, width, ids)
        if cls == "Dropout" and real(c, "rate", where, 0.0, 0.0, 1.0) > 0:
            dropout.append(lname)
        values[(lname, k)] = apply(prog, L, weights.get(stores[lname], []), parts, n_in, where)
    x, width, emb = values[(lname, k)]
    if not sequential:      # output_layers: [name, 0, 0] for one output, [[name, 0, 0], ...] for several
        outs = config["config"].get("output_layers") or [lname, k, 0]
        if isinstance(outs[0], list):
            if len(outs) > 1:
                raise DeriveError(f"{stem}.keras: a model with several outputs is not supported")
            outs = outs[0]
        key = (outs[0], outs[1] if len(outs) > 1 else 0)
        if not isinstance(key[0], str) or key not in values:
            raise DeriveError(f"{stem}.keras: the output layer {str(outs[0])[:60]!r} is not among the layers")
        x, width, emb = values[key]
    if emb:
        raise DeriveError(f"{stem}.keras: an Embedding must be followed by Flatten or GlobalAveragePooling1D")
    normalised = next((L["config"].get("name") for L in layers if L["class_name"] == "BatchNormalization"), None)
    if dropout and normalised:      # fit: random units and batch statistics; predict: neither. No call does both
        raise DeriveError(f"{stem}.keras: layer {dropout[0][:60]!r} is a Dropout with a rate above 0 beside a "
                          f"BatchNormalization ({str(normalised)[:60]!r}): derive reads BatchNormalization as fit does "
                          "(the batch's statistics) and Dropout as predict does (the identity), which no Keras call "
                          "computes together; set the rate to 0")
    compile_config = config.get("compile_config") or {}
    kind, targets, from_logits, delta = loss_of(loss if loss is not None else compile_config.get("loss"), stem)
    policy = config["config"].get("dtype")
    policy = policy.get("config", {}).get("name") if isinstance(policy, dict) else policy
    wide = policy == "float64"      # the clip's bounds as the model's float type holds them (float32 by default)
    clip = None if kind not in ("bce", "ce") or from_logits else \
        (EPSILON, 1 - EPSILON) if wide else (float(np.float32(EPSILON)), float(np.float32(1 - EPSILON)))
    model = finish(prog, out=x, n_in=n_in, n_out=width, loss=kind, from_logits=from_logits, targets=targets,
                   optimizer=optimizer_of(compile_config.get("optimizer"), stem), clip=clip, integer_inputs=integer,
                   delta=delta)
    model.dropout = tuple(dropout)
    return model


def from_model(model, loss: str | None = None) -> Imported:
    """A Keras model object: saved to a temporary ``.keras`` file by Keras itself, then read as data.  A
    subclassed model (the user's own object, so trusted code, as a torch module traced with torch.fx) is
    first made Functional by calling its ``call()`` on a ``keras.Input`` (Keras's own symbolic tracing)."""
    import tempfile
    save = getattr(model, "save", None)
    if save is None:
        raise DeriveError("expected a Keras model (with .save)")
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "model.keras"
        save(str(p))
        data = p.read_bytes()
        config = read_archive(data, "model")[0]
        if isinstance(config, dict) and config.get("class_name") not in ("Sequential", "Functional", "Model"):
            model = _functional(model, config)
            model.save(str(p))
            data = p.read_bytes()
        return from_bytes(data, str(getattr(model, "name", "model")), loss)


def _functional(model, config: dict):
    """The subclassed ``model`` as a Functional model of the same layers (and weights), compiled alike."""
    import keras
    shape = (config.get("build_config") or {}).get("input_shape")
    if not isinstance(shape, list) or len(shape) < 2:
        raise DeriveError(f"{type(model).__name__} is a subclassed keras.Model that was never built; build it "
                          "(model.build((None, features))) or call it once first")
    try:
        inputs = keras.Input(shape=tuple(shape[1:]))
        functional = keras.Model(inputs, model.call(inputs), name=model.name)
    except Exception as e:       # the user's call() does what a symbolic input cannot (Python branches on values)
        raise DeriveError(f"{type(model).__name__}.call() cannot be traced on a keras.Input: "
                          f"{type(e).__name__}: {' '.join(str(e).split())[:160]}") from None
    if getattr(model, "compiled", False):
        functional.compile(optimizer=model.optimizer, loss=model.loss)
    return functional
