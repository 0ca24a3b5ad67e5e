"""NumPy views in a backward file: ``b = a``, a basic slice, ``.T``, ``a[...]``, ``reshape`` and a helper's
parameter are the same memory as ``a``, so an in-place change through one changes the other.  derive
follows the change where it can compute it exactly and refuses the file in one line, with the fix, where it
cannot; it never judges a program other than the one NumPy runs.

The oracle is NumPy itself running each file on cs231n's forward pass (in the test), with the gradients
from PyTorch autograd (``run_as_numpy``).
"""
from __future__ import annotations

import numpy as np
import pytest
from test_backward_alias import HEAD, run_as_numpy

from derive.checking.backward import check_backward
from derive.cli import main
from derive.errors import DeriveError

RELU_NO_COPY = "def relu_backward(dA, Z):\n    dZ = dA\n    dZ[Z <= 0] = 0\n    return dZ\ndhpre = relu_backward(dh, hpre)\n"
SCALE = "g = probs - Y\ndef scale(a):\n    a /= N\n    return a\ndlogits = scale(g)\n"
TAIL = "dh = g @ W2.T\ndhpre = dh * (hpre > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n"

RIGHT = {      # every gradient right as NumPy runs the file, and read exactly
    "a slice of a copy changed in place, two parts": HEAD + "dhpre = dh.copy()\nfirst = dhpre[:, :3]\n"
        "first *= (h[:, :3] > 0)\nrest = dhpre[:, 3:]\nrest *= (h[:, 3:] > 0)\nW = X.T @ dhpre\ndW1 = W\ndb1 = dhpre.sum(axis=0)\n",
    "a transposed slice, then a column": HEAD + "dhpre = dh.copy()\nt = dhpre.T[1:, :]\nt *= (h.T[1:, :] > 0)\n"
        "u = dhpre[:, 0]\nu *= (h[:, 0] > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n",
    ".T changed in place, the base read as the masked gradient": HEAD + "g = dh.T\ng *= (h > 0).T\n"
        "dW1 = X.T @ dh\ndb1 = dh.sum(axis=0)\n",
    "the base changed in place, its view read": HEAD + "g = dh[:, :]\ndh *= (h > 0)\ndW1 = X.T @ g\ndb1 = g.sum(axis=0)\n",
    "np.add.at into a view of zeros": HEAD + "dhpre = dh * (h > 0)\ndW1 = X.T @ dhpre\ndb1 = np.zeros(W1.shape[1])\n"
        "v = db1[:]\nnp.add.at(v, np.arange(W1.shape[1]), dhpre.sum(axis=0))\n",
    "a[...] = value": HEAD + "dhpre = dh.copy()\ndhpre[...] = dh * (h > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n",
    "a helper divides its argument in place; the caller's name changed too": SCALE + "dW2 = h.T @ g\n"
        "db2 = g.sum(axis=0)\n" + TAIL,
    "a helper masks its argument and returns it (the caller reads only the result)": HEAD + RELU_NO_COPY +
        "dW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n",
    "dlogits = probs, changed in place, probs not read again": "dlogits = probs\ndlogits -= Y\ndlogits /= N\n"
        "dW2 = h.T @ dlogits\ndb2 = dlogits.sum(axis=0)\ndh = dlogits @ W2.T\ndhpre = dh * (hpre > 0)\n"
        "dW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n",
}

WRONG = [      # (text, the line NumPy's slip is on, the gradient wrong there)
    (HEAD + "dhpre = dh.copy()\nt = dhpre.T[1:, :]\nt *= (h.T[1:, :] > 0)\nu = dhpre[:, 1]\nu *= (h[:, 0] > 0)\n"
     "dW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n", 9, "dhpre"),       # the column's mask from column 0
    (SCALE + "dW2 = h.T @ g * N\ndb2 = g.sum(axis=0)\n" + TAIL, 6, "dW2"),   # g was already divided by N
]

REFUSED = {    # NumPy's value not followed: (text, the refusal's line and fix)
    "a slice's base read after the slice changed": (HEAD + "dhpre = dh[:, :]\ndhpre *= (h > 0)\ndW1 = X.T @ dhpre\n"
        "db1 = dh.sum(axis=0)\n", "line 8: dh is read after line 6 changed dhpre in place", "dhpre = dh[:, :].copy()"),
    "a[...]": (HEAD + "dhpre = dh[...]\ndhpre *= (h > 0)\ndW1 = X.T @ dh\ndb1 = dh.sum(axis=0)\n",
               "line 7: dh is read after line 6 changed dhpre", "dhpre = dh[...].copy()"),
    "reshape (a view or a copy, as the memory lies)": (HEAD + "g = dh.reshape(-1)\ng *= (h > 0).reshape(-1)\n"
        "dW1 = X.T @ dh\ndb1 = dh.sum(axis=0)\n", "line 7: dh is read after line 6 changed g", "g = dh.reshape(-1).copy()"),
    "a helper masks its argument; the caller reads the argument": (HEAD + RELU_NO_COPY + "dW1 = X.T @ dhpre\n"
        "db1 = dh.sum(axis=0)\n", "line 11: dh is read after line 7 changed dZ", "relu_backward(dh.copy(), ...)"),
    "out=": (HEAD + "dhpre = dh.copy()\nnp.multiply(dhpre, h > 0, out=dhpre)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n",
             "line 6: out= writes into dhpre in place", "dhpre = np.multiply(dhpre, h > 0)"),
    "a row view changed in a loop (too large to follow)": (HEAD + "dhpre = dh.copy()\nfor i in range(N):\n"
        "    row = dhpre[i]\n    row *= (h[i] > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n",
        "line 7: dhpre is read after line 8 changed row", "row = dhpre[i].copy()"),
}


