"""Derive the backward pass tensor by tensor: each dNAME as a formula in forward values and earlier dNAMEs.

Walks the forward assignments last to first.  Each assignment's tree is taken apart by the rules table
(``vjp.RULES``), sending the gradient of its value to the names it reads; a name's line is written
once every assignment that reads it has sent its share (a shared weight: the shares are added, as
backprop through time sums over the steps).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..errors import DeriveError, FormulaError
from .grammar import Call, Const, Name, Num, names
from . import indexing
from .printer import TextPrinter, to_code
from .program import Program, load_program
from .shapes import Info
from .vjp import Builder, rule

# distinct primes, one per size name: a dimension's factors name the sizes it is made of
_PRIMES = (1009, 1013, 1019, 1021, 1031, 1033, 1039, 1049, 1051, 1061, 1063, 1069, 1087, 1091, 1093, 1097)


@dataclass(frozen=True)
class Line:
    name: str         # the tensor: W1, h
    target: str       # dW1
    tree: object      # the formula, over forward names and earlier d-names
    shape: tuple      # at the spec's small sizes
    kind: str         # "param" | "forward"
    shares: tuple = ()   # ((the forward name it flows back through, its share), ...): the branches added

    @property
    def code(self) -> str:
        return f"{self.target} = {to_code(self.tree)}"


@dataclass(frozen=True)
class Backward:
    program: Program
    lines: tuple

    def line(self, name: str) -> Line:
        return next(x for x in self.lines if x.name == name or x.target == name)

    def code(self) -> str:
        return "\n".join(x.code for x in self.lines)

    def text(self, line: Line) -> str:
        return f"{line.target} = {self.printer(line.tree)}"

    @property
    def printer(self) -> TextPrinter:
        prog = self.program
        c = builder(prog)
        sym_env, sym_sizes = c.sym_env, c.sym_sizes

        def axis_name(t, axis):
            from .shapes import infer
            shape = infer(t, sym_env, sym_sizes, limit=False).shape
            axis %= max(len(shape), 1)
            dim = c.dim_tree(shape[axis])
            if shape.index(shape[axis]) != axis:      # a second axis of the same size (attention's keys)
                return f"axis {axis} (the second {to_code(dim)} axis)"
            if isinstance(dim, Name) and dim.id == prog.batch:
                return "the batch"
            return to_code(dim)
        return TextPrinter(axis_name)


def builder(prog: Program) -> Builder:
    """The tree builder, with each size a distinct prime so that dimensions can be named.

    When constant slices tie sizes together (a convolution's X[:, 0:4]), only the batch size varies
    (the only size the realistic checks change) and other dimensions print as numbers.
    """
    sizes = dict(prog.sizes)
    if len(sizes) > len(_PRIMES):
        raise DeriveError(f"at most {len(_PRIMES)} size names")
    env = gradient_env(prog, sizes)
    for names_ in (list(sizes), [prog.batch] if prog.batch else []):
        sym_sizes = {**sizes, **{n: _PRIMES[i] for i, n in enumerate(names_)}}
        try:
            return Builder(env, sizes, gradient_env(prog, sym_sizes), sym_sizes)
        except FormulaError:
            continue
    return Builder(env, sizes, env, sizes)


def gradient_env(prog: Program, sizes: dict) -> dict:
    """Shapes of every leaf and forward name, and of each dNAME (NAME's shape)."""
    env = prog.shapes(sizes) if len(sizes) == len(prog.sizes) and all(
        sizes[k] == v for k, v in prog.sizes) else _shapes_unlimited(prog, sizes)
    env.update({"d" + k: Info(v.shape) for k, v in list(env.items()) if not v.integer})
    return env


def _shapes_unlimited(prog: Program, sizes: dict) -> dict:
    from .shapes import infer
    env = {t.name: Info(prog.leaf_shape(t, sizes), t.name in prog.integer_inputs) for t in prog.leaves}
    for name, tree, _ in prog.forward:
        env[name] = infer(tree, env, sizes, limit=False)
    return env


def ancestors(prog: Program) -> set:
    """Names the output depends on."""
    reads = {name: names(tree) for name, tree, _ in prog.forward}
    out, stack = set(), [prog.output]
    while stack:
        n = stack.pop()
        if n in out:
            continue
        out.add(n)
        stack.extend(reads.get(n, ()))
    return out


def derive_backward(program) -> Backward:
    """The backward pass of a Program (or a spec path / bundled example name)."""
    prog = program if isinstance(program, Program) else load_program(program)
    sizes = dict(prog.sizes)
    env = gradient_env(prog, sizes)
    c = builder(prog)
    live = ancestors(prog)
    kinds = {t.name: t.kind for t in prog.leaves}
    readers: dict = {}
    for name, tree, _ in prog.forward:
        if name in live:
            for n in names(tree):
                readers.setdefault(n, []).append(name)
    shares: dict = {}
    done: set = set()
    lines = []

    def send(node, g, y):
        if isinstance(node, Name):
            shares.setdefault(node.id, []).append(g)
            branches.setdefault(node.id, []).append((reader[0], g))
            return
        if isinstance(node, (Num, Const)) or all(n in sizes for n in names(node)):
            return          # a constant (a number, pi, sqrt(2/pi), N - 1) has no gradient
        fn, kids = rule(node)
        grads = fn(g, node, y, c)
        for kid, gk in zip(kids, grads):
            if gk is not None:
                send(kid, gk, kid)

    branches: dict = {}
    reader = [None]
    for name, tree, _ in reversed(prog.forward):
        reader[0] = name
        if name not in live:
            continue
        g = Num(Fraction(1)) if name == prog.output else Name("d" + name)
        send(tree, g, Name(name))
        done.add(name)
        ready = [n for n in names(tree) if n not in lines_written(lines) and n in shares
                 and all(r in done for r in readers.get(n, ())) and kinds.get(n) != "input"
                 and n not in prog.integer_inputs and n not in sizes]
        ready.sort(key=lambda n: (kinds.get(n) != "param",))
        for n in ready:
            total = indexing.total(c, shares[n])
            if isinstance(total, Num):       # a constant gradient: spread it to the tensor's shape
                total = c.mul(total, Call("ones_like", (Name(n),)))
            shape = env[n].shape
            got = c.shape(total)
            if got != shape:
                raise DeriveError(f"d{n}: derived a gradient of shape {got}, expected {shape} (a bug in derive)")
            lines.append(Line(n, "d" + n, total, shape, "param" if kinds.get(n) == "param" else "forward",
                              tuple(branches.get(n, ()))))
    for t in prog.leaves:
        if t.kind == "param" and t.name not in lines_written(lines):
            lines.append(Line(t.name, "d" + t.name, Call("zeros_like", (Name(t.name),)), env[t.name].shape, "param"))
    return Backward(prog, tuple(lines))


def lines_written(lines) -> set:
    return {x.name for x in lines}
