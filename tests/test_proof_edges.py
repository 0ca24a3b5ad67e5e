"""derive verify on edge specs: no crash, no false gap; each a CLI run with its exit code."""
from __future__ import annotations

import json

import pytest

import derive
from derive.cli import main
from oracles import torch_gradients


def graph_spec(tmp_path, node: str, name="edge"):
    f = tmp_path / f"{name}.yaml"
    f.write_text(f"name: {name}\ngraph:\n  inputs: [a]\n  params: [x]\n  nodes:\n    h: '{node}'\n"
                 f"  output: [h]\nloss: none\n", encoding="utf-8")
    return str(f)


def softmax_spec(tmp_path, loss: str):
    f = tmp_path / f"softmax-{loss}.yaml"
    f.write_text("name: softmax with a shared bias\ninputs: 2\nlayers:\n"
                 "  - {units: 2, activation: sigmoid}\n"
                 "  - {units: 3, activation: softmax, bias: shared}\n"
                 f"loss: {loss}\n", encoding="utf-8")
    return str(f)


def verify(capsys, path):
    code = main(["verify", path, "--json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip() else None), out.err


@pytest.mark.parametrize("loss", ["half_sse", "sse", "mse"])
def test_softmax_with_a_shared_bias_is_proven_for_each_squared_loss(capsys, tmp_path, loss):
    path = softmax_spec(tmp_path, loss)
    code, out, _ = verify(capsys, path)
    assert code == 0 and out["all_proven"]
    # the true gradient of the shared bias is 0 (softmax is shift invariant): PyTorch says so too
    d = derive.derive(path)
    spec = d.net.spec
    point = {n: 0.1 * (k + 1) for k, n in enumerate(list(spec.inputs) + list(spec.params))}
    point.update({t: 0.2 for t in spec.targets})
    bias = spec.layers[1].biases[0]
    assert abs(torch_gradients(spec, point)[bias]) < 1e-12


@pytest.mark.parametrize("node", ["log(x)", "x**0.5", "x**x", "exp(exp(exp(10*x)))", "log(x)*x**1.5 + a"])
def test_functions_with_a_domain_or_overflow_are_proven(capsys, tmp_path, node):
    code, out, err = verify(capsys, graph_spec(tmp_path, node))
    assert code == 0, err
    row = out["params"][0]
    assert row["proven"] and row["numeric_points"] >= 1 and row["numeric_max_error"] < 1e-8


def test_no_point_in_the_domain_is_one_clear_error(capsys, tmp_path):
    code, out, err = verify(capsys, graph_spec(tmp_path, "log(0 - x*x - 1)"))
    assert code == 2 and "no point found where the network is defined" in err and "Traceback" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("node", ["x/((a+1)**2 - a**2 - 2*a - 1)", "x/(a - a)"])
def test_an_identically_zero_denominator_is_a_clear_error(capsys, tmp_path, node):
    code, out, err = verify(capsys, graph_spec(tmp_path, node))
    assert code == 2 and "graph.nodes.h" in err and err.count("\n") == 1
    assert "zero" in err


def test_the_table_names_the_method_and_its_bound(capsys, tmp_path):
    f = tmp_path / "deep.yaml"
    f.write_text("name: deep\ninputs: 2\nlayers:\n" + "  - {units: 2, activation: sigmoid}\n" * 6
                 + "loss: half_sse\n", encoding="utf-8")
    assert main(["verify", str(f)]) == 0
    out = capsys.readouterr().out
    assert "randomized, P(wrong) < 2^-" in out and "  exact" in out
    code, js, _ = verify(capsys, str(f))
    methods = {r["method"] for r in js["params"]}
    assert methods == {"exact", "randomized"}
    assert all(r["error_bound_log2"] < -100 for r in js["params"] if r["method"] == "randomized")


def test_a_relu_output_under_cross_entropy_trains_or_says_why(capsys, tmp_path):
    """relu can output 0, where bce's log is not defined: compiling samples inside the domain (it used to
    end in an internal error), and training names the domain when the loss stops being a number."""
    spec = tmp_path / "relu-bce.yaml"
    spec.write_text("name: relu bce\ninputs: 2\nlayers:\n  - {units: 2, activation: relu}\n"
                    "  - {units: 1, activation: relu}\nloss: bce\n", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y1\n0.5,0.2,1\n-0.3,0.8,0\n0.9,0.1,1\n", encoding="utf-8")
    code = main(["train", str(spec), "--data", str(data), "--steps", "20"])
    err = capsys.readouterr().err
    assert code in (0, 2) and "internal error" not in err and err.count("\n") <= 1
    if code == 2:
        assert "outside its domain" in err
    compiled = derive.compile(derive.load(str(spec)))          # the compile-time check finds valid points
    assert compiled.source


def test_a_log_of_the_data_outside_its_domain_is_one_line(capsys, tmp_path):
    spec = tmp_path / "log.yaml"
    spec.write_text("name: log\ngraph:\n  inputs: [x]\n  params: [w]\n  nodes:\n    h: log(w*x)\n"
                    "  output: [h]\nloss: half_sse\ntargets: [t]\n", encoding="utf-8")
    data = tmp_path / "d.csv"
    data.write_text("x,t\n0.5,1\n-0.3,0\n", encoding="utf-8")       # w*x < 0 on the second row
    code = main(["train", str(spec), "--data", str(data), "--steps", "5"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "outside its domain" in err and "step 1" in err
