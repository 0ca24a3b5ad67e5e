"""``derive.compile(net)``: import the generated NumPy module and wrap it with parameter packing.

The source comes from ``derive.codegen``; it is written to a file and imported with importlib,
so tracebacks and debuggers show the generated lines.  Parameters travel as arrays: one matrix
W<l> and bias b<l> per layer for layered networks (``Compiled.layout`` maps every entry to the
spec's name), one scalar per parameter for computation graphs.
"""
from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import random
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .. import safeio
from ..errors import DeriveError, ProofError

if TYPE_CHECKING:          # importing this module needs numpy only (``codegen.cache`` relies on it)
    from ..model.graph import Network

CHECK_MAX_PARAMS = 120   # layered nets up to this size are checked against the per-scalar derivation


def _entries(names, index=()):
    """(index, name) for every entry of a nested-tuple layout (a bare name is a scalar)."""
    if isinstance(names, str):
        yield index, names
    else:
        for k, sub in enumerate(names):
            yield from _entries(sub, index + (k,))


def _shape(names) -> tuple[int, ...]:
    if isinstance(names, str):
        return ()
    return (len(names),) + (_shape(names[0]) if names and not isinstance(names[0], str) else ())


@dataclass(frozen=True)
class Meta:
    """What training needs to know of a spec besides the generated code (kept by ``codegen.cache``)."""
    name: str
    source: str | None                  # the spec file, for messages
    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    params: tuple[str, ...]
    trainable: tuple[str, ...]
    fan_in: dict                        # parameter -> inputs of its unit (random starts)
    given: dict                         # parameter -> its value in the spec's values
    examples: list | None               # [[{input: x}, {target: t}], ...] from values (its batch)
    learning_rate: float | None

    @classmethod
    def of(cls, net: Network) -> "Meta":
        from ..model.start import fan_ins
        spec = net.spec
        fan_in = fan_ins(spec)
        v = spec.values
        examples = None
        if v is not None:
            examples = [[{k: float(x) for k, x in ins.items()}, {k: float(x) for k, x in ts.items()}]
                        for ins, ts in v.batch]
        given = {k: float(x) for k, x in (v.params or {}).items()} if v is not None else {}
        if getattr(net, "framework", None) is not None:    # a Keras/PyTorch model starts at its own weights
            given = net.framework.layered_values()
        return cls(spec.name, getattr(spec, "source", None), tuple(spec.inputs), tuple(spec.targets),
                   tuple(net.params), tuple(net.trainable), fan_in, given,
                   examples, float(v.learning_rate) if v is not None and v.learning_rate is not None else None)


@dataclass
class Compiled:
    """Vectorised ``forward``, ``loss`` and ``gradients`` of one network, from generated code."""
    net: Network | None                 # None when loaded from the on-disk cache (``codegen.cache``)
    source: str
    path: Path
    module: object
    meta: Meta | None = field(default=None)

    @property
    def arrays(self) -> tuple[str, ...]:
        """Names of the parameter arrays, in the order the generated code reads them."""
        return self.module.PARAMS

    @property
    def layout(self) -> dict:
        return self.module.LAYOUT

    def __post_init__(self):
        if self.meta is None:
            self.meta = Meta.of(self.net)
        # The generated functions themselves, with no wrapper in between (speed at batch 1):
        #   forward(params, X) -> Y[n, k];  loss(params, X, T) -> batch-mean loss;
        #   gradients(params, X, T) -> {array name: dJ/d array (batch mean)}.
        # params maps array name -> array; X[n, i] and T[n, k] are float arrays.
        self.forward = self.module.forward
        self.loss = self.module.loss
        self.gradients = self.module.gradients
        #   loss_gradients(params, X, T) -> (loss, gradients) from one forward pass (training)
        self.loss_gradients = getattr(self.module, "loss_gradients", self._loss_gradients)

    def _loss_gradients(self, params, X, T):
        return self.loss(params, X, T), self.gradients(params, X, T)

    # -- between spec names and arrays ---------------------------------------------------------
    def pack(self, values: dict) -> dict[str, np.ndarray]:
        """Arrays from a mapping spec parameter name -> number (every parameter needed)."""
        out = {}
        for array, names in self.layout.items():
            a = np.empty(_shape(names))
            for idx, name in _entries(names):
                if name not in values:
                    raise DeriveError(f"no value for parameter {name}")
                a[idx] = float(values[name])
            out[array] = a if a.shape else float(a)
        return out

    def unpack(self, arrays: dict, trainable_only: bool = False) -> dict[str, float]:
        """Spec parameter name -> float, from arrays (a shared bias appears once)."""
        keep = set(self.meta.trainable) if trainable_only else None
        out: dict[str, float] = {}
        for array, names in self.layout.items():
            a = np.asarray(arrays[array])
            for idx, name in _entries(names):
                if keep is None or name in keep:
                    out.setdefault(name, float(a[idx]))
        return out

    def unpack_gradients(self, grads: dict) -> dict[str, float]:
        """dJ/d name for every trainable parameter (a shared bias's gradient is already summed)."""
        return self.unpack(grads, trainable_only=True)

    def masks(self) -> dict[str, np.ndarray]:
        """1.0 where an array entry is trainable, 0.0 where it is fixed (training keeps it)."""
        train = set(self.meta.trainable)
        out = {}
        for array, names in self.layout.items():
            m = np.zeros(_shape(names))
            for idx, name in _entries(names):
                m[idx] = 1.0 if name in train else 0.0
            out[array] = m if m.shape else float(m)
        return out

    def start(self, seed: int = 0) -> dict[str, np.ndarray]:
        """Starting arrays: the spec's values, a seeded random start for the rest."""
        return self.pack(start_values(self.meta, seed))


