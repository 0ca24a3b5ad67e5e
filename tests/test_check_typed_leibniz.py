"""Leibniz quotients typed in plain text, as students type them in a box: ``dE/dw11 = ...``, ``d error / d w11``,
``dJ/dtheta2_11``.  The left side names the parameter, as ``\\frac{\\partial E}{\\partial w_{11}}`` does.  The
oracle is seed 002's error differentiated by finite differences in plain Python."""
from __future__ import annotations

import math

import pytest

from derive import api
from derive.cli import main

X, T = (0.05, 0.10), (0.01, 0.99)
W = dict(w11=0.15, w12=0.20, w21=0.25, w22=0.30, w31=0.40, w32=0.45, w41=0.50, w42=0.55)


def error(w):
    s = lambda u: 1 / (1 + math.exp(-u))      # noqa: E731
    z = [s(w["w11"] * X[0] + w["w12"] * X[1]), s(w["w21"] * X[0] + w["w22"] * X[1])]
    y = [s(w["w31"] * z[0] + w["w32"] * z[1]), s(w["w41"] * z[0] + w["w42"] * z[1])]
    return 0.5 * ((T[0] - y[0]) ** 2 + (T[1] - y[1]) ** 2)


def fd(p):
    return (error(dict(W, **{p: W[p] + 1e-7})) - error(dict(W, **{p: W[p] - 1e-7}))) / 2e-7


def test_a_typed_left_side_names_the_parameter():
    assert fd("w12") != pytest.approx(fd("w11"), rel=1e-3)                 # two different gradients
    for answer in ("dE/dw11 = delta_z1 * x1", "d error / d w11 = delta_z1 * x1", "dE/dw11=delta_z1*x1"):
        v = api.check("seed002", None, answer)
        assert (v["param"], v["correct"]) == ("w11", True), (answer, v)
    v = api.check("seed002", None, "dE/dw12 = delta_z1 * x2")
    assert (v["param"], v["correct"]) == ("w12", True)


def test_a_left_side_for_another_parameter_is_said():
    v = api.check("seed002", "w11", "dE/dw12 = delta_z1 * x2")
    assert not v["correct"] and "wrong_left_side" in [m["kind"] for m in v["diagnosis"]]


def test_theta_names_and_a_chain_of_typed_quotients():
    assert api.check("seed000", None, "dJ/dtheta2_11 = delta3_1 * a2_1")["correct"]
    v = api.check("seed002", "w31", "dE/dy1 * y1*(1-y1) * z1")       # the first factor read as the graph's
    assert v["correct"], v


def test_a_d_that_is_no_quotient_stays_a_name(capsys):
    assert main(["check", "seed002", "--param", "w11", "--answer", "delta_z1/dw11"]) == 2
    assert "unknown symbol dw11" in capsys.readouterr().err


def test_a_gradient_written_with_nabla_is_its_leibniz_quotient():
    v = api.check("seed002", None, r"\nabla_{w_{11}} E = \delta_{z_1} x_1")
    assert (v["param"], v["correct"]) == ("w11", True), v
    assert api.check("seed000", None, r"\nabla_{\theta^{(2)}_{12}} J = \delta^{(3)}_1 a^{(2)}_2")["correct"]
    assert not api.check("seed002", "w11", r"\nabla_{w_{11}} E = \delta_{z_1} x_2")["correct"]


def test_a_number_that_is_the_weight_after_one_step_is_said_to_be_that():
    # seed 001: L = (Q - C)^2 / 2, Q = W3 (W1 A + W2 B) = 8 at A, B = 1, 2 and W = 2, 1, 2; C = 5; alpha = 1/10
    gradient = (8 - 5) * 2 * 1                      # dL/dW1 = (Q - C) W3 A = 6
    assert 2 - gradient / 10 == 1.4                 # W1 after one step
    v = api.check("seed001", "W1", "W_1 - 0.1 \\cdot 6 = 1.4")
    assert [m["kind"] for m in v["diagnosis"]] == ["update_not_gradient"]
    assert [m["kind"] for m in api.check("seed001", "W1", "1.5")["diagnosis"]] == ["wrong_number"]
