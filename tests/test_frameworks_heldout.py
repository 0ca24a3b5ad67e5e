"""Keras and PyTorch models written as people write them, none of them in test_keras or test_torch_import:
each is read (Python API and command line) and its gradients equal autograd's on the model's own weights,
or it is refused in one line naming what derive does not read."""
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
keras = pytest.importorskip("keras")
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import derive  # noqa: E402
from derive.codegen.fit import gradients  # noqa: E402
from derive.errors import DeriveError  # noqa: E402

L = keras.layers
RNG = np.random.default_rng(0)
X = RNG.normal(size=(7, 3))
VALUES = RNG.normal(size=(7, 2))
BINARY = (RNG.random((7, 1)) > 0.5).astype(float)
CLASSES = np.array([0, 1, 2, 0, 1, 2, 0])
ONE_HOT = np.eye(3)[CLASSES]


# ---------------------------------------------------------------------------------------------
# Keras: each model saved with model.save("m.keras"), then read from the file

@pytest.fixture(autouse=True)
def _fresh_keras_names():
    """Keras numbers its layers' default names per session (dense, dense_1, ...): each test starts from
    none, and leaves none behind for the tests that read names (test_keras's seed004 file)."""
    keras.backend.clear_session()
    yield
    keras.backend.clear_session()


def _sequential(*layers):
    return keras.Sequential([keras.Input((3,)), *layers])


def _functional():
    i = keras.Input(shape=(3,))
    return keras.Model(inputs=i, outputs=L.Dense(2)(L.Dense(5, activation="relu")(i)))


def _functional_activation_layer():
    i = keras.Input(shape=(3,))
    h = L.Dropout(0.0)(L.Activation("tanh")(L.Dense(5)(i)))
    return keras.Model(i, L.Dense(3, activation="softmax")(h))


KERAS = {   # name: (model, loss as compiled, Keras's loss object for autograd, targets, derive's form)
    "activation_layers": (lambda: _sequential(L.Dense(4), L.Activation("relu"), L.Dense(1), L.Activation("sigmoid")),
                          "binary_crossentropy", keras.losses.BinaryCrossentropy(), BINARY, "layered"),
    "no_bias": (lambda: _sequential(L.Dense(4, activation="tanh", use_bias=False), L.Dense(2, use_bias=False)),
                "mse", keras.losses.MeanSquaredError(), VALUES, "layered"),
    "functional": (_functional, "mse", keras.losses.MeanSquaredError(), VALUES, "layered"),
    "functional_activation_layer": (_functional_activation_layer, "categorical_crossentropy",
                                    keras.losses.CategoricalCrossentropy(), ONE_HOT, "layered"),
    "softmax_cce_object": (lambda: _sequential(L.Dense(4, activation="relu"), L.Dense(3, activation="softmax")),
                           keras.losses.CategoricalCrossentropy(), keras.losses.CategoricalCrossentropy(), ONE_HOT,
                           "layered"),
    "input_shape": (lambda: keras.Sequential([L.Dense(4, activation="sigmoid", input_shape=(3,)), L.Dense(2)]),
                    "mean_squared_error", keras.losses.MeanSquaredError(), VALUES, "layered"),
    "relu_layer": (lambda: _sequential(L.Dense(4), L.ReLU(), L.Dense(1, activation="sigmoid")),
                   "binary_crossentropy", keras.losses.BinaryCrossentropy(), BINARY, "layered"),
    "loss_function": (lambda: _sequential(L.Dense(4, activation=keras.activations.relu), L.Dense(2)),
                      keras.losses.mean_squared_error, keras.losses.MeanSquaredError(), VALUES, "layered"),
    "activation_layer_kinds": (lambda: _sequential(L.Dense(4), L.LeakyReLU(), L.Dense(4), L.ELU(alpha=0.7),
                                                   L.Dense(3), L.Softmax()),
                               "categorical_crossentropy", keras.losses.CategoricalCrossentropy(), ONE_HOT, "tensor"),
    "relu6_layer": (lambda: _sequential(L.Dense(4), L.ReLU(max_value=6.0), L.Dense(2)),
                    "mse", keras.losses.MeanSquaredError(), VALUES, "tensor"),
}


def _saved(tmp_path, name, build, loss, seed=1):
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(optimizer="sgd", loss=loss)
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return model, path


def _keras_autograd(model, loss, X, y) -> dict:
    value = loss(torch.tensor(y, dtype=torch.float32), model(torch.tensor(X, dtype=torch.float32), training=True))
    grads = torch.autograd.grad(value, [w.value for w in model.trainable_weights])
    return {"/".join(w.path.split("/")[-2:]): g.numpy() for w, g in zip(model.trainable_weights, grads)}


