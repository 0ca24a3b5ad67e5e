"""derive serve with a tensor program: the page's API gives the CLI's objects (verify, check --backward),
checks one formula or a whole backward pass line by line, grades a class CSV, and refuses bad input
with a 4xx and one line.  Right or wrong is decided independently by PyTorch autograd."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from derive.codegen.tensor import make_values
from derive.tensor.program import load_program

from serving import ROOT, Served, wait_for
from tensor_oracle import torch_truth, torch_verdict

DATA = Path(__file__).parent / "data" / "backward"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    s = Served(tmp_path_factory.mktemp("serve-tensor"))
    yield s
    err = s.stop()
    assert "Traceback" not in err, err
    assert not any(s.cwd.iterdir()) and not any(s.tmp.iterdir())


@pytest.fixture(scope="module")
def truth():
    prog = load_program("cs231n")
    sizes = prog.realistic(40)
    v = make_values(prog, sizes, 5)
    return prog, sizes, torch_truth(prog, {**v["inputs"], **v["params"]}, sizes)


def cli_json(*args) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "derive", *args, "--json"], capture_output=True, text=True,
                         timeout=120, env=env)
    return json.loads(out.stdout)


def test_the_examples_include_the_tensor_programs(server):
    status, body, _ = server.get("/api/examples")
    assert status == 200 and {"seed002", "cs231n", "ninja", "conv1d"} <= set(body["examples"])
    status, body, _ = server.get("/api/examples/ninja")
    assert status == 200 and "C[Xb]" in body["text"]


def test_spec_offers_every_gradient_tensor(server):
    status, body, _ = server.post("/api/spec", {"spec": "cs231n"})
    assert status == 200 and body["kind"] == "tensor"
    assert body["params"] == ["dprobs", "dlogits", "dW2", "db2", "dh", "dhpre", "dW1", "db1"]
    assert body["shapes"]["dW2"] == [5, 3]          # W2: [H, C] at H = 5, C = 3 in the spec


def test_verify_and_backward_are_the_cli_objects(server):
    status, body, _ = server.post("/api/verify", {"spec": "conv1d"})
    assert status == 200 and body == cli_json("verify", "conv1d") and body["all_proven"]
    wrong = (DATA / "ninja_student.py").read_text()
    status, body, _ = server.post("/api/check", {"spec": "ninja", "backward": wrong})
    assert status == 200
    assert body == cli_json("check", "ninja", "--backward", str(DATA / "ninja_student.py"))
    assert body["first_wrong"] == 1
    one = {"spec": "cs231n", "param": "W2", "answer": "dlogits.T @ h"}
    status, body, _ = server.post("/api/check", one)
    assert status == 200 and body == cli_json("check", "cs231n", "--param", "W2", "--answer", one["answer"])


@pytest.mark.parametrize("param, answer, kind", [
    ("dW2", "h.T @ dlogits", None),
    ("W2", "dW2 = h.T @ dlogits", None),
    ("dW2", "dlogits.T @ h", "transpose"),
    ("db2", "dlogits", "not_summed"),
    ("db1", "dhpre.sum(axis=1)", "axis"),
    ("dlogits", "probs - Y", "scale"),
    ("dhpre", "dh", "activation"),
    ("dh", "-dlogits @ W2.T", "sign"),
    ("dlogits", "(probs - Y) / N", None),
])
def test_one_formula_is_judged_as_pytorch_judges_it(server, truth, param, answer, kind):
    prog, sizes, t = truth
    target = param if param.startswith("d") else "d" + param
    right = torch_verdict(prog, t, sizes, target, re.sub(r"^\s*d\w+\s*=(?!=)", "", answer))
    assert right == (kind is None)
    status, body, _ = server.post("/api/check", {"spec": "cs231n", "param": param, "answer": answer})
    assert status == 200
    assert [x["name"] for x in body["lines"]] == [target]
    assert body["lines"][0]["correct"] is right and (body["first_wrong"] is None) is right
    if kind:
        assert kind in [d["kind"] for d in body["lines"][0]["diagnosis"]]


def test_a_backward_pass_is_marked_line_by_line_as_pytorch_would(server, truth):
    prog, sizes, t = truth
    lines = (DATA / "cs231n_right.py").read_text().splitlines()
    lines = [x.replace("h.T @ dlogits", "dlogits.T @ h").replace("dhpre.sum(axis=0)", "dhpre.sum(axis=1)")
             for x in lines]
    status, body, _ = server.post("/api/check", {"spec": "cs231n", "backward": "\n".join(lines)})
    assert status == 200
    by_line = {x["line"]: x for x in body["lines"]}
    for k, line in enumerate(lines, 1):
        body_ = line.split("#", 1)[0].strip()
        if not body_:
            continue
        target, formula = (s.strip() for s in body_.split("=", 1))
        assert by_line[k]["correct"] is torch_verdict(prog, t, sizes, target, formula), line
    assert [x["name"] for x in body["lines"] if not x["correct"]] == ["dW2", "db1"]


def test_preview_and_notes(server):
    status, body, _ = server.post("/api/parse", {"spec": "cs231n", "answer": "dW2 = h.T @ dlogits"})
    assert status == 200 and body["latex"] == "\\mathrm{d}W_{2} = {h}^{\\top}\\, \\mathrm{d}\\mathrm{logits}"
    assert body["mathml"].startswith("<math")
    status, body, _ = server.post("/api/notes", {"spec": "ninja", "lang": "ko"})
    assert status == 200 and body["notation"] == "tensor" and "dC" in body["params"]
    assert "dC = one_hot(Xb, V).reshape(-1, V).T @ demb.reshape(-1, E)" in body["text"]
    assert body["text"].count("<math") > 26 and "증명" in body["text"]


def test_grading_a_class_csv(server, truth):
    prog, sizes, t = truth
    rows = [("a", "dW2", "h.T @ dlogits"), ("b", "dW2", "dlogits.T @ h"), ("c", "db2", "dlogits.sum(0)"),
            ("d", "dhpre", "dh * (hpre > 0)"), ("e", "dh", "dlogits @ W2"), ("f", "dW2", "h.T @@ dlogits")]
    csv_text = "id,param,answer\n" + "\n".join(",".join(r) for r in rows) + "\n"
    status, body, _ = server.post("/api/grade", {"spec": "cs231n", "csv": csv_text})
    assert status == 200
    got = {r["id"]: r["status"] for r in body["rows"]}
    for i, p, a in rows[:-1]:
        assert got[i] == ("correct" if torch_verdict(prog, t, sizes, p, a) else "incorrect"), (p, a)
    assert got["f"] == "unusable"
    status, job, _ = server.post("/api/grade/jobs", {"spec": "ninja", "csv": "id,param,answer\n1,dC,demb\n"})
    assert status == 202
    done = wait_for(lambda: server.get(f"/api/grade/jobs/{job['id']}")[1]["status"] != "running", 120, 0.3)
    status, body, _ = server.get(f"/api/grade/jobs/{job['id']}")
    assert done and body["status"] == "done" and body["rows"][0]["status"] == "incorrect"
    assert "shape" in body["rows"][0]["kinds"]


@pytest.mark.parametrize("body, status, words", [
    ({"spec": "cs231n", "param": "dW2", "answer": "h.T @@ dlogits"}, 422, "unexpected"),
    ({"spec": "cs231n", "param": "dQ", "answer": "X"}, 422, "not a gradient tensor"),
    ({"spec": "cs231n", "param": "dW2", "answer": "h^T dlogits"}, 422, "write a matrix product with @"),
    ({"spec": "cs231n", "param": "dW2", "answer": "h^2"}, 422, "write powers with **"),
    ({"spec": "cs231n", "param": "dW2", "answer": "dW1 = X.T @ dhpre"}, 422, "the left side is dW1"),
    ({"spec": "cs231n", "param": "dW2", "answer": "__import__('os').system('touch pwned')"}, 422, "unknown function '__import__'"),
    ({"spec": "cs231n", "derivation": "$a = b$"}, 422, "tensor program"),
    ({"spec": "seed002", "backward": "dW2 = h"}, 422, "needs a tensor program"),
    ({"spec": "cs231n", "backward": "dW2 = h.T @ dlogits\n" * 10_000}, 422, "at most 2000"),
    ({"spec": "cs231n", "backward": "x" * 1_000_001}, 413, "longer than"),
    ({"spec": "cs231n", "backward": "dW2 = h.T @ dlogits", "answer": "x", "param": "dW2"}, 400, "give one of"),
    ({"spec": "tensor:\n  sizes: {N: 2}\n  inputs: {X: [N, 3]}\n  params: {W: [4, 2]}\n  forward: {J: sum(X @ W)}\n"
              "  output: J\n", "backward": "dW = X"}, 422, "cannot matmul"),
])
def test_bad_input_is_a_4xx_with_one_line(server, body, status, words):
    code, reply, _ = server.post("/api/check", body)
    assert code == status and words in reply["error"], reply
    assert "\n" not in reply["error"] and "Traceback" not in reply["error"]
    assert not any(server.cwd.iterdir())
