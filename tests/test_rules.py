"""Each rule of the table against sympy.diff of the explicit formula and finite differences."""
import math

import pytest
import sympy as sp

from derive.model import rules

x = sp.Symbol("x", real=True)
EXPLICIT = {"sigmoid": 1 / (1 + sp.exp(-x)), "tanh": sp.tanh(x), "linear": x,
            "relu": sp.Piecewise((x, x > 0), (0, True))}


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "linear", "relu"])
def test_activation_rule_matches_sympy_and_finite_differences(name):
    act = rules.ACTIVATIONS[name]
    f = EXPLICIT[name]
    a = act.value([x], 0)
    local = act.local(a, x)                          # in the seeds' terms, e.g. a(1 - a)
    for x0 in (-1.3, -0.2, 0.4, 2.1):
        want = float(sp.diff(f, x).subs(x, x0))
        got = float(local.rewrite(sp.exp).rewrite(sp.Piecewise).subs(x, x0))
        fd = (float(f.subs(x, x0 + 1e-6)) - float(f.subs(x, x0 - 1e-6))) / 2e-6
        assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(got, fd, rel_tol=1e-6, abs_tol=1e-6)


def test_sigmoid_local_is_written_via_its_output():
    a = sp.Symbol("a")
    assert rules.ACTIVATIONS["sigmoid"].local(a, x) == a * (1 - a)
    assert sp.simplify(rules.sigmoid(x).diff(x).rewrite(sp.exp) - sp.diff(1 / (1 + sp.exp(-x)), x)) == 0


def test_softmax_rules_match_sympy():
    zs = sp.symbols("z1:4", real=True)
    sm = rules.ACTIVATIONS["softmax"]
    ys = [sm.value(zs, k) for k in range(3)]
    for k in range(3):
        for j in range(3):
            want = sp.diff(ys[k], zs[j])
            got = sm.local(ys[k], zs[k]) if j == k else sm.cross(ys[k], ys[j])
            assert sp.simplify(want - got) == 0


@pytest.mark.parametrize("name", ["half_sse", "sse", "mse", "bce", "ce"])
def test_loss_rule_matches_sympy(name):
    loss = rules.LOSSES[name]
    ys = sp.symbols("y1:4", positive=True)
    ts = sp.symbols("t1:4", positive=True)
    L = loss.value(list(ys), list(ts))
    for y, t in zip(ys, ts):
        assert sp.simplify(sp.diff(L, y) - loss.local(y, t, 3)) == 0


@pytest.mark.parametrize("fn,explicit", [(rules.sigmoid, 1 / (1 + sp.exp(-x))), (sp.tanh, sp.tanh(x)),
                                         (sp.exp, sp.exp(x)), (sp.log, sp.log(x))])
def test_function_rules_for_graph_nodes(fn, explicit):
    u = sp.Symbol("u")
    got = rules.local_derivative(fn(u), u).subs(u, x)
    assert sp.simplify(got.rewrite(sp.exp) - sp.diff(explicit, x)) == 0


def test_local_derivative_of_products_and_powers():
    a, b = sp.symbols("a b")
    e = a**3 * b + a / b - 2 * a * b
    assert sp.expand(rules.local_derivative(e, a) - sp.diff(e, a)) == 0
    assert sp.expand(rules.local_derivative(e, b) - sp.diff(e, b)) == 0


def test_a_missing_rule_names_the_op():
    with pytest.raises(KeyError, match="sin"):
        rules.local_derivative(sp.sin(x), x)
