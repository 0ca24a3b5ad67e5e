"""Spec loading: the documented forms load; every class of bad spec gets one line and exit 2."""
import json
import subprocess
import sys
import time

import pytest

import derive
from derive.model.spec import from_dict, load_spec

LAYERED = """
name: two layers
inputs: [x1, x2]
layers:
  - units: [z1, z2]
    activation: sigmoid
    weights: [[w11, w12], [w21, w22]]
  - units: [y1]
    activation: sigmoid
    weights: [[w31, w32]]
loss: half_sse
targets: [t1]
"""

BAD = {
    "missing field": ("name: x\nlayers: [{units: 2}]\n", "inputs: missing field"),
    "wrong shape": (LAYERED.replace("[[w11, w12], [w21, w22]]", "[[w11, w12], [w21, w22], [w0, w9]]"),
                    "layers[0].weights: expected 2 rows, got 3"),
    "wrong row length": (LAYERED.replace("[[w31, w32]]", "[[w31]]"),
                         "layers[1].weights[0]: expected 2 names (one per input), got 1"),
    "unknown activation": (LAYERED.replace("activation: sigmoid", "activation: sigmoidd", 1),
                           "layers[0].activation: unknown activation 'sigmoidd'; expected one of"),
    "unknown loss": (LAYERED.replace("half_sse", "hinge"), "loss: unknown loss 'hinge'"),
    "duplicate names": (LAYERED.replace("[[w31, w32]]", "[[w31, w11]]"), "duplicate name 'w11'"),
    "bad identifier": (LAYERED.replace("x2]", "x-2]"), "inputs[1]: invalid name 'x-2'"),
    "targets count": (LAYERED.replace("targets: [t1]", "targets: [t1, t2]"), "targets: expected 1 targets"),
    "softmax in a hidden layer": (LAYERED.replace("activation: sigmoid", "activation: softmax", 1),
                                  "layers[0].activation: softmax is only allowed on the output layer"),
    "graph cycle": ("graph:\n  inputs: [A]\n  params: [W]\n  nodes:\n    P: W*Q\n    Q: P*A\nloss: none\n",
                    "graph.nodes.P: uses Q before it is defined"),
    "graph unknown name": ("graph:\n  inputs: [A]\n  params: [W]\n  nodes:\n    P: W*Z\nloss: none\n",
                           "graph.nodes.P: unknown name"),
    "hostile node expression": ("graph:\n  inputs: [A]\n  params: [W]\n  nodes:\n"
                                "    P: \"__import__('os').system('touch /tmp/derive-pwned')\"\nloss: none\n",
                                "graph.nodes.P:"),
    "dunder in node": ("graph:\n  inputs: [A]\n  params: [W]\n  nodes:\n    P: ().__class__.__base__\n"
                       "loss: none\n", "graph.nodes.P:"),
    "unknown top-level field": (LAYERED + "optimiser: adam\n", "optimiser: unknown field"),
    "values for an unknown name": (LAYERED + "values:\n  inputs: {x1: 1, x2: 2, x3: 3}\n  targets: {t1: 0}\n",
                                   "values.inputs.x3: unknown name"),
    "fixed unknown parameter": (LAYERED + "fixed: [w99]\n", "fixed: unknown parameter 'w99'"),
    "not a mapping": ("- just\n- a list\n", "must be a mapping"),
    "invalid yaml": ("inputs: [x1\nlayers: {", "not valid YAML/JSON"),
    "alias bomb": ("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                   "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n", "anchors"),
    "deep nesting": ("inputs: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
}


def run_cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "derive", *args], capture_output=True, text=True,
                          timeout=60, input=stdin)


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_spec_gets_one_clear_line_and_exit_2(case, tmp_path):
    text, expected = BAD[case]
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    t0 = time.monotonic()
    r = run_cli("verify", str(path))
    assert time.monotonic() - t0 < 30
    assert r.returncode == 2, r.stderr
    assert expected in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stdout == ""


