"""Ordinary bad input is exit 2 with one line naming the argument or field, never "internal error" (exit 3).

Each case was an exit 3 (issue 12, or found by tests/test_fuzz.py); the line must name what is wrong.
"""
from __future__ import annotations

import json

import pytest

from derive.cli import main

LAYERED = {"name": "n", "inputs": 2, "layers": [{"units": 1}], "loss": "half_sse"}
# a graph whose forward values overflow a float (exp of exp of 10^4)
OVERFLOW = {"name": "big", "graph": {"inputs": ["A"], "params": ["W"], "nodes": {"P": "exp(exp(W*A))"}},
            "loss": "none", "values": {"inputs": {"A": 100}, "params": {"W": 100}, "targets": {}}}

CASES = [
    # (files to create {name: text}, argv, words the one line must contain)
    ({}, ["check", "--timeout", "nan", "--param", "w11", "--answer", "x1"], ["--timeout"]),
    ({}, ["check", "--timeout", "inf", "--param", "w11", "--answer", "x1"], ["--timeout"]),
    ({}, ["check", "--timeout", "1e300", "--param", "w11", "--answer", "x1"], ["--timeout", "3600"]),
    ({}, ["check", "--timeout", "-1", "--param", "w11", "--answer", "x1"], ["--timeout"]),
    ({}, ["grade", "seed002", "a.csv", "--timeout", "nan"], ["--timeout"]),
    ({}, ["grade", "seed002", "a.csv", "--workers", "0"], ["--workers"]),
    ({}, ["verify", "--timeout", "0"], ["--timeout"]),
    ({}, ["train", "--seed", "-1"], ["--seed"]),
    ({}, ["train", "--seed", "99999999999999999999"], ["--seed"]),
    ({}, ["export", "-o", "m.py", "--seed", "-5"], ["--seed"]),
    ({}, ["train", "--steps", "1", "--plot", "x.txt"], ["--plot", ".png"]),
    ({}, ["train", "--lr", "nan"], ["--lr"]),
    ({}, ["train", "--batch", "0"], ["--batch"]),
    ({}, ["verify", "--max-memory", "1"], ["--max-memory"]),
    ({"f.txt": "x"}, ["notes", "--out", "f.txt"], ["--out", "folder"]),
    ({}, ["notes", "--out", "/dev/null"], ["--out", "folder"]),
    ({"s.json": json.dumps({**LAYERED, "notation": {"a": 1}})}, ["verify", "s.json"], ["notation"]),
    ({"s.json": json.dumps({**LAYERED, "notation": ["a"]})}, ["verify", "s.json"], ["notation"]),
    ({"s.json": json.dumps({**LAYERED, "description": "a\u202eb"})}, ["verify", "s.json"], ["description", "U+202E"]),
    ({"s.json": json.dumps({**LAYERED, "description": 5})}, ["verify", "s.json"], ["description"]),
    ({}, ["verify", "/dev/zero"], ["/dev/zero", "larger"]),
    ({}, ["grade", "seed002", "/dev/zero"], ["/dev/zero", "larger"]),
    ({}, ["train", "xor", "--data", "/dev/zero"], ["/dev/zero", "larger"]),
    ({}, ["check", "--param", "w11", "--answer-file", "/dev/zero"], ["/dev/zero", "larger"]),
    ({}, ["check", "--derivation", "/dev/zero"], ["/dev/zero", "larger"]),
    ({}, ["verify", "/proc/self/status/x"], ["cannot read"]),
    ({}, ["verify", "."], ["folder"]),
    ({"a.csv": "id,param,answer\n1,w11,x1\n"}, ["grade", "seed002", "a.csv", "--out", "a.csv"], ["--out", "answers"]),
    ({"a.csv": "id,param,answer\n1,w11,x1\n"}, ["grade", "seed002", "a.csv", "--out", "r.json"], ["--out", "same"]),
    ({"a.csv": "id,param,answer\n1,w11,x1\n"}, ["grade", "seed002", "a.csv", "--out", "r.csv", "--json-out", "r.csv"],
     ["same file"]),
    ({"a.csv": "id,param,answer\n1,w11,x1\n"}, ["grade", "seed002", "a.csv", "--out", "/dev/null"], ["--out"]),
    ({"a.csv": "id,param,answer\n1,w11,x1\n"}, ["grade", "seed002", "a.csv", "--out", "."], ["--out", "file name"]),
    ({}, ["export", "-o", "/dev/null.py/x.py"], ["cannot write"]),
    # found by tests/test_fuzz.py
    ({}, ["verify", "nul\x00"], ["nul"]),
    ({}, ["train", "nul\x00", "--steps", "1"], ["nul"]),
    ({}, ["verify", "x" * 300], ["x" * 40]),
    ({}, ["verify", "y/" + "x" * 300], ["cannot read"]),
    ({}, ["train", "xor", "--data", "a\x00.csv"], ["cannot read"]),
    ({}, ["grade", "seed002", "a\x00.csv"], ["cannot read"]),
    ({"a.csv": "id,param,answer\n1,w11,x1\n"}, ["grade", "seed002", "a.csv", "--out", "r\x00.csv"], ["--out"]),
    ({}, ["notes", "--out", "o\x00"], ["o"]),
    ({}, ["export", "-o", "m\x00.py"], ["cannot write"]),
    ({}, ["check", "--derivation", "d\x00.md"], ["cannot read"]),
    ({"o.json": json.dumps(OVERFLOW)}, ["notes", "o.json", "--format", "md", "--out", "n"], ["values", "P"]),
    # found by the fuzz harness's tensor programs (issue 18)
    ({"t.json": json.dumps({"tensor": {"sizes": {"N": 2}, "inputs": {"X": ["N"]}, "params": {"W": ["N"]},
                                       "forward": {"J": "sum(X * W)"}, "output": ["J"]}})},
     ["verify", "t.json"], ["output"]),
]


@pytest.mark.parametrize("files, argv, words", CASES, ids=[" ".join(c[1])[:60] for c in CASES])
def test_bad_input_is_one_line_exit_2(tmp_path, monkeypatch, capsys, files, argv, words):
    monkeypatch.chdir(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("derive: error: ") and err.count("\n") == 1, err
    for w in words:
        assert w in err, err
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before    # inputs untouched


def test_training_that_overflows_is_one_line(tmp_path, capsys):
    """exp(exp(W*A)) at W*A = 50 overflows: one line naming the step, no NumPy warnings."""
    spec = tmp_path / "over.yaml"
    spec.write_text("name: overflow\ngraph:\n  inputs: [A]\n  params: [W]\n  nodes: {P: exp(exp(W*A))}\n"
                    "  output: [P]\nloss: half_sse\ntargets: [C]\nvalues:\n  inputs: {A: 10}\n"
                    "  params: {W: 5}\n  targets: {C: 1}\n", encoding="utf-8")
    from derive.cli import main
    assert main(["train", str(spec), "--steps", "2"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "loss became inf" in err[0], err
