"""The Derivation object: a network derived both ways, proven, and queried."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Iterable

import sympy as sp

from ..model.graph import Network
from ..model.build import load
from .chain import ChainDerivation, Delta, Gradient, Path as ChainPath, derive_chain
from .direct import DirectDerivation
from .proof import Proof, Prover


LAYER_MIN_PARAMS = 64   # above this, a layered network's prove() proves the layer (matrix) form


class Derivation:
    """Every trainable parameter's gradient by the chain rule and by sympy.diff, with proofs."""

    def __init__(self, net: Network):
        self.net = net
        self.chain: ChainDerivation = derive_chain(net)
        self.proofs: dict[str, Proof] = {}

    @cached_property
    def direct(self) -> DirectDerivation:
        return DirectDerivation(self.net)

    @cached_property
    def _prover(self) -> Prover:
        # the layer proof checks one float point per layer (a forward pass of a large network costs seconds)
        return Prover(self.net, self.chain, self.direct, points=1 if self.layer_form else 3)

    @property
    def layer_form(self) -> bool:
        """Whether ``prove()`` proves a layer at a time (layered networks of more than LAYER_MIN_PARAMS
        trainable parameters); ``proof(param)`` and ``prove([...])`` always prove one parameter at a time."""
        return self.net.spec.layered and len(self.params) > LAYER_MIN_PARAMS

    @property
    def params(self) -> tuple[str, ...]:
        return self.net.trainable

    def _check(self, param: str) -> str:
        if param not in self.chain.gradients:
            from ..errors import DeriveError, choices
            what = "a fixed parameter" if param in self.net.params else "not a parameter"
            raise DeriveError(f"{param} is {what}; " + choices(param, self.params, "trainable parameters"))
        return param

    def gradient(self, param: str) -> Gradient:
        """The chain-rule record for dL/d param: paths, terms, delta form."""
        return self.chain.gradients[self._check(param)]

    def paths(self, param: str) -> tuple[ChainPath, ...]:
        return self.gradient(param).paths

    @property
    def deltas(self) -> dict[str, Delta]:
        return self.chain.deltas

    def in_nodes(self, param: str) -> sp.Expr:
        """The gradient with every delta substituted: an expression in node values (small nets)."""
        expr = self.gradient(param).delta_form
        defs = self.chain.delta_definitions()
        while expr.free_symbols & defs.keys():
            expr = expr.xreplace(defs)
        return expr

    def direct_gradient(self, param: str) -> sp.Expr:
        """dL/d param by sympy.diff of the fully substituted loss."""
        return self.direct.gradient(self._check(param))

    def proof(self, param: str) -> Proof:
        """Prove chain == direct for one parameter (cached)."""
        if param not in self.proofs:
            self.proofs[param] = self._prover.prove(self._check(param))
        return self.proofs[param]

    def prove(self, params: Iterable[str] | None = None, progress: bool | None = None) -> dict[str, Proof]:
        """Prove every (or the given) parameter, with a progress bar on a terminal."""
        todo = list(params) if params is not None else list(self.params)
        if params is None and self.layer_form:
            from .layers import LayerProver
            self.proofs.update(LayerProver(self._prover).prove_all([p for p in todo if p not in self.proofs]))
        left = [p for p in todo if p not in self.proofs]
        if progress is None:       # tqdm's own rule: a bar on a terminal only
            import sys
            progress = bool(left) and sys.stderr is not None and sys.stderr.isatty()
        if progress and left:      # tqdm is imported only to draw a bar (its import is 0.05 s of a process)
            from tqdm import tqdm
            left = tqdm(left, desc="proving", unit="param", leave=False)
        for p in left:
            self.proof(p)
        return {p: self.proofs[p] for p in todo}

    @property
    def all_proven(self) -> bool:
        return all(self.proof(p).proven for p in self.params)

    def _repr_html_(self) -> str:   # Jupyter: drawn by the notes stage (derive.jupyter)
        from ..jupyter import html
        return html(self)


def derive(net: Network | str | Path) -> Derivation:
    """Derive a network (or a spec path / example name) both ways; prove lazily or with .prove()."""
    if not isinstance(net, Network):
        net = load(net)
    return Derivation(net)
