"""PyTorch modules traced with torch.fx into derive models, checked against PyTorch autograd."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import derive  # noqa: E402
from derive.api import frameworks as api_frameworks  # noqa: E402
from derive.codegen.fit import gradients  # noqa: E402
from derive.derivation.derivation import Derivation  # noqa: E402
from derive.errors import DeriveError  # noqa: E402
from derive.tensor.proof import prove_backward  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LOSSES = {"mse": F.mse_loss, "cross_entropy": F.cross_entropy, "bce": F.binary_cross_entropy,
          "bce_with_logits": F.binary_cross_entropy_with_logits}


class Block(nn.Module):
    """A residual block with LayerNorm and tanh-GELU, a classifier head (logits for cross_entropy)."""

    def __init__(self, d=4, h=6, c=3):
        super().__init__()
        self.inp = nn.Linear(d, h)
        self.ln = nn.LayerNorm(h)
        self.ff = nn.Linear(h, h)
        self.act = nn.GELU(approximate="tanh")
        self.out = nn.Linear(h, c)

    def forward(self, x):
        h = self.inp(x)
        h = h + self.act(self.ff(self.ln(h)))
        return self.out(torch.tanh(h))


class Tokens(nn.Module):
    """An embedding of 3 token ids, flattened; BatchNorm1d in training mode; F.gelu(approximate='tanh')."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(5, 2)
        self.lin = nn.Linear(6, 4)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        e = self.emb(x).view(x.shape[0], -1)
        return self.head(F.gelu(self.bn(self.lin(e)), approximate="tanh"))


def _autograd(module, x, y, loss) -> dict:
    value = LOSSES[loss](module(x), y)
    params = dict(module.named_parameters())
    return {k: g.numpy() for k, g in zip(params, torch.autograd.grad(value, list(params.values())))}


def _same(module, x, y, loss, form):
    m = derive.from_torch(module, x, loss=loss)
    assert m.form == form
    ours, theirs = gradients(m, x.numpy(), y.numpy()), _autograd(module, x, y, loss)
    assert list(ours) == list(theirs)            # named and ordered as named_parameters()
    for k in theirs:
        assert ours[k].shape == theirs[k].shape
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-10)
    return m


torch.manual_seed(0)
X = torch.randn(9, 4, dtype=torch.float64)
CLASSES = torch.tensor([0, 2, 1, 1, 0, 2, 2, 1, 0])
VALUES = torch.randn(9, 2, dtype=torch.float64)


def test_sequential_mlp_is_layered_proven_and_equal_to_autograd():
    torch.manual_seed(1)
    mlp = nn.Sequential(nn.Linear(4, 3), nn.Sigmoid(), nn.Linear(3, 2)).double()
    m = _same(mlp, X, VALUES, "mse", "layered")
    start = dict(mlp.named_parameters())
    assert m.params["0.weight"].tolist() == start["0.weight"].detach().tolist()     # the module's weights
    proofs = Derivation(m.network()).prove()
    assert len(proofs) == 4 * 3 + 3 + 3 * 2 + 2 and all(p.proven for p in proofs.values())


@pytest.mark.parametrize("loss,target", [("cross_entropy", CLASSES), ("bce_with_logits", (VALUES > 0).double()),
                                         ("bce", (VALUES > 0).double())])
def test_sequential_classifiers(loss, target):
    torch.manual_seed(2)
    out = [nn.Linear(5, 3 if loss == "cross_entropy" else 2)] + ([nn.Sigmoid()] if loss == "bce" else [])
    mlp = nn.Sequential(nn.Linear(4, 5), nn.Tanh(), *out).double()
    _same(mlp, X, target, loss, "layered")


def test_custom_module_with_layernorm_tanh_gelu_residual_and_cross_entropy():
    torch.manual_seed(3)
    block = Block().double()
    m = _same(block, X, CLASSES, "cross_entropy", "tensor")
    assert "layer normalization" in m.why_tensor
    proofs = prove_backward(m.tensor_program())
    assert proofs and all(p.proven for p in proofs.values())


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_embedding_and_batchnorm_in_training_and_eval_mode(mode):
    """.train(): the batch's statistics; .eval(): the running ones (fixed inputs, proven for any value)."""
    torch.manual_seed(4)
    ids = torch.randint(0, 5, (9, 3))
    mod = getattr(Tokens().double(), mode)()
    with torch.no_grad():                       # running statistics that are not the start's 0 and 1
        mod.bn.running_mean.uniform_(-1, 1), mod.bn.running_var.uniform_(0.5, 2)
    m = derive.from_torch(mod, ids, loss="cross_entropy")
    ours, theirs = gradients(m, ids.numpy(), CLASSES.numpy()), _autograd(mod, ids, CLASSES, "cross_entropy")
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=1e-10)
    assert ("running_mean" in str(m.program)) == (mode == "eval")


