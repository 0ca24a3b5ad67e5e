"""Backward passes from the published sources, written as they are (held out: written for these tests,
never tuned on): CS231n assignment 1's ``TwoLayerNet.loss`` (a class over object, a docstring, weights drawn
by np.random in __init__ and set by the caller, ``N, D = X.shape``, ``dscores[range(N), y] -= 1``, gradients
in ``grads['W1']``, ``reg=reg`` by keyword), CS231n assignment 2's ``layers.py`` with fc_net's TwoLayerNet
(``affine_backward`` with ``x.reshape(x.shape[0], -1)``, ``relu_backward``, ``softmax_loss``,
``loss, grads = 0, {}``, tuples of dict targets) and Nielsen's network.py ``backprop`` (list comprehensions,
``zip``, ``append``, ``for l in range(2, self.num_layers)``, ``nabla_w[-l]``, column vectors), and a blog's
loop over lists of layers (``[None] * len(Ws)``, ``for i in reversed(range(len(Ws)))``, ``np.transpose``,
``delta *= relu_grad(zs[i - 1])`` with ``(z > 0).astype(float)``); CS231n's vectorized softmax and SVM losses
(``binary = margins.copy(); binary[margins > 0] = 1; binary[np.arange(num_train), y] = -row_sum``), and makemore
part 4's exercise 4 in PyTorch (``n = batch_size = Xb.shape[0]``, ``with torch.no_grad():``,
``dlogits[range(n), Yb] -= 1``, the dC loop).

The oracle is independent of derive: each file is run as the NumPy program it is (in the test) on values of a
forward pass written in PyTorch, and what it computes is compared with autograd's gradients.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from derive.checking.backward import check_backward
from derive.cli import main

DATA = Path(__file__).parent / "data" / "backward"
PARAMS = ("W1", "b1", "W2", "b2")


def _cs231n(reg_factor: float, seed: int = 0) -> dict:
    """CS231n's two-layer net: relu, softmax cross-entropy over integer labels y, reg_factor * reg * sum(W * W)."""
    rng = np.random.default_rng(seed)
    N, D, H, C = 5, 4, 6, 3
    r = lambda *s: torch.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    v = dict(X=r(N, D), W1=r(D, H), b1=r(H), W2=r(H, C), b2=r(C))
    y, reg = torch.tensor(rng.integers(0, C, N)), 0.3
    scores = torch.relu(v["X"] @ v["W1"] + v["b1"]) @ v["W2"] + v["b2"]
    loss = torch.nn.functional.cross_entropy(scores, y) + reg_factor * reg * ((v["W1"] ** 2).sum() + (v["W2"] ** 2).sum())
    loss.backward()
    return {"scope": {**{k: t.detach().numpy() for k, t in v.items()}, "y": y.numpy(), "reg": reg},
            "grads": {k: v[k].grad.numpy() for k in PARAMS}}


def _nielsen(seed: int = 0) -> dict:
    """Nielsen's network [4, 5, 3]: sigmoid layers on one column x, C = 0.5 * ||a - y||^2."""
    rng = np.random.default_rng(seed)
    r = lambda *s: torch.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    v = dict(x=r(4, 1), y=r(3, 1), W1=r(5, 4), b1=r(5, 1), W2=r(3, 5), b2=r(3, 1))
    a = torch.sigmoid(v["W2"] @ torch.sigmoid(v["W1"] @ v["x"] + v["b1"]) + v["b2"])
    (0.5 * ((a - v["y"]) ** 2).sum()).backward()
    return {"scope": {k: t.detach().numpy() for k, t in v.items()}, "grads": {k: v[k].grad.numpy() for k in PARAMS}}


def _linear(loss: str, seed: int = 0) -> dict:
    """CS231n's linear classifier scores = X @ W: the softmax or the multiclass SVM (margin 1) loss, + reg * sum(W * W)."""
    rng = np.random.default_rng(seed)
    N, D, C = 6, 4, 3
    X, W = torch.tensor(rng.standard_normal((N, D))), torch.tensor(rng.standard_normal((D, C)), requires_grad=True)
    y, reg = torch.tensor(rng.integers(0, C, N)), 0.3
    scores = X @ W
    if loss == "softmax":
        data = torch.nn.functional.cross_entropy(scores, y)
    else:
        margins = torch.clamp(scores - scores[torch.arange(N), y][:, None] + 1, min=0)
        data = (margins.sum() - N) / N          # the correct class's margin is 1, never counted
    (data + reg * (W ** 2).sum()).backward()
    return {"scope": {"X": X.numpy(), "W": W.detach().numpy(), "y": y.numpy(), "reg": reg}, "grads": {"W": W.grad.numpy()}}


def _bundled_cs231n() -> dict:
    """derive's bundled cs231n program (one-hot Y, mean cross-entropy), from test_backward_heldout's PyTorch."""
    from test_backward_heldout import SIZES, _forward
    v = _forward("cs231n", np.random.default_rng(0))
    return {"scope": {**SIZES, **{k: t.detach().numpy() for k, t in v.items()}},
            "grads": {k: v[k].grad.numpy() for k in PARAMS}}


def _ninja() -> dict:
    """makemore's backprop ninja forward pass (test_backward_heldout's PyTorch), its values as torch tensors:
    exercise 4's backward pass is PyTorch code (F.softmax, .view, torch.zeros_like)."""
    from test_backward_heldout import SIZES, _forward
    v = _forward("ninja", np.random.default_rng(0))
    params = ("C", "W1", "b1", "W2", "b2", "bngain", "bnbias")
    return {"scope": {"torch": torch, "F": torch.nn.functional, **SIZES, **{k: t.detach() for k, t in v.items()}},
            "grads": {k: v[k].grad.numpy() for k in params}}


