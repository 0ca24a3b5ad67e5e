"""``train``: a model trained with its compiled, proven gradients (a network on its spec's values or a CSV;
a tensor program on a random batch at realistic sizes)."""
from __future__ import annotations

from pathlib import Path

from .load import is_tensor, load

TENSOR_LR = 0.01


class Training:
    """One training run: what ran (name, optimizer, lr, steps, ...) and its history.  (A plain class, not a
    dataclass: ``dataclasses`` would bring ``inspect`` and ``ast`` into every ``derive --help``.)"""

    def __init__(self, name: str, tensor: bool, optimizer: str, lr: float, steps: int, seed: int, hist, compiled,
                 X=None, T=None, batch: int | None = None, sizes: dict | None = None):
        self.name, self.tensor, self.optimizer, self.lr, self.steps, self.seed = name, tensor, optimizer, lr, steps, seed
        self.hist = hist              # codegen.train.History or codegen.tensor.TrainResult
        self.compiled = compiled
        self.X, self.T = X, T         # a network's training data (None: a tensor program's random batch)
        self.batch = batch
        self.sizes = sizes or {}      # a tensor program's realistic sizes

    def to_dict(self) -> dict:
        """The ``derive train --json`` object."""
        if self.tensor:
            return {"loss": self.hist.losses, "params": {k: v.tolist() for k, v in self.hist.params.items()}}
        return {"loss": self.hist.losses, "loss_steps": self.hist.loss_steps, "batch_loss": self.hist.batch_losses,
                "gradients": self.hist.start_gradients, "params": self.compiled.unpack(self.hist.params)}

    @property
    def labels(self) -> bool:
        """Whether a network's targets are class labels (0/1): then accuracy means something."""
        import numpy as np
        return (not self.tensor) and self.T.shape[1] > 0 and bool(np.isin(self.T, (0.0, 1.0)).all())

    def accuracy(self, X=None, T=None) -> float:
        import numpy as np

        from ..codegen import train as training
        X, T = (self.X, self.T) if X is None else (X, T)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return training.accuracy(self.compiled.forward(self.hist.params, X), T)

    def test(self, path: str) -> dict:
        """Loss (and accuracy, for labels) of the trained network on held-out data (a CSV)."""
        from ..codegen import train as training
        import numpy as np
        Xt, Tt = training.read_csv(path, self.compiled)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = {"loss": self.compiled.loss(self.hist.params, Xt, Tt), "examples": len(Xt)}
        if self.labels:
            out["accuracy"] = self.accuracy(Xt, Tt)
        return out


def training(source, *, steps: int = 100, lr: float | None = None, optimizer: str | None = None,
             batch: int | None = None, data: str | None = None, seed: int = 0, dtype: str = "float64",
             log_every: int | None = None, plot: str | None = None, progress: bool | None = None,
             gradients: bool = False) -> Training:
    """Train ``source`` (anything ``load`` takes).  A network: ``optimizer`` (default sgd) at ``lr`` (default
    the spec's learning_rate, else 0.1) on ``data`` (a CSV; default the spec's values), ``batch`` examples
    a step; ``gradients``: keep the starting gradients.  A tensor program: a random batch, adam at 0.01
    (sgd when only ``lr`` is given).  A network compiled before starts from the compiled cache, without
    sympy.  ``plot``: a picture file of the loss curve."""
    import numpy as np

    from ..codegen import cache
    compiled = cache.load(source) if isinstance(source, (str, Path)) else None
    model = None
    if compiled is None:
        model = load(source)
        if is_tensor(model):
            return _tensor(model, steps, lr, optimizer, seed, plot, progress)
        from ..codegen.compile import compile
        compiled = compile(model)
        if isinstance(source, (str, Path)):
            cache.store(source, compiled)
    # A loss that overflows is derive's to report (one line naming the step), not NumPy's warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return _network(compiled, steps=steps, lr=lr, optimizer=optimizer or "sgd", batch=batch, data=data,
                        seed=seed, dtype=dtype, log_every=log_every, plot=plot, progress=progress, gradients=gradients)


def train(source, **options) -> dict:
    """The ``derive train --json`` object (options as ``training`` takes them; starting gradients kept)."""
    options.setdefault("progress", False)
    return training(source, gradients=True, **options).to_dict()


def _network(compiled, *, steps, lr, optimizer, batch, data, seed, dtype, log_every, plot, progress, gradients):
    from ..codegen import train as training_
    meta = compiled.meta
    X, T = training_.read_csv(data, compiled) if data else training_.spec_data(compiled)
    lr = lr if lr is not None else (meta.learning_rate if meta.learning_rate is not None else 0.1)
    hist = training_.train(compiled, compiled.start(seed), X, T, steps=steps, lr=lr, method=optimizer, batch=batch,
                           seed=seed, progress=progress, log_every=log_every, dtype=dtype, start_gradients=gradients)
    if plot:
        training_.plot(hist.losses, plot, f"{meta.name}: {optimizer}, lr {lr:g}", hist.loss_steps, hist.batch_losses)
    return Training(meta.name, False, optimizer, lr, steps, seed, hist, compiled, X, T, batch)


def _tensor(program, steps, lr, optimizer, seed, plot, progress):
    from ..codegen.tensor import compile_tensor, train as run_training
    c = compile_tensor(program)
    method = optimizer or ("sgd" if lr is not None else "adam")
    lr = lr if lr is not None else TENSOR_LR
    hist = run_training(c, steps=steps, lr=lr, method=method, seed=seed, progress=progress)
    if plot:
        from ..codegen import train as training_
        training_.plot(hist.losses, plot, f"{c.program.name}: {method}, lr {lr:g}")
    return Training(c.program.name, True, method, lr, steps, seed, hist, c, sizes=c.program.realistic())
