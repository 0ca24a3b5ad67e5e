"""A corpus of tensor programs written as people write NumPy (tests/data/tensor_programs, none of them
bundled): each is read, its backward pass derived and proven entry by entry, and the compiled
gradients equal PyTorch autograd's (float64), with the program interpreted by torch's own functions."""
from pathlib import Path

import numpy as np
import pytest

from derive.codegen.tensor import compile_tensor, make_values
from derive.tensor.backward import derive_backward
from derive.tensor.program import load_program
from derive.tensor.proof import prove_backward

from tensor_oracle import torch_gradients

CORPUS = sorted(Path(__file__).parent.joinpath("data", "tensor_programs").glob("*.yaml"))


def test_the_corpus_has_at_least_25_programs_none_bundled():
    from derive.tensor.program import bundled_tensor_examples
    assert len(CORPUS) >= 25
    assert not {p.stem for p in CORPUS} & set(bundled_tensor_examples())


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_program_is_proven_and_equals_pytorch_autograd(path):
    prog = load_program(path)
    bw = derive_backward(prog)
    proofs = prove_backward(bw, points=1)
    assert all(p.proven for p in proofs.values()), [p.name for p in proofs.values() if not p.proven]
    c = compile_tensor(bw)
    sizes = prog.realistic(8)
    for seed in (0, 1):
        v = make_values(prog, sizes, seed)
        values = {**v["inputs"], **v["params"]}
        J, grads = c.gradients(values)
        tJ, tgrads = torch_gradients(prog, values, sizes)
        assert abs(J - tJ) <= 1e-10 * max(1.0, abs(tJ))
        assert set(grads) == set(prog.params)
        for p, g in grads.items():
            assert np.shape(g) == tgrads[p].shape, p
            assert np.max(np.abs(g - tgrads[p])) <= 1e-10 * max(1.0, np.max(np.abs(tgrads[p]))), p


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_the_printed_backward_pass_is_read_back_as_right(path):
    """What derive prints is what a student may type: the checker reads it back, every line right (a stepped
    slice's gradient prints as scatter(g, x, np.s_[...]), np.add.at into zeros, read back as that)."""
    from derive.checking.backward import check_backward
    bw = derive_backward(str(path))
    code = bw.code()
    report = check_backward(bw, code)
    assert report.correct, str(report)
