"""Held-out backward files in deeplearning.ai's style (written for these tests): examples as columns
(X is features x m), ``linear_backward(dZ, cache)``, ``relu_backward``/``sigmoid_backward`` with caches,
``linear_activation_backward(dA, cache, activation)`` with an ``if`` on the activation's name, and
``L_model_backward(AL, Y, caches)`` keeping its gradients in ``grads["dW" + str(l + 1)]`` over a reversed
loop on the layers, each helper returning several values and unpacking tuple caches; and the one-hidden-layer
``backward_propagation(parameters, cache, X, Y)`` reading dict literals, with a docstring, returning
``{"dW1": dW1, ...}``.

The oracle is independent of derive: each file is run as the NumPy program it is (here, in the test) on a
forward pass written in PyTorch, and its ``grads`` compared with autograd's.  The course's ``dA`` are the
gradients of the sum of the m losses, m * dJ/dA (``dAL = -(Y / AL - (1 - Y) / (1 - AL))``, and every
``dW = 1/m * dZ @ A_prev.T`` applies the 1/m): the test checks them as that, and derive reads them so.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from derive.checking.backward import check_backward
from derive.cli import main

DATA = Path(__file__).parent / "data" / "backward"
SIZES = {"D": 4, "H": 5, "K": 3, "m": 7}      # ng_planar.yaml: D, H and m


def forward(name: str, seed: int = 0) -> dict:
    """The forward pass of ng_deep.yaml (an ng_L_model file) or ng_planar.yaml in PyTorch (float64), every
    value keeping its gradient."""
    rng = np.random.default_rng(seed)
    D, H, K, m = (SIZES[k] for k in "DHKm")
    r = lambda *s: torch.tensor(rng.standard_normal(s), requires_grad=True)  # noqa: E731
    v = dict(X=r(D, m), Y=torch.tensor(rng.uniform(0.1, 0.9, (1, m))), W1=r(H, D), b1=r(H, 1))
    v["Z1"] = v["W1"] @ v["X"] + v["b1"]
    if name.startswith("ng_planar"):
        v.update(W2=r(1, H), b2=r(1, 1))
        v["A1"] = torch.tanh(v["Z1"])
        v["Z2"] = v["W2"] @ v["A1"] + v["b2"]
        out = v["A2"] = torch.sigmoid(v["Z2"])
    else:
        v.update(W2=r(K, H), b2=r(K, 1), W3=r(1, K), b3=r(1, 1))
        v["A1"] = torch.relu(v["Z1"])
        v["Z2"] = v["W2"] @ v["A1"] + v["b2"]
        v["A2"] = torch.relu(v["Z2"])
        v["Z3"] = v["W3"] @ v["A2"] + v["b3"]
        out = v["A3"] = torch.sigmoid(v["Z3"])
    v["J"] = -(v["Y"] * torch.log(out) + (1 - v["Y"]) * torch.log(1 - out)).sum() / m
    for t in v.values():
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
    v["J"].backward()
    return v


def run_as_numpy(name: str) -> tuple[dict, dict]:
    """The file's grads, run by NumPy (in this test only), and what autograd says each should be."""
    v = forward(name)
    scope = {k: t.detach().numpy() for k, t in v.items()}
    exec(compile((DATA / name).read_text(), name, "exec"), scope)        # our own fixture, never a user's file
    want = {k: v[k[1:]].grad.numpy() * (SIZES["m"] if k.startswith("dA") else 1) for k in scope["grads"]
            if k[1:] in v and v[k[1:]].grad is not None}
    return scope["grads"], want


def agrees(got, want) -> bool:
    return np.shape(got) == np.shape(want) and np.allclose(got, want, rtol=1e-9, atol=1e-12)


SPEC = str(DATA / "ng_deep.yaml")


def spec(name: str) -> str:
    return str(DATA / "ng_planar.yaml") if name.startswith("ng_planar") else SPEC


