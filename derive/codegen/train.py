"""Training with compiled gradients: data (spec values or CSV), optimizers, the loop, accuracy."""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DeriveError

if TYPE_CHECKING:   # training needs numpy only; the compiled module is handed in
    from .compile import Compiled

MAX_CSV_BYTES = 200_000_000
MAX_ROWS = 2_000_000
MAX_STEPS = 10_000_000


# ---------------------------------------------------------------------------------------------
# Data

def spec_data(compiled: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """The spec's worked example (``values``) as a batch of one."""
    spec = compiled.net.spec
    if spec.values is None:
        raise DeriveError(f"{spec.source or spec.name}: the spec has no values; give --data FILE.csv")
    X = np.array([[float(spec.values.inputs[x]) for x in spec.inputs]])
    T = np.array([[float(spec.values.targets[t]) for t in spec.targets]]).reshape(1, len(spec.targets))
    return X, T


def read_csv(path: str | Path, compiled: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV with a header naming every input and target column; untrusted input.

    Every column must be an input or a target of the network; every cell a finite number.
    Errors name the file, the row (1-based, header is row 1) and the column.
    """
    spec = compiled.net.spec
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise DeriveError(f"cannot read {p}: {e.strerror}") from None
    if size > MAX_CSV_BYTES:
        raise DeriveError(f"{p}: larger than {MAX_CSV_BYTES} bytes")
    wanted = list(spec.inputs) + list(spec.targets)
    try:
        with p.open(newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise DeriveError(f"{p}: empty file; expected a header row naming {', '.join(wanted)}")
            header = [h.strip() for h in header]
            for h in header:
                if h not in wanted:
                    raise DeriveError(f"{p}: column {h[:40]!r} is not an input or target of the network;"
                                      f" expected {', '.join(wanted)}")
            if len(set(header)) != len(header):
                raise DeriveError(f"{p}: a column name appears twice in the header")
            missing = [w for w in wanted if w not in header]
            if missing:
                raise DeriveError(f"{p}: missing column {missing[0]!r}")
            cols = [header.index(w) for w in wanted]
            rows = []
            for r, line in enumerate(reader, start=2):
                if not line or all(not c.strip() for c in line):
                    continue
                if len(line) != len(header):
                    raise DeriveError(f"{p}: row {r} has {len(line)} cells, expected {len(header)}")
                if len(rows) >= MAX_ROWS:
                    raise DeriveError(f"{p}: more than {MAX_ROWS} rows")
                rows.append([_cell(line[c], p, r, header[c]) for c in cols])
    except UnicodeDecodeError as e:
        raise DeriveError(f"{p}: not UTF-8 text (byte {e.start})") from None
    except csv.Error as e:
        raise DeriveError(f"{p}: not valid CSV: {e}") from None
    if not rows:
        raise DeriveError(f"{p}: no data rows")
    data = np.array(rows, dtype=float)
    k = len(spec.inputs)
    return data[:, :k], data[:, k:]


def _cell(text: str, path: Path, row: int, column: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise DeriveError(f"{path}: row {row}, column {column}: expected a number, got {text[:40]!r}") from None
    if not math.isfinite(v):
        raise DeriveError(f"{path}: row {row}, column {column}: expected a finite number, got {text[:40]!r}")
    return v


def accuracy(Y: np.ndarray, T: np.ndarray) -> float:
    """Share of examples classified right: argmax for several outputs, threshold 0.5 for one."""
    if Y.shape[1] == 1:
        return float(np.mean((Y[:, 0] > 0.5) == (T[:, 0] > 0.5)))
    return float(np.mean(Y.argmax(axis=1) == T.argmax(axis=1)))


# ---------------------------------------------------------------------------------------------
# Optimizers (PyTorch's conventions, so torch.optim is an independent reference)

class SGD:
    """p <- p - lr * g."""

    def __init__(self, lr: float):
        self.lr = lr

    def step(self, params: dict, grads: dict, masks: dict) -> dict:
        return {k: params[k] - self.lr * grads[k] * masks[k] for k in params}


class Momentum(SGD):
    """v <- mu v + g;  p <- p - lr * v (mu = 0.9)."""

    def __init__(self, lr: float, mu: float = 0.9):
        super().__init__(lr)
        self.mu, self.v = mu, None

    def step(self, params, grads, masks):
        self.v = dict(grads) if self.v is None else {k: self.mu * self.v[k] + grads[k] for k in grads}
        return {k: params[k] - self.lr * self.v[k] * masks[k] for k in params}


class Adam(SGD):
    """Adam (beta1 0.9, beta2 0.999, eps 1e-8), bias-corrected moments."""

    def __init__(self, lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.b1, self.b2, self.eps, self.t, self.m, self.v = b1, b2, eps, 0, None, None

    def step(self, params, grads, masks):
        self.t += 1
        if self.m is None:
            self.m = {k: 0 * g for k, g in grads.items()}
            self.v = {k: 0 * g for k, g in grads.items()}
        out = {}
        for k, g in grads.items():
            self.m[k] = self.b1 * self.m[k] + (1 - self.b1) * g
            self.v[k] = self.b2 * self.v[k] + (1 - self.b2) * g * g
            mhat = self.m[k] / (1 - self.b1 ** self.t)
            vhat = self.v[k] / (1 - self.b2 ** self.t)
            out[k] = params[k] - self.lr * mhat / (np.sqrt(vhat) + self.eps) * masks[k]
        return out


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def optimizer(name: str, lr: float):
    """The optimizer called ``name`` (sgd | momentum | adam) with learning rate ``lr``."""
    if name not in OPTIMIZERS:
        raise DeriveError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")
    if not (math.isfinite(lr) and lr > 0):
        raise DeriveError(f"learning rate must be a positive number, got {lr}")
    return OPTIMIZERS[name](lr)


# ---------------------------------------------------------------------------------------------
# The loop

@dataclass
class History:
    """Loss over the whole data before the first step and after each step; start gradients."""
    losses: list[float] = field(default_factory=list)
    start_gradients: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    seconds: float = 0.0


def train(compiled: Compiled, params: dict, X: np.ndarray, T: np.ndarray, *, steps: int = 100,
          lr: float = 0.1, method: str = "sgd", batch: int | None = None, seed: int = 0,
          progress: bool | None = None) -> History:
    """Run ``steps`` optimizer steps on minibatches of ``batch`` examples (all when None).

    Fixed parameters never change (their update is masked out).  Returns the History with the
    final parameter arrays in ``params``.
    """
    import time

    from tqdm import tqdm
    if not 0 <= steps <= MAX_STEPS:
        raise DeriveError(f"--steps must be between 0 and {MAX_STEPS}, got {steps}")
    if batch is not None and batch < 1:
        raise DeriveError(f"--batch must be at least 1, got {batch}")
    opt = optimizer(method, lr)
    masks = compiled.masks()
    n = X.shape[0]
    rng = np.random.default_rng(seed)
    order, pos = rng.permutation(n), 0
    t0 = time.perf_counter()
    hist = History(start_gradients=compiled.unpack_gradients(compiled.gradients(params, X, T)))
    hist.losses.append(compiled.loss(params, X, T))
    bar = tqdm(range(steps), desc="training", unit="step", disable=(None if progress is None else not progress),
               leave=False)
    every = max(1, steps // 200)
    for step in bar:
        if batch is None or batch >= n:
            xb, tb = X, T
        else:
            if pos + batch > n:
                order, pos = rng.permutation(n), 0
            idx = order[pos:pos + batch]
            pos += batch
            xb, tb = X[idx], T[idx]
        params = opt.step(params, compiled.gradients(params, xb, tb), masks)
        hist.losses.append(compiled.loss(params, X, T))
        if not math.isfinite(hist.losses[-1]):
            bar.close()
            raise DeriveError(f"the loss became {hist.losses[-1]} at step {step + 1}; try a smaller --lr")
        if step % every == 0:
            bar.set_postfix(loss=f"{hist.losses[-1]:.4g}", refresh=False)
    bar.close()
    hist.params = params
    hist.seconds = time.perf_counter() - t0
    return hist


def plot(losses: list[float], path: str | Path, title: str) -> None:
    """Draw the loss curve to a PNG (matplotlib, no display needed)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(range(len(losses)), losses)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    if min(losses) > 0 and max(losses) / min(losses) > 100:
        ax.set_yscale("log")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=120)
    except OSError as e:
        raise DeriveError(f"cannot write {path}: {e.strerror}") from None
    finally:
        plt.close(fig)