@pytest.mark.parametrize("act", [nn.SiLU(), nn.Softplus(), nn.Softsign(), nn.Mish(), nn.LeakyReLU(0.05),
                                 nn.ELU(0.7), nn.SELU(), nn.ReLU6(), nn.Hardsigmoid(), nn.Hardtanh()],
                         ids=lambda a: type(a).__name__)
def test_other_activations_in_the_tensor_form(act):
    torch.manual_seed(6)
    mlp = nn.Sequential(nn.Linear(4, 5), act, nn.Linear(5, 2)).double()
    _same(mlp, X * 3, VALUES, "mse", "tensor")


def test_an_image_batch_flattened_first():
    torch.manual_seed(8)
    cnnless = nn.Sequential(nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 3)).double()
    images = torch.randn(9, 1, 3, 4, dtype=torch.float64)
    m = _same(cnnless, images, CLASSES, "cross_entropy", "layered")
    assert m.n_inputs == 12


@pytest.mark.parametrize("loss", [F.cross_entropy, nn.CrossEntropyLoss(), "cross_entropy"])
def test_the_loss_as_pytorch_writes_it(loss):
    torch.manual_seed(10)
    mlp = nn.Sequential(nn.Linear(4, 3)).double()
    assert derive.from_torch(mlp, X, loss=loss).spec["loss"] == "ce"
    with pytest.raises(DeriveError, match=r"class weights \(weight=, pos_weight=\)"):
        derive.from_torch(mlp, X, loss=nn.CrossEntropyLoss(weight=torch.ones(3, dtype=torch.float64)))
    with pytest.raises(DeriveError, match="loss 'l1_loss' is not supported"):      # (huber_loss: heldout3)
        derive.from_torch(mlp, X, loss=F.l1_loss)


def test_load_and_derive_take_a_module():
    torch.manual_seed(5)
    mlp = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    net = derive.load(mlp, example_input=torch.randn(3, 2))
    assert net.spec.layered and len(net.params) == 9
    assert all(p.proven for p in derive.derive(net).prove().values())
    with pytest.raises(DeriveError, match="example_input"):
        derive.load(mlp)


def test_too_large_for_the_layered_proof_says_so_and_is_the_tensor_form():
    big = nn.Sequential(nn.Linear(20, 20), nn.Tanh(), nn.Linear(20, 1))
    model = derive.load(big, example_input=torch.randn(4, 20))
    assert model.name.endswith("(tensor form: 441 scalar parameters (the layered proof takes at most 400))")
    assert all(p.proven for p in prove_backward(model).values())


def test_a_model_too_large_for_its_sizes_is_proven_at_small_ones():
    """784-64-10: 50890 parameters; the tensor form's proof instantiates each size small (the generated
    code reads the real sizes from the arrays), and the gradients at the real sizes equal autograd."""
    torch.manual_seed(9)
    mlp = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 10)).double()
    images = torch.randn(12, 784, dtype=torch.float64)
    labels = torch.randint(0, 10, (12,))
    program = derive.load(mlp, example_input=images, loss="cross_entropy")
    assert "50890 scalar parameters" in program.name and "proven at small sizes (D10 = 2, D64 = 3, D784 = 4)" in program.name
    rep = derive.verify(program)
    assert rep["all_proven"] and rep["sizes"] == {"N": 4, "D10": 2, "D64": 3, "D784": 4}
    _same(mlp, images, labels, "cross_entropy", "tensor")


class Sine(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)

    def forward(self, x):
        return torch.sin(self.lin(x))


@pytest.mark.parametrize("module,words", [
    (Sine(), "operation sin is not supported"),
    (nn.Sequential(nn.Linear(2, 2), nn.PReLU()), "module PReLU is not supported"),
])
def test_unsupported_operation_named_in_one_line(module, words):
    with pytest.raises(DeriveError) as e:
        derive.from_torch(module, torch.randn(3, 2))
    assert words in str(e.value) and "\n" not in str(e.value)


