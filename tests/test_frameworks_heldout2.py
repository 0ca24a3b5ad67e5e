"""A second set of held-out models, written as people write them (none in the other framework tests):
each is read (Python API and command line) and its gradients equal autograd's in float64, or it is
refused in one line, exit 2, naming the layer or operation and why."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import derive  # noqa: E402
from derive.codegen.fit import gradients  # noqa: E402
from derive.errors import DeriveError  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.normal(size=(7, 4))
VALUES = RNG.normal(size=(7, 2))
BINARY = (RNG.random((7, 1)) > 0.5).astype(float)
CLASSES = np.array([0, 1, 2, 0, 1, 2, 0])
ONE_HOT = np.eye(3)[CLASSES]
IMAGES = RNG.normal(size=(7, 1, 2, 2))
IDS = RNG.integers(0, 10, size=(7, 4))


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "derive", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, "KERAS_BACKEND": "torch"})


# ---------------------------------------------------------------------------------------------
# PyTorch

class Nested(nn.Module):
    """A body as an nn.Sequential inside the module, then a head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.Tanh())
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        return self.head(self.body(x))


class Named(nn.Module):
    """Layers in an nn.ModuleDict, looked up by name in forward."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleDict({"inp": nn.Linear(4, 5), "out": nn.Linear(5, 2)})
        self.act = nn.ReLU()

    def forward(self, x):
        return self.layers["out"](self.act(self.layers["inp"](x)))


class Viewed(nn.Module):
    """An image batch flattened with x.view(x.size(0), -1), then F.relu between layers."""

    def __init__(self):
        super().__init__()
        self.fc, self.out = nn.Linear(4, 3), nn.Linear(3, 2)

    def forward(self, x):
        x = x.view(x.size(0), -1)
        return self.out(F.relu(self.fc(x)))


class Flattened(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))


class Residual(nn.Module):
    """x = x + self.fc(x), as a residual block is written."""

    def __init__(self):
        super().__init__()
        self.fc, self.out = nn.Linear(4, 4), nn.Linear(4, 2)

    def forward(self, x):
        x = x + F.relu(self.fc(x))
        return self.out(x)


class TwoBranches(nn.Module):
    """Two branches joined with torch.cat along the features."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.out = nn.Linear(4, 3), nn.Linear(4, 2), nn.Linear(5, 3)

    def forward(self, x):
        return self.out(torch.cat([torch.tanh(self.a(x)), self.b(x)], dim=1))


class DenseSkip(nn.Module):
    """The input beside a hidden layer (a DenseNet-style skip), torch.cat((x, h), -1)."""

    def __init__(self):
        super().__init__()
        self.a, self.out = nn.Linear(4, 3), nn.Linear(7, 2)

    def forward(self, x):
        return self.out(torch.cat((x, F.relu(self.a(x))), -1))


class Tokens(nn.Module):
    """Embeddings of 4 ids flattened with .view, then a Linear."""

    def __init__(self):
        super().__init__()
        self.emb, self.fc = nn.Embedding(10, 3), nn.Linear(12, 3)

    def forward(self, x):
        return self.fc(self.emb(x).view(x.size(0), -1))


class BagOfWords(nn.Module):
    """The mean of the ids' embeddings (a bag of words), then a Linear."""

    def __init__(self, how="mean"):
        super().__init__()
        self.emb, self.fc, self.how = nn.Embedding(10, 3), nn.Linear(3, 3), how

    def forward(self, x):
        e = self.emb(x)
        return self.fc(e.mean(dim=1) if self.how == "mean" else torch.sum(e, 1))


def _batchnorm(mode):
    mlp = nn.Sequential(nn.Linear(4, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    with torch.no_grad():                  # running statistics as after some training, not the start's 0 and 1
        mlp[1].running_mean.normal_(), mlp[1].running_var.uniform_(0.5, 2)
    return getattr(mlp, mode)()


def _mlp(*tail, width=3):
    return nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, width), *tail)


TORCH = {   # name: (module factory, loss as given to derive and to autograd, targets, inputs, derive's form)
    "nested_sequential": (Nested, nn.CrossEntropyLoss(), CLASSES, X, "layered"),
    "module_dict": (Named, nn.MSELoss(), VALUES, X, "layered"),
    "view_size": (Viewed, nn.MSELoss(), VALUES, IMAGES, "layered"),
    "torch_flatten": (Flattened, nn.MSELoss(), VALUES, IMAGES, "layered"),
    "nn_flatten": (lambda: nn.Sequential(nn.Flatten(), nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)),
                   nn.MSELoss(), VALUES, IMAGES, "layered"),
    "residual": (Residual, nn.MSELoss(), VALUES, X, "tensor"),
    "cat_branches": (TwoBranches, nn.CrossEntropyLoss(), CLASSES, X, "tensor"),
    "cat_input": (DenseSkip, nn.MSELoss(), VALUES, X, "tensor"),
    "dropout_eval": (lambda: _mlp(nn.Dropout(0.3), nn.Linear(3, 2)).eval(), nn.MSELoss(), VALUES, X, "layered"),
    "layer_norm": (lambda: nn.Sequential(nn.Linear(4, 5), nn.LayerNorm(5), nn.GELU(), nn.Linear(5, 3)),
                   nn.CrossEntropyLoss(), CLASSES, X, "tensor"),
    "batchnorm_train": (lambda: _batchnorm("train"), nn.MSELoss(), VALUES, X, "tensor"),
    "batchnorm_eval": (lambda: _batchnorm("eval"), nn.MSELoss(), VALUES, X, "tensor"),
    "embedding_linear": (Tokens, nn.CrossEntropyLoss(), CLASSES, IDS, "tensor"),
    "embedding_mean": (BagOfWords, nn.CrossEntropyLoss(), CLASSES, IDS, "tensor"),
    "embedding_sum": (lambda: BagOfWords("sum"), nn.CrossEntropyLoss(), CLASSES, IDS, "tensor"),
    "label_smoothing": (_mlp, nn.CrossEntropyLoss(label_smoothing=0.1), CLASSES, X, "tensor"),
    "label_smoothing_sum": (_mlp, nn.CrossEntropyLoss(label_smoothing=0.2, reduction="sum"), CLASSES, X, "tensor"),
    "bce_with_logits": (lambda: _mlp(width=1), nn.BCEWithLogitsLoss(), BINARY, X, "layered"),
}


