"""The layer-form proof (every entry of a layer at once) against the per-parameter proof.

The per-parameter proof (SymEngine's derivative of the substituted loss, one parameter at a time) is
the oracle: on random networks both say "proven" for every parameter; a gradient with one entry of one
layer changed must not prove, and the layer proof must name exactly that entry.
"""
import dataclasses
import random

import pytest
import sympy as sp

import derive
from derive.derivation.derivation import LAYER_MIN_PARAMS, Derivation
from derive.derivation.layers import LayerProver, groups


def random_network(seed: int):
    rng = random.Random(seed)
    sizes = [rng.randint(2, 4) for _ in range(rng.randint(3, 5))]
    act = rng.choice(["sigmoid", "tanh", "relu"])
    if rng.random() < 0.4:
        sizes[-1] = max(sizes[-1], 2)
        return derive.mlp(sizes, activation=act, loss="ce", output_activation="softmax",
                          bias=rng.choice(["per-unit", "shared", None]))
    loss = rng.choice(["half_sse", "mse", "sse"]) if act != "sigmoid" else rng.choice(["half_sse", "bce"])
    return derive.mlp(sizes, activation=act, loss=loss, bias=rng.choice(["per-unit", "shared", None]))


def layer_proofs(d: Derivation) -> dict:
    return LayerProver(d._prover).prove_all(list(d.params))


def with_gradient(d: Derivation, param: str, form) -> Derivation:
    """The same derivation with dJ/dparam's chain-rule result replaced by ``form``."""
    g = d.chain.gradients[param]
    d.chain.gradients[param] = dataclasses.replace(g, delta_form=form)
    return d


@pytest.mark.parametrize("seed", range(8))
def test_layer_form_agrees_with_the_per_parameter_proof(seed):
    d = Derivation(random_network(seed))
    by_layer = layer_proofs(d)
    per_param = {p: d._prover.prove(p) for p in d.params}
    assert all(per_param[p].proven for p in d.params)           # the oracle: every gradient is right
    assert all(by_layer[p].proven for p in d.params)
    assert {by_layer[p].method for p in d.params} == {"layer"}
    assert all(by_layer[p].bound_log2 < -100 for p in d.params)
    assert all(by_layer[p].numeric_max_error < 1e-5 and by_layer[p].points >= 1 for p in d.params)


@pytest.mark.parametrize("seed", range(6))
def test_one_wrong_entry_of_one_layer_does_not_prove_and_is_named(seed):
    rng = random.Random(100 + seed)
    net = derive.mlp([4, 5, 4, 3], activation=rng.choice(["sigmoid", "tanh"]), loss="half_sse", bias="per-unit")
    d = Derivation(net)
    layer_name, members = rng.choice(groups(net))
    param = rng.choice(members)
    right = d.chain.gradients[param].delta_form
    other = d.chain.gradients[rng.choice([p for p in members if p != param])].delta_form
    wrong = rng.choice([right * (1 + sp.Rational(1, 10**9)),      # off in the ninth digit
                        other,                                   # another entry's gradient (a transposed index)
                        -right,                                  # a sign
                        right + sp.Rational(1, 10**12)])
    with_gradient(d, param, wrong)
    proofs = layer_proofs(d)
    assert not proofs[param].proven
    assert [p for p in d.params if not proofs[p].proven] == [param], layer_name
    assert all(proofs[p].method == "layer" for p in d.params if p not in members)


def test_a_wrong_activation_derivative_everywhere_in_a_layer_does_not_prove():
    """Every entry of the first layer's gradient doubled (a 1/2 of the loss lost on the way down)."""
    net = derive.mlp([3, 4, 2], activation="sigmoid", loss="half_sse", bias="per-unit")
    d = Derivation(net)
    first = dict(groups(net))["layer 1"]
    for p in first:
        form = d.chain.gradients[p].delta_form
        d.chain.gradients[p] = dataclasses.replace(d.chain.gradients[p], delta_form=2 * form)
    proofs = layer_proofs(d)
    assert not any(proofs[p].proven for p in first)
    assert all(proofs[p].proven for p in d.params if p not in first)


def test_prove_uses_the_layer_form_above_the_threshold_and_proof_stays_per_parameter():
    big = Derivation(derive.mlp([8, 8, 2], activation="sigmoid", loss="half_sse", bias="per-unit"))
    assert len(big.params) > LAYER_MIN_PARAMS and big.layer_form
    assert {p.method for p in big.prove(progress=False).values()} == {"layer"}
    small = Derivation(derive.mlp([2, 2, 1], activation="sigmoid", loss="half_sse"))
    assert not small.layer_form
    assert {p.method for p in small.prove(progress=False).values()} <= {"exact", "randomized"}
    fresh = Derivation(derive.mlp([8, 8, 2], activation="sigmoid", loss="half_sse", bias="per-unit"))
    assert fresh.proof("W2_11" if "W2_11" in fresh.params else fresh.params[-1]).method != "layer"


def test_layer_groups_cover_every_trainable_parameter_once():
    net = derive.mlp([3, 4, 4, 2], activation="tanh", loss="mse", bias="shared")
    members = [p for _, g in groups(net) for p in g]
    assert sorted(members) == sorted(net.trainable) and len(members) == len(set(members))


def test_verify_json_gives_large_expressions_by_size_and_full_gives_them():
    from derive import api
    from derive.derivation.report import MAX_NODES, tree_size
    net = derive.mlp([2] * 8, activation="sigmoid", loss="half_sse", bias="per-unit")
    d = Derivation(net)
    short = api.verify(d)
    first = short["params"][0]
    big = tree_size(d.direct.gradient(first["name"]))
    assert big > MAX_NODES and first["direct"] is None
    assert first["omitted"]["direct"].startswith(f"{big:,} nodes")
    assert first["delta_form"] == str(d.gradient(first["name"]).delta_form) and first["proven"]
    full = api.verify(d, full=True)
    assert full["params"][0]["direct"] == str(d.direct.gradient(first["name"]))
    small = Derivation(derive.load("seed002"))      # a small network's expressions are all given as text
    rows = api.verify(small)["params"]
    assert all(r["direct"] == str(small.direct.gradient(r["name"])) and "omitted" not in r for r in rows)


def test_tree_size_counts_the_printed_tree():
    import sympy
    from derive.derivation.report import tree_size
    x, y = sympy.symbols("x y")
    shared = sympy.exp(x * y) + 1
    e = shared * sympy.log(shared) + shared ** 2
    assert tree_size(e) == sum(1 for _ in sympy.preorder_traversal(e))