@pytest.mark.parametrize("name", list(KERAS))
def test_keras_model_read_from_its_file_with_autograds_gradients(tmp_path, name):
    build, loss, loss_object, y, form = KERAS[name]
    model, path = _saved(tmp_path, name, build, loss)
    m = derive.from_keras(path)
    assert m.form == form
    ours, theirs = gradients(m, X, y), _keras_autograd(model, loss_object, X, y)
    assert sorted(ours) == sorted(theirs)            # every Keras variable, by its path
    for k in theirs:
        np.testing.assert_allclose(ours[k], theirs[k], atol=2e-6)      # float32 weights and autograd
    assert derive.verify(m)["all_proven"]


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "derive", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env={**os.environ, "KERAS_BACKEND": "torch"})


def test_keras_file_on_the_command_line_verify_check_notes(tmp_path):
    _, path = _saved(tmp_path, "relu_layer", *KERAS["relu_layer"][:2])
    r = _cli("verify", path)
    assert r.returncode == 0 and "21 of 21 gradients proven" in r.stdout, r.stderr
    assert _cli("check", path, "--param", "V1", "--answer", "delta_Y1*H1").returncode == 0
    wrong = _cli("check", path, "--param", "V1", "--answer", "delta_Y1*H2")
    assert wrong.returncode == 1 and "incorrect" in wrong.stdout
    r = _cli("notes", path, "--format", "md", "--out", tmp_path / "notes")
    assert r.returncode == 0, r.stderr
    notes = next((tmp_path / "notes").rglob("notes.en.md")).read_text()
    assert r"H_{1} = \operatorname{relu}\left(h_{1}\right)" in notes      # the ReLU layer is the hidden activation


@pytest.mark.parametrize("build,loss,message", [
    (lambda: _sequential(L.Dense(4), L.PReLU(), L.Dense(2)), "mse", "layer 'p_re_lu' (PReLU) is not supported"),
    (lambda: _sequential(L.Dense(4), L.ReLU(threshold=0.5), L.Dense(2)), "mse", "ReLU with negative_slope, threshold"),
    (lambda: _sequential(L.Dense(4), L.Softmax(axis=0), L.Dense(2)), "mse", "Softmax over axis 0"),
    (lambda: _sequential(L.Dense(4, activation="relu"), L.Dense(2)), "mae", "loss 'mae' is not supported"),
])
def test_keras_models_derive_does_not_read_are_refused_in_one_line(tmp_path, build, loss, message):
    _, path = _saved(tmp_path, "refused", build, loss)
    with pytest.raises(DeriveError, match=message.replace("(", r"\(").replace(")", r"\)")):
        derive.from_keras(path)
    r = _cli("verify", path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------------------------------------
# PyTorch: modules as people write them, traced with torch.fx

class Functional(nn.Module):
    """torch.sigmoid, F.relu and torch.tanh between three layers."""

    def __init__(self):
        super().__init__()
        self.a, self.b, self.c = nn.Linear(3, 5), nn.Linear(5, 4), nn.Linear(4, 2)

    def forward(self, x):
        return self.c(torch.tanh(self.b(F.relu(torch.sigmoid(self.a(x))))))


class LogSoftmaxNet(nn.Module):
    """A classifier returning log-probabilities, as for NLLLoss; ``how`` spells log_softmax."""

    def __init__(self, how="F"):
        super().__init__()
        self.fc1, self.fc2, self.how = nn.Linear(3, 5), nn.Linear(5, 3), how

    def forward(self, x):
        z = self.fc2(F.relu(self.fc1(x)))
        return F.log_softmax(z, dim=1) if self.how == "F" else torch.log_softmax(z, -1) if self.how == "torch" \
            else z.log_softmax(dim=1)


class Layers(nn.Module):
    """self.layers = nn.ModuleList(...), looped in forward, relu between."""

    def __init__(self, sizes=(3, 5, 4, 2)):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


class SigmoidOut(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(3, 5), nn.Linear(5, 1)

    def forward(self, x):
        return torch.sigmoid(self.fc2(torch.tanh(self.fc1(x))))


TORCH = {   # name: (module factory, loss as given to derive, PyTorch's loss for autograd, targets, form)
    "sequential_sigmoid": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Sigmoid(), nn.Linear(4, 2)),
                           "mse", F.mse_loss, VALUES, "layered"),
    "functional_activations": (Functional, nn.MSELoss(), F.mse_loss, VALUES, "tensor"),
    "log_softmax_nll_module": (LogSoftmaxNet, nn.NLLLoss(), F.nll_loss, CLASSES, "layered"),
    "log_softmax_nll_function": (lambda: LogSoftmaxNet("torch"), F.nll_loss, F.nll_loss, CLASSES, "layered"),
    "log_softmax_method_cross_entropy": (lambda: LogSoftmaxNet("method"), "cross_entropy", F.cross_entropy,
                                         CLASSES, "layered"),
    "sequential_log_softmax": (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3),
                                                     nn.LogSoftmax(dim=1)), "nll", F.nll_loss, CLASSES, "layered"),
    "bce_with_logits": (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)), nn.BCEWithLogitsLoss(),
                        F.binary_cross_entropy_with_logits, BINARY, "layered"),
    "sigmoid_bce": (SigmoidOut, nn.BCELoss(), F.binary_cross_entropy, BINARY, "layered"),
    "no_bias": (lambda: nn.Sequential(nn.Linear(3, 4, bias=False), nn.Tanh(), nn.Linear(4, 2, bias=False)),
                "mse", F.mse_loss, VALUES, "layered"),
    "module_list": (Layers, "mse", F.mse_loss, VALUES, "layered"),
    "mse_sum": (lambda: nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)), nn.MSELoss(reduction="sum"),
                lambda a, b: F.mse_loss(a, b, reduction="sum"), VALUES, "tensor"),
    "cross_entropy_sum": (lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)),
                          nn.CrossEntropyLoss(reduction="sum"), lambda a, b: F.cross_entropy(a, b, reduction="sum"),
                          CLASSES, "tensor"),
    "nll_sum": (LogSoftmaxNet, nn.NLLLoss(reduction="sum"), lambda a, b: F.nll_loss(a, b, reduction="sum"),
                CLASSES, "tensor"),
    "bce_with_logits_sum": (lambda: nn.Sequential(nn.Linear(3, 2)), nn.BCEWithLogitsLoss(reduction="sum"),
                            lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="sum"),
                            np.hstack([BINARY, 1 - BINARY]), "tensor"),
}


