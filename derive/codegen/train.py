"""Training with compiled gradients: data (spec values or CSV), optimizers, the loop, accuracy."""
from __future__ import annotations

import contextlib
import csv
import io
import math
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import safeio
from ..errors import DeriveError, choices, named
from .optim import Flat, optimizer

if TYPE_CHECKING:   # training needs numpy only; the compiled module is handed in
    from .compile import Compiled

MAX_CSV_BYTES = 200_000_000
MAX_ROWS = 2_000_000
MAX_STEPS = 10_000_000


# ---------------------------------------------------------------------------------------------
# Data

def spec_data(compiled: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """The spec's worked example (``values``): its examples, or a batch of one."""
    meta = compiled.meta
    if meta.examples is None:
        raise DeriveError(f"{meta.source or meta.name}: the spec has no values; give --data FILE.csv")
    batch = meta.examples
    X = np.array([[ins[x] for x in meta.inputs] for ins, _ in batch])
    T = np.array([[ts[t] for t in meta.targets] for _, ts in batch]).reshape(len(batch), len(meta.targets))
    return X, T


def read_csv(path: str | Path, compiled: Compiled) -> tuple[np.ndarray, np.ndarray]:
    """Read a CSV with a header naming every input and target column; untrusted input.

    Every column must be an input or a target of the network; every cell a finite number.
    Errors name the file, the row (1-based, header is row 1) and the column.
    """
    spec = compiled.meta
    p = Path(path)
    text = safeio.read_text(p, MAX_CSV_BYTES, str(p))
    wanted = list(spec.inputs) + list(spec.targets)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))   # any line ending, quoted newlines
        header = next(reader, None)
        if header is None:
            raise DeriveError(f"{p}: empty file; expected a header row naming the inputs and targets ("
                              + choices("", wanted, "columns") + ")")
        header = [h.strip() for h in header]
        for h in header:
            if h not in wanted:
                raise DeriveError(f"{p}: column {named(h)} is not an input or target of the network; "
                                  + choices(h[:100] if named(h).startswith("'") else "", wanted, "columns"))
        if len(set(header)) != len(header):
            raise DeriveError(f"{p}: a column name appears twice in the header")
        missing = [w for w in wanted if w not in header]
        if missing:
            raise DeriveError(f"{p}: missing column {missing[0]!r}")
        cols = [header.index(w) for w in wanted]
        data = _plain(text, len(header))
        if data is not None:
            data = data[:, cols]
            return data[:, :len(spec.inputs)], data[:, len(spec.inputs):]
        rows = []
        for r, line in enumerate(reader, start=2):
            if not line or all(not c.strip() for c in line):
                continue
            if len(line) != len(header):
                raise DeriveError(f"{p}: row {r} has {len(line)} cells, expected {len(header)}")
            if len(rows) >= MAX_ROWS:
                raise DeriveError(f"{p}: more than {MAX_ROWS} rows")
            rows.append((r, line))
    except csv.Error as e:
        raise DeriveError(f"{p}: not valid CSV: {e}") from None
    if not rows:
        raise DeriveError(f"{p}: no data rows")
    try:        # NumPy converts every cell at once; a bad cell is then found and named one by one
        data = np.array([[line[c].strip() for c in cols] for _, line in rows], dtype=float)
        ok = bool(np.isfinite(data).all())
    except ValueError:
        ok = False
    if not ok:
        data = np.array([[_cell(line[c], p, r, header[c]) for c in cols] for r, line in rows], dtype=float)
    k = len(spec.inputs)
    return data[:, :k], data[:, k:]


def _plain(text: str, width: int) -> np.ndarray | None:
    """Every data row of a CSV without quotes, converted by NumPy's C reader; None when anything is
    unusual (a bad or blank cell, a short row, no rows, too many): then the careful reader runs and
    names the problem.  NumPy accepts a subset of what ``float`` does, with the same values."""
    if '"' in text or "\0" in text:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")         # "input contained no data"
            data = np.loadtxt(io.StringIO(text, newline=None), delimiter=",", skiprows=1, ndmin=2,
                              comments=None, dtype=float)
    except ValueError:
        return None
    if data.shape[1] != width or not 0 < len(data) <= MAX_ROWS or not np.isfinite(data).all():
        return None
    return data


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
# The loop

@dataclass
class History:
    """What training recorded.

    ``batch_losses[s]``: the loss on the minibatch of step s + 1, at the parameters it started from
    (free: the same forward pass as its gradient).  ``losses``: the loss on the whole training data
    at steps ``loss_steps`` (0 = before the first step; then once per epoch, or every ``log_every``
    steps, and after the last step).
    """
    losses: list[float] = field(default_factory=list)
    loss_steps: list[int] = field(default_factory=list)
    batch_losses: list[float] = field(default_factory=list)
    start_gradients: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    seconds: float = 0.0


