"""derive check --backward: right files accepted, each kind of mistake rejected at its line, in words."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from derive.checking.backward import check_backward
from derive.cli import main
from derive.tensor.program import bundled_tensor_examples

DATA = Path(__file__).parent / "data" / "backward"

# example -> [(target, wrong expression, the diagnosis kind that must be among the line's)]
MISTAKES = {
    "cs231n": [
        ("dW2", "dlogits.T @ h", "transpose"),
        ("db2", "dlogits", "not_summed"),
        ("db1", "dhpre.sum(axis=1)", "axis"),
        ("dlogits", "probs - Y", "scale"),
        ("dhpre", "dh", "activation"),
        ("dh", "-dlogits @ W2.T", "sign"),
        ("db2", "dlogits.sum(axis=0, keepdims=True)", "shape"),
    ],
    "batchnorm": [
        ("dout", "(out - Y) / (N - 1)", "n_minus_1"),
        ("dgamma", "(dout * zhat).sum(axis=1)", "axis"),
        ("dbeta", "dout", "not_summed"),
        ("dW", "dz.T @ X", "transpose"),
        ("dbeta", "-dout.sum(axis=0)", "sign"),
        ("dz", "gamma / (N * std) * (N * dout - dout.sum(axis=0) + zhat * (dout * zhat).sum(axis=0))", "sign"),
    ],
    "ninja": [
        ("dbndiff2", "(1.0 / N) * torch.ones_like(bndiff2) * dbnvar", "n_minus_1"),
        ("dhpreact", "dh", "activation"),
        ("dlogprobs", "-F.one_hot(Yb, num_classes=V)", "scale"),
        ("db2", "dlogits.sum(1)", "axis"),
        ("dbnbias", "dhpreact.sum(0)", "shape"),
        ("dW1", "dhprebn.T @ embcat", "transpose"),
        ("dbngain", "bnraw * dhpreact", "not_summed"),
        ("dbnmeani", "dbndiff.sum(0, keepdim=True)", "sign"),
    ],
    "conv1d": [
        ("db", "dz", "not_summed"),
        ("dz", "da", "activation"),
        ("da", "a - Y", "scale"),
        ("db", "-dz.sum()", "sign"),
    ],
    "rnn": [
        ("dh2", "da3 @ Wh", "matmul"),
        ("da2", "dh2", "activation"),
        ("dbh", "da1.sum(axis=1) + da2.sum(axis=0) + da3.sum(axis=0)", "axis"),
        ("dWh", "h1.T @ da2 + h2.T @ da3 + h3.T @ da3", "value"),
        ("dlogits", "softmax(logits, axis=1) - Y", "scale"),
    ],
    "residual": [
        ("df", "dr", "activation"),
        ("dx", "(du * (u > 0)) @ W1.T", "branch"),
        ("dr", "-dlogits @ Wout.T", "sign"),
        ("dWin", "dx.T @ X", "transpose"),
        ("db1", "du * (u > 0)", "not_summed"),
    ],
}


def test_every_example_has_a_right_file_and_mistakes():
    assert set(MISTAKES) == set(bundled_tensor_examples())
    for name in MISTAKES:
        assert (DATA / f"{name}_right.py").exists()


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_right_backward_file_is_accepted(name):
    report = check_backward(name, (DATA / f"{name}_right.py").read_text())
    assert report.correct, str(report)
    assert report.first_wrong is None


def test_ninja_compact_batchnorm_and_cross_entropy_are_accepted():
    report = check_backward("ninja", (DATA / "ninja_compact.py").read_text())
    assert report.correct, str(report)
    assert [x.name for x in report.lines] == ["dlogits", "dh", "dhpreact", "dhprebn", "dW1"]


CASES = [(name, *m) for name in sorted(MISTAKES) for m in MISTAKES[name]]


@pytest.mark.parametrize("name, target, wrong, kind", CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES])
def test_mistake_is_caught_at_its_line_with_its_diagnosis(name, target, wrong, kind):
    lines = (DATA / f"{name}_right.py").read_text().splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith(target + " = "))
    lines[at] = f"{target} = {wrong}"
    report = check_backward(name, "\n".join(lines))
    assert report.first_wrong == at + 1, str(report)
    wrong_lines = [x for x in report.lines if not x.correct]
    assert [x.line for x in wrong_lines] == [at + 1], "one mistake must not make another line wrong"
    kinds = [k for d in wrong_lines[0].diagnosis for k in d.get("kinds", [d["kind"]])]
    assert kind in kinds, str(report)
    assert all(d["message"] for d in wrong_lines[0].diagnosis)


def test_wrong_shape_names_the_shape_it_must_have():
    report = check_backward("cs231n", "db2 = dlogits.sum(axis=0, keepdims=True)")
    (d,) = report.lines[0].diagnosis
    assert "shape" in d["kinds"] and d["kind"] == "keepdims"
    assert "(1, 3)" in d["message"] and "(3,)" in d["message"]


def test_a_line_using_its_own_gradient_is_not_accepted():
    report = check_backward("cs231n", "dW2 = dW2")
    assert not report.correct


def test_cli_json_report_and_exit_codes(tmp_path, capsys):
    f = tmp_path / "bw.py"
    f.write_text("dlogits = (probs - Y) / N\ndW2 = dlogits.T @ h\ndb2 = dlogits.sum(axis=0)\n")
    assert main(["check", "cs231n", "--backward", str(f), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["first_wrong"] == 2
    assert [x["correct"] for x in out["lines"]] == [True, False, True]
    assert set(out["lines"][1]) == {"line", "name", "correct", "diagnosis"}
    assert {"kind", "message"} <= set(out["lines"][1]["diagnosis"][0])
    f.write_text("dlogits = (probs - Y) / N\n")
    assert main(["check", "cs231n", "--backward", str(f)]) == 0
    assert "1 of 1 lines correct" in capsys.readouterr().out
