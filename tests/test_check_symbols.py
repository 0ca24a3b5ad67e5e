"""What the checker says is in the student's own symbols and stays readable on a 2,410-parameter network.

Oracles: the seeds' notations written out by hand (seed 002's post calls the weight from z1 to y1 w31;
the theta notation of seed 000 calls it theta2_11), the textbook softmax/cross-entropy gradient
(a - y) a_prev evaluated by hand from the values a counterexample shows, and the labelled corpus.
"""
import csv
import json
import re
from pathlib import Path

import pytest

import derive
from derive.checking.checker import checker_for
from derive.cli import main
from derive.errors import DeriveError

DATA = Path(__file__).parent / "data"
DIGITS = str(Path(derive.__file__).parent / "examples" / "digits.yaml")


@pytest.fixture(scope="module")
def digits():
    return checker_for(derive.load(DIGITS))


def one_line_error(capsys, argv) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "Traceback" not in err and len(err) < 300, err
    return err


# -- the verdict's sentences ------------------------------------------------------------------------

def test_another_parameters_gradient_is_named_in_the_notation():
    v = derive.check(derive.load("seed002"), "w11", "delta_z2*x1", timeout=None)
    assert [m.message for m in v.diagnosis] == [
        r"this is the gradient of $w_{21}$ ($\partial \mathrm{error}/\partial w_{21}$), not of $w_{11}$"]
    assert str(v).startswith("w_{11}: incorrect") and v.symbol == "w_{11}"
    assert v.to_dict()["param"] == "w11" and v.diagnosis[0].nodes == ("w21",)   # JSON: both forms


def test_no_internal_name_in_any_diagnosis_of_the_corpus():
    """Every sentence of every diagnosis in the labelled corpus names symbols only as LaTeX in $...$."""
    from test_corpus import networks
    nets = {k: checker_for(v) for k, v in networks().items()}
    rows = list(csv.DictReader(open(DATA / "wrong_answers.csv", encoding="utf-8")))
    seen = 0
    for r in rows:
        c = nets[r["network"]]
        internal = [n for n, node in c.net.nodes.items() if c.net.latex(node.symbol) != n]
        internal += [s.name for s in c.deltas]
        for m in c.check(r["param"], r["answer"]).diagnosis:
            seen += 1
            assert m.message.count("$") % 2 == 0, m.message
            prose = re.sub(r"\$[^$]*\$", "", m.message)
            assert not [n for n in internal if re.search(rf"(?<![\w{{]){re.escape(n)}(?!\w)", prose)], m.message
    assert seen >= 250


NETS = {"seed002": lambda: derive.load("seed002"), "tanh": lambda: derive.mlp([2, 2, 2], activation="tanh"),
        "mse": lambda: derive.mlp([2, 2, 3], activation="sigmoid", loss="mse"),
        "softmax": lambda: derive.mlp([2, 2, 3], activation="tanh", output_activation="softmax", loss="ce")}
DZ1 = "(delta_y1*w31 + delta_y2*w41)"          # seed 002: d error / d z1, written out

