"""derive.diagnose on its own: paths named as the seeds name them, other activations, limits."""
import pytest

import derive
from derive.checking.checker import checker_for
from derive.checking.diagnose import diagnose, paths_between


@pytest.fixture(scope="module")
def seed002():
    return checker_for(derive.load("seed002"))


def test_paths_of_seed_002(seed002):
    """Seed 002's two routes from w11 to the error: through y1 and through y2."""
    paths = paths_between(seed002, "w11", "error")
    assert [p[0] for p in paths] == [("w11", "a1_1", "z1", "a2_1", "y1", "error"),
                                     ("w11", "a1_1", "z1", "a2_2", "y2", "error")]
    assert paths_between(seed002, "w11", "error", through="y2") == paths[1:]
    assert len(paths_between(seed002, "w31", "error")) == 1


def test_diagnosis_of_an_intermediate_quantity(seed002):
    """d error / d z1 written with one term only (as in a derivation step)."""
    given = seed002.parse("delta_y2*w41")
    got = diagnose(seed002, "z1", given, lower="z1", upper="error")
    assert [(m.kind, m.nodes) for m in got] == [("missing_path", ("y1",))]


@pytest.mark.parametrize("activation, answer, kind", [
    ("tanh", "(a2_1 - y1)*a1_1", "activation_derivative_dropped"),
    ("tanh", "(a2_1 - y1)*a2_1*a1_1", "activation_derivative_as_value"),
    ("tanh", "-(a2_1 - y1)*(1 - a2_1^2)*a1_1", "sign_flipped"),
    ("sigmoid", "(a2_1 - y1)*a2_1*(1 - a2_1)*a1_2", "other_parameter"),
])
def test_other_activations(activation, answer, kind):
    c = checker_for(derive.mlp([2, 2, 1], activation=activation))
    param = c.derivation.params[4]            # first output-layer weight, from a1_1
    assert param == "w2_11"
    v = c.check(param, answer)
    assert not v.correct and [m.kind for m in v.diagnosis] == [kind], str(v)


def test_sse_missing_two():
    c = checker_for(derive.mlp([2, 2], loss="sse"))
    g = c.derivation.gradient("w1_11").delta_form
    assert not c.check("w1_11", "(a1_1 - y1)*a1_1*(1 - a1_1)*x1").correct
    got = c.check("w1_11", "(a1_1 - y1)*a1_1*(1 - a1_1)*x1").diagnosis
    assert [m.kind for m in got] == ["constant_factor"] and "factor 2 is missing" in got[0].message, g


def test_too_many_mistakes_is_no_explanation(seed002):
    v = seed002.check("w11", "x1*x2*w11")
    assert not v.correct and v.diagnosis == () and v.counterexample


def test_several_mistakes_at_once(seed002):
    v = seed002.check("w11", "-(delta_y1*w32)*x1")      # sign, missing path, act dropped, wrong index
    assert not v.correct
    assert v.diagnosis == () or len(v.diagnosis) <= 3
    v = seed002.check("w11", "-delta_y1*w31*x1")
    assert sorted(m.kind for m in v.diagnosis) == ["activation_derivative_dropped", "missing_path", "sign_flipped"]
