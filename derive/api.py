"""The Python surface: load or build a network, derive it both ways, prove, query."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Iterable

import sympy as sp

from .chain import ChainDerivation, Delta, Gradient, Path as ChainPath, derive_chain
from .direct import DirectDerivation
from .graph import Network
from .proof import Proof, Prover
from .spec import from_dict, load_spec


def load(path_or_name: str | Path = "seed002") -> Network:
    """Load a spec file (YAML/JSON) or a bundled example by name (``"seed001"``)."""
    return Network(load_spec(path_or_name))


def mlp(sizes: Iterable[int], activation: str = "sigmoid", loss: str = "half_sse", *,
        output_activation: str | None = None, bias: str | None = None,
        notation: str | None = None, name: str | None = None) -> Network:
    """Build a layered network from layer sizes, e.g. ``mlp([2, 2, 2])``.

    Args:
        sizes: input count, then the unit count of every layer.
        activation: hidden layers' activation; ``output_activation`` defaults to it.
        loss: half_sse | sse | mse | bce | ce.
        bias: None, "per-unit" or "shared" for every layer.
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        from .errors import SpecError
        raise SpecError("sizes", "expected the input count and at least one layer size")
    layers = [{"units": n, "activation": activation} for n in sizes[1:]]
    layers[-1]["activation"] = output_activation or activation
    for L in layers:
        if bias:
            L["bias"] = bias
    spec = {"name": name or "-".join(map(str, sizes)) + f" {activation} network", "inputs": sizes[0],
            "layers": layers, "loss": loss}
    if notation:
        spec["notation"] = notation
    return Network(from_dict(spec, "mlp-" + "-".join(map(str, sizes))))


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
        return Prover(self.net, self.chain, self.direct)

    @property
    def params(self) -> tuple[str, ...]:
        return self.net.trainable

    def _check(self, param: str) -> str:
        if param not in self.chain.gradients:
            from .errors import DeriveError
            what = "a fixed parameter" if param in self.net.params else "not a parameter"
            raise DeriveError(f"{param} is {what}; trainable parameters: {', '.join(self.params)}")
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
        from tqdm import tqdm
        todo = list(params) if params is not None else list(self.params)
        for p in tqdm(todo, desc="proving", unit="param", disable=(None if progress is None else not progress),
                      leave=False):
            self.proof(p)
        return {p: self.proofs[p] for p in todo}

    @property
    def all_proven(self) -> bool:
        return all(self.proof(p).proven for p in self.params)


def derive(net: Network | str | Path) -> Derivation:
    """Derive a network (or a spec path / example name) both ways; prove lazily or with .prove()."""
    if not isinstance(net, Network):
        net = load(net)
    return Derivation(net)
