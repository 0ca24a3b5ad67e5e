"""Indexing's gradient printed as a student writes it (a one-hot product, a stack), proven, read back right."""
from __future__ import annotations

import numpy as np
import pytest

from derive.checking.backward import check_backward
from derive.codegen.tensor import compile_tensor, make_values
from derive.tensor.backward import derive_backward
from derive.tensor.grammar import Scatter, walk
from derive.tensor.program import from_dict
from derive.tensor.proof import prove_backward

from tensor_oracle import torch_gradients

# name -> (params, forward, the printed line of the indexed tensor's gradient)
# inputs: X [N, D], I integer [N] (rows of V), K integer [N, T]
PROGRAMS = {
    "rows of a matrix": ({"E": ["V", "H"], "W": ["H", "D"]}, {"J": "sum(tanh(E[I] @ W) * X)"},
                         "dE = one_hot(I, V).T @ ("),
    "rows, a trailing colon": ({"E": ["V", "H"]}, {"J": "sum(tanh(E[I, :]) ** 2)"}, "dE = one_hot(I, V).T @ "),
    "a 2-D index (makemore)": ({"E": ["V", "H"], "W": [6, "D"]},
                               {"emb": "E[K]", "flat": "emb.view(N, -1)", "J": "sum(tanh(flat @ W) * X)"},
                               "dE = one_hot(K, V).reshape(-1, V).T @ demb.reshape(-1, H)"),
    "entries of a vector": ({"b": ["V"]}, {"J": "sum(tanh(b[I] * X[:, 0]))"}, "db = one_hot(I, V).T @ "),
    "a vector, 2-D index": ({"b": ["V"]}, {"e": "b[K]", "J": "sum(e ** 3)"},
                            "db = one_hot(K, V).reshape(-1, V).T @ de.reshape(-1)"),
    "a 3-D table": ({"E": ["V", "H", 2]}, {"e": "E[I]", "J": "sum(sigmoid(e) * e)"},
                    "dE = (one_hot(I, V).T @ de.reshape(-1, 2 * H)).reshape(V, H, 2)"),
    "a constant gradient": ({"E": ["V", "H"]}, {"J": "sum(E[I]) + sum(E ** 2)"}, "dE = "),
    "pick, averaged (cross-entropy)": ({"W": ["D", "V"]},
                                       {"logp": "log_softmax(X @ W, axis=1)", "J": "-logp[range(N), I].mean()"},
                                       "dlogp = -one_hot(I, V) / N"),
    "pick, weighted": ({"W": ["D", "V"]}, {"logp": "log_softmax(X @ W, axis=1)", "J": "sum(logp[range(N), I] ** 2)"},
                       "dlogp = (2 * logp[np.arange(N), I])[:, None] * one_hot(I, V)"),
    "constant positions (a convolution's taps), one unused": (
        {"w": [3]}, {"J": "sum(tanh(X[:, 0:2] * w[0] + X[:, 1:3] * w[2]) ** 2)"},
        "dw = np.stack([(2 * "),
    "constant columns": ({"W": ["H", 2]}, {"Z": "X[:, 0:2] @ W[:, 0] + tanh(X[:, 1:3] @ W[:, 1])", "J": "sum(Z ** 2)"},
                         "dW = np.stack([X[:, 0:2].T @ "),
}


def _program(name):
    params, forward, _ = PROGRAMS[name]
    return from_dict({"name": name, "tensor": {
        "sizes": {"N": 4, "D": 3, "H": 2, "V": 5, "T": 3},
        "inputs": {"X": ["N", "D"], "I": ["N"], "K": ["N", "T"]}, "params": params, "forward": forward}}, "onehot")


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_indexing_gradient_is_a_proven_one_hot_product_equal_to_pytorch(name):
    prog = _program(name)
    bw = derive_backward(prog)
    assert not any(isinstance(n, Scatter) for x in bw.lines for n in walk(x.tree)), bw.code()
    assert any(x.code.startswith(PROGRAMS[name][2]) for x in bw.lines), bw.code()
    proofs = prove_backward(bw)
    assert proofs and all(p.proven for p in proofs.values()), proofs
    c = compile_tensor(prog)
    sizes = prog.realistic(32)
    v = make_values(prog, sizes, 7)
    values = {**v["inputs"], **v["params"]}
    rng = np.random.default_rng(1)
    values["I"] = rng.integers(0, 5, size=(32,))          # repeated rows: the one-hot product adds them up
    values["K"] = rng.integers(0, 5, size=(32, 3))
    J, grads = c.gradients(values)
    tJ, tgrads = torch_gradients(prog, values, sizes)
    assert abs(J - tJ) <= 1e-10 * max(1, abs(tJ))
    for p in prog.params:
        assert np.max(np.abs(grads[p] - tgrads[p])) <= 1e-10 * max(1.0, np.max(np.abs(tgrads[p]))), p


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_printed_backward_pass_is_read_back_as_right(name):
    bw = derive_backward(_program(name))
    assert check_backward(bw, bw.code()).correct, bw.code()


def test_ninja_embedding_and_loss_lines_read_as_the_exercise_writes_them():
    bw = derive_backward("ninja")
    assert bw.line("dC").code == "dC = one_hot(Xb, V).reshape(-1, V).T @ demb.reshape(-1, E)"
    assert bw.line("dlogprobs").code == "dlogprobs = -one_hot(Yb, V) / N"
    assert "scatter" not in bw.code()
