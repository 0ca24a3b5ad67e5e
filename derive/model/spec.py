"""Read a spec (YAML or JSON, layered or computation-graph form) into a validated Spec."""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction
from importlib import resources
from pathlib import Path

import yaml

from . import rules
from .. import safeio
from ..errors import SpecError, choices
from .naming import Notation, check_identifier, notation

MAX_BYTES = 1_000_000
MAX_UNITS = 4096
MAX_LAYERS = 64
MAX_PARAMS = 200_000      # symbolic work on more than this is not what derive is for
TOP_KEYS = {"name", "notation", "inputs", "layers", "graph", "loss", "targets", "fixed", "values",
            "description"}


@dataclass(frozen=True)
class Layer:
    units: tuple[str, ...]
    activation: str
    weights: tuple[tuple[str, ...], ...]     # weights[j][i]: unit j, input i
    biases: tuple[str | None, ...]           # bias name per unit (shared: the same name), or None
    pres: tuple[str, ...]                    # pre-activation names


@dataclass(frozen=True)
class Values:
    inputs: dict
    params: dict
    targets: dict
    learning_rate: object = None
    examples: tuple = ()        # ((inputs, targets), ...): the batch of m examples; inputs/targets = the first

    @property
    def batch(self) -> tuple:
        """Every example as (inputs, targets): ``examples``, or the one of ``inputs``/``targets``."""
        return self.examples or ((self.inputs, self.targets),)


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


# ---------------------------------------------------------------------------------------------
# Reading text safely

