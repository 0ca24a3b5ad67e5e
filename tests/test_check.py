"""derive.check (derive.checking): correct answers in many spellings are accepted, wrong ones get the right diagnosis.

Oracles: the seeds' own formulas and hand-derived gradients (checked here against central finite
differences of the loss, independently of derive's chain rule), and hand-written diagnoses.
"""
import math
import random

import pytest
from hypothesis import given, settings, strategies as st

import derive
from derive.checking.checker import Checker, check, checker_for
from derive.errors import DeriveError, FormulaError
from derive.derivation.proof import evaluate, forward_values, random_point

SEED_002_FINAL = r"(\delta_{y_{1}}\cdot w_{31}+\delta_{y_{2}}\cdot w_{41})\cdot z_{1}(1-z_{1})\cdot x_{1}"

CORRECT = [
    ("seed002", "w11", SEED_002_FINAL),
    ("seed002", "w11", "$" + SEED_002_FINAL + "$"),
    ("seed002", "w11", r"\delta_{z_{1}}\cdot x_{1}"),
    ("seed002", "w11", "delta_z1*x1"),
    ("seed002", "w11", "(delta_y1*w31 + delta_y2*w41)*z1*(1-z1)*x1"),
    ("seed002", "w11", "(δ_y1·w31 + δ_y2·w41)·z1·(1−z1)·x1"),
    ("seed002", "w11", "x1 z1(1-z1) (w31 (y1-yt1) y1 (1-y1) + w41 (y2 - yt2) y2 (1 - y2))"),
    ("seed002", "w11", "x1*sigmoid(a1_1)*(1-sigmoid(a1_1))*(w31*delta_y1 + w41*delta_y2)"),
    ("seed002", "w11", r"\sigma'(a^{(1)}_{1}) x_1 \left(w_{31}\delta_{y_1} + w_{41}\delta_{y_2}\right)"),
    ("seed002", "w11", r"\frac{\partial error}{\partial z_{1}} \cdot z_{1}(1-z_{1}) \cdot x_{1}"),
    ("seed002", "w11", "x1*z1*(1-z1)*w31*y1*(1-y1)*y1 - x1*z1*(1-z1)*w31*y1*(1-y1)*yt1"
                       " + x1*z1*(1-z1)*w41*y2*(1-y2)*(y2-yt2)"),
    ("seed002", "w11", r"\frac{\partial error}{\partial w_{11}} = \delta_{z_{1}}\cdot x_{1}"),
    ("seed002", "w31", "delta_y1*z1"),
    ("seed002", "w31", r"(y_{1}-y_{t1})\cdot y_{1}\cdot (1-y_{1})\cdot z_{1}"),
    ("seed002", "w31", "-(yt1 - y1) y1 (1 - y1) z1"),
    ("seed002", "w31", "(y1-yt1)*y1*(1-y1)*sigmoid(a1_1)"),
    ("seed002", "w22", r"\left(\delta_{y_1} w_{32} + \delta_{y_2} \times w_{42}\right) z_2 (1 - z_2)\, x_2"),
    ("seed001", "W1", "(Q - C)*W3*A"),
    ("seed001", "W1", "A W_3 (Q-C)"),
    ("seed001", "W1", r"\delta_{P} A"),
    ("seed001", "W3", "P (W3 P - C)"),
    ("seed001", "W2", "B*W3*(W3*(W1*A + W2*B) - C)"),
    ("seed000", "theta1_11", r"\delta_{a^{(2)}_{1}} x_1"),
    ("seed000", "theta1_11", r"x_1 a^{(2)}_1 (1 - a^{(2)}_1) (\theta^{(2)}_{11} (a^{(3)}_1 - y_1) a^{(3)}_1 (1 - a^{(3)}_1)"
                             r" + \theta^{(2)}_{21} (a^{(3)}_2 - y_2) a^{(3)}_2 (1 - a^{(3)}_2))"),
    ("seed000", "theta1_11", r"\frac{\partial J(\theta)}{\partial a^{(2)}_{1}}\, a^{(2)}_{1}(1 - a^{(2)}_{1})\, x_{1}"),
    ("seed000", "theta2_21", "(a3_2 - y2)*a3_2*(1 - a3_2)*a2_1"),
    ("seed003", "w2_11", "(a2_1 - y1)*a1_1"),
    ("seed003", "b2_1", r"a^{[2]}_1 - y_1"),
    ("seed003", "w1_11", "(a2_1 - y1)*w2_11*a1_1*(1 - a1_1)*x1"),
    ("seed004", "V1", "(Y1 - T1)*H1"),
    ("seed004", "W1", "((Y1 - T1) V1 + (Y2 - T2) V2) I1"),
    ("classic", "w5", "(o1 - t1) o1 (1 - o1) h1"),
    ("classic", "w1", "((o1-t1) o1(1-o1) w5 + (o2-t2) o2(1-o2) w7) h1 (1-h1) x1"),
]