DEEP = {"dW1", "db1", "dW2", "db2", "dW3", "db3", "dA1", "dA2"}
RIGHT = [("ng_L_model.py", DEEP), ("ng_planar.py", {"dW1", "db1", "dW2", "db2"}),   # and what it computes
         ("ng_L_model_loop.py", DEEP)]     # one loop over range(L, 0, -1), f"dW{l}", a tuple of dict targets
WRONG = [   # (file, the slip's line, what it makes wrong by autograd)
    ("ng_L_model_db_axis.py", 23, {"db1", "db2", "db3"}),        # np.sum(dZ, axis=0, ...) in linear_backward
    ("ng_L_model_no_mean.py", 22, {"dW1", "dW2", "dW3"}),        # dW = np.dot(dZ, A_prev.T), no 1/m
    ("ng_L_model_key.py", 54, {"dW1"}),                          # grads["dW" + str(l)]: one layer off
    ("ng_L_model_mask.py", 15, {"dA1", "dW1", "db1", "dW2", "db2"}),   # dZ[dA <= 0] = 0 in relu_backward
    ("ng_L_model_loop_axis.py", 14, {"db1", "db2", "db3"}),      # np.mean(dZ, axis=0, keepdims=True)
    ("ng_planar_tanh.py", 22, {"dW1", "db1"}),                   # dZ1 = np.dot(W2.T, dZ2), no 1 - A1**2
    ("ng_planar_transpose.py", 20, {"dW2"}),                     # np.dot(A1, dZ2.T)
]


@pytest.mark.parametrize("name, computed", RIGHT)
def test_a_right_file_is_right_by_autograd_and_by_derive(name, computed):
    got, want = run_as_numpy(name)
    assert computed <= set(want)
    assert all(agrees(got[k], want[k]) for k in want), [k for k in want if not agrees(got[k], want[k])]
    report = check_backward(spec(name), (DATA / name).read_text())
    assert report.correct, str(report)
    assert {x.name for x in report.lines} == computed


@pytest.mark.parametrize("name, line, wrong", WRONG)
def test_a_slip_is_wrong_by_autograd_and_named_at_its_line(name, line, wrong):
    got, want = run_as_numpy(name)
    assert {k for k in want if k in got and not agrees(got[k], want[k])} == wrong
    report = check_backward(spec(name), (DATA / name).read_text())
    assert [x.line for x in report.lines if not x.correct] == [line], str(report)


def test_the_command_line_says_it_in_its_exit_code(capsys):
    assert main(["check", SPEC, "--backward", str(DATA / "ng_L_model.py")]) == 0
    assert main(["check", SPEC, "--backward", str(DATA / "ng_L_model_db_axis.py")]) == 1
    assert "line 23" in capsys.readouterr().out


# From-scratch MLPs on cs231n's net, rows as examples: a d2l.ai-style function taking params and state lists
# and returning a list, and a blog-style class (self.W1, a forward and a backward method setting self.dW1).
# The oracle: the file run as NumPy on test_backward_heldout's PyTorch forward pass, against autograd.
SCRATCH_RIGHT = ["d2l_mlp.py", "blog_class.py", "blog_class_update.py"]     # the last updates W1, W2 after
SCRATCH_WRONG = [
    ("d2l_mlp_axis.py", 15, "db2"),            # dO.sum(axis=1)
    ("d2l_mlp_transpose.py", 14, "dW2"),       # np.matmul(dO.T, H)
    ("blog_class_axis.py", 24, "db2"),         # self.db2 = np.sum(delta3, axis=1)
    ("blog_class_transpose.py", 23, "dW2"),    # self.dW2 = np.dot(delta3.T, self.a1)
]


