"""The seeds' own hand derivations, as exact sympy equalities against derive's chain rule."""
import sympy as sp

import derive


def S(name):
    return sp.Symbol(name, real=True)


def expand_deltas(d, expr):
    defs = d.chain.delta_definitions()
    while expr.free_symbols & defs.keys():
        expr = expr.xreplace(defs)
    return expr


def test_seed002_hidden_weight_w11():
    # seed 002: dE/dw11 = (delta_y1 w31 + delta_y2 w41) z1 (1 - z1) x1,
    # with delta_yk = (yk - ytk) yk (1 - yk)
    d = derive.derive("seed002")
    y1, y2, yt1, yt2, z1, x1, w31, w41 = map(S, "y1 y2 yt1 yt2 z1 x1 w31 w41".split())
    dy1 = (y1 - yt1) * y1 * (1 - y1)
    dy2 = (y2 - yt2) * y2 * (1 - y2)
    seed = (dy1 * w31 + dy2 * w41) * z1 * (1 - z1) * x1
    assert sp.expand(expand_deltas(d, d.gradient("w11").delta_form) - seed) == 0
    assert sp.expand(d.in_nodes("w11") - seed) == 0
    # the memoised form: dE/dw11 = delta_h x1, delta_h defined once
    assert d.gradient("w11").delta_form == S("delta_z1") * x1
    assert sp.expand(d.deltas["a1_1"].expr.subs({S("delta_y1"): dy1, S("delta_y2"): dy2})
                     - (dy1 * w31 + dy2 * w41) * z1 * (1 - z1)) == 0


def test_seed002_output_weight_w31():
    d = derive.derive("seed002")
    y1, yt1, z1 = map(S, "y1 yt1 z1".split())
    assert d.gradient("w31").delta_form == S("delta_y1") * z1
    assert sp.expand(d.in_nodes("w31") - (y1 - yt1) * y1 * (1 - y1) * z1) == 0
    assert d.gradient("w31").path_count == 1


def test_seed000_two_paths_for_theta11():
    # seed 000: dJ/dtheta11^(1) = blue path + orange path, each a 5-factor Leibniz product
    d = derive.derive("seed000")
    g = d.gradient("theta1_11")
    assert g.path_count == 2
    assert [p.nodes for p in g.paths] == [
        ("theta1_11", "z2_1", "a2_1", "z3_1", "a3_1", "J"),
        ("theta1_11", "z2_1", "a2_1", "z3_2", "a3_2", "J"),
    ]
    a21, a31, a32, y1, y2, x1 = map(S, "a2_1 a3_1 a3_2 y1 y2 x1".split())
    t11, t21 = S("theta2_11"), S("theta2_21")
    blue = (a31 - y1) * a31 * (1 - a31) * t11 * a21 * (1 - a21) * x1
    orange = (a32 - y2) * a32 * (1 - a32) * t21 * a21 * (1 - a21) * x1
    assert [sp.expand(p.product - want) for p, want in zip(g.paths, (blue, orange))] == [0, 0]
    assert [len(p.factors) for p in g.paths] == [5, 5]
    assert d.proof("theta1_11").proven


def test_seed001_leibniz_chain_for_W1():
    # seed 001: dL/dW1 = dL/dQ dQ/dP dP/dW1 = (Q - C) W3 A
    d = derive.derive("seed001")
    (path,) = d.paths("W1")
    assert [(f.upper, f.lower) for f in path.factors] == [("L", "Q"), ("Q", "P"), ("P", "W1")]
    Q, C, W3, A = map(S, "Q C W3 A".split())
    assert [f.value for f in path.factors] == [Q - C, W3, A]
    assert d.proof("W1").proven


def test_seed004_linear_network_dError_dV1():
    # seed 004: dError/dV1 = dError/dY1 dY1/dy1 dy1/dV1; MSE over two outputs, linear output
    d = derive.derive("seed004")
    (path,) = d.paths("V1")
    assert [(f.upper, f.lower) for f in path.factors] == [("Error", "Y1"), ("Y1", "y1"), ("y1", "V1")]
    Y1, T1, H1 = map(S, "Y1 T1 H1".split())
    assert sp.expand(path.product - (Y1 - T1) * H1) == 0     # 2/2 (Y1 - T1) * 1 * H1
    assert d.proof("V1").proven


def test_every_bundled_example_is_proven():
    for name in derive.bundled_examples():
        assert derive.derive(name).all_proven, name
