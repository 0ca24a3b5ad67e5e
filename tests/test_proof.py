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


# -- the randomized identity test (deep networks), as sound as the exact one -----------------------

import math  # noqa: E402

import pytest  # noqa: E402

from derive.model import rules  # noqa: E402


def deep(width=2, layers=7, act="sigmoid", bias="none"):
    return derive.derive(derive.mlp([width] * layers, activation=act, loss="half_sse", bias=bias))


def test_deep_networks_are_proven_by_the_randomized_test_with_a_tiny_error_bound():
    d = deep()
    proofs = d.prove(progress=False)
    assert all(p.proven for p in proofs.values())
    first = proofs["w1_11"]
    assert first.method == "randomized" and d.gradient("w1_11").path_count > 8
    assert all(p.bound_log2 < -100 for p in proofs.values() if p.method == "randomized")
    assert first.numeric_max_error < 1e-9 and first.points == 3


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_tampered_deep_gradients_are_never_proven(act):
    d = deep(act=act, bias="per-unit")
    p = "w1_11"
    right = d.gradient(p).delta_form
    x1 = d.net.symbol("x1")
    other = d.gradient("w1_12").delta_form
    for wrong in (right + sp.Rational(1, 10**12) * x1, right * (1 + sp.Rational(1, 10**12)),
                  other, right + sp.Rational(1, 10**12)):
        proof = tampered(d, p, wrong).prove(p)
        assert proof.method == "randomized" and proof.proven is False


def test_the_randomized_test_alone_refuses_the_small_wrong_forms():
    d = derive.derive("seed002")
    x1, z1 = sp.Symbol("x1", real=True), sp.Symbol("z1", real=True)
    right = d.gradient("w11").delta_form
    g = dataclasses.replace
    for wrong in (2 * right, right + x1 * sp.Rational(1, 10**12), right.subs(x1, z1), -right):
        chain = g(d.chain, gradients={**d.chain.gradients, "w11": g(d.chain.gradients["w11"], delta_form=wrong)})
        proof = Prover(d.net, chain, d.direct, exact_max_paths=-1).prove("w11")
        assert proof.method == "randomized" and proof.proven is False
    assert Prover(d.net, d.chain, d.direct, exact_max_paths=-1).prove("w11").proven is True


@pytest.mark.parametrize("table, key, broken", [
    ("FUNCTION_RULES", rules.sigmoid, lambda out, u: out * (1 - out) * (1 + sp.Rational(1, 10**12))),
    ("FUNCTION_RULES", sp.tanh, lambda out, u: 1 - out**2 + sp.Rational(1, 10**12)),
])
def test_a_broken_rules_table_entry_is_never_proven_on_a_deep_network(monkeypatch, table, key, broken):
    monkeypatch.setitem(getattr(rules, table), key, broken)
    act = "sigmoid" if key is rules.sigmoid else "tanh"
    d = deep(act=act)
    for p in ("w1_11", "w6_11"):           # a deep (randomized) and a shallow (exact) parameter
        assert d.proof(p).proven is False


def test_exact_and_randomized_agree_on_every_bundled_example():
    # Prover raises ProofError when the exact and the randomized verdicts differ
    for name in ("seed000", "seed001", "seed002", "seed003", "seed004", "classic", "xor"):
        d = derive.derive(name)
        prover = Prover(d.net, d.chain, d.direct, exact_max_paths=10**9, exact_max_symbols=10**9)
        assert all(prover.prove(p).proven and prover.prove(p).method == "exact" for p in d.params)


def test_a_nan_is_a_failed_numeric_check_never_a_pass():
    d = derive.derive("seed001")
    prover = Prover(d.net, d.chain, d.direct)
    worst, used = prover.numeric.compare(sp.nan, d.direct.gradient("W1"))
    assert used == 3 and math.isinf(worst)


def test_the_bound_is_certified_from_degree_and_height():
    from derive.derivation.field import PRIME_BITS, failure_log2, is_prime, random_prime
    import random
    assert [n for n in range(60) if is_prime(n)] == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59]
    assert not is_prime(3215031751) and not is_prime(2**81 - 1) and is_prime(2**61 - 1)
    p = random_prime(random.Random(1))
    assert 2**PRIME_BITS <= p < 2**(PRIME_BITS + 1) and sp.isprime(p)
    d = deep()
    prover = Prover(d.net, d.chain, d.direct)
    a = prover.program.lower(prover.direct.gradient("w1_11"))
    dn, dd, hn, hd = prover.program.bounds[a]
    bound = failure_log2(prover.program, a, a)
    assert bound >= math.log2(2 * dn + 1) - PRIME_BITS - 1 and bound < -60


def test_more_points_are_drawn_until_the_bound_is_below_2_to_the_minus_100(monkeypatch):
    from derive.derivation import field
    monkeypatch.setattr(field, "PRIME_BITS", 40)       # small primes: each point certifies less
    monkeypatch.setattr(field, "LOG2_PRIMES", 33.0)
    d = deep()
    prover = Prover(d.net, d.chain, d.direct, exact_max_paths=-1)
    proof = prover.prove("w1_11")
    assert proof.proven and proof.bound_log2 <= -100 and len(prover.field) > 2
    assert all(p.bit_length() == 41 for p in (pt.p for pt in prover.field))


def test_no_proof_when_the_field_is_too_small_to_certify(monkeypatch):
    from derive.derivation import field
    monkeypatch.setattr(field, "PRIME_BITS", 6)
    monkeypatch.setattr(field, "LOG2_PRIMES", 1.0)
    d = deep()
    prover = Prover(d.net, d.chain, d.direct, exact_max_paths=-1, points=1)
    assert prover.prove("w1_11").proven is False