@pytest.mark.parametrize("name", list(TORCH))
def test_torch_module_read_with_autograds_gradients(name):
    factory, loss, torch_loss, y, form = TORCH[name]
    torch.manual_seed(1)
    module = factory().double()
    x = torch.tensor(X)
    m = derive.from_torch(module, x, loss=loss)
    assert m.form == form
    target = torch.tensor(y)
    params = dict(module.named_parameters())
    theirs = torch.autograd.grad(torch_loss(module(x), target), list(params.values()))
    ours = gradients(m, X, y)
    assert list(ours) == list(params)                # named and ordered as named_parameters()
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), atol=1e-12)
    assert derive.verify(m)["all_proven"]


class LogSoftmaxInside(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 3), nn.Linear(3, 2)

    def forward(self, x):
        return self.b(F.log_softmax(self.a(x), dim=1))


@pytest.mark.parametrize("factory,loss,message", [
    (lambda: nn.Sequential(nn.Linear(3, 2)), nn.MSELoss(reduction="none"), "MSELoss with reduction 'none'"),
    (lambda: nn.Sequential(nn.Linear(3, 3)), nn.NLLLoss(), "NLLLoss takes log-probabilities"),
    (LogSoftmaxInside, "mse", "log_softmax is read only as the module's last operation"),
    (lambda: nn.Sequential(nn.Linear(3, 3), nn.LogSoftmax(dim=0)), "nll", "LogSoftmax over dim 0"),
    (LogSoftmaxNet, "mse", "a last log_softmax with loss mse"),
    (lambda: nn.Sequential(nn.Linear(3, 2)), nn.L1Loss(), "loss 'L1Loss' is not supported"),
])
def test_torch_modules_derive_does_not_read_are_refused_in_one_line(factory, loss, message):
    with pytest.raises(DeriveError, match=message.replace("(", r"\(")) as e:
        derive.from_torch(factory().double(), torch.tensor(X), loss=loss)
    assert "\n" not in str(e.value)


