"""Tensor programs: every bundled example derived, proven, compiled and equal to PyTorch autograd."""
from __future__ import annotations

import numpy as np
import pytest

from derive.codegen.tensor import compile_tensor, make_values
from derive.tensor.backward import derive_backward
from derive.tensor.program import bundled_tensor_examples
from derive.tensor.proof import prove_backward

from tensor_oracle import torch_gradients

EXAMPLES = bundled_tensor_examples()


def test_the_bundled_examples_are_all_there():
    assert set(EXAMPLES) >= {"cs231n"}


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_gradient_tensor_is_proven(name):
    proofs = prove_backward(name)
    assert proofs and all(p.proven for p in proofs.values()), [p for p in proofs.values() if not p.proven]


@pytest.mark.parametrize("name", EXAMPLES)
@pytest.mark.parametrize("batch", [32, 128])
def test_compiled_gradients_equal_pytorch_autograd(name, batch):
    c = compile_tensor(name)
    sizes = c.program.realistic(batch)
    for seed in (0, 1):
        v = make_values(c.program, sizes, seed)
        values = {**v["inputs"], **v["params"]}
        J, grads = c.gradients(values)
        tJ, tgrads = torch_gradients(c.program, values, sizes)
        assert abs(J - tJ) <= 1e-10 * max(1.0, abs(tJ))
        assert set(grads) == set(c.program.params)
        for p, g in grads.items():
            ref = tgrads[p]
            assert np.shape(g) == ref.shape, p
            assert np.max(np.abs(g - ref)) <= 1e-10 * max(1.0, np.max(np.abs(ref))), p


def test_a_wrong_rule_is_not_proven():
    """The proof can fail: a derived line changed by one transpose-free mistake is refused."""
    from derive.tensor import grammar
    from derive.tensor.backward import Backward, Line
    bw = derive_backward("cs231n")
    lines = tuple(Line(x.name, x.target, grammar.parse("dhpre.sum(axis=0) * 2") if x.target == "db1" else x.tree,
                       x.shape, x.kind) for x in bw.lines)
    proofs = prove_backward(Backward(bw.program, lines))
    assert not proofs["b1"].proven
    assert all(p.proven for k, p in proofs.items() if k != "b1")


def test_cs231n_backward_reads_like_the_lecture():
    bw = derive_backward("cs231n")
    text = {x.target: bw.text(x) for x in bw.lines}
    assert text["dW2"] == "dW2 = h^T dlogits"
    assert text["db2"] == "db2 = sum over the batch of dlogits"
    assert text["dh"] == "dh = dlogits W2^T"
    assert bw.line("dW1").code == "dW1 = X.T @ dhpre"


def test_generated_code_is_reread_by_the_grammar_as_a_right_backward_file():
    from derive.checking.backward import check_backward
    for name in EXAMPLES:
        bw = derive_backward(name)
        assert "scatter" not in bw.code(), name
        assert check_backward(bw, bw.code()).correct, name


def test_cli_verify_train_export(tmp_path, capsys):
    import importlib.util
    import json

    from derive.cli import main
    assert main(["verify", "rnn", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["all_proven"] and "dWh = h2^T da3 + h1^T da2" in [x["formula"] for x in out["lines"]]
    assert main(["train", "cs231n", "--steps", "300", "--json"]) == 0
    losses = json.loads(capsys.readouterr().out)["loss"]
    assert losses[-1] < 0.8 * losses[0]
    path = tmp_path / "ninja_grads.py"
    assert main(["export", "ninja", "-o", str(path)]) == 0
    spec = importlib.util.spec_from_file_location("ninja_grads", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    c = compile_tensor("ninja")
    v = make_values(c.program, c.program.realistic(32), 3)
    values = {**v["inputs"], **v["params"]}
    J, grads = mod.gradients(*[values[t.name] for t in c.program.leaves])
    tJ, tgrads = torch_gradients(c.program, values, c.program.realistic(32))
    assert abs(J - tJ) < 1e-10 and all(np.allclose(grads[p], tgrads[p], rtol=0, atol=1e-10) for p in grads)
