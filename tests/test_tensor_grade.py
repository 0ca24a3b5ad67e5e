"""derive grade for a tensor program: each answer (a formula or backward lines for one gradient tensor)
graded as check --backward grades a line; right or wrong decided by PyTorch autograd, independently."""
from __future__ import annotations

import csv
import json

import pytest

from derive.cli import main
from derive.codegen.tensor import make_values
from derive.tensor.program import load_program

from tensor_oracle import torch_truth, torch_verdict

# example -> [(param, answer, a diagnosis kind a wrong answer must get, or None)]
ANSWERS = {
    "cs231n": [
        ("dW2", "h.T @ dlogits", None),
        ("dW2", "dlogits.T @ h", "transpose"),
        ("W2", "h.T @ dlogits", None),
        ("dW2", "h^T @ dlogits", None),                       # the transpose as the notes write it
        ("db2", "dlogits.sum(axis=0)", None),
        ("db2", "dlogits", "not_summed"),
        ("db1", "dhpre.sum(1)", "axis"),
        ("dlogits", "probs - Y", "scale"),
        ("dlogits", "(probs - Y) / N", None),
        ("dhpre", "dh", "activation"),
        ("dhpre", "dh * (hpre > 0)", None),
        ("dh", "-dlogits @ W2.T", "sign"),
        ("dW1", "X.T @ dhpre", None),
    ],
    "ninja": [
        ("dC", "F.one_hot(Xb, num_classes=V).float().view(-1, V).T @ demb.view(-1, E)", None),
        ("dC", "one_hot(Xb, V).reshape(-1, V).T @ demb.reshape(-1, E)", None),
        ("dC", "one_hot(Xb, V).reshape(-1, V) @ demb.reshape(-1, E)", "matmul"),   # cannot be computed; the fix is a transpose
        ("dlogprobs", "-F.one_hot(Yb, num_classes=V) / N", None),
        ("dlogprobs", "-F.one_hot(Yb, num_classes=V)", "scale"),
        ("dbndiff2", "(1.0 / N) * torch.ones_like(bndiff2) * dbnvar", "n_minus_1"),
        ("dbndiff2", "1 / (N - 1) * torch.ones_like(bndiff2) * dbnvar", None),
        ("dhpreact", "dh * (1 - h**2)", None),
        ("dhpreact", "dh", "activation"),
        ("dbngain", "bnraw * dhpreact", "not_summed"),
    ],
}


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "param", "answer"])
        w.writerows(rows)
    return path


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_grade_agrees_with_pytorch_autograd_and_names_the_mistake(name, tmp_path, capsys):
    prog = load_program(name)
    sizes = prog.realistic(48)
    v = make_values(prog, sizes, 11)
    truth = torch_truth(prog, {**v["inputs"], **v["params"]}, sizes)
    rows = [(f"s{i}", p, a) for i, (p, a, _) in enumerate(ANSWERS[name])]
    out = tmp_path / "report.csv"
    assert main(["grade", name, str(_csv(tmp_path / "a.csv", rows)), "--out", str(out), "--no-progress",
                 "--workers", "2"]) == 0
    assert "graded" in capsys.readouterr().out
    report = json.loads(out.with_suffix(".json").read_text())
    got = {r["id"]: r for r in report["rows"]}
    for (i, p, a), (_, _, kind) in zip(rows, ANSWERS[name]):
        target = p if p.startswith("d") and p[1:] in dict(truth) else "d" + p
        right = torch_verdict(prog, truth, sizes, target, a)
        assert right == (kind is None), (p, a)                      # the list itself agrees with PyTorch
        assert got[i]["status"] == ("correct" if right else "incorrect"), (p, a, got[i])
        if kind:
            assert kind in got[i]["kinds"], (p, a, got[i]["kinds"])
            assert got[i]["diagnosis"]
    assert report["summary"]["correct"] == sum(k is None for _, _, k in ANSWERS[name])


def test_answers_as_lines_left_sides_and_unusable_rows(tmp_path, capsys):
    marker = tmp_path / "pwned"
    rows = [
        ("lines", "dW1", "dhpre = dh * (hpre > 0)\ndW1 = X.T @ dhpre"),          # helper lines before the answer
        ("left", "dW2", "dW2 = h.T @ dlogits"),
        ("other", "dW2", "dW1 = X.T @ dhpre"),                                    # the left side names another
        ("syntax", "dW2", "h.T @@ dlogits"),
        ("tensor", "dZ", "X"),
        ("hostile", "dW2", f"__import__('os').system('touch {marker}')"),
        ("empty", "db2", ""),
    ]
    out = tmp_path / "r.csv"
    assert main(["grade", "cs231n", str(_csv(tmp_path / "a.csv", rows)), "--out", str(out), "--no-progress"]) == 0
    got = {r["id"]: r for r in json.loads(out.with_suffix(".json").read_text())["rows"]}
    assert got["lines"]["status"] == "correct" and got["lines"]["parsed"] == "dW1 = X.T @ dhpre"
    assert got["left"]["status"] == "correct"
    assert got["other"]["status"] == "unusable" and "the left side is dW1" in got["other"]["error"]
    assert got["syntax"]["status"] == "unusable" and got["syntax"]["error"].count("\n") == 0
    assert got["tensor"]["status"] == "unusable" and "not a gradient tensor" in got["tensor"]["error"]
    assert got["hostile"]["status"] in ("unusable", "incorrect") and not marker.exists()
    assert got["empty"]["status"] == "unanswered"
    assert "unusable" in capsys.readouterr().out


def test_a_bad_csv_or_program_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("who,what\n1,2\n")
    assert main(["grade", "cs231n", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "missing column" in err and err.strip().count("\n") == 0
    spec = tmp_path / "p.yaml"
    spec.write_text("tensor:\n  sizes: {N: 2}\n  inputs: {X: [N, 3]}\n  params: {W: [4, 2]}\n"
                    "  forward: {J: sum(X @ W)}\n  output: J\n")
    assert main(["grade", str(spec), str(_csv(tmp_path / "a.csv", [("1", "dW", "X")]))]) == 2
    err = capsys.readouterr().err
    assert "cannot matmul" in err and "Traceback" not in err
