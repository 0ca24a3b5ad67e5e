"""Bad tensor programs and backward files: one line on stderr, exit 2, never a traceback."""
from __future__ import annotations


import json

import pytest

from derive.cli import main

GOOD = """name: t
tensor:
  sizes: {N: 4, D: 3, H: 5}
  inputs: {X: [N, D]}
  params: {W: [D, H]}
  forward:
%s
  output: J
"""

BAD = {
    "shape mismatch": ("    logits: X @ X\n    J: sum(logits)", "forward.logits: cannot matmul (4, 3) @ (4, 3)"),
    "broadcast": ("    z: X + W\n    J: sum(z)", "forward.z: cannot broadcast (4, 3) + (3, 5)"),
    "unknown function": ("    z: frobnicate(X @ W)\n    J: sum(z)", "forward.z: unknown function 'frobnicate'"),
    "unknown name": ("    z: X @ V\n    J: sum(z)", "forward.z: unknown name 'V'"),
    "cycle": ("    a: b * 2\n    b: a @ W\n    J: sum(b)", "forward.a: cycle a -> b -> a"),
    "not scalar": ("    z: X @ W\n    J: sum(z, axis=0)", "output: J has shape (5,), not a scalar"),
    "eval attempt": ("    z: __import__('os').system('true')\n    J: sum(X @ W)", "forward.z:"),
    "attribute escape": ("    z: X.__class__\n    J: sum(X @ W)", "forward.z: unknown method"),
    "lambda": ("    z: 'lambda: 1'\n    J: sum(X @ W)", "forward.z:"),
    "string": ("    z: \"'a'\"\n    J: sum(X @ W)", "forward.z: a string is not a tensor"),
    "deep nesting": ("    z: " + "(" * 300 + "X" + ")" * 300 + "\n    J: sum(X @ W)", "forward.z:"),
    "axis out of range": ("    z: sum(X @ W, axis=2)\n    J: sum(z)", "forward.z: sum: axis 2 is out of range"),
}


def _run(capsys, argv):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_program_is_one_line_and_exit_2(case, tmp_path, capsys):
    body, message = BAD[case]
    spec = tmp_path / "bad.yaml"
    spec.write_text(GOOD % body)
    for argv in (["verify", str(spec)], ["check", str(spec), "--backward", str(spec)]):
        code, out, err = _run(capsys, argv)
        assert code == 2, (case, err)
        assert err.count("\n") == 1 and "Traceback" not in err
        assert message in err, err


def test_tensor_field_that_is_not_a_mapping(tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text("tensor: 5\n")
    code, out, err = _run(capsys, ["verify", str(spec)])
    assert code == 2 and err == "derive: error: tensor: expected a mapping\n"


def test_ten_thousand_line_program_is_refused(tmp_path, capsys):
    body = "\n".join(f"    z{i}: X @ W" for i in range(10_000)) + "\n    J: sum(z0)"
    spec = tmp_path / "big.yaml"
    spec.write_text(GOOD % body)
    code, out, err = _run(capsys, ["verify", str(spec)])
    assert code == 2 and err.count("\n") == 1 and "at most" in err


@pytest.mark.parametrize("text, message", [
    ("\n".join(f"dW = X.T @ dz{i}" for i in range(10_000)), "at most"),
    ("dW = X.T @@ dz", "line 1:"),
    ("import os", "no 'dNAME = expression' line"),         # import lines are skipped: nothing is run
    ("os.system('x')", "line 1: expected an assignment"),
    ("dW = __import__('os')", "line 1:"),
    ("dW = X.T @ (dz", "line 1:"),
    ("", "no 'dNAME = expression' line"),
])
def test_unusable_backward_file_is_one_line_and_exit_2(text, message, tmp_path, capsys):
    f = tmp_path / "bw.py"
    f.write_text(text)
    code, out, err = _run(capsys, ["check", "cs231n", "--backward", str(f), "--json"])
    assert code == 2, err
    assert err.count("\n") == 1 and message in err
    assert json.loads(out) == {"error": err.strip().removeprefix("derive: error: ")}


def test_a_line_that_would_build_a_huge_tensor_is_refused_quickly(tmp_path, capsys):
    f = tmp_path / "bw.py"
    f.write_text("dW1 = (X[:, None, None, None] * X[None, :, None, None] * X[None, None, :, None]"
                 " * X[None, None, None, :]).sum()\ndW2 = h.T @ dlogits\n")
    code, out, err = _run(capsys, ["check", "cs231n", "--backward", str(f), "--json"])
    report = json.loads(out)
    assert code == 1 and report["first_wrong"] == 1 and report["lines"][1]["correct"]
    assert "larger than" in report["lines"][0]["diagnosis"][0]["message"]


def test_backward_check_runs_under_a_hard_time_limit(tmp_path, capsys):
    """A line that would run for long is stopped by the sandbox (one line, exit 2)."""
    f = tmp_path / "bw.py"
    f.write_text("dW1 = (X.reshape(64 * 3, 1) @ X.reshape(1, 64 * 3)).reshape(64 * 3 * 64 * 3, 1).sum() "
                 "* ones_like(W1)\n")
    code, out, err = _run(capsys, ["check", "cs231n", "--backward", str(f), "--timeout", "0.001"])
    assert code == 2 and "time limit" in err and err.count("\n") == 1