# issue 9's list of usual mistakes, each written as a student would, with the sentence it must get
ISSUE_9 = [
    ("seed002", "w11", DZ1 + "*z1*(1-z1)", r"the input factor $x_{1} = \partial a^{(1)}_{1}/\partial w_{11}$ is missing"),
    ("seed002", "w11", DZ1 + "*y1*(1-y1)*x1", r"the activation derivative is taken at $y_{1}$ ($y_{1} \left(1 - y_{1}\right)$)"
                                              r" instead of at $z_{1}$ ($z_{1} \left(1 - z_{1}\right)$)"),
    ("seed002", "w11", DZ1 + "*z1*(1+z1)*x1", r"a sign inside the activation derivative is wrong: "
                                              r"$z_{1} \left(z_{1} + 1\right)$ instead of $z_{1} \left(1 - z_{1}\right)$"),
    ("seed002", "w11", "(delta_y1*w31 + delta_y2*w42)*z1*(1-z1)*x1",
     "$w_{42}$ is used instead of $w_{41}$ (the weight from another input)"),
    ("seed002", "w11", "0.5*delta_z1*x1", "a factor 2 is missing (or an extra 1/2) (the learning rate 1/2 folded in?)"),
    ("seed002", "w11", "alpha*delta_z1*x1", r"the learning rate $\alpha$ is folded in"),
    ("tanh", "w1_21", "((a2_1-y1)*(1-a2_1^2)*w2_21 + (a2_2-y2)*(1-a2_2^2)*w2_22)*(1-a1_2^2)*x1",
     "$W^{(2)}_{21}$ is used instead of $W^{(2)}_{12}$ (indices in the wrong order)"),
    ("mse", "w2_11", "2*(a2_1 - y1)*a2_1*(1-a2_1)*a1_1", "the 1/m of the mean is missing (m = 3 outputs)"),
    ("softmax", "w2_11", "(y1 - a2_1)*a1_1", "the sign is flipped"),
    ("softmax", "w2_11", "2*(a2_1 - y1)*a1_1", "an extra factor 2"),
]


@pytest.mark.parametrize("net, param, answer, says", ISSUE_9)
def test_issue_9_mistakes_are_named_in_the_notation(net, param, answer, says):
    v = checker_for(NETS[net]()).check(param, answer)
    assert not v.correct and [m.message for m in v.diagnosis if m.message.startswith(says)], str(v)


def test_a_decimal_in_a_formula_is_its_exact_value():
    """1.0 x is x: a decimal coefficient in a symbolic answer never makes right work wrong."""
    c = checker_for(derive.load("seed002"))
    assert c.check("w11", "1.0*delta_z1*x1").correct
    assert c.check("w11", r"\frac{\partial E}{\partial w_{11}} = 1.0 \delta_{z_1} x_1").correct
    assert c.check("w31", "(y1 - yt1)*y1*(1.00 - y1)*z1").correct


# -- counterexamples a person can read -------------------------------------------------------------

def test_digits_counterexample_shows_the_symbols_written_and_they_add_up(digits):
    """64 inputs, 2,410 parameters: the counterexample shows the handful of symbols the two sides are
    written in, and the textbook formulas computed from those values give 'expected' and 'given'."""
    v = digits.check("w2_11", "(a2_1 - y1)*a1_2")
    cex = v.counterexample
    assert cex["kind"] == "symbols" and cex["leaf_count"] == 2484 and len(cex["leaves"]) <= 12
    p = cex["point"]
    assert set(p) == {"y1", "a1_2", "a2_1", "a1_1", "delta_a2_1"}
    assert cex["given"] == pytest.approx(p["a1_2"] * (p["a2_1"] - p["y1"]), abs=1e-5)
    assert cex["expected"] == pytest.approx(p["a1_1"] * (p["a2_1"] - p["y1"]), abs=1e-5)   # (a - y) a_prev
    assert p["y1"] in (0, 1)                                                              # one-hot target
    line = [x for x in str(v).splitlines() if "counterexample" in x][0]
    assert "a^{(1)}_{2} = " in line and "2,484 leaves" in line and len(line) < 300


def test_seed003_counterexample_is_at_the_spec_values(digits):
    c = checker_for(derive.load("seed003"))
    v = c.check("w2_11", "(a2_1 - y1)*a2_1*(1 - a2_1)*a1_1")
    cex = v.counterexample
    assert cex["at"] == "spec" and len(cex["leaves"]) <= 12 and cex["point"]["y1"] == 1   # seed 003's first example
    p = cex["point"]
    assert cex["given"] == pytest.approx(p["a1_1"] * p["a2_1"] * (1 - p["a2_1"]) * (p["a2_1"] - p["y1"]), abs=1e-5)
    assert cex["expected"] == pytest.approx(p["a1_1"] * (p["a2_1"] - p["y1"]), abs=1e-5)   # sigmoid + bce