def test_hostile_node_expression_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "spec.yaml"
    path.write_text("graph:\n  inputs: [A]\n  params: [W]\n  nodes:\n"
                    f"    P: \"__import__('os').system('touch {marker}')\"\nloss: none\n")
    assert run_cli("verify", str(path)).returncode == 2
    assert not marker.exists()


def test_non_utf8_file(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"name: \xff\xfe bad\ninputs: 2\n")
    r = run_cli("verify", str(path))
    assert r.returncode == 2 and "not UTF-8" in r.stderr and "Traceback" not in r.stderr


def test_missing_file_and_unknown_example():
    r = run_cli("verify", "no-such-example")
    assert r.returncode == 2 and "seed002" in r.stderr        # lists the bundled examples


def test_json_and_yaml_give_the_same_network(tmp_path):
    import yaml
    data = yaml.safe_load(LAYERED)
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data))
    a, b = load_spec(path), from_dict(data, "net")
    assert a.params == b.params == ("w11", "w12", "w21", "w22", "w31", "w32")
    assert a.layers == b.layers


def test_counts_get_names_from_the_notation():
    spec = from_dict({"notation": "theta", "inputs": 2, "layers": [{"units": 2}, {"units": 1}]})
    assert spec.inputs == ("x1", "x2")
    assert spec.layers[0].units == ("a2_1", "a2_2")
    assert spec.layers[0].weights == (("theta1_11", "theta1_12"), ("theta1_21", "theta1_22"))
    ihv = from_dict({"notation": "ihv", "inputs": 2, "layers": [{"units": 2}, {"units": 2}]})
    # seed 004: H1 = I1 W1 + I2 W3, H2 = I1 W2 + I2 W4
    assert ihv.layers[0].weights == (("W1", "W3"), ("W2", "W4"))
    assert ihv.layers[1].weights == (("V1", "V3"), ("V2", "V4"))


def test_bias_forms():
    base = {"inputs": 2, "layers": [{"units": 2, "bias": "per-unit"}, {"units": 1, "bias": "shared"}]}
    spec = from_dict(base)
    assert spec.layers[0].biases == ("b1_1", "b1_2") and spec.layers[1].biases == ("b2",)
    fixed = from_dict({"inputs": 1, "layers": [{"units": 2, "bias": {"name": "b", "trainable": False}}]})
    assert fixed.layers[0].biases == ("b", "b") and "b" in fixed.params and "b" not in fixed.trainable


def test_verify_json_shape():
    r = run_cli("verify", "seed001", "--json")
    assert r.returncode == 0
    out = json.loads(r.stdout)
    assert out["all_proven"] is True
    assert [p["name"] for p in out["params"]] == ["W1", "W2", "W3"]
    assert set(out["params"][0]) >= {"name", "paths", "chain", "direct", "proven"}


def test_default_example_is_seed002():
    r = run_cli("verify")
    assert r.returncode == 0 and "Seed 002" in r.stdout and "8 of 8 gradients proven" in r.stdout


def test_verify_table_columns_line_up():
    lines = run_cli("verify").stdout.splitlines()
    header, rows = lines[1], [line for line in lines[2:] if line.startswith("w")]
    assert len(rows) == 8
    assert {row.index(" yes ") + 1 for row in rows} == {header.index("proven")}


def test_python_api_surface():
    net = derive.mlp([2, 2, 2], activation="sigmoid", loss="half_sse")
    d = derive.derive(net)
    assert d.gradient("w1_11").path_count == 2
    assert d.proof("w1_11").proven
    assert set(derive.__all__) >= {"load", "mlp", "derive", "Derivation"}


def test_limits_and_keywords():
    import pytest as _pytest
    with _pytest.raises(derive.SpecError, match="Python keyword"):
        from_dict({"inputs": ["lambda"], "layers": [{"units": 1}]})
    with _pytest.raises(derive.SpecError, match="more than 200000 parameters"):
        from_dict({"inputs": 4096, "layers": [{"units": 4096}, {"units": 4096}]})
