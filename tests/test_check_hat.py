"""The hat convention: a formula that writes the prediction \\hat{y}_k means the target by the same letter
without the hat, also on seed 002, whose outputs are named y1, y2 (its targets yt1, yt2).  The oracle is
seed 002's forward pass in plain Python and a finite difference of its error."""
from __future__ import annotations

import math

import pytest

from derive import api
from derive.cli import main
from derive.notes.plain import unicode

X1, X2, W = 0.05, 0.10, dict(w11=0.15, w12=0.20, w21=0.25, w22=0.30, w31=0.40, w32=0.45, w41=0.50, w42=0.55)
T1, T2 = 0.01, 0.99


def forward(w):
    s = lambda u: 1 / (1 + math.exp(-u))      # noqa: E731
    z1, z2 = s(w["w11"] * X1 + w["w12"] * X2), s(w["w21"] * X1 + w["w22"] * X2)
    y1, y2 = s(w["w31"] * z1 + w["w32"] * z2), s(w["w41"] * z1 + w["w42"] * z2)
    return z1, y1, 0.5 * (T1 - y1) ** 2 + 0.5 * (T2 - y2) ** 2


def test_a_hatted_prediction_and_an_unhatted_target_read_as_the_text_means():
    up, down = dict(W, w31=W["w31"] + 1e-7), dict(W, w31=W["w31"] - 1e-7)
    truth = (forward(up)[2] - forward(down)[2]) / 2e-7
    z1, y1, _ = forward(W)
    assert (y1 - T1) * y1 * (1 - y1) * z1 == pytest.approx(truth, rel=1e-6)      # (ŷ - y) ŷ (1 - ŷ) z, y the target
    right = r"(\hat{y}_1 - y_1) \hat{y}_1 (1 - \hat{y}_1) z_1"
    verdict = api.check("seed002", "w31", right)
    assert verdict["correct"], verdict
    flipped = api.check("seed002", "w31", r"(y_1 - \hat{y}_1) \hat{y}_1 (1 - \hat{y}_1) z_1")
    assert not flipped["correct"] and flipped["diagnosis"]


def test_without_a_hat_y1_is_still_the_output(capsys):
    assert api.check("seed002", "w31", r"(y_1 - y_{t1}) y_1 (1 - y_1) z_1")["correct"]
    assert main(["check", "seed002", "--param", "w31", "--answer", r"(\hat{y}_1 - y_1) \hat{y}_1 (1 - \hat{y}_1) z_1"]) == 0
    assert "understood: y1·z1·(1 − y1)·(y1 − yt1)" in capsys.readouterr().out


def test_accents_print_as_accents_in_the_terminal():
    assert unicode(r"\hat{y}_1 - y_1") == "y\u0302₁ − y1"            # ŷ: y and a combining circumflex
    assert unicode(r"\bar{x} + \tilde{a}") == "x\u0304 + a\u0303"