@pytest.fixture(scope="module")
def checkers():
    return {}


def get(checkers, spec) -> Checker:
    if spec not in checkers:
        checkers[spec] = Checker(derive.load(spec))
    return checkers[spec]


def finite_difference(c: Checker, param: str, leaves: dict) -> float:
    loss = c.net.nodes[c.net.loss].symbol
    sym = c.net.nodes[param].symbol
    h = 1e-6
    up = forward_values(c.net, {**leaves, sym: leaves[sym] + h})[loss]
    down = forward_values(c.net, {**leaves, sym: leaves[sym] - h})[loss]
    return (up - down) / (2 * h)


@pytest.mark.parametrize("spec, param, text", CORRECT)
def test_correct_answers_are_accepted(checkers, spec, param, text):
    c = get(checkers, spec)
    v = c.check(param, text)
    assert v.correct, str(v)
    assert v.method == "exact" and v.diagnosis == () and v.counterexample is None


@pytest.mark.parametrize("spec, param, text", CORRECT)
def test_correct_corpus_matches_finite_differences(checkers, spec, param, text):
    """The corpus itself is right, judged without derive's chain rule."""
    c = get(checkers, spec)
    expr = c.parse_answer(text)
    rng = random.Random(7)
    for _ in range(2):
        leaves = random_point(c.net, rng)
        vals = c._complete(leaves)
        got = evaluate(expr, vals.__getitem__, {})
        assert got == pytest.approx(finite_difference(c, param, leaves), rel=1e-5, abs=1e-8)


WRONG = [
    ("seed002", "w11", "delta_y1*w31*z1*(1-z1)*x1", ["missing_path"], r"the term for the path through $y_{2}$ is missing"),
    ("seed002", "w11", "delta_y2*w41*z1*(1-z1)*x1", ["missing_path"], r"the term for the path through $y_{1}$ is missing"),
    ("seed002", "w11", "(delta_y1*w31 + delta_y2*w41)*x1", ["activation_derivative_dropped"], r"the activation derivative $\partial z_{1}/\partial a^{(1)}_{1} = z_{1} \left(1 - z_{1}\right)$ is missing"),
    ("seed002", "w11", "(delta_y1*w31 + delta_y2*w41)*z1*x1", ["activation_derivative_as_value"], r"$\partial z_{1}/\partial a^{(1)}_{1}$ is written as $z_{1}$ instead of $z_{1} \left(1 - z_{1}\right)$"),
    ("seed002", "w11", "-(delta_y1*w31 + delta_y2*w41)*z1*(1-z1)*x1", ["sign_flipped"], "sign is flipped"),
    ("seed002", "w11", "2*delta_z1*x1", ["constant_factor"], "extra factor 2"),
    ("seed002", "w11", "(delta_y1*w32 + delta_y2*w41)*z1*(1-z1)*x1", ["wrong_weight_index"], r"$w_{32}$ is used instead of $w_{31}$ (the weight from another input)"),
    ("seed002", "w11", "(delta_y1*w11 + delta_y2*w41)*z1*(1-z1)*x1", ["wrong_weight_layer"], r"$w_{11}$ is used instead of $w_{31}$ (the wrong layer)"),
    ("seed002", "w11", "delta_z1*x2", ["other_parameter"], r"this is the gradient of $w_{12}$ ($\partial \mathrm{error}/\partial w_{12}$), not of $w_{11}$"),
    ("seed002", "w11", "(delta_y1*w31 - delta_y2*w41)*z1*(1-z1)*x1", ["sign_flipped"], r"the sign of the term for the path through $y_{2}$ is flipped"),
    ("seed002", "w11", "delta_y1*w31*x1", ["activation_derivative_dropped", "missing_path"], r"through $y_{2}$"),
    ("seed002", "w11", "-2*delta_y1*w31*z1*(1-z1)*x1", ["constant_factor", "missing_path"], "sign is flipped and"),
    ("seed002", "w31", "(y1-yt1)*y1*(1-y1)*z1 + (y2-yt2)*y2*(1-y2)*z1", ["extra_path"], r"an extra term for a path through $y_{2}$, which $w_{31}$ does not reach"),
    ("seed002", "w31", "(yt1 - y1)*y1*(1-y1)*z1", ["sign_flipped"], "sign is flipped"),
    ("seed002", "w31", "(y1 - yt1)*z1", ["activation_derivative_dropped"], r"$\partial y_{1}/\partial a^{(2)}_{1} = y_{1} \left(1 - y_{1}\right)$ is missing"),
    ("seed002", "w31", "(y1 - yt1)*y1*z1", ["activation_derivative_as_value"], r"is written as $y_{1}$ instead of"),
    ("seed002", "w31", "(y1-yt1)*sigmoid(y1)*(1-sigmoid(y1))*z1", ["activation_derivative_at_output"], r"$\sigma'$ is taken at $y_{1}$ instead of at $a^{(2)}_{1}$"),
    ("seed002", "w31", "delta_y1*z2", ["other_parameter"], r"this is the gradient of $w_{32}$ ($\partial \mathrm{error}/\partial w_{32}$), not of $w_{31}$"),
    ("seed002", "w31", "delta_y1*x1", ["wrong_symbol"], r"$x_{1}$ is used instead of $z_{1}$"),
    ("seed001", "W1", "(C - Q)*W3*A", ["sign_flipped"], "sign"),
    ("seed001", "W1", "(Q - C)*W2*A", ["wrong_weight"], r"$W_{2}$ is used instead of $W_{3}$"),
    ("seed004", "V1", "2*(Y1 - T1)*H1", ["constant_factor"], "the 1/m of the mean is missing (m = 2"),
    ("seed004", "V1", "(Y1 - T1)*H1/2", ["constant_factor"], "a factor 2 is missing"),
    ("classic", "w1", "(o1-t1) o1(1-o1) w5 h1 (1-h1) x1", ["missing_path"], r"the term for the path through $o_{2}$ is missing"),
    ("seed000", "theta1_11", "delta_a2_1*x2", ["other_parameter"], r"this is the gradient of $\theta^{(1)}_{12}$ ($\partial J(\theta)/\partial \theta^{(1)}_{12}$)"),
]


