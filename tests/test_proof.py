"""The proof says no to a wrong chain-rule result, and yes only when it is exactly right."""
import dataclasses

import sympy as sp

import derive
from derive.derivation.proof import Prover


def tampered(d, param, new_form):
    g = dataclasses.replace(d.chain.gradients[param], delta_form=new_form)
    chain = dataclasses.replace(d.chain, gradients={**d.chain.gradients, param: g})
    return Prover(d.net, chain, d.direct)


def test_a_wrong_gradient_is_not_proven():
    d = derive.derive("seed002")
    x1, z1 = sp.Symbol("x1", real=True), sp.Symbol("z1", real=True)
    right = d.gradient("w11").delta_form
    for wrong in (2 * right, right + x1 * sp.Rational(1, 10**9), right.subs(x1, z1), -right):
        proof = tampered(d, "w11", wrong).prove("w11")
        assert proof.proven is False


def test_the_seed_formula_written_out_is_proven():
    d = derive.derive("seed002")
    S = lambda n: sp.Symbol(n, real=True)  # noqa: E731
    y1, y2, yt1, yt2, z1, x1, w31, w41 = map(S, "y1 y2 yt1 yt2 z1 x1 w31 w41".split())
    seed = ((y1 - yt1) * y1 * (1 - y1) * w31 + (y2 - yt2) * y2 * (1 - y2) * w41) * z1 * (1 - z1) * x1
    assert tampered(d, "w11", seed).prove("w11").proven is True


def test_a_tiny_numeric_difference_is_caught_exactly():
    # 1e-12 * x1 is far below any numeric tolerance; the exact decision still says "not equal"
    d = derive.derive("seed001")
    A = sp.Symbol("A", real=True)
    p = tampered(d, "W1", d.gradient("W1").delta_form + sp.Rational(1, 10**12) * A).prove("W1")
    assert p.proven is False and p.numeric_max_error < 1e-9
