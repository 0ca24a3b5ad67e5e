"""An answer written over the spec's m examples, as seed 003 writes the gradient of the mean cost:
``\\frac{1}{m}\\sum_{i=1}^{m} ({a^{(2)}_1}^{(i)} - {y_1}^{(i)}) {a^{(1)}_1}^{(i)}``.  The oracle is PyTorch's
autograd on seed 003's own two examples (at random weights), with each answer evaluated here in Python."""
from __future__ import annotations

import pytest
import torch

from derive import api
from derive.cli import main

X = torch.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=torch.float64)      # seed 003's examples
Y = torch.tensor([1.0, 0.0], dtype=torch.float64)
g = torch.Generator().manual_seed(3)
W1, B1 = torch.randn(3, 2, generator=g, dtype=torch.float64), torch.randn(3, generator=g, dtype=torch.float64)
W2, B2 = torch.randn(1, 3, generator=g, dtype=torch.float64), torch.randn(1, generator=g, dtype=torch.float64)


def autograd():
    w1, w2 = W1.clone().requires_grad_(), W2.clone().requires_grad_()
    a1 = torch.sigmoid(X @ w1.T + B1)
    a2 = torch.sigmoid(a1 @ w2.T + B2)[:, 0]
    J = torch.nn.functional.binary_cross_entropy(a2, Y)                 # the mean over the examples
    J.backward()
    return w1.grad, w2.grad, a1.detach(), a2.detach()


G1, G2, A1, A2 = autograd()
D2 = A2 - Y                                                             # delta^{(2)}_1 of each example
D1_1 = D2 * W2[0, 0] * A1[:, 0] * (1 - A1[:, 0])                        # delta^{(1)}_1

CASES = [  # (param, answer, its value here, right by the oracle?)
    ("W^{(2)}_{11}", r"\frac{1}{m}\sum_{i=1}^{m} ({a^{(2)}_1}^{(i)} - {y_1}^{(i)}) {a^{(1)}_1}^{(i)}",
     (D2 * A1[:, 0]).mean(), True),
    ("W^{(2)}_{11}", r"\frac{\partial J}{\partial W^{(2)}_{11}} = \frac{1}{m} \sum_{i=1}^{m}"
                     r" \frac{\partial {J}^{(i)}}{\partial W^{(2)}_{11}}", (D2 * A1[:, 0]).mean(), True),
    ("W^{(1)}_{11}", r"\frac{1}{m}\sum_{i=1}^{m} {\delta^{(1)}_1}^{(i)} {x_1}^{(i)}", (D1_1 * X[:, 0]).mean(), True),
    ("W^{(1)}_{11}", r"\frac{1}{2}\left({\delta^{(1)}_1}^{(1)} {x_1}^{(1)} + {\delta^{(1)}_1}^{(2)} {x_1}^{(2)}\right)",
     (D1_1 * X[:, 0]).mean(), True),
    ("W^{(2)}_{11}", r"\sum_{i=1}^{m} ({a^{(2)}_1}^{(i)} - {y_1}^{(i)}) {a^{(1)}_1}^{(i)}", (D2 * A1[:, 0]).sum(), False),
    ("W^{(2)}_{11}", r"\frac{1}{m}\sum_{i=1}^{m} ({a^{(2)}_1}^{(i)} - {y_1}^{(i)}) {a^{(1)}_2}^{(i)}",
     (D2 * A1[:, 1]).mean(), False),
    ("W^{(1)}_{11}", r"\frac{1}{m}\sum_{i=1}^{m} {\delta^{(1)}_1}^{(i)} {x_2}^{(i)}", (D1_1 * X[:, 1]).mean(), False),
]


@pytest.mark.parametrize("param,answer,value,right", CASES)
def test_an_answer_over_the_examples_is_judged_as_autograd_judges_it(param, answer, value, right):
    truth = G2[0, 0] if param.startswith("W^{(2)}") else G1[0, 0]
    assert bool(torch.isclose(value, truth, rtol=1e-9, atol=0)) == right          # the oracle's verdict
    verdict = api.check("seed003", param, answer)
    assert verdict["correct"] == right, verdict
    assert "over the spec's 2 examples" in verdict["notes"]


def test_a_dropped_one_over_m_is_named():
    verdict = api.check("seed003", "W^{(2)}_{11}", CASES[4][1])
    assert [m["kind"] for m in verdict["diagnosis"]] == ["dropped_mean"]


def test_a_quantity_of_no_example_beside_the_sum_is_one_line(capsys):
    answer = r"\frac{1}{m}\sum_{i=1}^{m} ({a^{(2)}_1}^{(i)} - y_1) {a^{(1)}_1}^{(i)}"
    assert main(["check", "seed003", "--param", "W^{(2)}_{11}", "--answer", answer]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "which example's y_{1}?" in err


def test_one_example_answers_and_one_example_specs_read_as_before(capsys):
    assert api.check("seed003", "W^{(2)}_{11}", r"(a^{(2)}_1 - y_1) a^{(1)}_1")["correct"]   # about one example
    assert main(["check", "seed002", "--param", "w11", "--answer", r"\frac{1}{m}\sum_{i=1}^{m} {x_1}^{(i)}"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
