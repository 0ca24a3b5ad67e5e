"""Read a spec (YAML or JSON, layered or computation-graph form) into a validated Spec.

The spec as a whole: its top-level fields, the checks that span them (targets per output, unique names,
no name clashing with a delta), and the same document in another notation.  The parts live beside it:
``source`` (text read safely), ``fields`` (names, text, numbers, values), ``topology`` (layers or graph).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from . import rules
from ..errors import SpecError, choices, named as shown_name
from .fields import MAX_EXAMPLES, MAX_UNITS, Values, free_text, names, read_values, slug  # noqa: F401  (public)
from .naming import Notation, check_identifier, notation
from .source import MAX_BYTES, bundled_examples, parse_text, read_source  # noqa: F401  (public)
from .topology import MAX_LAYERS, MAX_PARAMS, Layer, check_unique, graph, layered  # noqa: F401  (public)

TOP_KEYS = {"name", "notation", "inputs", "layers", "graph", "loss", "targets", "fixed", "values",
            "description"}


@dataclass(frozen=True)
class Spec:
    name: str
    slug: str
    notation: Notation
    inputs: tuple[str, ...]
    params: tuple[str, ...]                  # every parameter, trainable or not, in spec order
    fixed: frozenset
    loss: str
    targets: tuple[str, ...]
    outputs: tuple[str, ...]
    layers: tuple[Layer, ...] = ()           # layered form
    nodes: tuple[tuple[str, str], ...] = ()  # graph form: (name, expression text)
    values: Values | None = None
    source: str = ""

    @property
    def layered(self) -> bool:
        return bool(self.layers)

    @cached_property
    def trainable(self) -> tuple[str, ...]:
        return tuple(p for p in self.params if p not in self.fixed)


def load_spec(path_or_name: str | Path = "seed002") -> Spec:
    """Load and validate a spec from a file path or a bundled example name."""
    text, stem = read_source(path_or_name)
    return from_dict(parse_text(text, str(path_or_name)), stem)


def from_dict(data: dict, stem: str = "network") -> Spec:
    """Validate a parsed spec mapping and return a Spec."""
    unknown = set(data) - TOP_KEYS
    if unknown and not set(data) & TOP_KEYS and not any(choices(str(k), TOP_KEYS).startswith("did you mean")
                                                      for k in list(data)[:50]):
        raise SpecError("", f"{stem}: not a derive spec (no field is one of {', '.join(sorted(TOP_KEYS))}; "
                            "a spec has inputs and layers, or graph)")       # and nothing of the file is quoted
    if unknown:
        first = sorted(map(str, unknown))[0]
        expected = "unknown field; expected one of " + ", ".join(sorted(TOP_KEYS))
        if shown_name(first).startswith("'"):
            raise SpecError(first, expected)
        raise SpecError("", f"a top-level field {shown_name(first)}: {expected}")
    name = free_text(data.get("name", stem), "name", 200)
    if "description" in data:
        free_text(data["description"], "description", 10_000, keep="\n\t")
    if "graph" in data and "layers" in data:
        raise SpecError("graph", "a spec has either layers or graph, not both")
    is_graph = "graph" in data
    nota = notation(data.get("notation") or ("graph" if is_graph else None))
    loss = data.get("loss", "half_sse" if not is_graph else "none")
    rule = rules.loss(loss)
    fixed_raw = data.get("fixed") or []
    if not isinstance(fixed_raw, list):
        raise SpecError("fixed", "expected a list of parameter names")
    fixed = {check_identifier(p, f"fixed[{k}]") for k, p in enumerate(fixed_raw)}

    if is_graph:
        inputs, params, nodes, outputs = graph(data["graph"], nota)
        layers, all_params = (), params
    else:
        inputs, layers, outputs, all_params = layered(data, nota, fixed)
        nodes = ()

    if rule.needs_targets:
        targets = names(data["targets"] if "targets" in data else len(outputs), "targets", nota.target)
        if len(targets) != len(outputs):
            raise SpecError("targets", f"expected {len(outputs)} targets (one per output), got {len(targets)}")
    else:
        if data.get("targets"):
            raise SpecError("targets", "loss 'none' takes no targets")
        if len(outputs) != 1:
            raise SpecError("loss", "loss 'none' needs exactly one output (the objective)")
        targets = ()
    for p in sorted(fixed):
        if p not in all_params:
            raise SpecError("fixed", f"unknown parameter {p!r}")

    groups = [("inputs", inputs), ("targets", targets), ("loss", (nota.loss_name,))]
    if is_graph:
        groups += [("graph.params", params), ("graph.nodes", tuple(n for n, _ in nodes))]
    else:
        for li, L in enumerate(layers):
            groups += [(f"layers[{li}].units", L.units), (f"layers[{li}] pre-activation", L.pres),
                       (f"layers[{li}].weights", tuple(w for row in L.weights for w in row)),
                       (f"layers[{li}].bias", tuple(dict.fromkeys(b for b in L.biases if b)))]
    check_unique(groups)
    nodes_named = [n for _, ns in groups for n in ns]
    named = set(nodes_named)      # a set: a 784-128-64-10 network has 110,000 names
    for n in nodes_named:
        if nota.delta(n) in named:
            raise SpecError("", f"name {nota.delta(n)!r} clashes with the delta of {n!r}")

    values = read_values(data.get("values"), inputs, all_params, targets)
    return Spec(name=name.strip(), slug=slug(stem if stem != "network" else name), notation=nota,
                inputs=inputs, params=tuple(all_params), fixed=frozenset(fixed), loss=loss,
                targets=targets, outputs=tuple(outputs), layers=layers, nodes=tuple(nodes),
                values=values, source=stem)


def in_notation(data, preset: str, stem: str = "network"):
    """The spec document ``data`` in another notation preset.

    Names the spec gave by count are generated by the preset (theta1_11 in theta, w11 in w-delta), so
    the ``values`` and ``fixed`` that name them are carried over to the new preset's names, position by
    position; names the spec wrote out stay as they are.
    """
    if not isinstance(data, dict) or not ("layers" in data or "graph" in data):
        return data
    old = from_dict(data, stem)
    bare = {k: v for k, v in data.items() if k != "values"} | {"notation": preset}
    new = from_dict({k: v for k, v in bare.items() if k != "fixed"}, stem)
    rename = {}
    for a, b in ((old.inputs, new.inputs), (old.params, new.params), (old.targets, new.targets)):
        rename.update(zip(a, b))

    def renamed(value):
        if isinstance(value, dict):
            return {rename.get(k, k) if isinstance(k, str) else k: renamed(v) for k, v in value.items()}
        if isinstance(value, list):
            return [renamed(v) for v in value]
        return value

    out = {**bare}
    if "fixed" in data:
        out["fixed"] = [rename.get(p, p) if isinstance(p, str) else p for p in data["fixed"]] \
            if isinstance(data["fixed"], list) else data["fixed"]
    if "values" in data:
        out["values"] = renamed(data["values"])
    return out