FACTORY = '''
import torch
from torch import nn


def factory():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1)), torch.randn(4, 2)


def classifier():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 2)), torch.randn(4, 2), "cross_entropy"


def block():
    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 4)
            self.n = nn.LayerNorm(4)
            self.b = nn.Linear(4, 2)

        def forward(self, x):
            return self.b(self.n(self.a(x)))
    return Net(), torch.randn(4, 3)
'''


def test_cli_verify_imports_the_users_own_factory(tmp_path):
    (tmp_path / "model.py").write_text(FACTORY)
    r = subprocess.run([sys.executable, "-m", "derive", "verify", "model.py:block", "--json"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["all_proven"] and rep["framework"] == "torch"
    assert {x["framework_name"] for x in rep["lines"] if "framework_name" in x} == \
        {"a.weight", "a.bias", "n.weight", "n.bias", "b.weight", "b.bias"}


def test_a_factory_in_python_with_the_command_lines_trust(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text(FACTORY)
    monkeypatch.setattr(api_frameworks, "TRUST_USER_CODE", True)       # as derive.cli.main sets it
    rep = derive.verify(derive.load(f"{tmp_path}/model.py:factory"))
    assert rep["all_proven"] and len(rep["params"]) == 13 and rep["params"][0]["framework_name"] == "0.weight[0,0]"
    net = derive.load(f"{tmp_path}/model.py:classifier")          # a third element: the loss
    assert net.spec.loss == "ce" and net.spec.layers[-1].activation == "softmax"


def test_a_factory_that_is_not_there(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text(FACTORY)
    monkeypatch.setattr(api_frameworks, "TRUST_USER_CODE", True)       # as derive.cli.main sets it
    with pytest.raises(DeriveError, match="no function 'nothing'"):
        derive.load(f"{tmp_path}/model.py:nothing")
    with pytest.raises(DeriveError, match="no such file"):
        derive.load(f"{tmp_path}/absent.py:factory")


def test_only_the_command_line_runs_a_users_file(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('x')\ndef factory():\n    return 1, 2\n")
    monkeypatch.setattr(api_frameworks, "TRUST_USER_CODE", False)      # as in the web server's process
    with pytest.raises(DeriveError, match="command line only"):
        derive.load(f"{tmp_path}/evil.py:factory")
    with pytest.raises(DeriveError):                # the web page's door takes text, never a path
        derive.api.from_text(f"{tmp_path}/evil.py:factory")
    assert not marker.exists()


@pytest.mark.parametrize("name,make", [("sgd", lambda p: torch.optim.SGD(p, lr=0.05)),
                                       ("momentum", lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
                                       ("adam", lambda p: torch.optim.Adam(p, lr=0.01))])
def test_training_a_module_equals_torch_optim(name, make):
    """derive's fit on a module (batches in order, the short one last) against a torch.optim loop."""
    from derive.codegen.fit import fit
    torch.manual_seed(7)
    block = Block().double()
    m = derive.from_torch(block, X, loss="cross_entropy")
    hist = fit(m, X.numpy(), CLASSES.numpy(), epochs=3, batch_size=4, optimizer={"name": name, "learning_rate":
                                                                                   0.05 if name != "adam" else 0.01})
    opt, losses = make(block.parameters()), []
    for _ in range(3):
        total = 0.0
        for lo in range(0, len(X), 4):
            opt.zero_grad()
            loss = F.cross_entropy(block(X[lo:lo + 4]), CLASSES[lo:lo + 4])
            loss.backward()
            opt.step()
            total += loss.item() * len(X[lo:lo + 4])
        losses.append(total / len(X))
    np.testing.assert_allclose(hist.loss, losses, atol=1e-10)
    for k, p in block.named_parameters():
        np.testing.assert_allclose(hist.params[k], p.detach().numpy(), atol=1e-10)


def test_the_web_page_takes_no_model_file_and_runs_no_users_code(tmp_path):
    testclient = pytest.importorskip("starlette.testclient")
    from derive.serve.app import create_app
    from derive.serve.http import Settings
    marker = tmp_path / "ran"
    (tmp_path / "evil.py").write_text(f"open({str(marker)!r}, 'w').write('x')\ndef factory():\n    return 1, 2\n")
    keras_file = ROOT / "derive" / "examples" / "seed004.keras"
    with testclient.TestClient(create_app(Settings()), base_url="http://127.0.0.1") as c:
        for spec in (f"{tmp_path}/evil.py:factory", str(keras_file), keras_file.read_bytes().decode("latin-1")):
            r = c.post("/api/verify", json={"spec": spec})
            assert 400 <= r.status_code < 500 and "error" in r.json(), (spec[:40], r.status_code)
    assert not marker.exists()