def train(compiled: Compiled, params: dict, X: np.ndarray, T: np.ndarray, *, steps: int = 100,
          lr: float = 0.1, method: str = "sgd", batch: int | None = None, seed: int = 0,
          progress: bool | None = None, log_every: int | None = None, dtype: str = "float64",
          start_gradients: bool = True) -> History:
    """Run ``steps`` optimizer steps on minibatches of ``batch`` examples (all when None).

    The full-data loss is computed once per epoch (every step when each batch is all the data,
    where it is free: the next step's batch loss), or every ``log_every`` steps.  Fixed parameters
    never change (their update is masked out).  Returns the History with the final parameter
    arrays in ``params``.  ``dtype`` "float32" trains in single precision (data, parameters and
    every array the generated code makes).  ``progress`` None: a progress bar on a terminal only.
    ``start_gradients`` False: ``History.start_gradients`` is left empty (one pass over the data less).
    """
    import time

    if not 0 <= steps <= MAX_STEPS:
        raise DeriveError(f"--steps must be between 0 and {MAX_STEPS}, got {steps}")
    if batch is not None and batch < 1:
        raise DeriveError(f"--batch must be at least 1, got {batch}")
    if log_every is not None and log_every < 1:
        raise DeriveError(f"--log-every must be at least 1, got {log_every}")
    opt = optimizer(method, lr)
    if dtype not in ("float64", "float32"):
        raise DeriveError(f"--dtype must be float64 or float32, got {dtype!r}")
    params = {k: np.array(v, dtype=dtype) if np.ndim(v) else np.dtype(dtype).type(v)
              for k, v in params.items()}   # own copies
    X, T = np.asarray(X, dtype=dtype), np.asarray(T, dtype=dtype)
    n = X.shape[0]
    full = batch is None or batch >= n
    every = log_every or (1 if full else -(-n // batch))
    rng = np.random.default_rng(seed)
    order, pos = rng.permutation(n), 0
    step_fn, loss_fn = compiled.loss_gradients, compiled.loss
    one_thread = _one_blas_thread()
    t0 = time.perf_counter()
    hist = History()
    with one_thread():
        if start_gradients:
            hist.start_gradients = compiled.unpack_gradients(compiled.gradients(params, X, T))
        hist.losses.append(float(loss_fn(params, X, T)))
    hist.loss_steps.append(0)
    flat = Flat(params, compiled.arrays, compiled.masks(), dtype)
    params, theta, mask = flat.params, flat.theta, flat.mask
    bar = None
    if progress or (progress is None and sys.stderr.isatty()):
        from tqdm import tqdm
        bar = tqdm(total=steps, desc="training", unit="step", leave=False)
    shown = max(1, steps // 200)
    pending = False                  # full batch: this step's batch loss is the last step's full loss
    for step in range(1, steps + 1):
        if full:
            xb, tb = X, T
        else:
            if pos + batch > n:
                order, pos = rng.permutation(n), 0
            idx = order[pos:pos + batch]
            pos += batch
            xb, tb = X[idx], T[idx]
        J, grads = step_fn(params, xb, tb)
        J = float(J)
        hist.batch_losses.append(J)
        if pending:
            hist.losses.append(J)
            hist.loss_steps.append(step - 1)
            pending = False
        if not math.isfinite(J):
            _close(bar)
            raise DeriveError(_not_finite(J, step))
        opt.step(theta, flat.gather(grads), mask)
        if flat.scalars:
            flat.sync()
        if step % every == 0 or step == steps:
            if full and step < steps:
                pending = True
            else:
                with one_thread():
                    hist.losses.append(float(loss_fn(params, X, T)))
                hist.loss_steps.append(step)
                if not math.isfinite(hist.losses[-1]):
                    _close(bar)
                    raise DeriveError(_not_finite(hist.losses[-1], step))
        if bar is not None and step % shown == 0:
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{J:.4g}", refresh=False)
    _close(bar)
    hist.params = params
    hist.seconds = time.perf_counter() - t0
    return hist


def _close(bar) -> None:
    if bar is not None:
        bar.close()


def _one_blas_thread():
    """A context manager factory: inside, BLAS uses one thread (threadpoolctl).

    The occasional full-data loss would otherwise start BLAS's worker threads, which then spin
    (busy-wait) through the small minibatch steps that follow, taking a core from them: with two
    threads, training ran 2 to 3 times slower than with one.  No-op when BLAS has one thread.
    """
    try:
        from threadpoolctl import ThreadpoolController
        blas = ThreadpoolController().select(user_api="blas")
    except Exception:        # no threadpoolctl, or a BLAS it cannot read: leave the threads alone
        return contextlib.nullcontext
    if all(lib.num_threads <= 1 for lib in blas.lib_controllers):
        return contextlib.nullcontext
    return lambda: blas.limit(limits=1)


PLOT_FORMATS = ("png", "svg", "pdf")


def plot(losses: list[float], path: str | Path, title: str, steps: list[int] | None = None,
         batch_losses: list[float] | None = None) -> None:
    """Draw the loss curve (and the minibatch losses, faint) to a PNG, SVG or PDF, chosen by the suffix
    (matplotlib, no display needed); written atomically."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in PLOT_FORMATS:
        raise DeriveError(f"--plot {path}: expected a .png, .svg or .pdf file name")
    safeio.check_writable(path)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 3.5))
    if batch_losses:
        ax.plot(range(1, len(batch_losses) + 1), batch_losses, alpha=0.3, linewidth=0.6, label="minibatch")
    ax.plot(steps if steps is not None else range(len(losses)), losses, label="all training data")
    if batch_losses:
        ax.legend(fontsize=8)
        losses = losses + [b for b in batch_losses if b > 0]
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title.replace("$", r"\$"))     # a spec's name is text, never mathtext
    if min(losses) > 0 and max(losses) / min(losses) > 100:
        ax.set_yscale("log")
    fig.tight_layout()
    buf = io.BytesIO()
    try:
        fig.savefig(buf, dpi=120, format=fmt)
    finally:
        plt.close(fig)
    safeio.write_atomic(path, buf.getvalue())


def _not_finite(J: float, step: int) -> str:
    """The one line for a loss that is no longer a number: nan is a function outside its domain (a log
    of 0 or of a negative number: a relu output under cross-entropy, say) or a step too large."""
    if math.isnan(J):
        why = ("a function got an argument outside its domain (log or a fractional power of a number <= 0, "
               "e.g. a relu output under cross-entropy)" + ("" if step == 1 else ", or try a smaller --lr"))
    else:
        why = "try a smaller --lr"
    return f"the loss became {J} at step {step}; {why}"