@pytest.mark.parametrize("spec, param, text, kinds, phrase", WRONG)
def test_wrong_answers_get_their_diagnosis(checkers, spec, param, text, kinds, phrase):
    v = get(checkers, spec).check(param, text)
    assert not v.correct
    assert sorted(m.kind for m in v.diagnosis) == sorted(kinds), str(v)
    assert any(phrase in m.message for m in v.diagnosis), str(v)
    assert v.counterexample is not None


def test_unexplained_wrong_answer_still_gets_a_counterexample(checkers):
    c = get(checkers, "seed003")
    v = c.check("w2_11", "(a2_1 - y1)*a2_1*(1 - a2_1)*a1_1")   # sigmoid' kept although bce cancels it
    assert not v.correct and v.diagnosis == ()
    assert v.counterexample["given"] != pytest.approx(v.counterexample["expected"])


def test_counterexample_values_are_right(checkers):
    """At the spec's worked example: expected = finite difference, given = the formula by hand."""
    c = get(checkers, "seed002")
    v = c.check("w11", "delta_y1*w31*z1*(1-z1)*x1")
    cex = v.counterexample
    pt = cex["point"]
    assert {k: pt[k] for k in ("x1", "x2", "w11", "yt2")} == {"x1": 0.05, "x2": 0.1, "w11": 0.15, "yt2": 0.99}
    leaves = {c.net.nodes[k].symbol: float(pt[k]) for k in cex["leaves"]}
    assert cex["expected"] == pytest.approx(finite_difference(c, "w11", leaves), rel=1e-5)
    z1 = 1 / (1 + math.exp(-(0.15 * 0.05 + 0.20 * 0.10)))
    z2 = 1 / (1 + math.exp(-(0.25 * 0.05 + 0.30 * 0.10)))
    y1 = 1 / (1 + math.exp(-(0.40 * z1 + 0.45 * z2)))
    assert cex["given"] == pytest.approx((y1 - 0.01) * y1 * (1 - y1) * 0.40 * z1 * (1 - z1) * 0.05, rel=1e-9)


