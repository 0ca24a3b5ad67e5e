"""Names that say a unit's role, as Matt Mazur's "A Step by Step Backpropagation Example" and the many posts
that copy it write them (``out_{h1}``, ``net_{o1}``, ``target_{o1}``, ``E_{total}``, ``i_1``), read against a
spec: the bundled ``classic`` network is Mazur's (inputs 0.05, 0.10, weights 0.15 ... 0.55, biases 0.35, 0.60,
targets 0.01, 0.99).  The oracle is a forward pass in plain Python here and its finite differences."""
from __future__ import annotations

import math

import pytest

from derive import api
from derive.cli import main

W = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55)
I1, I2, B1, B2, T1, T2 = 0.05, 0.10, 0.35, 0.60, 0.01, 0.99


def sig(x):
    return 1 / (1 + math.exp(-x))


def forward(w):
    h1 = sig(w["w1"] * I1 + w["w2"] * I2 + B1)
    h2 = sig(w["w3"] * I1 + w["w4"] * I2 + B1)
    o1 = sig(w["w5"] * h1 + w["w6"] * h2 + B2)
    o2 = sig(w["w7"] * h1 + w["w8"] * h2 + B2)
    return dict(out_h1=h1, out_h2=h2, out_o1=o1, out_o2=o2, E=0.5 * (T1 - o1) ** 2 + 0.5 * (T2 - o2) ** 2)


def finite_difference(param):
    up, down = dict(W), dict(W)
    up[param] += 1e-6
    down[param] -= 1e-6
    return (forward(up)["E"] - forward(down)["E"]) / 2e-6


V = forward(W)
DELTA_O1 = -(T1 - V["out_o1"]) * V["out_o1"] * (1 - V["out_o1"])
DELTA_O2 = -(T2 - V["out_o2"]) * V["out_o2"] * (1 - V["out_o2"])

# (param, the answer as a student copies it, its value computed here in Python)
RIGHT = [
    ("w5", r"-(target_{o1} - out_{o1}) \cdot out_{o1}(1 - out_{o1}) \cdot out_{h1}", DELTA_O1 * V["out_h1"]),
    ("w5", r"\frac{\partial E_{total}}{\partial out_{o1}} \frac{\partial out_{o1}}{\partial net_{o1}}"
           r" \frac{\partial net_{o1}}{\partial w_5}", DELTA_O1 * V["out_h1"]),
    ("w5", "-(target_o1 - out_o1) * out_o1 * (1 - out_o1) * out_h1", DELTA_O1 * V["out_h1"]),
    ("w1", r"(\delta_{o1} w_5 + \delta_{o2} w_7) \, out_{h1}(1 - out_{h1}) \, i_1",
     (DELTA_O1 * 0.40 + DELTA_O2 * 0.50) * V["out_h1"] * (1 - V["out_h1"]) * I1),
    ("w1", r"\frac{\partial E_{total}}{\partial out_{h1}} \frac{\partial out_{h1}}{\partial net_{h1}}"
           r" \frac{\partial net_{h1}}{\partial w_1}", (DELTA_O1 * 0.40 + DELTA_O2 * 0.50)
     * V["out_h1"] * (1 - V["out_h1"]) * I1),
]
SLIPS = [
    ("w5", "-(target_o1 - out_o1) * out_o1 * (1 - out_o1) * out_h2", DELTA_O1 * V["out_h2"]),
    ("w1", r"\delta_{o1} w_5 \, out_{h1}(1 - out_{h1}) \, i_1", DELTA_O1 * 0.40 * V["out_h1"] * (1 - V["out_h1"]) * I1),
    ("w5", r"(target_{o1} - out_{o1}) out_{o1}(1 - out_{o1}) out_{h1}", -DELTA_O1 * V["out_h1"]),
]


def test_the_oracle_is_mazurs_own_numbers():
    assert finite_difference("w5") == pytest.approx(0.082167041, abs=1e-8)     # his dE_total/dw5
    assert finite_difference("w1") == pytest.approx(0.000438568, abs=1e-8)     # his dE_total/dw1


@pytest.mark.parametrize("param,answer,value", RIGHT)
def test_right_answers_in_mazurs_names_are_correct(param, answer, value):
    assert value == pytest.approx(finite_difference(param), rel=1e-6)           # right, by the oracle
    verdict = api.check("classic", param, answer)
    assert verdict["correct"], verdict


@pytest.mark.parametrize("param,answer,value", SLIPS)
def test_a_slip_in_mazurs_names_is_incorrect(param, answer, value):
    assert value != pytest.approx(finite_difference(param), rel=1e-3)          # wrong, by the oracle
    assert not api.check("classic", param, answer)["correct"]


@pytest.mark.parametrize("answer", ["out_{x1}", "net_{o3}", "target_{h1}", "out_{w5}"])
def test_a_role_on_what_is_no_unit_or_no_output_stays_unknown(answer, capsys):
    assert main(["check", "classic", "--param", "w5", "--answer", answer]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown symbol" in err


def test_i_is_no_input_where_a_name_of_the_spec_starts_with_i(tmp_path, capsys):
    spec = tmp_path / "net.yaml"
    spec.write_text("inputs: [in1, in2]\nlayers:\n  - units: [o1]\n    activation: sigmoid\n"
                    "    weights: [[w1, w2]]\nloss: half_sse\ntargets: [t1]\n")
    assert api.check(str(spec), "w1", r"-(target_{o1} - out_{o1}) out_{o1}(1 - out_{o1}) in_1")["correct"]
    assert main(["check", str(spec), "--param", "w1", "--answer", "i_1"]) == 2
    assert "unknown symbol i_1" in capsys.readouterr().err


def test_mazurs_backward_lines_are_checked_against_the_spec_without_his_forward_pass(tmp_path, capsys):
    text = tmp_path / "mazur.md"
    text.write_text(
        "$$\\frac{\\partial E_{total}}{\\partial w_5} = \\frac{\\partial E_{total}}{\\partial out_{o1}}"
        " \\frac{\\partial out_{o1}}{\\partial net_{o1}} \\frac{\\partial net_{o1}}{\\partial w_5}$$\n\n"
        "$$\\frac{\\partial E_{total}}{\\partial out_{o1}} = -(target_{o1} - out_{o1})$$\n\n"
        "$$\\frac{\\partial out_{o1}}{\\partial net_{o1}} = out_{o1}(1 - out_{o1})$$\n\n"
        "$$\\frac{\\partial net_{o1}}{\\partial w_5} = out_{h2}$$\n")
    assert main(["check", "classic", "--derivation", str(text)]) == 1
    out = capsys.readouterr().out
    assert "4 equalities: 3 correct, 1 wrong" in out
    assert [ln.split()[1] for ln in out.splitlines() if ln.strip().startswith("line")][3] == "7"