def start_values(meta: Meta | Network, seed: int = 0) -> dict[str, float]:
    """The shared seeded start (:func:`derive.model.start.start_values`) as floats.

    From a Meta (a cached network, no sympy) the same draws are made here, in the same order: each
    parameter not given draws uniform(-1/sqrt(fan-in), +1/sqrt(fan-in)); tests keep the two equal.
    """
    if not isinstance(meta, Meta):
        from ..model import start as _start
        return {p: float(v) for p, v in _start.start_values(meta, seed).items()}
    rng = random.Random(seed)
    given, fan_in = meta.given, meta.fan_in
    out = {}
    for p in meta.params:
        r = 1.0 / math.sqrt(fan_in.get(p, 1))
        draw = rng.uniform(-r, r)   # drawn for every parameter so a given value never shifts the rest
        out[p] = float(given[p]) if p in given else draw
    return out


def _cache_dir() -> Path:
    d = Path(tempfile.gettempdir()) / f"derive-compiled-{os.getuid() if hasattr(os, 'getuid') else 0}"
    d.mkdir(mode=0o700, exist_ok=True)
    return d


def load_module(source: str, name_hint: str, directory: Path | None = None):
    """Write our generated ``source`` to a file and import it (never user text)."""
    digest = hashlib.sha256(source.encode()).hexdigest()[:12]
    stem = re.sub(r"\W", "_", name_hint)[:40]
    mod_name = f"derive_compiled_{stem}_{digest}"
    path = (directory or _cache_dir()) / f"{mod_name}.py"
    if not path.exists() or path.read_text(encoding="utf-8") != source:
        safeio.write_atomic(path, source)
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, path


def compile(net: Network, check: bool = True, fused: bool = True) -> Compiled:
    """Compile a network's proven derivation into vectorised NumPy functions.

    Args:
        net: a Network (``derive.load``/``derive.mlp``).
        check: for a computation graph, prove every gradient (chain == direct) first; for a
            layered network of at most CHECK_MAX_PARAMS parameters, check the matrix-form
            gradients against the per-scalar chain-rule derivation at random points.
    Returns:
        a Compiled with ``forward``, ``loss``, ``gradients``, ``pack``, ``unpack``, ``start``.
    """
    from . import matrix as codegen
    chain = None
    if not net.spec.layered:
        from ..derivation.derivation import Derivation
        d = Derivation(net)
        chain = d.chain
        if check and not d.all_proven:
            bad = [p for p in d.params if not d.proof(p).proven]
            raise ProofError(f"compile: gradients not proven for {', '.join(bad)}")
    source = codegen.source(net, chain, fused)
    module, path = load_module(source, net.spec.slug)
    compiled = Compiled(net, source, path, module)
    if check and net.spec.layered and len(net.params) <= CHECK_MAX_PARAMS:
        worst = check_matrix_form(compiled)
        if not worst < 1e-9:
            raise ProofError(f"compile: matrix form differs from the per-scalar derivation ({worst:.3g})")
    return compiled


def check_matrix_form(compiled: Compiled, points: int = 3, seed: int = 0) -> float:
    """Largest relative difference, entry by entry, between the compiled gradients and the
    per-scalar chain-rule derivation (its delta definitions evaluated in order) at random points
    inside every function's domain (as the proof samples them; none found: one clear error)."""
    from ..derivation.chain import derive_chain
    from ..derivation.numeric import ATTEMPTS, Undefined
    from ..derivation.proof import evaluate, forward_values, random_point
    net = compiled.net
    chain = derive_chain(net)
    rng = random.Random(seed)
    worst, used, reasons = 0.0, 0, {}
    for attempt in range(ATTEMPTS):
        if used == points:
            break
        leaves = random_point(net, rng, attempt)
        try:
            vals = forward_values(net, leaves)
            memo: dict = {}
            for d in chain.deltas.values():
                vals[d.symbol] = evaluate(d.expr, vals.__getitem__, memo)
            want = {p: evaluate(g.delta_form, vals.__getitem__, memo) for p, g in chain.gradients.items()}
        except (Undefined, ZeroDivisionError) as e:
            reasons[str(e)] = reasons.get(str(e), 0) + 1
            continue
        used += 1
        by_name = {s.name: v for s, v in leaves.items()}
        X = np.array([[by_name[x] for x in net.spec.inputs]])
        T = np.array([[by_name[t] for t in net.spec.targets]]) if net.spec.targets else np.zeros((1, 0))
        with np.errstate(all="ignore"):
            got = compiled.unpack_gradients(compiled.gradients(compiled.pack(by_name), X, T))
        for p, w in want.items():
            err = abs(got[p] - w) / max(1.0, abs(w))
            worst = max(worst, math.inf if math.isnan(err) else err)      # NaN is the worst error
    if not used:
        why = max(reasons, key=reasons.get) if reasons else "no leaves"
        raise DeriveError(f"compile: no point found where the network and its gradients are defined "
                          f"({ATTEMPTS} random points tried, most often: {why})")
    return worst
