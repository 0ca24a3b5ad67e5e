"""relu's and tanh's derivatives as people type them: an indicator in any of its spellings (``(z > 0)``,
``[z > 0]``, ``\\mathbb{1}[z > 0]``, ``\\mathbf{1}(z > 0)``, ``\\mathbb{I}\\{z > 0\\}``, 𝟙 as derive prints it),
``\\operatorname{ReLU}'(z)``, ``\\tanh^2(z)``, ``\\tanh^2 z``, ``\\operatorname{sech}^2(z)``.  The oracle is PyTorch autograd:
each spelling comes with the same formula in Python, evaluated at a random point and compared with it."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest
import torch

from derive import api

RELU = """inputs: [x1, x2]
layers:
  - units: [h1, h2]
    activation: relu
    weights: [[w1, w2], [w3, w4]]
  - units: [y1]
    activation: linear
    weights: [[w5, w6]]
loss: half_sse
targets: [t1]
"""
TANH = RELU.replace("relu", "tanh")


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    d = tmp_path_factory.mktemp("specs")
    (d / "relu.yaml").write_text(RELU)
    (d / "tanh.yaml").write_text(TANH)
    return d


def point(act):
    """Values at a random point, and autograd's dE/dw1 there."""
    g = torch.Generator().manual_seed(5)
    x, w1, w5, t = (torch.randn(2, generator=g, dtype=torch.float64), torch.randn(2, 2, generator=g, dtype=torch.float64),
                    torch.randn(2, generator=g, dtype=torch.float64), torch.randn(1, generator=g, dtype=torch.float64))
    w1.requires_grad_()
    z = w1 @ x
    h = act(z)
    y = (w5 * h).sum()
    (0.5 * (y - t[0]) ** 2).backward()
    return {"x1": x[0], "z1": z[0].detach(), "y1": y.detach(), "t1": t[0], "w5": w5[0]}, w1.grad[0, 0]


RELU_FORMS = [  # (answer, the same formula in Python, right?)
    (r"(y_1 - t_1) w_5 \mathbb{1}[z^{(1)}_1 > 0] x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \mathbf{1}(z^{(1)}_1 > 0) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \mathbb{I}\{z^{(1)}_1 > 0\} x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \left[ 0 < z^{(1)}_1 \right] x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    ("(y1 - t1)*w5*(z1_1 > 0)*x1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    ("(y1 - t1)*w5*(h1 > 0)*x1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    ("w5·x1·(−t1 + y1)·𝟙[z1_1 > 0]", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \operatorname{ReLU}'(z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] > 0) * v["x1"], True),
    ("(y1 - t1)*w5*(z1_1 < 0)*x1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (v["z1"] < 0) * v["x1"], False),
    ("(y1 - t1)*w5*x1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * v["x1"], False),
]
TANH_FORMS = [
    (r"(y_1 - t_1) w_5 (1 - \tanh^2(z^{(1)}_1)) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 - torch.tanh(v["z1"]) ** 2) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \operatorname{sech}^2(z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] / torch.cosh(v["z1"]) ** 2 * v["x1"], True),
    ("(y1 - t1)*w5*Tanh'(z1_1)*x1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 - torch.tanh(v["z1"]) ** 2) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \operatorname{sech}(z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] / torch.cosh(v["z1"]) * v["x1"], False),
    (r"(y_1 - t_1) w_5 (1 + \tanh^2(z^{(1)}_1)) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 + torch.tanh(v["z1"]) ** 2) * v["x1"], False),
    # without parentheses, as textbooks print it: the command's power is its value's, the argument the next operand
    (r"(y_1 - t_1) w_5 (1 - \tanh^2 z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 - torch.tanh(v["z1"]) ** 2) * v["x1"], True),
    (r"(y_1 - t_1) w_5 \operatorname{sech}^2 z^{(1)}_1 \, x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] / torch.cosh(v["z1"]) ** 2 * v["x1"], True),
    (r"(y_1 - t_1) w_5 (1 - \tanh^{2} z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 - torch.tanh(v["z1"]) ** 2) * v["x1"], True),
    (r"(y_1 - t_1) w_5 (1 - \tanh z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 - torch.tanh(v["z1"])) * v["x1"], False),
    (r"(y_1 - t_1) w_5 (1 + \tanh^2 z^{(1)}_1) x_1", lambda v: (v["y1"] - v["t1"]) * v["w5"] * (1 + torch.tanh(v["z1"]) ** 2) * v["x1"], False),
]


@pytest.mark.parametrize("spec,act,answer,same,right", [("relu", torch.relu, *f) for f in RELU_FORMS]
                         + [("tanh", torch.tanh, *f) for f in TANH_FORMS])
def test_each_spelling_is_judged_as_autograd_judges_it(specs, spec, act, answer, same, right):
    values, truth = point(act)
    assert bool(torch.isclose(same(values), truth, rtol=1e-12)) == right         # the oracle's verdict
    assert api.check(str(specs / f"{spec}.yaml"), "w1", answer)["correct"] == right


@pytest.mark.parametrize("answer, message", [
    ("(y1 - t1)*w5*x1 if z1_1 > 0", "in brackets"),
    ("(y1 - t1)*w5*(0 < z1_1 < 1)*x1", "chain of comparisons"),
    ("(y1 - t1)*w5*(z1_1 > 0]*x1", "closes with ]"),
    ("(y1 - t1)*w5*( > 0)*x1", "two sides"),
    ("+".join(["(z1_1 > 0)"] * 101), "more than 100 comparisons"),
])
def test_a_comparison_that_is_no_indicator_is_one_line_and_exit_2(specs, answer, message):
    start = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "derive", "check", str(specs / "relu.yaml"), "--param", "w1",
                        "--answer", answer], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert time.monotonic() - start < 60
