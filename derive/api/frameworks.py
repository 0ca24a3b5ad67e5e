"""Models of other frameworks as derive models: ``load``'s dispatch for them, and ``fit``'s replay.

``model_of`` turns a ``.keras`` file, a Keras model object or a torch module (with ``example_input``)
into a Network (the layered form) or a tensor Program, carrying the imported model as ``.framework``
(start values, the framework's parameter names, its optimizer).  A layered model too large to prove
entry by entry in reasonable time becomes its tensor program, and its name says so with its size.

``fit`` is ``derive train model.keras --data FILE.csv``: Keras's ``fit`` with shuffle off, from the
file's weights with its compiled optimizer, reported as ``{"history": {"loss": [...]}, ...}``.

``user_factory`` imports a user's own ``path/to/model.py`` and calls ``factory()`` (the command line
only: :data:`TRUST_USER_CODE` is set by ``derive.cli.main``, never by the web server).
"""
from __future__ import annotations

import re
from pathlib import Path

from ..errors import DeriveError

TRUST_USER_CODE = False
FACTORY = re.compile(r"(?P<path>.+\.py):(?P<name>[A-Za-z_][A-Za-z0-9_]{0,63})")


def is_keras_object(x) -> bool:
    return any(c.__module__.split(".")[0] == "keras" for c in type(x).__mro__)


def is_torch_module(x) -> bool:
    return any(c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(x).__mro__)


def imported(source, example_input=None, loss: str | None = None):
    """The Imported model of a ``.keras`` path, a Keras model, a torch module or a ``model.py:factory``."""
    from ..frameworks import Imported, from_keras, from_torch
    if isinstance(source, Imported):
        return source
    if isinstance(source, (str, Path)):
        text = str(source)
        m = FACTORY.fullmatch(text)
        if m:
            module, example_input, *rest = user_factory(m["path"], m["name"])
            if is_keras_object(module):         # a Keras model: its compiled loss, unless one is given
                return from_keras(module, loss or (rest[0] if rest else None))
            return from_torch(module, example_input, loss or (rest[0] if rest else "mse"))
        suffix = Path(text).suffix.lower()
        if suffix == ".keras":
            return from_keras(text, loss)
        if suffix == ".h5":
            raise DeriveError(f"{text[:200]}: a legacy Keras .h5 file; save the model as .keras (Keras 3) for derive")
        if suffix in (".pt", ".pth"):
            raise DeriveError(f"{text[:200]}: a PyTorch file is pickled code, which derive does not load; give "
                              "path/to/model.py:factory (factory() returns the module and an example input)")
        raise DeriveError(f"{text[:200]}: not a model file derive reads")
    if is_keras_object(source):
        return from_keras(source, loss)
    if is_torch_module(source):
        if example_input is None:
            raise DeriveError("a torch module needs example_input= (a batch it can be traced with)")
        return from_torch(source, example_input, loss or "mse")
    raise DeriveError(f"a {type(source).__module__}.{type(source).__name__}: not a derive spec or model "
                      "(expected a bundled example's name, a YAML/JSON spec file, a .keras file, a spec mapping, "
                      "a Network, a tensor Program, a Keras model or a torch module)")


def model_of(m, notation: str | None = None):
    """The Network (layered form, in ``notation`` if given) or tensor Program of an Imported model."""
    return m.network(notation) if m.spec is not None else m.tensor_program()


