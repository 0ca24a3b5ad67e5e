"""What a backward check computes and says: the true values at one random point (``Truth``), the
comparison (``same``), and the verdicts (``LineVerdict`` per line, ``BackwardReport`` for a file)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..tensor.backward import Backward
from ..tensor.evaluate import NumpyOps, evaluate
from ..tensor.shapes import Info, infer

RTOL = 1e-8


@dataclass
class LineVerdict:
    line: int
    name: str
    correct: bool
    diagnosis: list = field(default_factory=list)    # [{"kind", "message"}]

    def to_dict(self) -> dict:
        return {"line": self.line, "name": self.name, "correct": self.correct, "diagnosis": self.diagnosis}


@dataclass
class BackwardReport:
    lines: list
    wrong_values: int = 0      # values' gradients (not parameters') found wrong before placing

    @property
    def first_wrong(self):
        return next((x.line for x in self.lines if not x.correct), None)

    @property
    def correct(self) -> bool:
        return self.first_wrong is None

    def to_dict(self) -> dict:
        return {"lines": [x.to_dict() for x in self.lines], "first_wrong": self.first_wrong}

    def __str__(self) -> str:
        w = max([len(x.name) for x in self.lines] + [4])
        out = []
        for x in self.lines:
            head = f"line {x.line:<4} {x.name:<{w}}  "
            if x.correct:
                out.append(head + "correct")
            else:
                out.append(head + "WRONG: " + x.diagnosis[0]["message"])
                out += [" " * len(head) + "       also: " + d["message"] for d in x.diagnosis[1:]]
        n = sum(x.correct for x in self.lines)
        out.append(f"{n} of {len(self.lines)} lines correct"
                   + (f"; first wrong line: {self.first_wrong}" if self.first_wrong else ""))
        return "\n".join(out)


class Truth:
    """Forward values and the true gradients at one random point (realistic sizes)."""

    def __init__(self, bw: Backward, seed: int, per_loss: int = 1):
        from ..codegen.tensor import make_values
        prog = bw.program
        self.sizes = prog.realistic()
        vals = make_values(prog, self.sizes, seed)
        env = {**vals["inputs"], **vals["params"]}
        ops = NumpyOps()
        with np.errstate(all="ignore"):
            for name, tree, _ in prog.forward:
                env[name] = np.asarray(evaluate(tree, env, ops, self.sizes))
            self.forward = dict(env)
            for line in bw.lines:
                env[line.target] = np.broadcast_to(np.asarray(evaluate(line.tree, env, ops, self.sizes), float),
                                                   self.forward[line.name].shape)
        for line in bw.lines if per_loss != 1 else ():     # a value's gradient for the sum of per_loss losses
            if line.kind != "param":
                env[line.target] = env[line.target] * per_loss
        self.env = env
        self.integer = set(prog.integer_inputs)
        self.shapes = {k: np.shape(v) for k, v in env.items()}

    def value(self, tree, target: str, helpers: dict):
        env = {k: v for k, v in self.env.items() if k != target}
        env.update(helpers)
        # shapes first: a line that would build a huge tensor is refused before any arithmetic
        infer(tree, {k: Info(np.shape(v), k in self.integer) for k, v in env.items()}, self.sizes)
        with np.errstate(all="ignore"):
            return np.asarray(evaluate(tree, env, NumpyOps(), self.sizes), dtype=float)


def same(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or not np.all(np.isfinite(a)):
        return False
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    return bool(np.all(np.abs(a - b) <= RTOL * scale))
