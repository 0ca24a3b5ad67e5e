"""Whole derivations: seed 002 as published checks out; planted mistakes are found at the right step."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive.checking.checker import checker_for
from derive.checking.derivation import check_derivation, equations

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def seed002():
    return checker_for(derive.load("seed002"))


def test_seed_002_as_published(seed002):
    report = check_derivation(seed002, (DATA / "seed002_derivation.md").read_text(encoding="utf-8"), timeout=None)
    status = [s.status for s in report.steps]
    assert report.correct and report.first_wrong is None
    assert status.count("correct") >= 24 and "wrong" not in status
    # the seed's own notation: delta_h is introduced by the text, then used
    definition = next(s for s in report.steps if s.status == "definition")
    assert definition.right.strip() == r"\delta_{h}"
    last = report.steps[-1]
    assert last.status == "correct" and last.right.strip() == r"\delta_{h}\cdot x_{1}"
    # the final formula of the seed, split over three $...$ pieces, is one checked chain
    assert any(s.status == "correct" and s.right.startswith(r"(\delta_{y_{1}}\cdot w_{31}") for s in report.steps)
    # the update rule without a learning rate is the seed's convention (rate 1), not a mistake
    update = next(s for s in report.steps if s.line == 33)
    assert update.status == "correct" and "learning rate 1" in update.note
    # the generic d sigma(x)/dx = sigma(x)(1 - sigma(x)), of a dummy x the network does not have, is an identity
    # of the text's own letter (textlocal): read and right, never x_1 guessed
    assert not [s for s in report.steps if s.status == "unchecked"]
    generic = [s for s in report.steps if s.line == 49 and "\\sigma(x)" in s.left]
    assert [s.status for s in generic] == ["correct"]


def test_planted_mistake_is_the_first_wrong_step(seed002):
    report = check_derivation(seed002, (DATA / "seed002_wrong.md").read_text(), timeout=None)
    assert [(s.line, s.status) for s in report.steps] == [
        (5, "correct"), (9, "correct"), (11, "correct"), (19, "wrong"), (23, "wrong")]
    first = report.first_wrong
    assert first.line == 19 and first.left.strip() == r"\frac{\partial error}{\partial z_{1}}"
    assert [m.kind for m in first.diagnosis] == ["missing_path"]
    assert first.diagnosis[0].message == "the term for the path through $y_{2}$ is missing"
    assert [m.kind for m in report.steps[-1].diagnosis] == ["missing_path"]


def test_latex_align_and_display_math():
    c = checker_for(derive.load("seed001"))
    report = check_derivation(c, (DATA / "seed001_align.tex").read_text(), timeout=None)
    assert [s.status for s in report.steps] == ["correct"] * 4 + ["wrong"]
    assert [s.line for s in report.steps] == [3, 4, 5, 6, 9]   # each row at its own line
    assert [m.message for m in report.first_wrong.diagnosis] == ["$A$ is used instead of $P$"]


def test_equations_are_found_and_joined():
    text = ("Text $a = b$ more\n$x=$ $y$ $\\cdot z$ then\n```\n$not = maths$\n```\n"
            "$$p\n= q$$\n\\[ r = s \\]\n\\begin{align} u &= v \\\\ &= w \\end{align}\n")
    assert equations(text) == [(1, "a = b"), (2, "x= y \\cdot z"), (6, "p = q"), (8, "r = s"),
                               (9, "u &= v &= w")]
    assert equations("$\\frac{\\partial error(y{1})}{\\partial z_{1}}$") == [
        (1, "\\frac{\\partial error(y_{1})}{\\partial z_{1}}")]


def cli(*args):
    return subprocess.run([sys.executable, "-m", "derive", "check", *args], capture_output=True, text=True, timeout=120)


def test_cli_derivation(tmp_path):
    ok = cli("seed002", "--derivation", str(DATA / "seed002_derivation.md"))
    assert ok.returncode == 0 and "no wrong step" in ok.stdout
    bad = cli("seed002", "--derivation", str(DATA / "seed002_wrong.md"), "--json")
    assert bad.returncode == 1
    data = json.loads(bad.stdout)
    assert data["first_wrong"] == 3 and data["steps"][3]["diagnosis"][0]["kind"] == "missing_path"
    empty = tmp_path / "empty.md"
    empty.write_text("no maths here\n")
    none = cli("seed002", "--derivation", str(empty))
    assert none.returncode == 2 and "no equation could be checked" in none.stderr
    missing = cli("seed002", "--derivation", str(tmp_path / "nope.md"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1


def test_seed_000_two_paths():
    """Seed 000: J(theta) notation; its blue + orange path sum for theta^(1)_11 is right, and so is its
    J(theta) = 1/(2m) sum (y_i - a_i^(3))^2 (i over the outputs, m = 1); the single-neuron formulas are
    not about this network and stay unchecked."""
    c = checker_for(derive.load("seed000"))
    text = (DATA / "seed000_derivation.md").read_text(encoding="utf-8")
    report = check_derivation(c, text, timeout=None)
    assert [(s.line, s.status) for s in report.steps] == [
        (46, "unchecked"), (47, "unchecked"), (48, "correct"), (55, "correct")]
    # drop the orange path: the diagnosis names it
    final = text.splitlines()[54]
    blue_only = final.split("} + {")[0] + "}$$"
    wrong = check_derivation(c, blue_only, timeout=None)
    assert [s.status for s in wrong.steps] == ["wrong"]
    assert [(m.kind, m.nodes) for m in wrong.first_wrong.diagnosis] == [("missing_path", ("a3_2",))]


def test_python_api_takes_a_network_and_runs_sandboxed():
    report = check_derivation(derive.load("seed002"), (DATA / "seed002_wrong.md").read_text())
    assert report.first_wrong.line == 19 and not report.correct
    assert report.to_dict()["first_wrong"] == 3


def test_seed_001_numeric_working():
    """A student's forward pass for seed 001 with the spec's numbers, exact fractions compared exactly."""
    c = checker_for(derive.load("seed001"))
    work = "First $P = W_1 A + W_2 B = 2 + 2 = 4$.\nThen $Q = W_3 P = 8$\nand $L = \\frac12(Q-C)^2 = \\frac92$.\n"
    report = check_derivation(c, work, timeout=None)
    assert report.correct and [s.status for s in report.steps] == ["correct"] * 7
    bad = check_derivation(c, work.replace("\\frac92", "\\frac72"), timeout=None)
    assert bad.first_wrong.line == 3 and "9/2" in bad.first_wrong.note
    stated = check_derivation(c, "$W_3 = 3$, so $Q = W_3 P = 12$", timeout=None)   # the text's own value
    assert [s.status for s in stated.steps] == ["given", "correct", "correct"]


def test_a_backward_pass_with_numbers_one_equation_per_piece():
    """Seed 001 backward with the spec's numbers (hand-computed: dL/dQ = Q - C = 3, dL/dP = 3 W_3 = 6,
    dL/dW_1 = 6 A = 6, dL/dW_2 = 6 B = 12, W_1 - 0.1*6 = 1.4); complete equations in adjacent $...$ pieces
    are separate equations, and an update may be written with an arrow or :=."""
    c = checker_for(derive.load("seed001"))
    work = ("$\\frac{\\partial L}{\\partial Q} = Q - C = 3$.\n"
            "$\\frac{\\partial L}{\\partial P} = (Q-C) W_3 = 6$\n"
            "$\\frac{\\partial L}{\\partial W_1} = \\frac{\\partial L}{\\partial P} A = 6$, "
            "$\\frac{\\partial L}{\\partial W_2} = 6 \\cdot 2 = 12$.\n"
            "Update: $W_1 \\leftarrow W_1 - 0.1 \\cdot 6 = 1.4$, $W_3 := 2 - 0.1 \\times 12 = 0.8$, "
            "$W_2 \\gets W_2 - \\alpha \\frac{\\partial L}{\\partial W_2}$.\n")
    report = check_derivation(c, work, timeout=None)
    assert report.correct and {s.status for s in report.steps} == {"correct"} and len(report.steps) == 13
    assert [s.line for s in report.steps if s.left.strip().startswith("W_")] == [4] * 4
    wrong = check_derivation(c, work.replace("W_1 - 0.1", "W_1 + 0.1"), timeout=None)
    assert wrong.first_wrong.line == 4 and wrong.first_wrong.left.strip() == "W_1"
    assert check_derivation(c, "$W_2 := 0.4$", timeout=None).first_wrong is not None     # 1 - 0.1*12 = -0.2
    assert [b for _, b in equations("$a = 1$ $b = 2$")] == ["a = 1", "b = 2"]


def test_rounded_decimals():
    c = checker_for(derive.load("seed002"))
    ok = check_derivation(c, "$z_1 = \\sigma(a^{(1)}_1) = \\sigma(0.0275) = 0.5069$", timeout=None)
    assert [s.status for s in ok.steps] == ["correct"] * 3 and ok.steps[-1].note == "rounded"
    bad = check_derivation(c, "$z_1 = 0.5079$", timeout=None)
    assert bad.first_wrong and "0.5069" in bad.first_wrong.note
    missing = check_derivation(checker_for(derive.load("xor")), "$h_1 = 0.5$", timeout=None)
    assert missing.steps[0].status == "unchecked" and "no value for" in missing.steps[0].note


def test_inline_pieces_join_within_a_paragraph_only():
    assert [b for _, b in equations("$a = b$\n\n$c = d$")] == ["a = b", "c = d"]
    assert [b for _, b in equations("$a =$ $b$\n$+ c$")] == ["a = b + c"]


def test_prose_set_as_maths_is_unread_with_what_it_is():
    from derive.checking.derivation import check_derivation
    c = derive.load("seed002")
    steps = check_derivation(c, "for $k = 1, 2$ and $l = L-1, \\dots, 1$, with $f = \\sigma$, $x_1 = 0.05$", timeout=None).steps
    assert [s.status for s in steps] == ["unchecked", "unchecked", "unchecked", "given"]
    assert "the range of an index" in steps[0].note and "the range of an index" in steps[1].note
    assert "names the activation function" in steps[2].note
