"""Keras 3 model files (``.keras``) read as data: the architecture and compile config from ``config.json``,
the weights from ``model.weights.h5`` (h5py).  Keras is never imported and nothing in the file runs.

Supported layers: InputLayer, Dense (bias or not, an activation derive has), Activation,
LayerNormalization, BatchNormalization (training mode, as ``fit`` computes the loss), Embedding (then
Flatten), Dropout (the identity at derivation time) and Flatten; in a Sequential model or a Functional
one that is a chain.  Anything else, and every layer that carries code (Lambda, custom objects), is
refused in one line naming it.
"""
from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np

from .. import safeio
from ..errors import DeriveError
from .build import Program, finish
from .imported import Imported
from .keras_compile import loss_of, optimizer_of, refuse_set

MAX_FILE = 200_000_000
MAX_CONFIG = 2_000_000
EPSILON = 1e-7              # keras.config.epsilon(): the clip of probabilities in the cross-entropies
LAYERS = ("InputLayer", "Dense", "Activation", "LayerNormalization", "BatchNormalization", "Embedding",
          "Dropout", "Flatten", "Add")


def is_keras_path(x) -> bool:
    return isinstance(x, (str, Path)) and str(x).lower().endswith(".keras")


def read_keras(path: str | Path, loss: str | None = None) -> Imported:
    """The model in a ``.keras`` file; ``loss`` overrides (or supplies) the compile config's loss."""
    data = safeio.read_bytes(Path(path), MAX_FILE, str(path))
    return from_bytes(data, Path(path).stem, loss)


def from_bytes(data: bytes, stem: str = "model", loss: str | None = None) -> Imported:
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        names = set(z.namelist())
        if "config.json" not in names or "model.weights.h5" not in names:
            raise DeriveError(f"{stem}.keras: expected a Keras 3 file (config.json and model.weights.h5 in a zip)")
        for info in z.infolist():
            if info.filename in ("config.json", "model.weights.h5") and info.file_size > MAX_FILE:
                raise DeriveError(f"{stem}.keras: {info.filename} is larger than {MAX_FILE} bytes")
        sizes = {i.filename: i.file_size for i in z.infolist()}
        if sizes["config.json"] > MAX_CONFIG:
            raise DeriveError(f"{stem}.keras: config.json is larger than {MAX_CONFIG} bytes")
        config = json.loads(z.read("config.json").decode("utf-8"))
        weights = _weights(z.read("model.weights.h5"), stem)
    except (zipfile.BadZipFile, UnicodeDecodeError, json.JSONDecodeError, RecursionError, EOFError,
            NotImplementedError, OSError) as e:
        raise DeriveError(f"{stem}.keras: not a readable Keras file ({type(e).__name__})") from None
    try:
        return from_config(config, weights, stem, loss)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as e:   # a field of the wrong kind
        raise DeriveError(f"{stem}.keras: config.json is not a Keras model config derive reads "
                          f"({type(e).__name__}: {str(e)[:80]})") from None


def _weights(blob: bytes, stem: str) -> dict:
    """layer name -> [arrays in the order Keras created them] (h5py reads numbers only)."""
    try:
        import h5py
    except ImportError:
        raise DeriveError(f"{stem}.keras: reading a Keras file's weights needs h5py (pip install h5py)") from None
    out: dict = {}
    try:
        with h5py.File(io.BytesIO(blob), "r") as f:
            layers = f.get("layers")
            for name in (layers.keys() if layers is not None else ()):
                group = layers[name].get("vars")
                if group is None:
                    continue
                keys = sorted(group.keys(), key=lambda k: int(k) if k.isdigit() else 10**9)
                out[name] = [np.array(group[k], dtype=np.float64) for k in keys
                             if isinstance(group[k], h5py.Dataset) and group[k].dtype.kind in "fiu"]
    except (OSError, ValueError, TypeError) as e:
        raise DeriveError(f"{stem}.keras: model.weights.h5 is not readable ({str(e)[:80]})") from None
    return out