def user_factory(path: str, name: str):
    """Import the user's own ``path`` (trusted, like a test file: the command line only) and return
    ``factory()``'s ``(module, example_input)``, or ``(module, example_input, loss)`` (default loss mse)."""
    import importlib.util
    import sys
    if not TRUST_USER_CODE:
        raise DeriveError("model.py:factory is read by the command line only (it runs the file's code)")
    p = Path(path)
    if not p.is_file():
        raise DeriveError(f"{path[:200]}: no such file")
    spec = importlib.util.spec_from_file_location(f"derive_user_{p.stem}", p)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(p.resolve().parent))
    try:
        spec.loader.exec_module(module)
        factory = getattr(module, name, None)
        if not callable(factory):
            raise DeriveError(f"{path[:200]}: no function {name!r}")
        made = factory()
    except DeriveError:
        raise
    except Exception as e:      # the user's own code failed (a syntax error, an exception): its line, exit 2
        raise DeriveError(f"{path[:200]}:{name}: {type(e).__name__}: {' '.join(str(e).split())[:200]}") from None
    finally:
        sys.path.remove(str(p.resolve().parent))
    if not (isinstance(made, tuple) and len(made) in (2, 3)):
        raise DeriveError(f"{path[:200]}:{name}() must return (module, example_input) or (module, example_input, "
                          "loss)")
    return made


def read_data(m, path):
    """X and y from a CSV whose header names the columns x1..xn and y1..yk (y1 alone: class indices)."""
    from types import SimpleNamespace

    from ..codegen.train import read_csv
    shim = SimpleNamespace(meta=SimpleNamespace(inputs=m.input_columns, targets=m.target_columns))
    X, T = read_csv(path, shim)
    return X, (T[:, 0] if m.targets == "indices" else T)


def fit(source, data, *, epochs: int = 1, batch: int | None = 32, loss: str | None = None,
        optimizer: str | None = None, lr: float | None = None) -> dict:
    """``derive train model.keras --data FILE.csv --json``: the object it prints (module docstring).

    ``optimizer``/``lr`` replace the compile config's (Keras: its formulas and defaults, "momentum" is SGD
    with momentum 0.9); a PyTorch module has none: sgd (default), momentum or adam as torch.optim's, lr 0.01."""
    from ..codegen.fit import fit as run_fit
    m = imported(source, loss=loss)
    config = dict(m.optimizer) if m.optimizer else {"name": "sgd", "learning_rate": 0.01}
    if optimizer and m.framework == "keras" and optimizer != config["name"]:
        config = {"name": "sgd", "momentum": 0.9} if optimizer == "momentum" else {"name": optimizer}
        config["learning_rate"] = m.optimizer["learning_rate"] if m.optimizer else 0.01
    elif optimizer:
        config["name"] = optimizer
    if lr is not None:
        config["learning_rate"] = float(lr)
    m.optimizer = config
    if data is None:
        raise DeriveError(f"{m.name}: give the training data, --data FILE.csv with columns "
                          + ",".join(m.input_columns + m.target_columns))
    X, y = read_data(m, data)
    hist = run_fit(m, X, y, epochs=epochs, batch_size=batch)
    return {"model": m.name, "form": m.form, "optimizer": m.optimizer, "epochs": epochs,
            "batch_size": batch or len(X), "examples": len(X), "history": {"loss": hist.loss},
            "gradients": _entries(hist.start_gradients), "params": _entries(hist.params)}


def _entries(arrays: dict) -> dict:
    """{"dense/kernel[0,1]": value, ...}: every entry of every parameter, by the framework's path."""
    import numpy as np
    out = {}
    for name, a in arrays.items():
        a = np.asarray(a, dtype=float)
        for idx in np.ndindex(a.shape):
            out[f"{name}[{','.join(map(str, idx))}]" if idx else name] = float(a[idx])
    return out


def annotate(derivation, rep: dict) -> dict:
    """A verify report of an imported model with each row's framework variable (``"framework_name":
    "dense_1/kernel[0,0]"`` for V1; ``"0.weight"`` for the tensor d0_weight); others unchanged."""
    model = getattr(derivation, "net", None) or getattr(derivation, "program", None)
    m = getattr(model, "framework", None)
    if m is None:
        return rep
    for row in rep.get("params", []):
        if row.get("name") in m.entries:
            fw, idx = m.entries[row["name"]]
            row["framework_name"] = f"{fw}[{','.join(map(str, idx))}]"
    for row in rep.get("lines", []):
        name = str(row.get("name", ""))
        if name.startswith("d") and name[1:] in m.arrays:
            row["framework_name"] = m.arrays[name[1:]]
    rep["framework"] = m.framework
    return rep