# file -> (spec, the forward pass and autograd's gradients)
SOURCES = {
    "cs231n_twolayer_loss.py": ("cs231n_twolayer.yaml", lambda: _cs231n(1.0)),
    "cs231n_layers.py": ("cs231n_layers.yaml", lambda: _cs231n(0.5)),
    "nielsen_backprop.py": ("nielsen.yaml", _nielsen),
    "blog_layers_loop.py": ("cs231n", _bundled_cs231n),      # a blog's loop over layer lists
    "cs231n_softmax_vectorized.py": ("cs231n_linear.yaml", lambda: _linear("softmax")),
    "cs231n_svm_vectorized.py": ("cs231n_svm.yaml", lambda: _linear("svm")),
    "ninja_exercise4.py": ("ninja", _ninja),         # n = batch_size = ..., with torch.no_grad():
}


def spec_of(name: str) -> str:
    spec = SOURCES[name][0]
    return str(DATA / spec) if (DATA / spec).exists() else spec


def computed(text: str, forward: dict) -> dict:
    """The gradients the file computes, run as NumPy (our own fixtures, in the test only): grads['W1'] or dW1."""
    scope = {"np": np, **forward["scope"]}
    exec(compile(text, "<file>", "exec"), scope)           # noqa: S102 - our fixture, never a user's file
    grads = scope.get("grads")
    return {k: np.asarray(grads[k] if isinstance(grads, dict) else scope["d" + k]) for k in forward["grads"]}


def agrees(got: dict, want: dict) -> list:
    """The parameters whose gradient differs."""
    return [k for k in want if np.shape(got[k]) != np.shape(want[k]) or not np.allclose(got[k], want[k], rtol=1e-9, atol=1e-12)]


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_a_published_backward_pass_is_right_by_autograd_and_by_derive(name):
    spec, forward = SOURCES[name]
    f = forward()
    text = (DATA / name).read_text()
    assert agrees(computed(text, f), f["grads"]) == []
    report = check_backward(spec_of(name), text)
    assert report.correct, str(report)
    assert {x.name for x in report.lines} >= {"d" + k for k in f["grads"]}


# (file, the line as written, the slip, the gradients autograd then calls wrong)
SLIPS = [
    ("cs231n_twolayer_loss.py", "dscores /= N", "dscores /= 1", {"W1", "b1", "W2", "b2"}),
    ("cs231n_twolayer_loss.py", "grads['W1'] += 2 * reg * W1", "grads['W1'] += reg * W1", {"W1"}),
    ("cs231n_twolayer_loss.py", "dh1[h1 <= 0] = 0", "dh1[h1 > 0] = 0", {"W1", "b1"}),
    ("nielsen_backprop.py", "return sigmoid(z)*(1-sigmoid(z))", "return sigmoid(z)*(1+sigmoid(z))", {"W1", "b1", "W2", "b2"}),
    ("nielsen_backprop.py", "activations[-2].transpose())", "activations[-2])", {"W2"}),
    ("nielsen_backprop.py", "self.weights[-l+1].transpose()", "self.weights[-l+1]", {"W1", "b1"}),
    ("blog_layers_loop.py", "np.sum(delta, axis=0)", "np.sum(delta, axis=1)", {"b1", "b2"}),
    ("blog_layers_loop.py", "zs[i - 1]", "zs[i]", {"W1", "b1"}),
    ("cs231n_softmax_vectorized.py", "dscores[np.arange(num_train), y] -= 1", "dscores[np.arange(num_train), y] += 1", {"W"}),
    ("ninja_exercise4.py", "dhpreact = (1.0 - h**2) * dh", "dhpreact = h * (1.0 - h) * dh",
     {"C", "W1", "bngain", "bnbias"}),          # b1 comes before the batchnorm: its gradient is 0
    ("cs231n_svm_vectorized.py", "binary[np.arange(num_train), y] = -row_sum",
     "binary[np.arange(num_train), y] = row_sum", {"W"}),
]


@pytest.mark.parametrize("name, right, slip, wrong", SLIPS)
def test_a_slip_in_a_published_pass_is_wrong_by_autograd_and_named_at_its_line(name, right, slip, wrong):
    spec, forward = SOURCES[name]
    f = forward()
    text = (DATA / name).read_text()
    assert text.count(right) == 1
    line = text[:text.index(right)].count("\n") + 1
    text = text.replace(right, slip)
    try:
        assert set(agrees(computed(text, f), f["grads"])) == wrong
    except ValueError:                  # NumPy refuses the slip's shapes: wrong too
        assert wrong
    report = check_backward(spec_of(name), text)
    assert [x.line for x in report.lines if not x.correct] == [line], str(report)


def test_the_command_line_reads_them(capsys):
    assert main(["check", str(DATA / "nielsen.yaml"), "--backward", str(DATA / "nielsen_backprop.py")]) == 0
    assert "4 of 4 lines correct" in capsys.readouterr().out


def test_layer_objects_called_in_a_loop_are_refused_in_one_line(capsys):
    """ゼロから作る Deep Learning's TwoLayerNet: Affine, Relu and SoftmaxWithLoss objects, each with its own
    backward(self, dout), run through self.layers.values(): not read, said in one line with what to write."""
    assert main(["check", "cs231n", "--backward", str(DATA / "zero_two_layer_net.py")]) == 2
    err = capsys.readouterr().err.strip()
    assert "line 43: two classes (Relu, Affine) define __init__()" in err and "as functions" in err and "\n" not in err
