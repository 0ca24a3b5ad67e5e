"""The compile config of a Keras 3 file: its loss and optimizer, read as data (``keras.py`` reads the rest).

Losses: mse, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy (by name or
as their classes, ``from_logits`` too); optimizers: SGD, Adam, RMSprop with their config.  Options that
change the loss or the step (label smoothing, weight decay, clipping, schedules, EMA) are refused by name.
"""
from __future__ import annotations

from ..errors import DeriveError

LOSSES = {   # Keras name -> (derive's loss kind, targets); the classes' names too
    "mse": ("mse", "values"), "mean_squared_error": ("mse", "values"), "MeanSquaredError": ("mse", "values"),
    "binary_crossentropy": ("bce", "values"), "BinaryCrossentropy": ("bce", "values"),
    "categorical_crossentropy": ("ce", "one_hot"), "CategoricalCrossentropy": ("ce", "one_hot"),
    "sparse_categorical_crossentropy": ("ce", "indices"),
    "SparseCategoricalCrossentropy": ("ce", "indices"),
}
OPTIMIZERS = {"SGD": "sgd", "Adam": "adam", "RMSprop": "rmsprop"}


def refuse_set(c: dict, where: str, *keys) -> None:
    for k in keys:
        if c.get(k) not in (None, False, 0, 0.0):
            raise DeriveError(f"{where}: {k} is not supported (it changes the loss or the update)")


def loss_of(spec, stem: str) -> tuple[str, str, bool]:
    if spec is None:
        raise DeriveError(f"{stem}.keras: the model was saved without compile(); no loss to derive")
    cfg = {}
    if isinstance(spec, dict):
        if spec.get("module") not in ("keras.losses", None) or spec.get("registered_name") not in (None, spec.get("class_name")):
            raise DeriveError(f"{stem}.keras: a custom loss is not supported (nothing was run)")
        cfg = spec.get("config") or {}
        spec = spec.get("class_name")
    if not isinstance(spec, str) or spec not in LOSSES:
        raise DeriveError(f"{stem}.keras: loss {str(spec)[:40]!r} is not supported; expected one of "
                          "mse, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy")
    if cfg.get("label_smoothing") or cfg.get("reduction", "sum_over_batch_size") != "sum_over_batch_size":
        raise DeriveError(f"{stem}.keras: loss options label_smoothing and reduction are not supported")
    kind, targets = LOSSES[spec]
    return kind, targets, bool(cfg.get("from_logits", False))


def optimizer_of(spec, stem: str) -> dict | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"class_name": {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}.get(spec, spec), "config": {}}
    cls = spec.get("class_name") if isinstance(spec, dict) else None
    if cls not in OPTIMIZERS:
        raise DeriveError(f"{stem}.keras: optimizer {str(cls)[:40]!r} is not supported; expected SGD, Adam or RMSprop")
    c = spec.get("config") or {}
    refuse_set(c, f"{stem}.keras: optimizer", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
               "use_ema", "loss_scale_factor", "gradient_accumulation_steps", "amsgrad")
    lr = c.get("learning_rate", {"SGD": 0.01}.get(cls, 0.001))
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not lr > 0:
        raise DeriveError(f"{stem}.keras: a learning-rate schedule is not supported; expected a number")
    out = {"name": OPTIMIZERS[cls], "learning_rate": float(lr)}
    defaults = {"sgd": {"momentum": 0.0, "nesterov": False},
                "adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
                "rmsprop": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}}[out["name"]]
    for k, v in defaults.items():
        got = c.get(k, v)
        if isinstance(v, bool):
            out[k] = bool(got)
        elif isinstance(got, bool) or not isinstance(got, (int, float)):
            raise DeriveError(f"{stem}.keras: optimizer {k} must be a number")
        else:
            out[k] = float(got)
    return out


