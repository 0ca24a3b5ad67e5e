"""Read a tensor-program spec (``tensor:`` sizes, inputs, params, forward, output) into a Program.

Every name is validated, every forward expression parsed by our grammar and its shape inferred, so a
bad program fails here with one line naming the assignment (``forward.logits: cannot matmul ...``).
"""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from .. import safeio
from ..errors import FormulaError, SpecError, choices
from ..model.naming import check_identifier
from ..model.source import bundled_tensor_examples
from ..model.spec import parse_text, read_source
from . import grammar
from .grammar import Call, Index, Name, walk
from .shapes import Info, const_int, fmt, infer

MAX_ASSIGNMENTS = 300
MAX_SIZE = 4096
DATA_KINDS = ("normal", "one_hot", "positive")
TOP_KEYS = {"name", "description", "tensor"}
KEYS = {"sizes", "inputs", "params", "forward", "output"}


@dataclass(frozen=True)
class Tensor:
    name: str
    dims: tuple            # size names or integers
    kind: str              # "input" | "param"
    data: str = "normal"   # inputs: how training data is drawn (normal | one_hot | positive)


@dataclass(frozen=True)
class Program:
    name: str
    slug: str
    sizes: tuple                   # ((name, small size), ...)
    leaves: tuple                  # Tensor, inputs then params, in spec order
    forward: tuple                 # ((name, tree, text), ...)
    output: str
    index_ranges: tuple = ()       # ((integer input, how many values it takes), ...)

    @property
    def inputs(self) -> tuple:
        return tuple(t.name for t in self.leaves if t.kind == "input")

    @property
    def params(self) -> tuple:
        return tuple(t.name for t in self.leaves if t.kind == "param")

    @property
    def integer_inputs(self) -> dict:
        return dict(self.index_ranges)

    @property
    def batch(self) -> str | None:
        """The batch size's name: the first dimension of the first input (None if it has none)."""
        first = next((t for t in self.leaves if t.kind == "input" and t.dims), None)
        return first.dims[0] if first is not None and isinstance(first.dims[0], str) else None

    def size_env(self, **override) -> dict:
        env = dict(self.sizes)
        env.update(override)
        return env

    def realistic(self, batch: int = 64) -> dict:
        """Sizes for numeric checks: the batch at ``batch`` (N = 32 and more), the rest as given."""
        return self.size_env(**({self.batch: max(batch, dict(self.sizes)[self.batch])} if self.batch else {}))

    def leaf_shape(self, t: Tensor, sizes: dict) -> tuple:
        return tuple(sizes[d] if isinstance(d, str) else d for d in t.dims)

    def shapes(self, sizes: dict | None = None) -> dict:
        """name -> Info for every leaf and forward name at these sizes."""
        sizes = sizes or dict(self.sizes)
        env = {t.name: Info(self.leaf_shape(t, sizes), t.name in self.integer_inputs) for t in self.leaves}
        for name, tree, _ in self.forward:
            env[name] = infer(tree, env, sizes)
        return env

    def uses(self) -> dict:
        """name -> forward names whose expression reads it."""
        out: dict = {}
        for name, tree, _ in self.forward:
            for n in grammar.names(tree):
                out.setdefault(n, []).append(name)
        return out


def is_tensor_spec(path_or_name) -> bool:
    """True if a spec path or bundled name holds a tensor program (``tensor:`` at the top)."""
    if not safeio.exists(str(path_or_name)):     # a NUL byte or an overlong name is simply not a file
        return str(path_or_name) in bundled_tensor_examples()
    try:
        text, _ = read_source(path_or_name)
        return "tensor" in parse_text(text, str(path_or_name))
    except SpecError:
        return False


def load_program(path_or_name) -> Program:
    """A tensor program from a spec file or a bundled tensor example's name (``cs231n``)."""
    name = str(path_or_name)
    if not safeio.exists(name) and name in bundled_tensor_examples():
        text = resources.files("derive").joinpath("examples", "tensor", name + ".yaml").read_text("utf-8")
        return from_dict(parse_text(text, name), name)
    text, stem = read_source(path_or_name)
    return from_dict(parse_text(text, name), stem)