class _NoAliasLoader(yaml.SafeLoader):
    """The pure-Python safe loader, refusing anchors and aliases (alias bombs)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            ev = self.peek_event()
            raise SpecError("", f"YAML aliases (*{ev.anchor}) are not allowed (line {ev.start_mark.line + 1})")
        ev = self.peek_event()
        if getattr(ev, "anchor", None):
            raise SpecError("", f"YAML anchors (&{ev.anchor}) are not allowed (line {ev.start_mark.line + 1})")
        return super().compose_node(parent, index)


def parse_text(text: str, source: str = "spec") -> dict:
    """Parse YAML or JSON text into a mapping, refusing aliases, deep nesting and huge input."""
    if len(text) > MAX_BYTES:
        raise SpecError("", f"{source} is larger than {MAX_BYTES} bytes")
    try:
        if text.lstrip().startswith("{"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_NoAliasLoader)
    except SpecError:
        raise
    except RecursionError:
        raise SpecError("", f"{source} is nested too deeply") from None
    except (yaml.YAMLError, json.JSONDecodeError, ValueError) as e:
        where = getattr(e, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise SpecError("", f"{source} is not valid YAML/JSON{line}: {problem}") from None
    if not isinstance(data, dict):
        raise SpecError("", f"{source} must be a mapping with 'inputs' and 'layers' or 'graph'")
    return data


def bundled_examples() -> list[str]:
    """Names of the bundled example specs (``derive verify seed002``)."""
    return sorted(p.name[:-5] for p in resources.files("derive").joinpath("examples").iterdir()
                  if p.name.endswith(".yaml"))


def read_source(path_or_name: str | Path) -> tuple[str, str]:
    """Return (text, stem) for a spec path or a bundled example name."""
    p = Path(path_or_name)
    name = str(path_or_name)
    if not safeio.exists(p) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name):
        ex = resources.files("derive").joinpath("examples", name + ".yaml")
        if ex.is_file():
            return ex.read_text(encoding="utf-8"), name
        raise SpecError("", f"no spec file or bundled example named {name!r}; examples: "
                            + ", ".join(bundled_examples()))
    return safeio.read_text(p, MAX_BYTES, str(p)), p.stem


def load_spec(path_or_name: str | Path = "seed002") -> Spec:
    """Load and validate a spec from a file path or a bundled example name."""
    text, stem = read_source(path_or_name)
    return from_dict(parse_text(text, str(path_or_name)), stem)


# ---------------------------------------------------------------------------------------------
# Validation

def _names(value, field_: str, default) -> tuple[str, ...]:
    """A list of identifiers, or a count turned into names by ``default(i)`` (1-based)."""
    if isinstance(value, bool):
        raise SpecError(field_, "expected a list of names or a count")
    if isinstance(value, int):
        if not 0 <= value <= MAX_UNITS:
            raise SpecError(field_, f"count must be between 0 and {MAX_UNITS}, got {value}")
        return tuple(default(i) for i in range(1, value + 1))
    if not isinstance(value, list):
        raise SpecError(field_, "expected a list of names or a count")
    return tuple(check_identifier(v, f"{field_}[{k}]") for k, v in enumerate(value))


def _text(value, field_: str, most: int, keep: str = "") -> str:
    """Free text (a title, a description): a non-empty string of at most ``most`` characters, with no
    control, format (bidi, zero-width), surrogate, private-use or line/paragraph separator characters
    other than those in ``keep``: they break SVG and LaTeX, reverse text or inject Markdown."""
    if not isinstance(value, str) or not value.strip() or len(value) > most:
        raise SpecError(field_, f"expected a non-empty string of at most {most} characters")
    bad = next((c for c in value if c not in keep
                and unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")), None)
    if bad is not None:
        raise SpecError(field_, f"control or bidi character U+{ord(bad):04X} is not allowed in the {field_}")
    return value


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()
    return s[:60] or "network"


def _number(v, field_: str):
    """An exact number (int, 'p/q', decimal string) as Fraction, or a float as float."""
    if isinstance(v, bool):
        raise SpecError(field_, "expected a number")
    if isinstance(v, int):
        if abs(v) > 10**12:
            raise SpecError(field_, "number out of range")
        return Fraction(v)
    if isinstance(v, float):
        if v != v or abs(v) > 1e12:
            raise SpecError(field_, "number out of range")
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,12}\s*(/\s*\d{1,12}\s*)?", v):
        try:
            return Fraction(v.replace(" ", ""))
        except ZeroDivisionError:
            raise SpecError(field_, "division by zero") from None
    raise SpecError(field_, f"expected a number, got {v!r}")


MAX_EXAMPLES = 64          # a worked example over more than this is not a lecture's example


def _named_numbers(m, allowed, required: bool, field_: str) -> dict:
    if not isinstance(m, dict):
        raise SpecError(field_, "expected a mapping of name: number")
    for k in m:
        if k not in allowed:
            raise SpecError(f"{field_}.{k}", "unknown name; " + choices(str(k), allowed, "names"))
    if required:
        missing = [n for n in allowed if n not in m]
        if missing:
            raise SpecError(field_, f"missing value for {missing[0]}")
    return {k: _number(v, f"{field_}.{k}") for k, v in m.items()}


def _examples(raw, spec_inputs, targets) -> tuple:
    if not isinstance(raw, list) or not raw:
        raise SpecError("values.examples", "expected a non-empty list of {inputs: ..., targets: ...}")
    if len(raw) > MAX_EXAMPLES:
        raise SpecError("values.examples", f"at most {MAX_EXAMPLES} examples, got {len(raw)}")
    out = []
    for i, ex in enumerate(raw):
        f = f"values.examples[{i}]"
        if not isinstance(ex, dict):
            raise SpecError(f, "expected a mapping with inputs and targets")
        extra = set(ex) - {"inputs", "targets"}
        if extra:
            raise SpecError(f"{f}.{sorted(extra)[0]}", "unknown field; expected inputs, targets")
        out.append((_named_numbers(ex.get("inputs") or {}, spec_inputs, True, f"{f}.inputs"),
                    _named_numbers(ex.get("targets") or {}, targets, True, f"{f}.targets")))
    return tuple(out)


def _values(data, spec_inputs, params, targets) -> Values | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        raise SpecError("values", "expected a mapping with inputs, params, targets")
    unknown = set(data) - {"inputs", "params", "targets", "learning_rate", "examples"}
    if unknown:
        raise SpecError(f"values.{sorted(unknown)[0]}",
                        "unknown field; expected inputs, params, targets, learning_rate, examples")
    examples = ()
    if "examples" in data:
        for key in ("inputs", "targets"):
            if key in data:
                raise SpecError(f"values.{key}", "give the inputs and targets either here or in "
                                                 "values.examples, not both")
        examples = _examples(data["examples"], spec_inputs, targets)
    out = {"params": _named_numbers(data.get("params") or {}, params, False, "values.params")}
    for key, allowed in (("inputs", spec_inputs), ("targets", targets)):
        out[key] = examples[0][key == "targets"] if examples else \
            _named_numbers(data.get(key) or {}, allowed, True, f"values.{key}")
    lr = data.get("learning_rate")
    return Values(out["inputs"], out["params"], out["targets"],
                  None if lr is None else _number(lr, "values.learning_rate"), examples)


def _bias(value, li: int, units, nota: Notation, fixed: set) -> tuple[str | None, ...]:
    f = f"layers[{li}].bias"
    n = len(units)
    if value is None or value == "none" or value is False:
        return (None,) * n
    if value == "per-unit":
        return tuple(nota.bias(li + 1, j) for j in range(1, n + 1))
    if value == "shared":
        return (nota.bias(li + 1, None),) * n
    if isinstance(value, list):
        if len(value) != n:
            raise SpecError(f, f"expected {n} bias names (one per unit), got {len(value)}")
        return tuple(check_identifier(v, f"{f}[{k}]") for k, v in enumerate(value))
    if isinstance(value, dict):
        extra = set(value) - {"name", "trainable"}
        if extra or "name" not in value:
            raise SpecError(f, "expected {name: b, trainable: true|false}")
        name = check_identifier(value["name"], f + ".name")
        if value.get("trainable", True) is False:
            fixed.add(name)
        elif value.get("trainable", True) is not True:
            raise SpecError(f + ".trainable", "expected true or false")
        return (name,) * n
    raise SpecError(f, f"expected none, per-unit, shared, a list of names or {{name, trainable}}; got {value!r}")


def _layers(data, inputs, nota: Notation, fixed: set) -> tuple[Layer, ...]:
    raw = data.get("layers")
    if not isinstance(raw, list) or not raw:
        raise SpecError("layers", "expected a non-empty list of layers")
    if len(raw) > MAX_LAYERS:
        raise SpecError("layers", f"at most {MAX_LAYERS} layers, got {len(raw)}")
    total = 0
    layers, prev, first_unit = [], inputs, 1
    for li, L in enumerate(raw):
        f = f"layers[{li}]"
        if not isinstance(L, dict):
            raise SpecError(f, "expected a mapping with units and activation")
        extra = set(L) - {"units", "activation", "weights", "bias"}
        if extra:
            raise SpecError(f"{f}.{sorted(extra)[0]}", "unknown field; expected units, activation, weights, bias")
        if "units" not in L:
            raise SpecError(f"{f}.units", "missing field")
        units = _names(L["units"], f"{f}.units",
                       lambda j: nota.unit(li + 1, len(raw), j, first_unit))
        if not units:
            raise SpecError(f"{f}.units", "a layer needs at least one unit")
        act = L.get("activation", "sigmoid")
        rules.activation(act, f"{f}.activation")
        if act == "softmax" and li != len(raw) - 1:
            raise SpecError(f"{f}.activation", "softmax is only allowed on the output layer")
        n_out, n_in = len(units), len(prev)
        total += n_out * (n_in + 1)
        if total > MAX_PARAMS:
            raise SpecError(f"{f}.units", f"the network would have more than {MAX_PARAMS} parameters")
        W = L.get("weights")
        if W is None:
            W = [[nota.weight(li + 1, j, i, first_unit + j - 1, n_out) for i in range(1, n_in + 1)]
                 for j in range(1, n_out + 1)]
        if not isinstance(W, list):
            raise SpecError(f"{f}.weights", "expected a list of rows (one per unit)")
        if len(W) != n_out:
            raise SpecError(f"{f}.weights", f"expected {n_out} rows, got {len(W)}")
        for j, row in enumerate(W):
            if not isinstance(row, list) or len(row) != n_in:
                got = len(row) if isinstance(row, list) else type(row).__name__
                raise SpecError(f"{f}.weights[{j}]", f"expected {n_in} names (one per input), got {got}")
        weights = tuple(tuple(check_identifier(w, f"{f}.weights[{j}][{i}]") for i, w in enumerate(row))
                        for j, row in enumerate(W))
        biases = _bias(L.get("bias"), li, units, nota, fixed)
        pres = tuple(nota.pre(li + 1, len(raw), j, u) for j, u in enumerate(units, 1))
        layers.append(Layer(units, act, weights, biases, pres))
        prev, first_unit = units, first_unit + n_out
    return tuple(layers)


def _check_unique(groups: list[tuple[str, tuple[str, ...]]]):
    seen: dict[str, str] = {}
    for field_, names in groups:
        for n in names:
            if n in seen:
                raise SpecError(field_, f"duplicate name {n!r} (also used in {seen[n]})")
            seen.setdefault(n, field_)


def from_dict(data: dict, stem: str = "network") -> Spec:
    """Validate a parsed spec mapping and return a Spec."""
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise SpecError(sorted(unknown)[0], "unknown field; expected one of " + ", ".join(sorted(TOP_KEYS)))
    name = _text(data.get("name", stem), "name", 200)
    if "description" in data:
        _text(data["description"], "description", 10_000, keep="\n\t")
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
        g = data["graph"]
        if not isinstance(g, dict):
            raise SpecError("graph", "expected a mapping with inputs, params, nodes, output")
        extra = set(g) - {"inputs", "params", "nodes", "output"}
        if extra:
            raise SpecError(f"graph.{sorted(extra)[0]}", "unknown field; expected inputs, params, nodes, output")
        inputs = _names(g.get("inputs") or [], "graph.inputs", nota.input)
        params = _names(g.get("params") or [], "graph.params", lambda i: f"W{i}")
        nodes_raw = g.get("nodes")
        if not isinstance(nodes_raw, dict) or not nodes_raw:
            raise SpecError("graph.nodes", "expected a mapping of node name: expression")
        if len(nodes_raw) > 2000:
            raise SpecError("graph.nodes", "at most 2000 nodes")
        nodes = []
        for k, v in nodes_raw.items():
            check_identifier(k, f"graph.nodes.{k}")
            if isinstance(v, bool) or not isinstance(v, (str, int, float)):
                raise SpecError(f"graph.nodes.{k}", "expected an expression")
            if len(str(v)) > 2000:
                raise SpecError(f"graph.nodes.{k}", "expression longer than 2000 characters")
            nodes.append((k, str(v)))
        out = g.get("output") or [nodes[-1][0]]
        outputs = _names(out if isinstance(out, list) else [out], "graph.output", None)
        for k, o in enumerate(outputs):
            if o not in nodes_raw:
                raise SpecError(f"graph.output[{k}]", f"unknown node {o!r}; " + choices(o, nodes_raw, "nodes"))
        layers = ()
        all_params = params
    else:
        if "inputs" not in data:
            raise SpecError("inputs", "missing field")
        inputs = _names(data["inputs"], "inputs", nota.input)
        if not inputs:
            raise SpecError("inputs", "a layered network needs at least one input")
        layers = _layers(data, inputs, nota, fixed)
        nodes = ()
        outputs = layers[-1].units
        seen, all_params = set(), []
        for L in layers:
            for p in [w for row in L.weights for w in row] + [b for b in L.biases if b]:
                if p not in seen:
                    seen.add(p)
                    all_params.append(p)
        all_params = tuple(all_params)
        if layers[-1].activation == "softmax" and len(outputs) < 2:
            raise SpecError(f"layers[{len(layers) - 1}].activation", "softmax needs at least two units")

    if rule.needs_targets:
        targets = _names(data["targets"] if "targets" in data else len(outputs), "targets", nota.target)
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
    _check_unique(groups)
    nodes_named = [n for _, ns in groups for n in ns]
    for n in nodes_named:
        if nota.delta(n) in nodes_named:
            raise SpecError("", f"name {nota.delta(n)!r} clashes with the delta of {n!r}")

    values = _values(data.get("values"), inputs, all_params, targets)
    return Spec(name=name.strip(), slug=_slug(stem if stem != "network" else name), notation=nota,
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
