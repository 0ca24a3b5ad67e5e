"""derive export: the module imports with numpy alone, in a fresh process, and agrees with the library."""
from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest

import derive
from derive.cli import main
from oracles import finite_differences

# A fresh interpreter that refuses to import anything but numpy and the standard library's own.
RUNNER = r"""
import importlib.abc, json, sys
BLOCKED = {"derive", "sympy", "symengine", "torch", "yaml", "jinja2", "matplotlib", "mpmath", "tqdm"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ImportError("blocked in this test: " + name)
sys.meta_path.insert(0, Block())
import numpy as np
sys.path.insert(0, sys.argv[1])
import exported as m
case = json.loads(sys.stdin.read())
P = {k: np.array(v) if isinstance(v, list) else v for k, v in case["params"].items()}
X, T = np.array(case["X"]), np.array(case["T"]).reshape(len(case["X"]), -1)
print(json.dumps({"loss": float(m.loss(P, X, T)), "Y": m.forward(P, X).tolist(),
                  "grads": {k: np.asarray(v).tolist() for k, v in m.gradients(P, X, T).items()},
                  "start": sorted(m.START), "modules": sorted(k for k in sys.modules if k.split(".")[0] in BLOCKED)}))
"""

CASES = ["seed001", "seed002", "seed003", "classic", "xor"]


def _point(net, rng):
    params = {p: rng.uniform(-1, 1) for p in net.params}
    rows = [({x: rng.uniform(-1, 1) for x in net.spec.inputs}, {t: rng.uniform(0.1, 0.9) for t in net.spec.targets})
            for _ in range(3)]
    return params, rows


@pytest.mark.parametrize("name", CASES)
def test_exported_module_runs_on_numpy_alone_and_agrees(tmp_path, capsys, name):
    out = tmp_path / "exported.py"
    assert main(["export", name, "-o", str(out)]) == 0
    capsys.readouterr()
    text = out.read_text()
    assert "Dummy" not in text and "import numpy as np" in text
    assert all(line.startswith(("import numpy", "from __future__")) for line in text.splitlines()
               if line.startswith(("import ", "from ")))
    net = derive.load(name)
    c = derive.compile(net)
    rng = random.Random(5)
    params, rows = _point(net, rng)
    X = np.array([[ex[x] for x in net.spec.inputs] for ex, _ in rows])
    T = np.array([[ts[t] for t in net.spec.targets] for _, ts in rows])
    arrays = c.pack(params)
    case = {"params": {k: np.asarray(v).tolist() for k, v in arrays.items()}, "X": X.tolist(), "T": T.tolist()}
    proc = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(tmp_path)], input=json.dumps(case),
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout)
    assert got["modules"] == []
    assert got["start"] == sorted(c.arrays)
    # agrees with the library ...
    assert got["loss"] == pytest.approx(c.loss(arrays, X, T), rel=1e-12)
    np.testing.assert_allclose(got["Y"], c.forward(arrays, X), rtol=1e-12)
    grads = c.unpack_gradients({k: np.array(v) for k, v in got["grads"].items()})
    lib = c.unpack_gradients(c.gradients(arrays, X, T))
    assert grads == pytest.approx(lib, rel=1e-12, abs=1e-15)
    # ... and with central finite differences of the network's own forward pass
    d = derive.derive(net)
    fds = [finite_differences(d, {**params, **ex, **ts}) for ex, ts in rows]
    for p in net.trainable:
        assert grads[p] == pytest.approx(sum(f[p] for f in fds) / len(fds), rel=1e-6, abs=1e-8), p


def test_every_gradient_line_is_commented_with_its_chain_rule_step(tmp_path, capsys):
    out = tmp_path / "exported.py"
    assert main(["export", "seed001", "-o", str(out)]) == 0
    grad_lines = [ln for ln in out.read_text().splitlines() if ln.strip().startswith(("dW", "delta_"))]
    assert grad_lines and all("# " in ln for ln in grad_lines)
    assert any("dL/dW1 = delta_P * dP/dW1" in ln for ln in grad_lines)
    assert main(["export", "seed002", "-o", str(out)]) == 0
    text = out.read_text()
    assert "dJ/dW^(1) = delta^(1) a^(0)^T" in text and "delta^(1) = (W^(2)^T delta^(2))" in text


def test_export_refuses_a_non_python_file(tmp_path, capsys):
    assert main(["export", "seed002", "-o", str(tmp_path / "x.txt")]) == 2
    assert ".py" in capsys.readouterr().err