def _mapping(value, field: str) -> dict:
    if not isinstance(value, dict):
        raise SpecError(field, "expected a mapping")
    return value


def _dims(value, field: str, sizes: dict) -> tuple:
    if not isinstance(value, list) or len(value) > 4:
        raise SpecError(field, "expected a list of at most 4 size names or integers, e.g. [N, D]")
    out = []
    for k, d in enumerate(value):
        if isinstance(d, bool) or not (isinstance(d, str) and d in sizes or isinstance(d, int) and 1 <= d <= MAX_SIZE):
            raise SpecError(f"{field}[{k}]", f"unknown size {d!r}; " + choices(str(d), sizes, "sizes"))
        out.append(d)
    return tuple(out)


def from_dict(data: dict, stem: str = "program") -> Program:
    """Validate a parsed tensor spec and return a Program."""
    unknown = set(data) - TOP_KEYS
    if unknown:
        raise SpecError(sorted(unknown)[0], "unknown field; a tensor spec has name, description, tensor")
    title = data.get("name", stem)
    if not isinstance(title, str) or not title.strip() or len(title) > 200 or not title.isprintable():
        raise SpecError("name", "expected a printable string of at most 200 characters")
    t = _mapping(data.get("tensor"), "tensor")
    extra = set(t) - KEYS
    if extra:
        raise SpecError(sorted(extra)[0], "unknown field; expected " + ", ".join(sorted(KEYS)))
    sizes = {}
    for k, v in _mapping(t.get("sizes") or {}, "sizes").items():
        check_identifier(k, f"sizes.{k}")
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_SIZE:
            raise SpecError(f"sizes.{k}", f"expected an integer from 1 to {MAX_SIZE}")
        sizes[k] = v
    leaves, seen = [], set(sizes)
    for kind, key in (("input", "inputs"), ("param", "params")):
        for k, v in _mapping(t.get(key) or {}, key).items():
            _name(k, f"{key}.{k}", seen)
            data_kind = "normal"
            if isinstance(v, dict) and kind == "input":
                data_kind = v.get("data", "normal")
                if data_kind not in DATA_KINDS or set(v) - {"shape", "data"}:
                    raise SpecError(f"{key}.{k}", "expected [dims] or {shape: [dims], data: "
                                                  + " | ".join(DATA_KINDS) + "}")
                v = v.get("shape")
            leaves.append(Tensor(k, _dims(v, f"{key}.{k}", sizes), kind, data_kind))
    if not any(x.kind == "param" for x in leaves):
        raise SpecError("params", "a tensor program needs at least one parameter")
    raw = _mapping(t.get("forward"), "forward")
    if not raw:
        raise SpecError("forward", "expected at least one assignment")
    if len(raw) > MAX_ASSIGNMENTS:
        raise SpecError("forward", f"at most {MAX_ASSIGNMENTS} assignments")
    forward = []
    for k, v in raw.items():
        _name(k, f"forward.{k}", seen)
        try:
            tree = grammar.parse(v)
        except FormulaError as e:
            raise SpecError(f"forward.{k}", str(e)) from None
        if any(isinstance(n, grammar.Scatter) for n in walk(tree)):
            raise SpecError(f"forward.{k}", "scatter(...) is how a backward file writes a slice's gradient, "
                                            "not a forward step")
        forward.append((k, tree, str(v)))
    for n in list(seen):
        if "d" + n in seen:
            raise SpecError("", f"name {'d' + n!r} clashes with the gradient of {n!r} (dNAME is dJ/dNAME)")
    _order(forward, {x.name for x in leaves}, sizes)
    output = t.get("output", forward[-1][0])
    if not isinstance(output, str) or output not in raw:          # a list or a mapping is not a name (fuzz)
        raise SpecError("output", f"unknown output {str(output)[:40]!r}; " + choices(str(output), raw, "forward names"))
    prog = Program(title.strip(), stem, tuple(sizes.items()), tuple(leaves), tuple(forward), output)
    prog = _with_index_ranges(prog)
    shapes = {}
    env = {x.name: Info(prog.leaf_shape(x, sizes), x.name in prog.integer_inputs) for x in leaves}
    for name, tree, _ in forward:
        try:
            env[name] = shapes[name] = infer(tree, env, sizes)
        except FormulaError as e:
            raise SpecError(f"forward.{name}", str(e)) from None
        if env[name].integer:
            raise SpecError(f"forward.{name}", "an integer input is only for indexing (embedding lookup)")
    if shapes[output].shape != ():
        raise SpecError("output", f"{output} has shape {fmt(shapes[output].shape)}, not a scalar")
    return prog


