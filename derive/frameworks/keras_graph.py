"""A Functional Keras model's graph as ``keras.py`` reads it: the operations a model records for ``x + y``
or ``keras.ops.relu(x)`` read as the layers they compute, a nested Sequential's layers put in its place
(:func:`flatten`), each layer's calls (a shared layer is called more than once: :func:`calls_of`) and an
order that computes every call's inputs first (:func:`order`).  All of it is data from ``config.json``."""
from __future__ import annotations

from ..errors import DeriveError
from .keras_layers import store_name

MAX_LAYERS = 256
OPERATIONS = {   # (module, class) a Functional model records -> the layer (or activation) it computes
    ("keras.src.ops.numpy", "Add"): "Add", ("keras.src.ops.numpy", "Subtract"): "Subtract",
    ("keras.src.ops.numpy", "Multiply"): "Multiply", ("keras.src.activations.activations", "ReLU"): "ReLU",
    ("keras.src.ops.numpy", "Tanh"): "tanh", ("keras.src.ops.nn", "Relu"): "relu",
    ("keras.src.ops.nn", "Sigmoid"): "sigmoid", ("keras.src.ops.nn", "Gelu"): "gelu", ("keras.src.ops.nn", "Silu"): "silu",
    ("keras.src.ops.nn", "Softplus"): "softplus", ("keras.src.ops.nn", "Softsign"): "softsign",
    ("keras.src.ops.nn", "Relu6"): "relu6", ("keras.src.ops.nn", "HardSigmoid"): "hard_sigmoid",
    ("keras.src.ops.nn", "HardSilu"): "hard_silu"}
OPERATIONS_READ = sorted(v for v in OPERATIONS.values() if v.islower())


def flatten(layers: list, stem: str) -> tuple[list, dict]:
    """The layers with operations read as layers and each nested Sequential (called once) replaced by its
    own layers; every layer carries ``store``, its group in model.weights.h5.  Also {nested Sequential's
    name: its last layer's name}, for the model's outputs."""
    out, used, renamed = [], {}, {}
    for k, L in enumerate(layers):
        if not isinstance(L, dict) or not isinstance(L.get("config"), dict):
            raise DeriveError(f"{stem}.keras: layer {k} is not a layer config")
        L = _operation(L, stem)
        if (L.get("module"), L.get("class_name"), L.get("registered_name")) == ("keras", "Sequential", None):
            inner = _nested(L, store_name("Sequential", used), stem)
            renamed[L["config"].get("name")] = inner[-1]["config"]["name"]
            out += inner
            continue
        out.append({**L, "store": store_name(str(L.get("class_name")), used)})
    if renamed:
        names = [L["config"].get("name") for L in out]
        if len(set(map(str, names))) != len(names):
            raise DeriveError(f"{stem}.keras: a nested Sequential's layer names clash with the model's")
        out = [_renamed(L, renamed) for L in out]
    return out, renamed


def renamed_outputs(outs, renamed: dict):
    """output_layers (``[name, 0, 0]`` or a list of them) naming a nested Sequential's last layer for it."""
    if isinstance(outs, list) and outs and isinstance(outs[0], list):
        return [renamed_outputs(o, renamed) for o in outs]
    if isinstance(outs, list) and outs and isinstance(outs[0], str) and outs[0] in renamed:
        return [renamed[outs[0]], *outs[1:]]
    return outs


def _operation(L: dict, stem: str) -> dict:
    reading = OPERATIONS.get((L.get("module"), L.get("class_name")))
    if not reading or L.get("registered_name") != L.get("class_name"):
        return L
    c = dict(L["config"])
    if reading.islower():       # an activation: read as an Activation layer
        if set(c) - {"name", "approximate"} or c.get("approximate", False) not in (True, False):
            raise DeriveError(f"{stem}.keras: operation {str(c.get('name'))[:60]!r} ({L['class_name']}) with "
                              "options derive does not read")
        c["activation"] = "gelu_tanh" if reading == "gelu" and c.get("approximate") else reading
    return {**L, "module": "keras.layers", "registered_name": None, "operation": True, "config": c,
            "class_name": "Activation" if reading.islower() else reading}