def run_scratch(name: str) -> tuple[dict, dict]:
    """The file's gradients run by NumPy (in this test) on test_backward_heldout's cs231n forward pass in
    PyTorch, and autograd's."""
    from test_backward_heldout import SIZES as HELD, _forward
    v = _forward("cs231n", np.random.default_rng(0))
    scope = {"np": np, **HELD, **{k: t.detach().numpy() for k, t in v.items()}}
    exec(compile((DATA / name).read_text(), name, "exec"), scope)        # our own fixture, never a user's file
    for obj in [x for x in scope.values() if "dW1" in getattr(x, "__dict__", {})]:
        scope.update(vars(obj))                # a class's gradients are its attributes (nn.dW1)
    return scope, {"d" + k: t.grad.numpy() for k, t in v.items() if t.grad is not None}


@pytest.mark.parametrize("name", SCRATCH_RIGHT)
def test_a_from_scratch_file_is_right_by_autograd_and_by_derive(name):
    got, truth = run_scratch(name)
    assert all(agrees(got[k], truth[k]) for k in ("dW1", "db1", "dW2", "db2"))
    report = check_backward("cs231n", (DATA / name).read_text())
    assert report.correct, str(report)
    assert {x.name for x in report.lines} == {"dW1", "db1", "dW2", "db2"}


@pytest.mark.parametrize("name, line, target", SCRATCH_WRONG)
def test_a_from_scratch_slip_is_wrong_by_autograd_and_named_at_its_line(name, line, target):
    got, truth = run_scratch(name)
    assert [k for k in ("dW1", "db1", "dW2", "db2") if not agrees(got[k], truth[k])] == [target]
    report = check_backward("cs231n", (DATA / name).read_text())
    assert [(x.line, x.name) for x in report.lines if not x.correct] == [(line, target)], str(report)


@pytest.mark.parametrize("text, message", [
    ("class Net(nn.Module):\n    def backward(self):\n        return 1\n", "line 1: a class is read as 'class Name:'"),
    ("class Net:\n    scale = 2\n    def backward(self):\n        return 1\n", "line 2: only methods"),
    ("def f(x):\n    for i in range(2):\n        return x\n    return x\n", "line 3: a 'return' inside a loop"),
    ("grads = {}\ngrads[\"dW2\"] += h.T @ probs\n", "line 2: grads['dW2'] is updated before it is set"),
])
def test_what_the_class_and_dict_readers_do_not_read_is_refused_in_one_line(text, message, tmp_path, capsys):
    f = tmp_path / "bad.py"
    f.write_text(text)
    assert main(["check", "cs231n", "--backward", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_a_name_starting_with_class_is_a_name():
    assert check_backward("cs231n", "class_scale = N\ndlogits = (probs - Y) / class_scale\ndW2 = h.T @ dlogits\n").correct


def test_a_weight_updated_before_the_backward_pass_reads_it_is_wrong_where_autograd_says():
    """self.W2 -= self.lr * self.dW2 before d_hidden = d_scores @ self.W2.T: NumPy's dW1 and db1 use the new
    W2, so they are wrong (autograd), and derive, reading the attribute as changed, says so."""
    got, truth = run_scratch("blog_class_update_early.py")
    assert [k for k in ("dW1", "db1", "dW2", "db2") if not agrees(got[k], truth[k])] == ["dW1", "db1"]
    report = check_backward("cs231n", (DATA / "blog_class_update_early.py").read_text())
    assert [(x.line, x.name) for x in report.lines if not x.correct] == [(27, "dW1"), (28, "db1")], str(report)


def test_a_class_without_init_starts_empty_and_an_unclosed_docstring_is_refused(tmp_path, capsys):
    text = "class Net:\n    def grad(self):\n        return (probs - Y) / N\n\n\nnet = Net()\ndlogits = net.grad()\n"
    assert check_backward("cs231n", text).correct
    f = tmp_path / "bad.py"
    f.write_text('dW2 = h.T @ (probs - Y) / N\n"""\nnever closed\n')
    assert main(["check", "cs231n", "--backward", str(f)]) == 2
    assert "line 2: a \"\"\" string is never closed" in capsys.readouterr().err
