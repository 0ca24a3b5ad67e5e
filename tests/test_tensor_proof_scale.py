"""Tensor proofs at ordinary widths: batchnorm and the backprop-ninja MLP at H = 64.

Each root u^(1/q) is a fresh variable (u^(p/q) = r^p), so no point has to be one where 64 square roots
exist at once (with true roots in GF(p), each exists with chance 1/2: a point for H = 64 had chance
2^-64).  The independent oracle is central differences of the float loss at the same size; wrong
lines (a gradient scaled by 1 + 1e-6, one entry of one gradient changed) must not prove.
"""
import dataclasses
from fractions import Fraction

import numpy as np
import pytest

from derive.tensor.backward import Backward, derive_backward
from derive.tensor.program import load_program
from derive.tensor.proof import TARGET_LOG2, prove_backward
from derive.tensor.tree import Bin, Name, Num, Scatter


@pytest.fixture(scope="module", params=["batchnorm", "ninja"])
def program(request):
    return load_program(request.param)


def test_batchnorm_and_ninja_prove_at_h_64_with_the_bound_stated(program):
    proofs = prove_backward(program, sizes={"H": 64})
    assert all(p.proven for p in proofs.values()), [p.name for p in proofs.values() if not p.proven]
    assert all(p.bound_log2 <= TARGET_LOG2 for p in proofs.values())
    widths = {p.name: p.entries for p in proofs.values()}
    assert widths["dW1" if "dW1" in widths else "dW"] % 64 == 0      # the proof really ran at H = 64


def test_a_scaled_gradient_line_does_not_prove_at_h_64(program):
    bw = derive_backward(program)
    param = next(x for x in bw.lines if x.kind == "param" and x.name.startswith("W"))
    wrong = dataclasses.replace(param, tree=Bin("*", Num(Fraction(1000001, 1000000)), param.tree))
    lines = tuple(wrong if x is param else x for x in bw.lines)
    proofs = prove_backward(Backward(bw.program, lines), sizes={"H": 64}, points=1)
    assert not proofs[param.name].proven
    assert proofs[param.name].first_failure is not None
    assert all(p.proven for n, p in proofs.items() if n != param.name)


def test_one_entry_changed_is_found():
    """dgamma with 1 added to its first entry only: the random direction over all 64 entries sees it."""
    prog = load_program("batchnorm")
    bw = derive_backward(prog)
    line = bw.line("gamma")
    bump = Scatter(Num(Fraction(1)), Name("gamma"), (Num(Fraction(0)),))     # zeros like gamma, 1 at [0]
    wrong = dataclasses.replace(line, tree=Bin("+", line.tree, bump))
    proofs = prove_backward(Backward(prog, tuple(wrong if x is line else x for x in bw.lines)),
                            sizes={"H": 64}, points=1)
    assert not proofs["gamma"].proven and proofs["gamma"].first_failure == (0,)
    assert all(p.proven for n, p in proofs.items() if n != "gamma")


def test_the_proven_gradient_matches_finite_differences_at_h_64():
    """The independent oracle: central differences of the float loss, batchnorm at H = 64."""
    from derive.tensor.evaluate import NumpyOps, evaluate
    prog = load_program("batchnorm")
    sizes = {**dict(prog.sizes), "H": 64}
    rng = np.random.default_rng(1)
    env = {t.name: rng.standard_normal(prog.leaf_shape(t, sizes)) for t in prog.leaves}

    def loss(e):
        e = dict(e)
        for name, tree, _ in prog.forward:
            e[name] = evaluate(tree, e, NumpyOps(), sizes)
        return float(e[prog.output]), e
    J, full = loss(env)
    bw = derive_backward(prog)
    for line in bw.lines:
        full[line.target] = evaluate(line.tree, full, NumpyOps(), sizes)
    for name in ("W", "gamma"):
        g = np.broadcast_to(full["d" + name], env[name].shape)
        for idx in [(0,) * env[name].ndim, tuple(s - 1 for s in env[name].shape)]:
            h = 1e-6
            up, down = dict(env), dict(env)
            up[name] = env[name].copy()
            down[name] = env[name].copy()
            up[name][idx] += h
            down[name][idx] -= h
            fd = (loss(up)[0] - loss(down)[0]) / (2 * h)
            assert abs(fd - g[idx]) < 1e-6 * max(1.0, abs(fd))