def _nested(L: dict, store: str, stem: str) -> list:
    """A Sequential used as a layer: its layers, the first taking the Sequential's input, each the next's."""
    name = str(L["config"].get("name"))[:60]
    layers = [M for M in (L["config"].get("layers") or []) if isinstance(M, dict) and M.get("class_name") != "InputLayer"]
    nodes = L.get("inbound_nodes")
    if not layers or not isinstance(nodes, list) or len(nodes) != 1:
        raise DeriveError(f"{stem}.keras: the nested Sequential {name!r} must have layers and be called once")
    out, used = [], {}
    for i, M in enumerate(layers):
        if not isinstance(M.get("config"), dict) or M.get("class_name") == "Sequential":
            raise DeriveError(f"{stem}.keras: layer {i} of the nested Sequential {name!r} is not a layer derive reads")
        prev = out[-1]["config"].get("name") if out else None
        inbound = nodes if prev is None else [{"args": [{"class_name": "__keras_tensor__",
                                                         "config": {"keras_history": [prev, 0, 0]}}], "kwargs": {}}]
        out.append({**M, "inbound_nodes": inbound, "store": f"{store}/{store_name(str(M.get('class_name')), used)}"})
    return out


def _renamed(L: dict, renamed: dict) -> dict:
    """``L`` with its inputs' keras_history naming a nested Sequential's last layer instead of it."""
    nodes = L.get("inbound_nodes")
    if not isinstance(nodes, list):
        return L
    new = []
    for node in nodes:
        args = node.get("args") if isinstance(node, dict) else None
        if not isinstance(args, list):
            return L
        new.append({**node, "args": [_history(a, renamed) for a in args]})
    return {**L, "inbound_nodes": new}


def _history(a, renamed: dict):
    if isinstance(a, list):
        return [_history(b, renamed) for b in a]
    h = a.get("config", {}).get("keras_history") if isinstance(a, dict) and isinstance(a.get("config"), dict) else None
    if isinstance(h, list) and h and isinstance(h[0], str) and h[0] in renamed:
        return {**a, "config": {**a["config"], "keras_history": [renamed[h[0]], *h[1:]]}}
    return a


def calls_of(L: dict) -> list | None:
    """Each call of a Functional model's layer (a shared layer is called more than once): the
    ``(layer name, call)`` pairs whose outputs it takes (None when the config says otherwise)."""
    try:
        out = []
        for node in L["inbound_nodes"]:
            args = node["args"] if L.get("operation") and len(node["args"]) > 1 else node["args"][0]
            if len(node["args"]) != 1 and not L.get("operation"):
                return None
            history = [a["config"]["keras_history"] for a in (args if isinstance(args, list) else [args])]
            if any(type(k) is not int or k < 0 or t != 0 for _, k, t in history):
                return None
            out.append([(name, k) for name, k, _ in history])
        return out
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def order(layers: list, sequential: bool, stem: str) -> list:
    """``(layer, call, sources)`` in an order that computes every source first (a Sequential: one after
    another; a Functional model: its calls sorted by what they take)."""
    if sequential:
        names = [L["config"]["name"] for L in layers]
        return [(L, 0, [(names[i - 1], 0)] if i else []) for i, L in enumerate(layers)]
    pending = [(L, k, srcs) for L in layers for k, srcs in enumerate(
        [[]] if L["class_name"] == "InputLayer" else calls_of(L))]
    if len(pending) > 4 * MAX_LAYERS:
        raise DeriveError(f"{stem}.keras: more than {4 * MAX_LAYERS} layer calls")
    done, out = set(), []
    while pending:
        ready = [p for p in pending if all(s in done for s in p[2])]
        if not ready:
            raise DeriveError(f"{stem}.keras: layer {str(pending[0][0]['config']['name'])[:60]!r} takes inputs "
                              "derive cannot follow (a cycle, or a call of a layer that is not in the model)")
        for p in ready:
            done.add((p[0]["config"]["name"], p[1]))
        out += ready
        pending = [p for p in pending if p not in ready]
    return out