@pytest.mark.parametrize("name", list(TORCH))
def test_torch_module_read_with_autograds_gradients(name):
    factory, loss, y, inputs, form = TORCH[name]
    torch.manual_seed(1)
    module = factory().double()
    x = torch.tensor(inputs)
    m = derive.from_torch(module, x, loss=loss)
    assert m.form == form
    params = dict(module.named_parameters())
    theirs = torch.autograd.grad(loss(module(x), torch.tensor(y)), list(params.values()))
    ours = gradients(m, inputs, y)
    assert list(ours) == list(params)
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), rtol=1e-10, atol=1e-12)
    assert derive.verify(m)["all_proven"]


class DropoutFunction(nn.Module):
    def __init__(self, training):
        super().__init__()
        self.a, self.b, self.training_arg = nn.Linear(4, 3), nn.Linear(3, 2), training

    def forward(self, x):
        h = F.relu(self.a(x))
        return self.b(F.dropout(h, 0.5) if self.training_arg is None else F.dropout(h, 0.5, self.training_arg))


class Stacked(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):
        return torch.cat([self.a(x), self.a(x)], dim=0)


class RowMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 2)

    def forward(self, x):
        return self.a(x) - self.a(x).mean(dim=0)


REFUSED = [   # (module, loss, the one line's words)
    (lambda: _mlp(nn.Dropout(0.3), nn.Linear(3, 2)), "mse",
     "call_module 3: Dropout(p=0.3) in training mode drops units at random; derive reads it in eval mode"),
    (lambda: DropoutFunction(None), "mse", "F.dropout with training=True drops units at random"),
    (Stacked, "mse", "torch.cat along dim 0 is not supported; derive joins (N, features) tensors along the features"),
    (RowMean, "mse", "call_method mean: mean over dim 0 of a 2-dimensional tensor is not supported"),
    (_mlp, nn.CrossEntropyLoss(weight=torch.ones(3)), "CrossEntropyLoss with class weights"),
    (_mlp, nn.HuberLoss(), "loss 'HuberLoss' is not supported"),
]


@pytest.mark.parametrize("factory,loss,message", REFUSED)
def test_torch_modules_derive_does_not_read_are_refused_in_one_line(factory, loss, message):
    with pytest.raises(DeriveError) as e:
        derive.from_torch(factory().double(), torch.tensor(X), loss=loss)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_dropout_read_in_eval_mode_and_as_f_dropout_with_training_false():
    torch.manual_seed(2)
    for module in (DropoutFunction(False), _mlp(nn.Dropout(0.5), nn.Linear(3, 2)).eval()):
        module = module.double()
        m = derive.from_torch(module, torch.tensor(X), loss="mse")
        theirs = torch.autograd.grad(F.mse_loss(module(torch.tensor(X)), torch.tensor(VALUES)),
                                     list(module.parameters()))
        for ours, g in zip(gradients(m, X, VALUES).values(), theirs):
            np.testing.assert_allclose(ours, g.numpy(), atol=1e-12)


def test_torch_factories_on_the_command_line(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        import torch
        from torch import nn

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.a, self.b = nn.Linear(4, 3), nn.Linear(4, 2)
                self.bn, self.drop, self.out = nn.BatchNorm1d(5), nn.Dropout(0.2), nn.Linear(5, 3)

            def forward(self, x):
                h = torch.cat([torch.relu(self.a(x)), self.b(x)], dim=1)
                return self.out(self.drop(self.bn(h)))

        def evaluated():
            torch.manual_seed(0)
            return Net().double().eval(), torch.randn(6, 4, dtype=torch.float64), \\
                nn.CrossEntropyLoss(label_smoothing=0.1)

        def training():
            return evaluated()[0].train(), torch.randn(6, 4, dtype=torch.float64), "cross_entropy"
    '''))
    r = _cli("verify", "model.py:evaluated", cwd=tmp_path)
    assert r.returncode == 0 and "15 of 15 gradient tensors proven" in r.stdout, r.stdout + r.stderr
    assert "concatenate" in r.stdout and "running_mean" in r.stdout
    r = _cli("verify", "model.py:training", "--json", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert "Dropout(p=0.2) in training mode" in json.loads(r.stdout)["error"]
