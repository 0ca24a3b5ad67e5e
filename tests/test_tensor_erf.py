"""erf and the exact GELU, x Phi(x) = 0.5 x (1 + erf(x / sqrt 2)): read in every spelling, derived with one
rule (d erf(x) = 2/sqrt(pi) e^(-x^2) g), proven, and equal to PyTorch autograd (float64); imported from
PyTorch (nn.GELU(), F.gelu) and Keras ("gelu"); a student's backward line judged."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest

from derive.checking.backward import check_backward
from derive.codegen.tensor import compile_tensor, make_values, module_source
from derive.errors import FormulaError
from derive.tensor import vjp
from derive.tensor.backward import derive_backward
from derive.tensor.evaluate import erf
from derive.tensor.grammar import parse
from derive.tensor.latex import LatexPrinter
from derive.tensor.program import from_dict
from derive.tensor.proof import prove_backward

torch = pytest.importorskip("torch")
F64 = torch.float64


def _program(forward: dict, name="erf"):
    return from_dict({"name": name, "tensor": {
        "sizes": {"N": 4, "D": 3, "H": 5}, "inputs": {"X": ["N", "D"], "y": ["N"]},
        "params": {"W1": ["D", "H"], "b1": ["H"], "w2": ["H"]}, "forward": forward}}, name)


ERF = {"z": "X @ W1 + b1", "h": "scipy.special.erf(z) * torch.erf(0.5 * z) + math.erf(1) * erf(z) ** 2",
       "J": "np.mean((h @ w2 - y) ** 2)"}
GELU = {"z": "X @ W1 + b1", "h": "F.gelu(z)", "J": "np.mean((h @ w2 - y) ** 2)"}


def _torch_forward(kind, X, W1, b1, w2, y):
    """The same programs written directly with torch's own functions (not read from derive's tree)."""
    z = X @ W1 + b1
    if kind == "erf":
        h = torch.erf(z) * torch.erf(0.5 * z) + math.erf(1) * torch.erf(z) ** 2
    else:
        h = torch.nn.functional.gelu(z)           # approximate='none': the exact GELU
    return torch.mean((h @ w2 - y) ** 2)


@pytest.mark.parametrize("kind,forward", [("erf", ERF), ("gelu", GELU)])
def test_proven_and_equal_to_pytorch_autograd(kind, forward):
    prog = _program(forward, kind)
    proofs = prove_backward(prog)
    assert proofs and all(p.proven and p.bound_log2 <= -100 for p in proofs.values()), proofs
    c = compile_tensor(prog)
    sizes = prog.realistic(32)
    v = make_values(prog, sizes, 3)
    values = {**v["inputs"], **v["params"]}
    values["W1"] = values["W1"] * 10                  # pre-activations of order 1: erf's curve, not its flat tails
    J, grads = c.gradients(values)
    leaves = {k: torch.tensor(values[k], dtype=F64, requires_grad=k in prog.params) for k in values}
    tJ = _torch_forward(kind, **leaves)
    tgrads = torch.autograd.grad(tJ, [leaves[p] for p in prog.params])
    tJ = float(tJ.detach())
    assert abs(J - tJ) <= 1e-12 * max(1.0, abs(tJ))
    for p, g in zip(prog.params, tgrads):
        assert np.max(np.abs(grads[p] - g.numpy())) <= 1e-12 * max(1.0, float(g.abs().max())), p


def test_spellings_and_printing():
    assert parse("math.erf(x)") == parse("erf(x)") == parse("torch.erf(x)") == parse("scipy.special.erf(x)") \
        == parse("x.erf()")
    exact = parse("0.5 * x * (1 + erf(x / np.sqrt(2)))")
    assert parse("F.gelu(x)") == parse("gelu(x, approximate='none')") == exact
    assert parse("gelu(x, approximate=False)") == exact         # Keras's spelling of the default
    assert parse("F.gelu(x, approximate='tanh')") != exact
    with pytest.raises(FormulaError, match="approximate"):
        parse("gelu(x, approximate='sigmoid')")
    bw = derive_backward(_program({"z": "X @ W1", "h": "erf(z)", "J": "sum(h @ w2)"}))
    to_latex = LatexPrinter(lambda n: n, lambda t: False, lambda t, axis: "n")
    dz = to_latex(next(x for x in bw.lines if x.name == "z").tree)
    assert dz.startswith("\\frac{2") and "}{\\sqrt{\\pi}}" in dz and "e^{-{X}^{2}}" not in dz and "e^{-" in dz
    assert to_latex(parse("erf(x)")) == "\\operatorname{erf}\\left(x\\right)"
    src = module_source(bw)
    assert "import math" in src and "def erf(x)" in src


def test_numpy_erf_is_the_standard_librarys():
    x = np.linspace(-6, 6, 2001)
    assert np.array_equal(erf(x), [math.erf(t) for t in x])
    assert erf(np.zeros((2, 0))).shape == (2, 0) and float(erf(np.float64(0.5))) == math.erf(0.5)


def test_a_tampered_erf_rule_does_not_prove(monkeypatch):
    right = vjp.RULES["erf"]
    prog = _program(GELU, "gelu")
    for scale in (1, 4):          # 1/sqrt(pi) and 4/sqrt(pi) in place of 2/sqrt(pi)
        monkeypatch.setitem(vjp.RULES, "erf", lambda g, node, y, c, s=scale: tuple(
            c.mul(c.div(t, vjp.TWO), vjp.Num(vjp.Fraction(s))) for t in right(g, node, y, c)))
        proofs = prove_backward(prog)
        assert not proofs["W1"].proven and not proofs["b1"].proven
        assert proofs["w2"].proven                    # the erf is not on w2's path
    monkeypatch.setitem(vjp.RULES, "erf", lambda g, node, y, c: (  # exp(-x^2 / 2): the normal pdf's exponent
        c.mul(g, c.mul(vjp.ERF_SCALE, vjp.Call("exp", (c.neg(c.div(c.pow(node.args[0], 2), vjp.TWO)),)))),))
    assert not prove_backward(prog)["W1"].proven


GELU_SPEC = {"z": "X @ W1 + b1", "h": "0.5 * z * (1 + erf(z / np.sqrt(2)))", "out": "h @ w2",
             "J": "np.mean((out - y) ** 2)"}
BACKWARD = """dout = 2 * (out - y) / N
dw2 = h.T @ dout
dh = np.outer(dout, w2)
dz = dh * (0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z ** 2 / 2) / np.sqrt(2 * np.pi))
dW1 = X.T @ dz
db1 = dz.sum(axis=0)
"""


@pytest.mark.parametrize("dz", [
    "dh * (0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z ** 2 / 2) / np.sqrt(2 * np.pi))",
    "dh * (0.5 * (1 + scipy.special.erf(z / math.sqrt(2))) + 0.5 * z * 2 / np.sqrt(np.pi) * np.exp(-(z / np.sqrt(2)) ** 2) / np.sqrt(2))",
    "dh * (0.5 * (1 + torch.erf(z * 0.7071067811865476)) + z * torch.exp(-0.5 * z * z) * 0.3989422804014327)",
])
def test_right_backward_line_accepted(dz):
    prog = _program(GELU_SPEC, "gelu_exact")
    text = BACKWARD.replace(BACKWARD.splitlines()[3], "dz = " + dz)
    report = check_backward(prog, text)
    assert report.correct, str(report)


@pytest.mark.parametrize("dz", [
    "dh * ((1 + erf(z / np.sqrt(2))) + z * np.exp(-z ** 2 / 2) / np.sqrt(2 * np.pi))",     # the 0.5 missing
    "dh * 0.5 * (1 + erf(z / np.sqrt(2)))",                                                 # the pdf term missing
    "dh * (0.5 * (1 + erf(z / np.sqrt(2))) + z * np.exp(-z ** 2) / np.sqrt(2 * np.pi))",    # the pdf's 1/2 missing
])
def test_wrong_backward_line_flagged_at_its_line(dz):
    prog = _program(GELU_SPEC, "gelu_exact")
    text = BACKWARD.replace(BACKWARD.splitlines()[3], "dz = " + dz)
    report = check_backward(prog, text)
    assert report.first_wrong == 4, str(report)
    assert [x.line for x in report.lines if not x.correct] == [4]


def test_a_forgotten_erf_derivative_is_said_in_words():
    prog = _program(GELU_SPEC, "gelu_exact")
    wrong = "dz = dh * (0.5 * (1 + erf(z / np.sqrt(2))) + 0.5 * z / np.sqrt(2))"    # erf' dropped, chain factor kept
    report = check_backward(prog, BACKWARD.replace(BACKWARD.splitlines()[3], wrong))
    assert report.first_wrong == 4
    assert "missing erf's derivative 2 / np.sqrt(np.pi) * np.exp(-(z / np.sqrt(2)) ** 2)" in str(report)


def test_torch_module_with_exact_gelu():
    import derive
    from derive.codegen.fit import gradients
    from torch import nn
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.c, self.b, self.act = nn.Linear(4, 6), nn.Linear(6, 6), nn.Linear(6, 3), nn.GELU()

        def forward(self, x):
            h = self.act(self.a(x))
            return self.b(h + torch.nn.functional.gelu(self.c(h)))

    net = Net().double()
    X, y = torch.randn(9, 4, dtype=F64) * 2, torch.randn(9, 3, dtype=F64)
    m = derive.from_torch(net, X, loss="mse")
    assert m.form == "tensor" and sum("gelu(" in t for t in m.program["tensor"]["forward"].values()) == 2
    params = dict(net.named_parameters())
    theirs = torch.autograd.grad(torch.nn.functional.mse_loss(net(X), y), list(params.values()))
    ours = gradients(m, X.numpy(), y.numpy())
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), atol=1e-12, rtol=0)
    proofs = prove_backward(m.tensor_program())
    assert proofs and all(p.proven for p in proofs.values())


def test_keras_dense_gelu(tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    import derive
    from derive.codegen.fit import gradients
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(5, activation="gelu"), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "gelu.keras")
    m = derive.from_keras(tmp_path / "gelu.keras")
    X = np.random.default_rng(0).standard_normal((37, 4)).astype("float32") * 2
    y = X[:, :2] * 0.5
    out = model(torch.tensor(X), training=True)
    value = keras.losses.MeanSquaredError()(torch.tensor(y), out)
    grads = torch.autograd.grad(value, [w.value for w in model.trainable_weights])
    ours = gradients(m, X, y)
    keras.backend.clear_session()     # layer names count from "dense" again for the tests that follow
    for w, g in zip(model.trainable_weights, grads):
        np.testing.assert_allclose(ours["/".join(w.path.split("/")[-2:])], g.numpy(), atol=2e-6, rtol=1e-5)
