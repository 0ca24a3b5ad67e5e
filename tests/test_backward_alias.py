"""``b = a`` in NumPy binds a second name to one array: a backward file is judged as the program that runs.

The right answers below are checked against NumPy itself running the same lines on cs231n's forward pass,
with PyTorch autograd as the oracle for the gradients.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from derive.checking.backward import check_backward
from derive.cli import main
from derive.errors import DeriveError

HEAD = "dlogits = (probs - Y) / N\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(axis=0)\ndh = dlogits @ W2.T\n"
SHARED = HEAD + "dhpre = dh\ndhpre[h <= 0] = 0\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n"
READ_AFTER = HEAD + "dhpre = dh\ndhpre *= (h > 0)\ndW1 = X.T @ dhpre\ndb1 = dh.sum(axis=0)\n"
COPIED = HEAD + "dhpre = dh.copy()\ndhpre *= (h > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n"


def run_as_numpy(text: str) -> dict:
    """The file's lines run by NumPy (in this test only) on a random cs231n forward pass, and autograd's
    gradients of the same loss."""
    rng = np.random.default_rng(3)
    N, D, H, C = 5, 4, 6, 3
    X, W1, b1, W2, b2 = (rng.standard_normal(s) for s in ((N, D), (D, H), (H,), (H, C), (C,)))
    Y = np.eye(C)[rng.integers(0, C, N)]
    t = {k: torch.tensor(v, requires_grad=True) for k, v in dict(W1=W1, b1=b1, W2=W2, b2=b2).items()}
    hpre_t = torch.tensor(X) @ t["W1"] + t["b1"]
    logits = torch.relu(hpre_t) @ t["W2"] + t["b2"]
    (-(torch.tensor(Y) * torch.log_softmax(logits, 1)).sum() / N).backward()
    hpre = X @ W1 + b1
    h = np.maximum(hpre, 0)
    z = h @ W2 + b2
    probs = np.exp(z - z.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    env = dict(np=np, X=X, Y=Y, N=N, W1=W1, W2=W2, h=h, hpre=hpre, probs=probs)
    exec(compile(text, "student.py", "exec"), env)           # our own fixture, never a user's file
    return {k: (env[k], t[k[1:]].grad.numpy()) for k in ("dW1", "db1", "dW2", "db2")}


@pytest.mark.parametrize("text", [SHARED, READ_AFTER, COPIED])
def test_every_file_here_is_right_as_numpy_runs_it(text):
    for got, want in run_as_numpy(text).values():
        np.testing.assert_allclose(got, want, atol=1e-12)


def test_a_shared_array_changed_in_place_and_not_read_again_is_judged_as_usual():
    assert check_backward("cs231n", SHARED).correct
    assert check_backward("cs231n", COPIED).correct


def test_reading_a_name_whose_array_another_name_changed_in_place_is_refused_with_the_fix(capsys, tmp_path):
    with pytest.raises(DeriveError, match=r"line 8: dh is read after line 6 changed dhpre in place.*"
                                          r"write dhpre = dh\.copy\(\)"):
        check_backward("cs231n", READ_AFTER)
    f = tmp_path / "student.py"
    f.write_text(READ_AFTER)
    assert main(["check", "cs231n", "--backward", str(f)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dhpre = dh.copy()" in err[0]


def test_the_source_changed_in_place_makes_the_other_name_stale_too():
    text = HEAD + "dhpre = dh\ndh *= (h > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n"
    for got, want in run_as_numpy(text).values():
        np.testing.assert_allclose(got, want, atol=1e-12)      # NumPy: dhpre was masked with dh
    with pytest.raises(DeriveError, match=r"line 7: dhpre is read after line 6 changed dh in place"):
        check_backward("cs231n", text)


def test_a_new_value_ends_the_sharing():
    text = HEAD + "dhpre = dh\ndhpre = dh * (h > 0)\ndhpre *= 1\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n" \
                  "dW2 = dW2 + 0 * dh.sum()\n"
    assert check_backward("cs231n", text).correct
