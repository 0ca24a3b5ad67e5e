"""The compile config of a Keras 3 file: its loss and optimizer, read as data (``keras.py`` reads the rest).

Losses: mse, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy (by name, as
their classes with ``from_logits`` too, or as the functions ``keras.losses.mean_squared_error``, ...); optimizers: SGD, Adam, RMSprop with their config.  Options that
change the loss or the step (label smoothing, weight decay, clipping, schedules, EMA) are refused by name.
"""
from __future__ import annotations

import math

from ..errors import DeriveError

LOSSES = {   # Keras name -> (derive's loss kind, targets); the classes' names too
    "mse": ("mse", "values"), "mean_squared_error": ("mse", "values"), "MeanSquaredError": ("mse", "values"),
    "binary_crossentropy": ("bce", "values"), "BinaryCrossentropy": ("bce", "values"),
    "categorical_crossentropy": ("ce", "one_hot"), "CategoricalCrossentropy": ("ce", "one_hot"),
    "sparse_categorical_crossentropy": ("ce", "indices"),
    "SparseCategoricalCrossentropy": ("ce", "indices"),
    "huber": ("huber", "values"), "huber_loss": ("huber", "values"), "Huber": ("huber", "values"),
}
OPTIMIZERS = {"SGD": "sgd", "Adam": "adam", "RMSprop": "rmsprop"}


def whole(c: dict, key: str, where: str, default=None, low: int = 1) -> int:
    """``c[key]`` as a whole number of at least ``low`` (a bool, 3.7 or "3" is refused, not rounded)."""
    v = c.get(key, default)
    if type(v) is not int or v < low:
        raise DeriveError(f"{where}: {key} must be a whole number of at least {low}, not {str(v)[:40]}")
    return v


def flag(c: dict, key: str, where: str, default: bool) -> bool:
    v = c.get(key, default)
    if not isinstance(v, bool):
        raise DeriveError(f"{where}: {key} must be true or false, not {str(v)[:40]}")
    return v


def real(c: dict, key: str, where: str, default: float, low: float = -math.inf, high: float = math.inf) -> float:
    """``c[key]`` as a finite number from ``low`` to ``high``."""
    v = c.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not low <= v <= high or not math.isfinite(v):
        span = f"from {low:g} to {high:g}" if math.isfinite(high) else f"of at least {low:g}"
        raise DeriveError(f"{where}: {key} must be a finite number {span}, not {str(v)[:40]}")
    return float(v)


def refuse_set(c: dict, where: str, *keys) -> None:
    for k in keys:
        if c.get(k) not in (None, False, 0, 0.0):
            raise DeriveError(f"{where}: {k} is not supported (it changes the loss or the update)")


def loss_of(spec, stem: str) -> tuple[str, str, bool, float]:
    """(derive's loss kind, how targets come, from_logits, Huber's delta) of the compile config's loss."""
    if spec is None:
        raise DeriveError(f"{stem}.keras: the model was saved without compile(); no loss to derive")
    cfg = {}
    if isinstance(spec, dict) and spec.get("class_name") == "function" and spec.get("module") == "builtins" \
            and spec.get("registered_name") == "function" and isinstance(spec.get("config"), str):
        spec = spec["config"]          # loss=keras.losses.mean_squared_error: saved by the function's name
    if isinstance(spec, dict):
        if spec.get("module") not in ("keras.losses", None) or spec.get("registered_name") not in (None, spec.get("class_name")):
            raise DeriveError(f"{stem}.keras: a custom loss is not supported (nothing was run)")
        cfg = spec.get("config") or {}
        if not isinstance(cfg, dict):
            raise DeriveError(f"{stem}.keras: the loss's config is not a mapping")
        spec = spec.get("class_name")
    if not isinstance(spec, str) or spec not in LOSSES:
        raise DeriveError(f"{stem}.keras: loss {str(spec)[:40]!r} is not supported; expected one of "
                          "mse, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy, huber")
    if cfg.get("label_smoothing") or cfg.get("reduction", "sum_over_batch_size") != "sum_over_batch_size":
        raise DeriveError(f"{stem}.keras: loss options label_smoothing and reduction are not supported")
    kind, targets = LOSSES[spec]
    return kind, targets, flag(cfg, "from_logits", f"{stem}.keras: loss", False), \
        real(cfg, "delta", f"{stem}.keras: loss", 1.0, 1e-12)


def optimizer_of(spec, stem: str) -> dict | None:
    if spec is None:
        return None
    if isinstance(spec, str):
        spec = {"class_name": {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}.get(spec, spec), "config": {}}
    cls = spec.get("class_name") if isinstance(spec, dict) else None
    if not isinstance(cls, str) or cls not in OPTIMIZERS:
        raise DeriveError(f"{stem}.keras: optimizer {str(cls)[:40]!r} is not supported; expected SGD, Adam or RMSprop")
    c = spec.get("config") or {}
    if not isinstance(c, dict):
        raise DeriveError(f"{stem}.keras: the optimizer's config is not a mapping")
    refuse_set(c, f"{stem}.keras: optimizer", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
               "use_ema", "loss_scale_factor", "gradient_accumulation_steps", "amsgrad")
    lr = c.get("learning_rate", {"SGD": 0.01}.get(cls, 0.001))
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
        raise DeriveError(f"{stem}.keras: a learning-rate schedule is not supported; expected a positive number")
    out = {"name": OPTIMIZERS[cls], "learning_rate": float(lr)}
    defaults = {"sgd": {"momentum": 0.0, "nesterov": False},
                "adam": {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
                "rmsprop": {"rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False}}[out["name"]]
    for k, v in defaults.items():      # Keras's own ranges: momentum, rho and betas in [0, 1]
        where = f"{stem}.keras: optimizer"
        out[k] = flag(c, k, where, v) if isinstance(v, bool) else \
            real(c, k, where, v, 0.0, math.inf if k == "epsilon" else 1.0)
    return out