def test_a_few_leaves_are_shown_as_leaves_at_the_spec_values():
    v = derive.check(derive.load("seed002"), "w11", "delta_y1*w31*z1*(1-z1)*x1", timeout=None)
    assert v.counterexample["kind"] == "leaves" and v.counterexample["at"] == "spec"
    assert "at $x_{1} = 0.05, x_{2} = 0.1, w_{11} = 0.15" in str(v) and "(the spec's values)" in str(v)


# -- --param as written elsewhere -----------------------------------------------------------------

@pytest.mark.parametrize("spec, param, says", [
    (DIGITS, "theta2_11", "theta2_11 is a name in the theta notation; this spec uses the ng notation, where it is "
                          "W^{(2)}_{11} (w2_11)"),
    (DIGITS, r"\theta^{(1)}_{12}", "where it is W^{(1)}_{12} (w1_12)"),
    ("seed002", "theta2_11", "where it is w_{31} (w31)"),        # seed 002's w31: z1 -> y1
    ("seed002", r"\theta^{(1)}_{12}", "where it is w_{12} (w12)"),
    ("seed000", "w31", "where it is \\theta^{(2)}_{11} (theta2_11)"),
    (DIGITS, "a2_1", "a^{(2)}_{1} is a unit's output, not a parameter: the gradient is checked for a weight or "
                     "bias, like W^{(2)}_{11} (w2_11)"),
    (DIGITS, "z1_2", "z^{(1)}_{2} is a pre-activation, not a parameter"),
    (DIGITS, "x3", "x_{3} is an input, not a parameter"),
    ("seed002", "yt1", "y_{t1} is a target, not a parameter"),
    ("seed002", "delta_y1", "\\delta_{y_{1}} is a delta, not a parameter"),
    ("seed002", "error", "\\mathrm{error} is the loss, not a parameter"),
    (DIGITS, "w9_99", "w9_99 is not a parameter; did you mean w2_99"),
    ("seed002", "w13", "w13 is not a parameter; did you mean w31"),
])
def test_param_that_is_not_one_is_one_clear_line(capsys, spec, param, says):
    err = one_line_error(capsys, ["check", spec, "--param", param, "--answer", "x1"])
    assert says in err


def test_unknown_names_are_one_short_line_everywhere(capsys, tmp_path):
    """check, grade, train, notes, export and the library: close matches and a count, never 2,410 names."""
    err = one_line_error(capsys, ["check", DIGITS, "--param", "v2_11", "--answer", "x1"])
    assert "2,410 parameters: w1_11, w1_12, w1_13, ..., b2_10" in err
    err = one_line_error(capsys, ["check", DIGITS, "--param", "w2_11", "--answer", "(a2_1 - y1)*q"])
    assert "unknown symbol q" in err
    err = one_line_error(capsys, ["check", DIGITS, "--param", "w2_11", "--answer", "(a2_1 - y1)*theta2_11"])
    assert "theta2_11 is a name in the theta notation" in err
    err = one_line_error(capsys, ["notes", DIGITS, "--param", "w9_99", "--out", str(tmp_path / "n")])
    assert "2,410 trainable parameters" in err
    (tmp_path / "d.csv").write_text("x1,pixel\n1,2\n")
    err = one_line_error(capsys, ["train", DIGITS, "--data", str(tmp_path / "d.csv")])
    assert "'pixel'" in err and "74 columns: x1, x2, x3, ..., y10" in err
    (tmp_path / "a.csv").write_text("id,param,answer\n1,theta2_11,a1_1\n")
    assert main(["grade", DIGITS, str(tmp_path / "a.csv"), "--json", "--no-progress", "--workers", "1"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert row["status"] == "unusable" and "w2_11" in row["error"] and len(row["error"]) < 300
    with pytest.raises(DeriveError, match=r"^w9_99 is not a parameter; did you mean .*\(2,410 trainable"):
        derive.derive(derive.load(DIGITS)).gradient("w9_99")


def test_an_ambiguous_symbol_names_its_readings_in_both_spellings(capsys):
    err = one_line_error(capsys, ["check", "seed002", "--param", "w11", "--answer", r"\delta_{1} x_1"])
    assert r"could be \delta_{y_{1}} (delta_y1) or \delta_{z_{1}} (delta_z1)" in err
