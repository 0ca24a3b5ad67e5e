"""Printing as a lecturer writes it (issue 20): sums named by the axis they run over, K not K^T^T, no double
minus, constants as the program writes them, and no crash on negative axes or fractional exponents."""
from pathlib import Path

import pytest

from derive.cli import main
from derive.notes.tensor import build
from derive.tensor.backward import derive_backward

PROGRAMS = Path(__file__).parent / "data" / "tensor_programs"


def _notes(name):
    notes = build(str(PROGRAMS / f"{name}.yaml"))
    return {r.name: (r.latex, r.code) for r in notes.backward}, notes


def test_attention_sums_over_the_keys_not_the_batch():
    rows, _ = _notes("attention")
    latex, code = rows["dS"]
    assert "\\sum_{t'}" in latex and "\\sum_{n}" not in latex
    bw = derive_backward(str(PROGRAMS / "attention.yaml"))
    assert "the second T axis" in bw.text(bw.line("dS"))


def test_a_transpose_of_a_transpose_is_the_tensor_itself():
    for name in ("attention", "attention_batched", "attention_swapaxes"):
        bw = derive_backward(str(PROGRAMS / f"{name}.yaml"))
        assert ".T.T" not in bw.code() and "^T^T" not in "".join(bw.text(x) for x in bw.lines)
    rows, _ = _notes("attention")
    assert rows["dQ"][1] == "dQ = dS / np.sqrt(H) @ K"


def test_no_double_minus():
    rows, _ = _notes("logistic")
    latex, code = rows["dp"]
    assert code == "dp = -y / (N * p) + (1 - y) / (N * (1 - p))"
    assert "- -" not in latex and "--" not in latex


def test_constants_as_the_program_writes_them():
    rows, notes = _notes("gelu_mlp")
    latex, code = rows["dz"]
    assert "0.044715" in code and "np.sqrt(2 / np.pi)" in code and "/ 200000" not in code
    assert "0.044715" in latex and "\\sqrt{\\frac{2}{\\pi}}" in latex
    assert "5000000000000000" not in latex + code


def test_a_scalar_mean_prints_without_ones():
    bw = derive_backward(str(PROGRAMS / "square_root_half.yaml"))
    assert "ones_like" not in bw.line("dd").code


def test_non_smooth_functions_state_the_convention():
    _, notes = _notes("huber_clip")
    assert "PyTorch's convention" in notes.mean


@pytest.mark.parametrize("name", ["softmax_regression_negaxis", "rms_norm", "square_root_half", "attention_swapaxes"])
def test_negative_axes_and_fractional_powers_never_exit_3(name, tmp_path, capsys):
    spec = str(PROGRAMS / f"{name}.yaml")
    assert main(["verify", spec]) == 0
    assert main(["notes", spec, "--format", "md,tex,html", "--out", str(tmp_path)]) == 0