def _layers(config: dict, stem: str) -> list:
    if not isinstance(config, dict):
        raise DeriveError(f"{stem}.keras: config.json is not a model config")
    kind = config.get("class_name")
    inner = config.get("config") if isinstance(config.get("config"), dict) else {}
    layers = inner.get("layers")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(layers, list):
        raise DeriveError(f"{stem}.keras: a {str(kind)[:40]} model is not supported; "
                          "expected a Sequential or Functional model")
    for k, L in enumerate(layers):
        if not isinstance(L, dict) or not isinstance(L.get("config"), dict):
            raise DeriveError(f"{stem}.keras: layer {k} is not a layer config")
        cls = str(L.get("class_name"))[:40]
        name = str(L["config"].get("name", k))[:60]
        if cls == "Lambda":
            raise DeriveError(f"{stem}.keras: layer {name!r} is a Lambda layer, which carries code; "
                              "derive refuses it (nothing was run)")
        if L.get("registered_name") not in (None, cls) or L.get("module") not in ("keras.layers", None):
            raise DeriveError(f"{stem}.keras: layer {name!r} is a custom object ({cls}); derive reads only "
                              "Keras's own layers (nothing was run)")
        if cls not in LAYERS:
            raise DeriveError(f"{stem}.keras: layer {name!r} ({cls}) is not supported; supported: "
                              + ", ".join(LAYERS))
    seen = set()
    for L in layers:
        name, cls = L["config"].get("name"), L["class_name"]
        if kind != "Sequential" and cls != "InputLayer":
            srcs = _inbounds(L)
            if not srcs or any(src not in seen for src in srcs) or (len(srcs) > 1) != (cls == "Add"):
                raise DeriveError(f"{stem}.keras: layer {str(name)[:60]!r} takes inputs derive cannot follow "
                                  "(a layer called once on earlier layers' outputs; Add on two or more)")
        elif cls == "Add":
            raise DeriveError(f"{stem}.keras: an Add layer inside a Sequential model")
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
        shape = [int(np.prod(shape))] if all(isinstance(d, int) and d > 0 for d in shape) else shape
    if len(shape) != 1 or not isinstance(shape[0], int) or not 1 <= shape[0] <= 4096:
        raise DeriveError(f"{stem}.keras: input shape {shape} is not supported; expected (features,), or a "
                          "shape the first layer flattens, at most 4096 numbers")
    n_in, width, x = shape[0], shape[0], "X"
    prog.inputs["X"] = ["N", n_in]
    emb, used, dropout, values, prev = False, {}, [], {}, None
    sequential = config["class_name"] == "Sequential"
    for L in layers:
        cls, c = L["class_name"], L["config"]
        lname = str(c.get("name"))
        where = f"{stem}.keras: layer {lname!r}"
        w = weights.get(_store_name(cls, used), [])
        srcs = [prev] if sequential or cls == "InputLayer" else _inbounds(L)
        x, width, emb = values.get(srcs[0], ("X", n_in, False))      # this layer's input (value, width, ids)
        if cls == "Dropout" and float(c.get("rate", 0) or 0) > 0:
            dropout.append(lname)
        if cls == "Add":
            parts = [values[src] for src in srcs]
            if len({p[1] for p in parts}) != 1 or any(p[2] for p in parts):
                raise DeriveError(f"{where}: Add of outputs of different widths")
            for p in parts[1:]:
                x = prog.add(x, p[0], where)
        if cls == "Flatten" and emb:
            x, emb = prog.reshape(x, width), False
        if cls in ("InputLayer", "Dropout", "Flatten", "Add"):
            values[lname], prev = (x, width, emb), lname
            continue
        if emb:
            raise DeriveError(f"{where}: an Embedding must be followed by Flatten")
        if cls == "Dense":
            refuse_set(c, where, "kernel_regularizer", "bias_regularizer", "activity_regularizer",
                       "kernel_constraint", "bias_constraint", "lora_rank")
            units = int(c["units"])
            if len(w) < 1 + bool(c.get("use_bias", True)) or w[0].shape != (width, units):
                raise DeriveError(f"{where}: weights missing or of the wrong shape")
            bias = c.get("use_bias", True)
            x = prog.dense(x, f"{lname}/kernel", w[0], f"{lname}/bias" if bias else None, w[1] if bias else None)
            x = prog.activation(x, _act(c.get("activation"), where), where)
            width = units
        elif cls == "Activation":
            x = prog.activation(x, _act(c.get("activation"), where), where)
        elif cls in ("LayerNormalization", "BatchNormalization"):
            refuse_set(c, where, "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint",
                       "rms_scaling", "renorm", "synchronized")
            axis = c.get("axis", -1)
            if axis not in (-1, 1, [-1], [1]):
                raise DeriveError(f"{where}: axis {axis} is not supported (features only)")
            scale, center = c.get("scale", True), c.get("center", True)
            if len(w) < scale + center:
                raise DeriveError(f"{where}: weights missing")
            gamma = w[0] if scale else None
            beta = w[int(scale)] if center else None
            names = (f"{lname}/gamma", f"{lname}/beta")
            eps = float(c.get("epsilon", 1e-3))
            x = (prog.layernorm if cls == "LayerNormalization" else prog.batchnorm)(x, gamma, beta, eps, names, where)
        elif cls == "Embedding":
            refuse_set(c, where, "embeddings_regularizer", "embeddings_constraint", "mask_zero", "lora_rank")
            if x != "X" or not w:
                raise DeriveError(f"{where}: an Embedding must be the first layer")
            prog.inputs["X"] = ["N", n_in]
            x = prog.embedding("X", f"{lname}/embeddings", w[0], where)
            width, emb = n_in * w[0].shape[1], True
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
        raise DeriveError(f"{stem}.keras: an Embedding must be followed by Flatten")
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


def _store_name(cls: str, used: dict) -> str:
    """The layer's group in model.weights.h5: its class in snake case, numbered from the second on
    (keras/src/saving/saving_lib.py: layers are stored by class, not by their names)."""
    name = re.sub("([a-z])([A-Z])", r"\1_\2", re.sub("(.)([A-Z][a-z]+)", r"\1_\2", cls)).lower()
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _act(a, where: str) -> str:
    if a is None:
        return "linear"
    if not isinstance(a, str):
        raise DeriveError(f"{where}: a custom activation is not supported (nothing was run)")
    return a


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