@pytest.mark.parametrize("name", list(RIGHT))
def test_a_right_file_with_views_is_right_by_numpy_and_by_derive(name):
    for got, want in run_as_numpy(RIGHT[name]).values():
        np.testing.assert_allclose(got, want, atol=1e-12)
    report = check_backward("cs231n", RIGHT[name])
    assert report.correct, str(report)


@pytest.mark.parametrize("text, line, target", WRONG)
def test_a_slip_through_a_view_is_wrong_by_numpy_and_named_at_its_line(text, line, target):
    assert any(not np.allclose(got, want) for got, want in run_as_numpy(text).values())
    report = check_backward("cs231n", text)
    assert [(x.line, x.name) for x in report.lines if not x.correct] == [(line, target)], str(report)


def test_a_forward_value_changed_through_a_gradient_is_read_changed():
    """dlogits = probs makes probs the same array: probs read after dlogits -= Y is not probs any more
    (NumPy's dW1 is wrong, and derive does not call the file right, as it did when reading probs as a copy)."""
    text = "dlogits = probs\ndlogits -= Y\ndlogits /= N\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(axis=0)\n" \
           "dh = (probs - Y) / N @ W2.T\ndhpre = dh * (hpre > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0)\n"
    numpy = run_as_numpy(text)
    assert not np.allclose(*numpy["dW1"]) and np.allclose(*numpy["dW2"])
    assert not check_backward("cs231n", text).correct


@pytest.mark.parametrize("name", list(REFUSED))
def test_a_change_derive_cannot_follow_is_refused_in_one_line_with_the_fix(name, tmp_path, capsys):
    text, where, fix = REFUSED[name]
    for got, want in run_as_numpy(text).values():      # right as NumPy runs it: refused, never called wrong
        np.testing.assert_allclose(got, want, atol=1e-12)
    with pytest.raises(DeriveError, match=r"^" + where.replace("(", r"\(").replace(")", r"\)")):
        check_backward("cs231n", text)
    f = tmp_path / "student.py"
    f.write_text(text)
    assert main(["check", "cs231n", "--backward", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and fix in err


# What derive's evaluator does not read is refused by its type (errors.NotRead), never by its message: a line
# NumPy computes right is refused even when a small change of it would be right in derive's reading.
REST = "db2 = dlogits.sum(axis=0)\ndh = dlogits @ W2.T\ndhpre = dh * (hpre > 0)\ndW1 = X.T @ dhpre\n" \
       "db1 = dhpre.sum(axis=0)\n"
NOT_READ = {
    "a tensor exponent": ("dlogits = (probs - Y) / N\ndW2 = h.T @ dlogits ** np.ones_like(dlogits)\n" + REST,
                          "line 2: dW2: an exponent must be a number"),
    "np.arange as a value": ("dlogits = (probs - (np.arange(C) == Y.argmax(axis=1)[:, None])) / N\n"
                             "dW2 = h.T @ dlogits\n" + REST, "line 1: dlogits: arange/range is only allowed as an index"),
}


@pytest.mark.parametrize("name", list(NOT_READ))
def test_a_line_derive_does_not_read_is_refused_never_called_wrong(name, tmp_path, capsys):
    text, message = NOT_READ[name]
    for got, want in run_as_numpy(text.replace("C)", "Y.shape[1])")).values():    # right as NumPy runs it
        np.testing.assert_allclose(got, want, atol=1e-12)
    f = tmp_path / "student.py"
    f.write_text(text)
    assert main(["check", "cs231n", "--backward", str(f)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def test_keepdims_as_a_number_is_read_as_numpy_reads_it():
    text = "dlogits = (probs - Y) / N\ndW2 = h.T @ dlogits\ndb2 = dlogits.sum(axis=0, keepdims=0)\n" \
           "dh = dlogits @ W2.T\ndhpre = dh * (hpre > 0)\ndW1 = X.T @ dhpre\ndb1 = dhpre.sum(axis=0, keepdims=False)\n"
    for got, want in run_as_numpy(text).values():
        np.testing.assert_allclose(got, want, atol=1e-12)
    assert check_backward("cs231n", text).correct     # was WRONG: 'keepdims=True keeps an axis that must go'