def test_python_api_in_a_sandbox():
    net = derive.load("seed002")
    v = derive.check(net, "w11", SEED_002_FINAL)
    assert v.correct and v.param == "w11" and "w_{31}" in v.parsed
    d = v.to_dict()
    assert set(d) >= {"param", "correct", "parsed", "diagnosis", "counterexample"}
    wrong = check(derive.derive(net), "w11", "delta_y1*w31*z1*(1-z1)*x1")
    assert wrong.to_dict()["diagnosis"][0]["kind"] == "missing_path"
    with pytest.raises(FormulaError, match="unknown symbol w13"):
        check(net, "w11", "w13*x1")
    with pytest.raises(DeriveError, match="not a parameter"):
        check(net, "x1", "x1")


def test_time_limit_kills_a_slow_check():
    from derive.sandbox import TimeLimit
    net = derive.load("seed002")
    rest = "w12+w21+w22+w31+w32+w41+w42+x2"
    correct_but_huge = f"delta_z1*x1 + (x1*(1+w11)+{rest})^64 - (x1+x1*w11+{rest})^64"   # equal, slow to expand
    with pytest.raises(TimeLimit):
        check(net, "w11", correct_but_huge, timeout=0.5)


def test_unknown_symbol_lists_what_exists():
    c = checker_for(derive.load("seed002"))
    with pytest.raises(FormulaError) as info:
        c.parse("w13 * x1")
    msg = str(info.value)
    assert "unknown symbol w13" in msg and "w11, w12, w21, w22, w31, w32, w41, w42" in msg
    assert "did you mean w31 or" in msg      # the swapped index first


@pytest.mark.parametrize("text", ["E*x1", "I + x1", "S", "N*2", "gamma", "\u0445" + "1"])
def test_builtin_names_and_lookalikes_are_refused(text):
    c = checker_for(derive.load("seed002"))
    with pytest.raises(FormulaError):
        c.parse(text)


PIECES = ["x1", "x2", "w11", "w_{31}", r"\delta_{y_{1}}", "delta_z1", "z1", "y_{t1}", "(", ")", "+", "-", "*", "/",
          "^", "**", "2", "0", "1.5", r"\frac", "{", "}", r"\sigma", "sigmoid", "'", r"\partial", "error", "E",
          r"\cdot", " ", "exp", "log(", "10**", "_", "$", r"\left(", r"\right)", "w13", "х", "__import__"]


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(PIECES), max_size=30).map("".join), st.text(max_size=30)))
def test_checker_raises_only_formula_errors(text):
    c = checker_for(derive.load("seed002"))
    try:
        v = c.check("w11", text, diagnose=False)
    except FormulaError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(v.correct, bool)


def test_left_side_and_every_step_of_an_answer():
    """The issue's cases: a left side naming another parameter, a wrong middle step, --param spellings."""
    from derive.checking.checker import check
    net = derive.load("seed002")
    v = check(net, "w11", r"\frac{\partial error}{\partial w_{12}} = \delta_{z_1} x_1", timeout=None)
    assert not v.correct and [m.kind for m in v.diagnosis] == ["wrong_left_side"]
    assert "w_{12}" in v.diagnosis[0].message
    chosen = check(net, None, r"\frac{\partial error}{\partial w_{12}} = \delta_{z_1} x_2", timeout=None)
    assert chosen.param == "w12" and chosen.correct
    middle = check(net, "w11", "delta_z1*x1 = delta_y1*x1 = delta_z1*x1", timeout=None)
    assert not middle.correct and middle.diagnosis[0].kind == "wrong_step"
    assert check(derive.load("seed000"), r"\theta^{(1)}_{11}", r"\delta^{(2)}_1 x_1", timeout=None).correct
    with pytest.raises(derive.DeriveError):
        check(net, None, "delta_z1*x1", timeout=None)          # no --param and no left side


def test_numeric_answers_at_the_spec_values():
    from derive.checking.checker import check
    net = derive.load("seed002")            # dE/dw11 = 0.000188256... at the spec's values
    form = check(net, "w11", "0.00019", timeout=None)
    assert not form.correct and form.diagnosis[0].kind == "number_not_form"
    assert "right number" in form.diagnosis[0].message
    assert check(net, "w11", "0.00019", timeout=None, number_asked=True).correct
    wrong = check(net, "w11", "0.0003", timeout=None, number_asked=True)
    assert not wrong.correct and "0.000188" in wrong.diagnosis[0].message


def test_superscript_digits_are_read_and_said():
    from derive.checking.checker import check
    v = check(derive.load("seed002"), "w11", "delta_z1 * x1²", timeout=None)
    assert not v.correct and v.notes == ("x1² read as x1^2",)
    with pytest.raises(derive.DeriveError, match="styled character"):
        check(derive.load("seed002"), "w11", "delta_z1 * 𝐱1", timeout=None)