def test_torch_factory_on_the_command_line(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        import torch
        from torch import nn
        import torch.nn.functional as F

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = nn.ModuleList([nn.Linear(3, 5), nn.Linear(5, 3)])

            def forward(self, x):
                for layer in self.layers[:-1]:
                    x = F.relu(layer(x))
                return F.log_softmax(self.layers[-1](x), dim=1)

        def nll():
            torch.manual_seed(0)
            return Net().double(), torch.randn(6, 3, dtype=torch.float64), "nll"

        def mse():
            return nll()[:2]

        def mse_sum():
            torch.manual_seed(0)
            return nn.Sequential(nn.Linear(3, 2)).double(), torch.randn(6, 3, dtype=torch.float64), \
                nn.MSELoss(reduction="sum")
    '''))
    r = _cli("verify", "model.py:nll", cwd=tmp_path)
    assert r.returncode == 0 and "38 of 38 gradients proven" in r.stdout, r.stderr
    r = _cli("verify", "model.py:mse_sum", cwd=tmp_path)
    assert r.returncode == 0 and "3 of 3 gradient tensors proven" in r.stdout, r.stderr
    assert "J = ((z1 - Y) ** 2).sum()" in r.stdout            # the sum over the batch, not divided by N
    r = _cli("verify", "model.py:mse", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == \
        "derive: error: Net: output output: a last log_softmax with loss mse; expected NLLLoss (nll)"


class Between(nn.Module):
    """Two layers with a functional activation between them: ``act(x)`` is F.something(x, ...)."""

    def __init__(self, act):
        super().__init__()
        self.a, self.b, self.act = nn.Linear(3, 4), nn.Linear(4, 2), act

    def forward(self, x):
        return self.b(self.act(self.a(x)))


@pytest.mark.parametrize("act,atol", [   # F.silu ... have no torch.silu: these were an AttributeError traceback
    (F.silu, 1e-12), (F.softsign, 1e-12), (F.mish, 1e-12), (F.relu6, 1e-12), (F.selu, 1e-12),
    (F.hardsigmoid, 1e-8),     # PyTorch's backward multiplies by 1/6 as a float32 constant (3e-8 relative)
    (F.leaky_relu, 1e-12), (lambda z: F.leaky_relu(z, 0.1), 1e-12), (lambda z: F.elu(z, alpha=0.5), 1e-12),
    (F.softplus, 1e-12), (F.hardtanh, 1e-12),
])
def test_torch_functional_activations(act, atol):
    torch.manual_seed(4)
    module = Between(act).double()
    x = torch.tensor(X) * 3                       # both sides of the kinks
    m = derive.from_torch(module, x, loss="mse")
    params = dict(module.named_parameters())
    theirs = torch.autograd.grad(F.mse_loss(module(x), torch.tensor(VALUES)), list(params.values()))
    ours = gradients(m, x.numpy(), VALUES)
    for k, g in zip(params, theirs):
        np.testing.assert_allclose(ours[k], g.numpy(), atol=atol)


class Concatenated(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 2), nn.Linear(4, 2)

    def forward(self, x):
        h = self.a(x)
        return self.b(torch.cat([h, h], dim=0).view(-1, 4))


@pytest.mark.parametrize("module,message", [
    (Between(lambda z: F.softplus(z, beta=2)), "call_function softplus: softplus with beta 2 is not supported"),
    (Between(lambda z: F.hardtanh(z, 0.0, 2.0)), "hardtanh(0.0, 2.0) is not supported"),
    (Concatenated(), "call_function cat: torch.cat along dim 0 is not supported"),   # dim=1 is read (heldout2)
])
def test_torch_operations_derive_does_not_read_are_named(module, message):
    with pytest.raises(DeriveError, match=message.replace("(", r"\(").replace(")", r"\)")):
        derive.from_torch(module.double(), torch.tensor(X), loss="mse")


def test_train_with_a_sum_reduction_is_a_torch_optim_loop(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent('''
        import torch
        from torch import nn

        def f():
            torch.manual_seed(0)
            return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double(), \\
                torch.randn(10, 3, dtype=torch.float64), nn.MSELoss(reduction="sum")
    '''))
    rng = np.random.default_rng(3)
    Xn, Yn = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    np.savetxt(tmp_path / "d.csv", np.hstack([Xn, Yn]), delimiter=",", header="x1,x2,x3,y1,y2", comments="")
    r = _cli("train", "model.py:f", "--data", "d.csv", "--epochs", "3", "--batch", "4", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    opt, history = torch.optim.SGD(module.parameters(), lr=0.01), []
    Xt, Yt = torch.tensor(Xn), torch.tensor(Yn)
    for _ in range(3):
        total = 0.0
        for i in range(0, 10, 4):
            opt.zero_grad()
            value = F.mse_loss(module(Xt[i:i + 4]), Yt[i:i + 4], reduction="sum")
            value.backward()
            opt.step()
            total += value.item() * len(Xt[i:i + 4])
        history.append(total / 10)                 # as fit reports: batch losses weighted by batch size
    np.testing.assert_allclose(json.loads(r.stdout)["history"]["loss"], history, rtol=1e-12)