def _name(k, field: str, seen: set):
    check_identifier(k, field)
    if k in grammar.RESERVED:
        why = ("is Python's constant" if k in ("None", "True", "False") else "is the constant pi" if k == "pi"
               else "is the NumPy module the generated code uses" if k in ("np", "numpy")
               else "names a function the generated code defines")
        raise SpecError(field, f"{k!r} {why}; choose another name")
    if k in seen:
        raise SpecError(field, f"duplicate name {k!r}")
    seen.add(k)


def _order(forward: list, leaves: set, sizes: dict):
    """Each assignment may read leaves, sizes and earlier names: report cycles and forward references."""
    reads = {name: grammar.names(tree) for name, tree, _ in forward}
    defined = set(leaves) | set(sizes)
    for name, _, _ in forward:
        for n in reads[name]:
            if n in defined:
                continue
            if n not in reads:
                raise SpecError(f"forward.{name}", f"unknown name {n!r}; " + choices(n, sorted(defined), "names"))
            path = _cycle(n, name, reads, [name, n])
            if path:
                raise SpecError(f"forward.{name}", "cycle " + " -> ".join(path))
            raise SpecError(f"forward.{name}", f"uses {n!r} before it is assigned (assignments run in order)")
        defined.add(name)


def _cycle(at: str, target: str, reads: dict, path: list) -> list | None:
    for n in reads.get(at, ()):
        if n == target:
            return path + [target]
        if n in reads and n not in path and len(path) < 50:
            found = _cycle(n, target, reads, path + [n])
            if found:
                return found
    return None


def _with_index_ranges(prog: Program) -> Program:
    """Integer inputs: those that index a tensor (values 0..size-1 of that axis) or feed one_hot."""
    sizes = dict(prog.sizes)
    leaf = {x.name for x in prog.leaves if x.kind == "input"}
    ranges: dict = {}
    env = {x.name: Info(prog.leaf_shape(x, sizes)) for x in prog.leaves}
    for name, tree, _ in prog.forward:
        for node in walk(tree):
            if isinstance(node, Index):
                try:
                    shape = infer(node.x, env, sizes).shape
                except FormulaError:
                    continue
                axis = 0
                for it in node.items:
                    if isinstance(it, Name) and it.id in leaf and axis < len(shape):
                        ranges[it.id] = min(ranges.get(it.id, shape[axis]), shape[axis])
                    if not (isinstance(it, grammar.Const) and it.value is None):
                        axis += 1
            if isinstance(node, Call) and node.fn == "one_hot" and isinstance(node.args[0], Name):
                try:
                    ranges[node.args[0].id] = const_int(node.args[1], sizes)
                except FormulaError as e:
                    raise SpecError(f"forward.{name}", str(e)) from None
        env2 = dict(env)
        for k in ranges:
            env2[k] = Info(env[k].shape, True)
        try:
            env[name] = infer(tree, env2, sizes)
        except FormulaError:
            break       # the full check in from_dict reports it
        env.update({k: Info(env[k].shape, True) for k in ranges})
    return Program(prog.name, prog.slug, prog.sizes, prog.leaves, prog.forward, prog.output,
                   tuple(sorted(ranges.items())))
